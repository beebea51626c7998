//! `docker.networks` and `docker.volumes` against the engine: containers on
//! a user network reach each other by name and alias; data outlives a
//! container in a named volume.

mod common;

use common::{docker, Cleanup};

/// A /24 of the test engine's own for a network with a fixed subnet
/// (`tools/engine.sh` gives each engine one, inside the range its forward
/// rule accepts); an engine started by an older engine.sh has none.
fn test_subnet() -> String {
    std::env::var("DOCKERLUA_TEST_SUBNET").unwrap_or_else(|_| "172.31.77.0/24".into())
}

/// Why containers on one bridge may not reach each other on this machine:
/// the FORWARD policy and br_netfilter, as a failure message says it.
fn forward_diagnosis(subnet: &str) -> String {
    let rules = std::process::Command::new("iptables")
        .args(["-w", "-S", "FORWARD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let nf_call = std::fs::read_to_string("/proc/sys/net/bridge/bridge-nf-call-iptables")
        .map(|v| v.trim() == "1")
        .unwrap_or(false);
    let Some(rules) = rules else {
        return "the FORWARD chain cannot be read (iptables missing or not root)".into();
    };
    let drop = rules.lines().any(|l| l == "-P FORWARD DROP");
    let range: String = subnet.split('.').take(2).collect::<Vec<_>>().join(".");
    let accepted = rules
        .lines()
        .any(|l| l.contains("dockerlua-test-engine") && l.contains(&format!("-s {range}.0.0/16")));
    match (drop, nf_call, accepted) {
        (true, true, false) => format!(
            "this machine drops bridged traffic: the iptables FORWARD policy is DROP (a Docker \
             engine started with iptables on sets it) and br_netfilter is on \
             (net.bridge.bridge-nf-call-iptables = 1), and no FORWARD rule accepts the test \
             engine's networks ({range}.0.0/16): restart it with tools/engine.sh, which adds one \
             marked 'dockerlua-test-engine'"
        ),
        _ => format!(
            "FORWARD policy DROP: {drop}, br_netfilter on: {nf_call}, a rule for {range}.0.0/16: \
             {accepted}; the FORWARD chain:\n{rules}"
        ),
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn containers_on_a_user_network_reach_each_other_by_name_and_alias() {
    let t = Cleanup::new("net");
    let subnet = test_subnet();
    let prefix = subnet.rsplit_once('.').unwrap().0.to_owned();
    // Pings are retried until a deadline: a fresh endpoint (its bridge port,
    // ARP, DNS) can take a moment on a loaded machine.
    let code = r#"
        local function reach(from, to, want)
          local deadline = docker.clock() + 20
          while true do
            local ok = from:exec({"ping", "-c1", "-W1", to}).exit_code == 0
            if ok == want or docker.clock() > deadline then return ok end
            docker.sleep(0.2)
          end
        end
        local n = docker.networks.create("ID-net", {labels = LABELS,
          ipam = {config = {{subnet = "PREFIX.0/24", gateway = "PREFIX.1"}}}})
        print(n.name, n.labels["dockerlua.test"] == "ID", n.attrs.IPAM.Config[1].Subnet)
        print(docker.networks.get("ID-net") == n, #docker.networks.list{names = {"ID-net"}})
        local a = docker.containers.run("busybox", "sleep 300", {detach = true, init = true,
          name = "ID-a", network = "ID-net", labels = LABELS})
        local b = docker.containers.run("busybox", "sleep 300", {detach = true, init = true,
          name = "ID-b", labels = LABELS})
        n:connect(b, {aliases = {"bee"}, ipv4_address = "PREFIX.77"})
        local names = {}
        for _, c in ipairs(n.containers) do names[#names + 1] = c.name end
        table.sort(names)
        print(table.concat(names, " "))
        b:reload()
        local ep = b.attrs.NetworkSettings.Networks["ID-net"]
        local has_bee = false
        for _, alias in ipairs(ep.Aliases) do has_bee = has_bee or alias == "bee" end
        print(has_bee, ep.IPAddress)
        -- A blocked network fails the first one: the others are not waited for.
        local by_alias = reach(a, "bee", true)
        local by_name = by_alias and reach(a, "ID-b", true)
        print("reached", by_alias, by_name, by_name and reach(b, "ID-a", true))
        n:disconnect("ID-b", {force = true})
        print(#n.containers, reach(a, "bee", false) == false)
        a:remove{force = true}
        n:reload() print(#n.containers)
        n:remove()
        print(pcall(docker.networks.get, "ID-net"))
    "#;
    let out = t.script(&code.replace("PREFIX", &prefix));
    let id = &t.id;
    if !out.contains("reached\ttrue\ttrue\ttrue\n") {
        panic!(
            "containers on a user network of the test engine cannot reach each other ({}): {}",
            out.lines()
                .find(|l| l.starts_with("reached"))
                .unwrap_or("?"),
            forward_diagnosis(&subnet)
        );
    }
    assert_eq!(
        out,
        format!(
            "{id}-net\ttrue\t{subnet}\ntrue\t1\n{id}-a {id}-b\ntrue\t{prefix}.77\n\
             reached\ttrue\ttrue\ttrue\n1\ttrue\n0\n\
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

/// `list{greedy = true}` inspects each network, as the Python SDK does, so
/// `containers` is filled; without it the list is one request and empty.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_greedy_network_list_fills_containers() {
    let t = Cleanup::new("greedy");
    let code = r#"
        local n = docker.networks.create("ID-g", {labels = LABELS})
        local c = docker.containers.run("alpine", "sleep 300", {detach = true, name = "ID-c",
          network = "ID-g", labels = LABELS})
        for _, greedy in ipairs{false, true} do
          local nets = docker.networks.list{names = {"ID-g"}, greedy = greedy}
          local names = {}
          for _, member in ipairs(nets[1].containers) do names[#names + 1] = member.name end
          print(greedy, #nets, table.concat(names, " "))
        end
        c:remove{force = true}
        n:remove()
    "#;
    let id = &t.id;
    assert_eq!(t.script(code), format!("false\t1\t\ntrue\t1\t{id}-c\n"));
}
