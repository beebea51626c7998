//! `create`/`run` options, named as in the Python SDK, as the engine stores
//! them (read back with `docker inspect`).

mod common;

use common::{assert_success, docker, inspect, lua, Cleanup};

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn create_options_reach_the_engine() {
    let t = Cleanup::new("opts");
    let name = t.container("c");
    let dir = tempfile::tempdir().unwrap();
    let host_dir = dir.path().to_str().unwrap();
    let code = format!(
        "docker.containers.create('alpine', 'sh -c \"echo $GREETING\"', {{\n\
           name = '{name}', labels = {labels},\n\
           environment = {{GREETING = 'hi', N = 2}},\n\
           entrypoint = {{'/bin/busybox'}}, working_dir = '/tmp', user = '1000:1000',\n\
           hostname = 'box', tty = true, init = true, network = 'none',\n\
           ports = {{[8080] = '127.0.0.1:18080', ['53/udp'] = 15353}},\n\
           volumes = {{['{host_dir}'] = {{bind = '/data', mode = 'ro'}}}},\n\
           restart_policy = {{Name = 'on-failure', MaximumRetryCount = 3}},\n\
           stop_signal = 'SIGINT', cap_add = {{'NET_ADMIN'}}, mem_limit = '64m',\n\
         }})",
        labels = t.lua_labels()
    );
    assert_success(&lua(&code));
    let checks = [
        ("{{json .Config.Cmd}}", r#"["sh","-c","echo $GREETING"]"#.to_owned()),
        // The engine appends the image's own variables (PATH) after ours.
        ("{{index .Config.Env 0}} {{index .Config.Env 1}}", "GREETING=hi N=2".to_owned()),
        ("{{json .Config.Entrypoint}}", r#"["/bin/busybox"]"#.to_owned()),
        ("{{.Config.WorkingDir}} {{.Config.User}} {{.Config.Hostname}} {{.Config.Tty}}", "/tmp 1000:1000 box true".to_owned()),
        ("{{.HostConfig.Init}} {{.HostConfig.NetworkMode}} {{.Config.StopSignal}}", "true none SIGINT".to_owned()),
        ("{{json .HostConfig.PortBindings}}", r#"{"53/udp":[{"HostIp":"","HostPort":"15353"}],"8080/tcp":[{"HostIp":"127.0.0.1","HostPort":"18080"}]}"#.to_owned()),
        ("{{json .HostConfig.Binds}}", format!(r#"["{host_dir}:/data:ro"]"#)),
        ("{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", "on-failure 3".to_owned()),
        ("{{json .HostConfig.CapAdd}} {{.HostConfig.Memory}}", r#"["NET_ADMIN"] 67108864"#.to_owned()),
    ];
    for (template, expected) in checks {
        assert_eq!(inspect(&name, template), expected, "{template}");
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn run_options_environment_volumes_and_auto_remove() {
    let t = Cleanup::new("runopts");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note"), "from the host\n").unwrap();
    let host_dir = dir.path().to_str().unwrap();
    let name = t.container("auto");
    let code = format!(
        "io.write(docker.containers.run('alpine', {{'sh', '-c', 'echo $A; cat /in/note; pwd'}}, {{\n\
           environment = {{'A=from env'}}, volumes = {{'{host_dir}:/in:ro'}}, working_dir = '/in',\n\
           remove = true, labels = {labels} }}))\n\
         local c = docker.containers.run('alpine', 'true', {{detach = true, auto_remove = true, name = '{name}', labels = {labels}}})\n\
         c:wait{{condition = 'removed'}}\n\
         print(pcall(docker.containers.get, '{name}'))",
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    assert_eq!(
        out,
        format!("from env\nfrom the host\n/in\nfalse\tNotFound (404): No such container: {name}\n")
    );
    assert_eq!(
        docker(&["ps", "-aq", "--filter", &format!("label={}", t.label())]),
        ""
    );
}
