//! `docker.networks` and `docker.volumes` against the engine: containers on
//! a user network reach each other by name and alias; data outlives a
//! container in a named volume.

mod common;

use common::{docker, Cleanup};

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn containers_on_a_user_network_reach_each_other_by_name_and_alias() {
    let t = Cleanup::new("net");
    let code = r#"
        local n = docker.networks.create("ID-net", {labels = LABELS,
          ipam = {config = {{subnet = "172.31.77.0/24", gateway = "172.31.77.1"}}}})
        print(n.name, n.labels["dockerlua.test"] == "ID", n.attrs.IPAM.Config[1].Subnet)
        print(docker.networks.get("ID-net") == n, #docker.networks.list{names = {"ID-net"}})
        local a = docker.containers.run("busybox", "sleep 300", {detach = true, init = true,
          name = "ID-a", network = "ID-net", labels = LABELS})
        local b = docker.containers.run("busybox", "sleep 300", {detach = true, init = true,
          name = "ID-b", labels = LABELS})
        n:connect(b, {aliases = {"bee"}, ipv4_address = "172.31.77.77"})
        local names = {}
        for _, c in ipairs(n.containers) do names[#names + 1] = c.name end
        table.sort(names)
        print(table.concat(names, " "))
        b:reload()
        local ep = b.attrs.NetworkSettings.Networks["ID-net"]
        local has_bee = false
        for _, alias in ipairs(ep.Aliases) do has_bee = has_bee or alias == "bee" end
        print(has_bee, ep.IPAddress)
        print(a:exec("ping -c1 -W2 bee").exit_code, a:exec("ping -c1 -W2 ID-b").exit_code)
        print(b:exec("ping -c1 -W2 ID-a").exit_code)
        n:disconnect("ID-b", {force = true})
        print(#n.containers, a:exec("ping -c1 -W1 bee").exit_code ~= 0)
        a:remove{force = true}
        n:reload() print(#n.containers)
        n:remove()
        print(pcall(docker.networks.get, "ID-net"))
    "#;
    let out = t.script(code);
    let id = &t.id;
    assert_eq!(
        out,
        format!(
            "{id}-net\ttrue\t172.31.77.0/24\ntrue\t1\n{id}-a {id}-b\ntrue\t172.31.77.77\n0\t0\n0\n1\ttrue\n0\n\
             false\tNotFound (404): network {id}-net not found\n"
        )
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn networks_prune_and_bad_options() {
    let t = Cleanup::new("netprune");
    let code = r#"
        local n = docker.networks.create("ID-p", {labels = LABELS, internal = true, attachable = true})
        print(n.attrs.Internal, n.attrs.Attachable)
        local r = docker.networks.prune{filters = {label = "dockerlua.test=ID"}}
        print(#r.NetworksDeleted, r.NetworksDeleted[1])
        print(pcall(docker.networks.create, "ID-x", {drvier = "bridge"}))
        print(pcall(docker.networks.create, "ID-x", {ipam = {config = {{subnett = "10.0.0.0/8"}}}}))
    "#;
    let id = &t.id;
    assert_eq!(
        t.script(code),
        format!(
            "true\ttrue\n1\t{id}-p\n\
             false\tInvalidArgument: networks.create: unknown option 'drvier' (did you mean 'driver'?)\n\
             false\tInvalidArgument: networks.create: bad 'ipam.config item #1': unknown key 'subnett' (did you mean 'subnet'?) (known: subnet, gateway, iprange, ip_range, aux_addresses)\n"
        )
    );
    assert_eq!(
        docker(&[
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("label={}", t.label())
        ]),
        ""
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn data_outlives_a_container_in_a_named_volume_and_a_mount() {
    let t = Cleanup::new("vol");
    let code = r#"
        local v = docker.volumes.create("ID-v", {labels = LABELS})
        print(v.id == v.name, v.name, v.labels["dockerlua.test"] == "ID", v.attrs.Driver)
        docker.containers.run("busybox", {"sh", "-c", "echo kept > /data/f"},
          {volumes = {"ID-v:/data"}, remove = true, labels = LABELS})
        io.write(docker.containers.run("busybox", "cat /data/f",
          {volumes = {["ID-v"] = {bind = "/data", mode = "ro"}}, remove = true, labels = LABELS}))
        io.write(docker.containers.run("busybox", "cat /m/f", {remove = true, labels = LABELS,
          mounts = {{type = "volume", source = "ID-v", target = "/m", read_only = true}}}))
        print(pcall(docker.containers.run, "busybox", "touch /m/g", {remove = true, labels = LABELS,
          mounts = {"ID-v:/m:ro"}}))
        -- A tmpfs with its size, and the engine's own spelling, as services take them.
        io.write(docker.containers.run("busybox", "sh -c 'df -k /t | tail -1; cat /e/f'",
          {remove = true, labels = LABELS, mounts = {
            {type = "tmpfs", target = "/t", tmpfs_size = "2m"},
            {Type = "volume", Source = "ID-v", Target = "/e"}}}))
        local anon = docker.volumes.create{labels = LABELS}
        print(#anon.name == 64, docker.volumes.get(anon.name) == anon)
        print(#docker.volumes.list{filters = {label = "dockerlua.test=ID"}})
        v:remove{force = true}
        print(pcall(docker.volumes.get, "ID-v"))
        local r = docker.volumes.prune{filters = {label = "dockerlua.test=ID"}}
        print(#r.VolumesDeleted, r.VolumesDeleted[1] == anon.name, math.type(r.SpaceReclaimed))
    "#;
    let out = t.script(code);
    let id = &t.id;
    let mut lines = out.lines();
    assert_eq!(lines.next().unwrap(), format!("true\t{id}-v\ttrue\tlocal"));
    assert_eq!(lines.next().unwrap(), "kept");
    assert_eq!(lines.next().unwrap(), "kept");
    let ro = lines.next().unwrap();
    assert!(
        ro.starts_with("false\tContainerError") && ro.contains("Read-only"),
        "{out}"
    );
    let tmpfs = lines.next().unwrap();
    assert!(
        tmpfs.starts_with("tmpfs") && tmpfs.split_whitespace().nth(1) == Some("2048"),
        "{out}"
    );
    assert_eq!(lines.next().unwrap(), "kept");
    assert_eq!(lines.next().unwrap(), "true\ttrue");
    assert_eq!(lines.next().unwrap(), "2");
    assert_eq!(
        lines.next().unwrap(),
        format!("false\tNotFound (404): get {id}-v: no such volume")
    );
    assert_eq!(lines.next().unwrap(), "1\ttrue\tinteger");
}
