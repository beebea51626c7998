//! One dialect: options read once with one meaning for containers and
//! services (durations in nanoseconds, counts that refuse what does not
//! fit), ports exactly as the docker CLI publishes them, the engine's own
//! spelling beside snake_case, `command` as an option, and `config.json`
//! proxies in containers, execs and builds.

mod common;

use common::{assert_success, docker, docker_output, dockerlua, dockerlua_cmd, lua, run, Cleanup};

/// `code` with `LABELS` replaced by the guard's labels table.
fn script(t: &Cleanup, code: &str) -> String {
    assert_success(&lua(&code.replace("LABELS", &t.lua_labels())))
}

fn dry_run(code: &str) -> (String, String) {
    let out = dockerlua(&["--dry-run", "-e", code]);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const PORTS_TEMPLATE: &str = "{{json .HostConfig.PortBindings}} {{json .Config.ExposedPorts}}";

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_healthcheck_means_the_same_for_a_container_and_a_service() {
    let t = Cleanup::new("dialect-hc");
    // On the engine: 3e9 is three seconds.
    let out = script(
        &t,
        r#"local c = docker.containers.create("busybox", "true", {labels = LABELS,
             healthcheck = {test = "true", timeout = 3e9, interval = "1s", start_interval = 2e9}})
           print(c.id)"#,
    );
    let id = out.trim();
    let stored = docker(&["inspect", "-f", "{{json .Config.Healthcheck}}", id]);
    assert!(
        stored.contains(r#""Interval":1000000000,"Timeout":3000000000"#),
        "{stored}"
    );
    // In a dry run, both bodies carry the same nanoseconds.
    let (_, stderr) = dry_run(
        r#"local hc = {test = "true", timeout = 3e9, interval = 5e6, start_interval = "500ms"}
           docker.services.create("busybox", {healthcheck = hc, stop_grace_period = 2e9,
             update_config = {delay = 1e9}, restart_policy = {delay = "1s", condition = "any"}})
           docker.containers.create("busybox", {healthcheck = hc})"#,
    );
    let hc = r#""Healthcheck":{"Interval":5000000,"StartInterval":500000000,"Test":["CMD-SHELL","true"],"Timeout":3000000000}"#;
    let service = stderr
        .lines()
        .find(|l| l.starts_with("dry-run: POST /services/create"))
        .unwrap_or_else(|| panic!("{stderr}"));
    let container = stderr
        .lines()
        .find(|l| l.starts_with("dry-run: POST /containers/create"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(service.contains(hc), "{service}");
    assert!(container.contains(hc), "{container}");
    assert!(
        service.contains(r#""StopGracePeriod":2000000000"#),
        "{service}"
    );
    assert!(service.contains(r#""Delay":1000000000"#), "{service}");
    // An unknown service option: the closest name, as for containers.
    let (stdout, _) = dry_run(
        r#"print(select(2, pcall(docker.services.create, "busybox", {replica = 2})).message)
           print(select(2, pcall(docker.services.create, "busybox", {healthcheck = {timout = 1}})).message)
           -- A bare 5 would be 5 ns, under the engine's minimum: refused for both.
           print(select(2, pcall(docker.services.create, "busybox", {healthcheck = {interval = 5}})).message)
           print(select(2, pcall(docker.containers.create, "busybox", {healthcheck = {interval = 5}})).message)"#,
    );
    let under = "bad option 'healthcheck.interval' (5 ns is under the engine's 1ms minimum: \
                 numbers are nanoseconds, write \"5s\" for seconds)";
    assert_eq!(
        stdout,
        format!(
            "services.create: unknown option 'replica' (did you mean 'replicas'?)\n\
             services.create: bad option 'healthcheck' (unknown field 'timout' (did you mean 'timeout'?); \
             known: test, interval, timeout, retries, start_period, start_interval)\n\
             services.create: {under}\n\
             containers.create: {under}\n"
        )
    );
}

/// Specs `docker create -p` takes, and ones it refuses.
const SPECS: &[&str] = &[
    "8080:80",
    "127.0.0.1:8081:80/udp",
    "80",
    "127.0.0.1::80",
    "8000-8001:80-81",
    "8002-8010:82",
    "[::1]:8083:83",
    "::1:8084:84",
    "9000:90/sctp",
    "91/UDP",
    "0.0.0.0:8085:85/tcp",
    "86-87",
    "127.0.0.1::88-89/udp",
];
const REFUSED: &[&str] = &[
    "8080:80-81",
    "x:80",
    "127.0.0.1:8080:",
    "1.2.3:80:80",
    "80/quic",
    "70000",
    "8000-8001:80-82",
    "[::1:8080:80",
];

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ports_publish_what_docker_run_p_publishes() {
    let t = Cleanup::new("dialect-ports");
    for spec in SPECS {
        let cli = docker(&[
            "create",
            "--label",
            &t.label(),
            "-p",
            spec,
            "busybox",
            "true",
        ]);
        let cli_id = cli.lines().last().unwrap().to_owned();
        let ours = script(
            &t,
            &format!(
                "print(docker.containers.create('busybox', 'true', {{labels = LABELS, ports = {{'{spec}'}}}}).id)"
            ),
        );
        assert_eq!(
            docker(&["inspect", "-f", PORTS_TEMPLATE, ours.trim()]),
            docker(&["inspect", "-f", PORTS_TEMPLATE, &cli_id]),
            "{spec}"
        );
    }
    // The map form by container port: a whole spec for that port, or a
    // host port, or "ip:port", as before.
    for (ours, cli) in [
        ("{[80] = '8080:80'}", "8080:80"),
        (
            "{['53/udp'] = '127.0.0.1:5353:53'}",
            "127.0.0.1:5353:53/udp",
        ),
        ("{[80] = '127.0.0.1:8080'}", "127.0.0.1:8080:80"),
        ("{[80] = '[::1]:8080'}", "[::1]:8080:80"),
        ("{[80] = 8080}", "8080:80"),
        ("{[80] = true}", "80"),
    ] {
        let cli_id = docker(&[
            "create",
            "--label",
            &t.label(),
            "-p",
            cli,
            "busybox",
            "true",
        ]);
        let ours = script(
            &t,
            &format!("print(docker.containers.create('busybox', 'true', {{labels = LABELS, ports = {ours}}}).id)"),
        );
        assert_eq!(
            docker(&["inspect", "-f", PORTS_TEMPLATE, ours.trim()]),
            docker(&[
                "inspect",
                "-f",
                PORTS_TEMPLATE,
                cli_id.lines().last().unwrap()
            ]),
            "{ours}"
        );
    }
    // What the CLI refuses is refused, naming the spec, before any request.
    for spec in REFUSED {
        let cli = docker_output(&[
            "create",
            "--label",
            &t.label(),
            "-p",
            spec,
            "busybox",
            "true",
        ]);
        assert!(!cli.status.success(), "the CLI took {spec}");
        let (stdout, stderr) = dry_run(&format!(
            "local ok, err = pcall(docker.containers.create, 'busybox', 'true', {{ports = {{'{spec}'}}}})\n\
             print(ok, err.kind, err.message)"
        ));
        assert!(
            stdout.starts_with("false\tInvalidArgument\tcontainers.create: bad option 'ports'")
                && stdout.contains(&format!("'{spec}'")),
            "{spec}: {stdout}"
        );
        assert!(!stderr.contains("dry-run: POST"), "{spec}: {stderr}");
    }
    for bad in ["{[80] = '8080:81'}", "{'8080:80', [90] = 9090}"] {
        let (stdout, _) = dry_run(&format!(
            "print(select(2, pcall(docker.containers.create, 'busybox', 'true', {{ports = {bad}}})).message)"
        ));
        assert!(
            stdout.starts_with("containers.create: bad option 'ports'"),
            "{bad}: {stdout}"
        );
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn the_engine_spelling_is_accepted_beside_snake_case() {
    let t = Cleanup::new("dialect-spell");
    let net = t.container("net");
    docker(&["network", "create", "--label", &t.label(), &net]);
    let code = format!(
        r#"local c = docker.containers.create("busybox", "true", {{labels = LABELS, network = "{net}",
             networking_config = {{["{net}"] = {{Aliases = {{"db", "store"}}, DriverOpts = {{k = "v"}}}}}},
             mounts = {{{{Type = "tmpfs", Target = "/t", TmpfsOptions = {{SizeBytes = 1048576}}}}}},
             restart_policy = {{Name = "on-failure", MaximumRetryCount = 2}},
             log_config = {{Type = "json-file", Config = {{["max-size"] = "1m"}}}},
             ulimits = {{{{Name = "nofile", Soft = 100, Hard = 200}}}}}})
           print(c.id)
           for _, opts in ipairs{{
             {{networking_config = {{n = {{aliases = {{"a"}}, Aliases = {{"b"}}}}}}}},
             {{restart_policy = {{name = "always", Name = "no"}}}},
             {{mounts = {{{{target = "/a", Target = "/b"}}}}}},
           }} do
             print(select(2, pcall(docker.containers.create, "busybox", "true", opts)).message)
           end"#
    );
    let out = script(&t, &code);
    let mut lines = out.lines();
    let id = lines.next().unwrap();
    let aliases = docker(&["inspect", "-f", &format!("{{{{json (index .NetworkSettings.Networks \"{net}\").Aliases}}}} {{{{json (index .NetworkSettings.Networks \"{net}\").DriverOpts}}}}"), id]);
    assert!(
        aliases.contains(r#""db","store""#) && aliases.ends_with(r#"{"k":"v"}"#),
        "{aliases}"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{json .HostConfig.Mounts}} {{json .HostConfig.RestartPolicy}} {{.HostConfig.LogConfig.Type}} {{json .HostConfig.Ulimits}}", id]),
        r#"[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1048576}}] {"Name":"on-failure","MaximumRetryCount":2} json-file [{"Name":"nofile","Hard":200,"Soft":100}]"#
    );
    let errors: Vec<&str> = lines.collect();
    assert_eq!(errors.len(), 3, "{out}");
    for (line, field) in errors.iter().zip(["aliases", "name", "target"]) {
        assert!(
            line.starts_with("containers.create: bad option")
                && line.contains(&format!("'{field}'")),
            "{line}"
        );
    }
    // A service's mode, endpoint spec and resources in the engine's spelling.
    let (stdout, stderr) = dry_run(
        r#"docker.services.create("busybox", {mode = {Global = {}},
             endpoint_spec = {Mode = "vip", Ports = {{TargetPort = 80, PublishedPort = 8080, Protocol = "udp"}}},
             resources = {Limits = {NanoCPUs = 5e8}}, restart_policy = {Condition = "on-failure", MaxAttempts = 3},
             networks = {{Target = "x", Aliases = {"y"}}}})
           docker.services.create("busybox", {mode = {Replicated = {Replicas = 2}}})
           -- A global service has no replicas (the dry run prints no empty table).
           print(select(2, pcall(docker.services.create, "busybox", {mode = {Global = {}}, replicas = 2})).message)"#,
    );
    assert_eq!(
        stdout,
        "services.create: bad option 'replicas' (the service is global, not replicated)\n"
    );
    assert!(stderr.contains(r#""EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"udp","PublishedPort":8080,"TargetPort":80}]}"#), "{stderr}");
    assert!(
        stderr.contains(r#""Limits":{"NanoCPUs":500000000}"#),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#""RestartPolicy":{"Condition":"on-failure","MaxAttempts":3}"#),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#""Networks":[{"Aliases":["y"],"Target":"x"}]"#),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#""Mode":{"Replicated":{"Replicas":2}}"#),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn counts_past_the_integer_range_are_refused_before_any_request() {
    // Never sent to the engine: a dry run, and the error comes first.
    let (stdout, stderr) = dry_run(
        r#"for _, opts in ipairs{
             {replicas = 1e300}, {max_replicas = 1e300}, {force_update = 1e300},
             {stop_grace_period = 1e300}, {healthcheck = {retries = 1e300}}, {replicas = -1},
           } do
             local ok, err = pcall(docker.services.create, "busybox", opts)
             print(ok, err.kind, err.message)
           end
           for _, opts in ipairs{
             {ulimits = {{name = "nofile", soft = 1e300, hard = 1}}}, {blkio_weight = -1},
             {healthcheck = {retries = 1e300}}, {stop_timeout = 1e300},
           } do
             local ok, err = pcall(docker.containers.create, "busybox", "true", opts)
             print(ok, err.kind, err.message)
           end"#,
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let named = [
        "'replicas'",
        "'max_replicas'",
        "'force_update'",
        "'stop_grace_period'",
        "'healthcheck.retries'",
        "'replicas'",
        "'ulimits.soft'",
        "'blkio_weight'",
        "'healthcheck.retries'",
        "'stop_timeout'",
    ];
    assert_eq!(lines.len(), named.len(), "{stdout}");
    for (line, option) in lines.iter().zip(named) {
        assert!(
            line.starts_with("false\tInvalidArgument\t") && line.contains(option),
            "{option}: {line}"
        );
    }
    assert!(!stderr.contains("dry-run: POST"), "{stderr}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn command_may_be_an_option() {
    let t = Cleanup::new("dialect-cmd");
    let out = script(
        &t,
        r#"io.write(docker.containers.run("busybox", {command = "echo from option", remove = true, labels = LABELS}))
           local c = docker.containers.create("busybox", {command = {"echo", "a b"}, labels = LABELS})
           print(c.attrs.Config.Cmd[2])
           print(select(2, pcall(docker.containers.run, "busybox", "true", {command = "x"})).message)"#,
    );
    assert_eq!(
        out,
        "from option\na b\ncontainers.run: the command is given twice (as an argument and as option 'command')\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn config_json_proxies_reach_containers_execs_and_builds() {
    let t = Cleanup::new("dialect-proxy");
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("config.json"),
        r#"{"proxies": {"default": {"httpProxy": "http://proxy:3128", "noProxy": "localhost,.corp",
             "ftpProxy": "ftp://proxy:21"}}}"#,
    )
    .unwrap();
    let image = t.image("proxied");
    let code = format!(
        r#"local show = "env | grep -i _proxy= | sort | tr '\n' ' '; true"
           print(docker.containers.run("busybox", {{"sh", "-c", show}}, {{remove = true, labels = LABELS,
             environment = {{HTTP_PROXY = "http://mine"}}}}))
           print(docker.containers.run("busybox", {{"sh", "-c", show}}, {{remove = true, labels = LABELS,
             use_config_proxy = false}}))
           local c = docker.containers.run("busybox", "sleep 60", {{detach = true, init = true, labels = LABELS}})
           print(c:exec({{"sh", "-c", show}}).output)
           c:remove{{force = true}}
           docker.images.build{{fileobj = "FROM busybox\nRUN echo \"$http_proxy $NO_PROXY\" > /p\n",
             tag = "{image}", labels = LABELS}}
           print(docker.containers.run("{image}", "cat /p", {{remove = true, labels = LABELS, use_config_proxy = false}}))"#
    );
    let out = run(dockerlua_cmd()
        .env("DOCKER_CONFIG", config.path())
        .args(["-e", &code.replace("LABELS", &t.lua_labels())]));
    let out = assert_success(&out);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap().trim(),
        "FTP_PROXY=ftp://proxy:21 HTTP_PROXY=http://mine NO_PROXY=localhost,.corp \
         ftp_proxy=ftp://proxy:21 http_proxy=http://proxy:3128 no_proxy=localhost,.corp"
    );
    assert_eq!(lines.next().unwrap().trim(), "");
    assert_eq!(
        lines.next().unwrap().trim(),
        "FTP_PROXY=ftp://proxy:21 HTTP_PROXY=http://proxy:3128 NO_PROXY=localhost,.corp \
         ftp_proxy=ftp://proxy:21 http_proxy=http://proxy:3128 no_proxy=localhost,.corp"
    );
    assert_eq!(lines.next().unwrap(), "http://proxy:3128 localhost,.corp");
}
