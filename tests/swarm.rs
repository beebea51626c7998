//! Swarm mode against a real two-node swarm: the test engine (`DOCKER_HOST`)
//! is the manager and the second test engine (`DOCKERLUA_TEST_ENGINE2_HOST`,
//! started by tools/test.sh) joins it as a worker. Swarm ports 2377/2378 are
//! global to the machine, so one test runs every scenario on one swarm (one
//! init and one join), and a guard makes both engines leave it however the
//! test ends.

mod common;

use std::process::Output;
use std::time::Duration;

use common::*;

const MANAGER_ADDR: &str = "127.0.0.1:2377";
const WORKER_ADDR: &str = "127.0.0.1:2378";
const WAIT: Duration = Duration::from_secs(90);

/// The second engine; its absence is a failure under tools/test.sh, not a skip.
fn worker_host() -> String {
    std::env::var("DOCKERLUA_TEST_ENGINE2_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "DOCKERLUA_TEST_ENGINE2_HOST is not set: the swarm tests need a second \
                 engine to join the swarm; run them with tools/test.sh"
            )
        })
}

/// `docker ARGS...` against the worker engine, not judged.
fn worker_docker(args: &[&str]) -> Output {
    run(docker_cmd().env("DOCKER_HOST", worker_host()).args(args))
}

/// The two engines in one swarm; dropping it takes both out again (also
/// when a scenario panics), removes the worker's node from the manager's
/// list, and the images the worker pulled.
struct Swarm {
    repository: String,
}

impl Swarm {
    /// Makes sure neither engine is in a swarm (a crashed earlier run).
    fn new(repository: &str) -> Swarm {
        let swarm = Swarm {
            repository: repository.to_owned(),
        };
        swarm.leave();
        swarm
    }

    fn leave(&self) {
        let _ = worker_docker(&["swarm", "leave", "--force"]);
        let workers = docker_output(&["node", "ls", "-q", "--filter", "role=worker"]);
        for id in stdout_of(&workers).split_whitespace() {
            let _ = docker_output(&["node", "rm", "--force", id]);
        }
        let _ = docker_output(&["swarm", "leave", "--force"]);
        let images = worker_docker(&["image", "ls", "-q", &self.repository]);
        for id in stdout_of(&images).split_whitespace() {
            let _ = worker_docker(&["rmi", "--force", id]);
        }
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        self.leave();
    }
}

/// Runs `code` with the scenario's values in the environment (`IMAGE`,
/// `IMAGE2`, `NAME`, `WORKER_HOST`, `WORKER_ID`); answers stdout.
#[track_caller]
fn lua_with(code: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = dockerlua_cmd();
    cmd.env("WORKER_HOST", worker_host());
    for (k, v) in env {
        cmd.env(k, v);
    }
    assert_success(&run(cmd.args(["-e", code])))
}

fn local_state(on_worker: bool) -> String {
    let args = ["info", "--format", "{{.Swarm.LocalNodeState}}"];
    let out = if on_worker {
        worker_docker(&args)
    } else {
        docker_output(&args)
    };
    stdout_of(&out).trim().to_owned()
}

/// Tasks of service `name` meant to run on `node`.
fn running_on(node: &str, name: &str) -> usize {
    let out = docker(&[
        "node",
        "ps",
        node,
        "--filter",
        "desired-state=running",
        "--filter",
        &format!("name={name}"),
        "-q",
    ]);
    out.lines().filter(|l| !l.is_empty()).count()
}

fn replicas(name: &str) -> String {
    docker(&[
        "service",
        "ls",
        "--filter",
        &format!("name={name}"),
        "--format",
        "{{.Replicas}}",
    ])
}

/// The image of each task of service `name` meant to run, a line each.
fn running_images(name: &str) -> String {
    docker(&[
        "service",
        "ps",
        name,
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Image}}",
    ])
}

/// The first 12 characters of the container of every running task of the
/// service (its hostname, which the scenario's command logs).
fn running_containers(name: &str) -> Vec<String> {
    let tasks = docker(&[
        "service",
        "ps",
        name,
        "--filter",
        "desired-state=running",
        "-q",
        "--no-trunc",
    ]);
    tasks
        .split_whitespace()
        .map(|task| {
            let id = docker(&[
                "inspect",
                "--format",
                "{{.Status.ContainerStatus.ContainerID}}",
                task,
            ]);
            id[..12].to_owned()
        })
        .collect()
}

/// Waits until `Service:logs()` has a line `hello from <host> color=<color>`
/// from every running task, whichever node it runs on.
#[track_caller]
fn every_task_logged(name: &str, color: &str) {
    let hosts = running_containers(name);
    assert_eq!(hosts.len(), 4, "{hosts:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let logs = lua_with(
            "io.write(docker.services.get(os.getenv('NAME')):logs())",
            &[("NAME", name)],
        );
        let all = hosts
            .iter()
            .all(|h| logs.contains(&format!("hello from {h} color={color}")));
        if all {
            return;
        }
        if std::time::Instant::now() > deadline {
            panic!("not every task of {name} ({hosts:?}) logged color={color}:\n{logs}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Wrong arguments are refused before anything is sent: no engine needed
/// (the address leads nowhere), and a secret's data is never quoted.
#[test]
fn bad_swarm_arguments_are_refused_before_any_request() {
    let code = r#"
        local function try(f, ...) print(select(2, pcall(f, ...))) end
        try(docker.services.create, "alpine", {nope = 1})
        try(docker.services.create, "alpine", "true", {replicas = "two"})
        try(docker.services.create, "alpine", {mode = "global", replicas = 2})
        try(docker.services.create, "alpine", {restart_policy = {condition = "always"}})
        try(docker.services.create, "alpine", {stop_grace_period = "soon"})
        try(docker.services.create, 42)
        try(docker.swarm.init, {bogus = true})
        try(docker.swarm.join, {remote_addrs = {"127.0.0.1:2377"}})
        try(docker.secrets.create, {name = "pw", data = {"TOPSECRET"}})
        try(docker.secrets.create, {name = "pw", data = "TOPSECRET", labels = {a = {}}})
        try(docker.configs.create, {data = "x"})
        print(tostring(docker.swarm))"#;
    let out = run(std::process::Command::new(env!("CARGO_BIN_EXE_dockerlua"))
        .env("DOCKER_HOST", "unix:///nonexistent/dockerlua-swarm.sock")
        .args(["-e", code]));
    let text = assert_success(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "InvalidArgument: services.create: unknown option 'nope' (did you mean 'name'?)",
            "InvalidArgument: services.create: bad option 'replicas' (non-negative integer expected, got 'two')",
            "InvalidArgument: services.create: bad option 'replicas' (the service is global, not replicated)",
            "InvalidArgument: services.create: bad option 'restart_policy.condition' (\"none\", \"on-failure\" or \"any\" expected, got 'always')",
            "InvalidArgument: services.create: bad option 'stop_grace_period' (nanoseconds or a duration such as \"1m30s\" expected, got 'soon')",
            "InvalidArgument: services.create: bad argument 'image' (string expected, got number)",
            "InvalidArgument: swarm.init: unknown option 'bogus'",
            "InvalidArgument: swarm.join: missing option 'join_token'",
            "InvalidArgument: secrets.create: bad option 'data' (string expected, got table)",
            "InvalidArgument: secrets.create: bad option 'labels.a' (string expected, got table)",
            "InvalidArgument: configs.create: missing option 'name'",
            "<Swarm unix:///nonexistent/dockerlua-swarm.sock>",
        ]
    );
    assert!(!text.contains("TOPSECRET"));
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_two_node_swarm_runs_services_across_both_nodes() {
    // Fails at once without the second engine.
    worker_host();
    let t = Cleanup::new("swarm");
    let repository = format!("{}/dockerlua/{}", registry(), t.id);
    t.remove_image_later(&repository);
    let image = format!("{repository}:1");
    let image2 = format!("{repository}:2");
    for tag in [&image, &image2] {
        docker(&["tag", "alpine:latest", tag]);
        docker(&["push", "-q", tag]);
    }
    let _swarm = Swarm::new(&repository);

    // Not in a swarm yet: the engine says so.
    let out = lua("local ok, err = pcall(docker.services.list) print(ok, err.kind, err.status)");
    assert_eq!(assert_success(&out), "false\tAPIError\t503\n");

    // init, attrs (fetched when first read), join from another client.
    let out = lua_with(
        &format!(
            r#"local node = docker.swarm.init{{advertise_addr = "{MANAGER_ADDR}", listen_addr = "{MANAGER_ADDR}"}}
               local token = docker.swarm.attrs.JoinTokens.Worker
               local worker = docker.connect(os.getenv("WORKER_HOST"))
               worker.swarm.join{{remote_addrs = {{"{MANAGER_ADDR}"}}, join_token = token,
                                 listen_addr = "{WORKER_ADDR}", advertise_addr = "{WORKER_ADDR}"}}
               print(node)
               print(worker.info().Swarm.NodeID)
               print(token:match("^SWMTKN") ~= nil)
               print(docker.swarm.id, math.type(docker.swarm.version))"#
        ),
        &[],
    );
    let lines: Vec<&str> = out.lines().collect();
    let (manager_id, worker_id) = (lines[0].to_owned(), lines[1].to_owned());
    assert_eq!(lines[2], "true");
    assert_eq!(
        lines[3],
        format!(
            "{}\tinteger",
            docker(&["info", "--format", "{{.Swarm.Cluster.ID}}"])
        )
    );
    assert_eq!(
        docker(&["info", "--format", "{{.Swarm.NodeID}}"]),
        manager_id
    );
    assert_eq!(local_state(false), "active");
    assert_eq!(local_state(true), "active");
    eventually("both nodes ready", WAIT, || {
        docker(&["node", "ls", "--format", "{{.Status}}"]) == "Ready\nReady"
    });

    // Nodes, and the swarm's spec updated (a rotated token, a new limit).
    let out = lua_with(
        r#"local before, version = docker.swarm.attrs.JoinTokens.Worker, docker.swarm.version
           docker.swarm.update{task_history_retention_limit = 3, rotate_worker_token = true}
           local after = docker.swarm.reload()
           print(after.JoinTokens.Worker ~= before, docker.swarm.attrs.Spec.Orchestration.TaskHistoryRetentionLimit,
             docker.swarm.version > version)
           local n = docker.nodes.get(os.getenv("WORKER_ID"))
           print(#docker.nodes.list(), n.role, n.state, tostring(n):match("^<Node %w+ ") ~= nil)
           print(#docker.nodes.list{filters = {role = "manager"}})
           -- Autolock: a key to read; unlocking a swarm that is not locked is a conflict.
           docker.swarm.update{autolock_managers = true}
           local key = docker.swarm.unlock_key().UnlockKey
           print(docker.swarm.attrs.Spec.EncryptionConfig.AutoLockManagers, key:match("^SWMKEY") ~= nil)
           print(select(2, pcall(docker.swarm.unlock, key)))
           docker.swarm.update{autolock_managers = false}"#,
        &[("WORKER_ID", &worker_id)],
    );
    assert_eq!(
        out,
        "true\t3\ttrue\n2\tworker\tready\ttrue\n1\ntrue\ttrue\nConflict (409): swarm is not locked\n"
    );
    assert_eq!(
        docker(&[
            "info",
            "--format",
            "{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}"
        ]),
        "3"
    );

    // Ports in the CLI's forms publish what `docker service create -p`
    // publishes: the engine's spec of a CLI-made service against ours.
    let specs = [
        "18080:80",
        "18081:81/udp",
        "18082-18083:82-83",
        "published=18084,target=84,mode=host",
        "85",
    ];
    let cli_service = format!("{}-cliports", t.id);
    let mut args = vec!["service", "create", "-d", "-q", "--name", &cli_service];
    for spec in &specs {
        args.extend(["-p", spec]);
    }
    args.extend([image.as_str(), "sleep", "600"]);
    docker(&args);
    let cli_spec: serde_json::Value = serde_json::from_str(&docker(&[
        "service",
        "inspect",
        "-f",
        "{{json .Spec.EndpointSpec}}",
        &cli_service,
    ]))
    .unwrap();
    docker(&["service", "rm", &cli_service]);
    let lua_specs = specs.map(|s| format!("'{s}'")).join(", ");
    // A dry run: nothing is created, the spec is the one that would be sent.
    let dry = dockerlua(&[
        "--dry-run",
        "-e",
        &format!(
            "local s = docker.services.create('{image}', {{ports = {{{lua_specs}}}}})\n\
             print(docker.json.encode(s.attrs.Spec.EndpointSpec.Ports))"
        ),
    ]);
    let body = assert_success(&dry);
    // The CLI walks a range through a Go map: compare in one order.
    let sorted = |ports: &serde_json::Value| {
        let mut items: Vec<String> = ports
            .as_array()
            .unwrap_or_else(|| panic!("{ports}"))
            .iter()
            .map(|p| p.to_string())
            .collect();
        items.sort();
        items
    };
    let ours: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(sorted(&ours), sorted(&cli_spec["Ports"]), "{body}");

    // Four replicas spread over both nodes; wait returns once all run.
    let name = t.id.clone();
    let env = [
        ("IMAGE", image.as_str()),
        ("IMAGE2", image2.as_str()),
        ("NAME", name.as_str()),
        ("WORKER_ID", worker_id.as_str()),
    ];
    let out = lua_with(
        r#"local s = docker.services.create(os.getenv("IMAGE"),
             {"sh", "-c", 'echo "hello from $HOSTNAME color=$COLOR"; exec sleep 600'},
             {name = os.getenv("NAME"), replicas = 4, env = {COLOR = "red"},
              stop_grace_period = "100ms", update_config = {parallelism = 2},
              labels = {team = "ops"}})
           s:wait{timeout = 90}
           local nodes = {}
           for _, task in ipairs(s:tasks{filters = {["desired-state"] = "running"}}) do
             assert(task.Status.State == "running")
             nodes[task.NodeID] = (nodes[task.NodeID] or 0) + 1
           end
           local got = docker.services.list{filters = {name = os.getenv("NAME")}}
           print(#got, got[1] == s, s.name, s.labels.team, s.version > 0)
           print(tostring(s) == ("<Service %s %s>"):format(s.short_id, s.name))"#,
        &env,
    );
    assert_eq!(out, format!("1\ttrue\t{name}\tops\ttrue\ntrue\n"));
    assert_eq!(replicas(&name), "4/4");
    let (on_manager, on_worker) = (
        running_on(&manager_id, &name),
        running_on(&worker_id, &name),
    );
    assert_eq!(on_manager + on_worker, 4);
    assert!(
        on_manager > 0 && on_worker > 0,
        "not spread: {on_manager} + {on_worker}"
    );

    // Every live member of the swarm objects has a type and a reference entry.
    let out = lua_with(
        r#"local function members(class, obj)
             for _, m in ipairs(debug.getmetatable(obj).__members) do print(class .. "." .. m) end
           end
           local name = os.getenv("NAME")
           members("Service", docker.services.get(name))
           members("Node", docker.nodes.list()[1])
           local secret = docker.secrets.create{name = name .. "-types", data = "x"}
           members("Secret", secret)
           secret:remove()
           local config = docker.configs.create{name = name .. "-types", data = "x"}
           members("Config", config)
           config:remove()
           print("Swarm.attrs") print("Swarm.id") print("Swarm.version")"#,
        &env,
    );
    let root = env!("CARGO_MANIFEST_DIR");
    let defined = defined_members(
        &std::fs::read_to_string(format!("{root}/types/docker-api/swarm.lua")).unwrap(),
    );
    let reference = std::fs::read_to_string(format!("{root}/docs/reference.md")).unwrap();
    let swarm_part = &reference[reference.find("## Swarm").expect("a Swarm section")..];
    for member in out.lines() {
        assert!(
            defined.contains(member),
            "{member} is missing from types/docker-api/swarm.lua"
        );
        let m = member.split('.').nth(1).unwrap();
        let documented = [format!(":{m}"), format!(".{m}"), format!("`{m}`")]
            .iter()
            .any(|form| swarm_part.contains(form.as_str()));
        assert!(
            documented,
            "{member} is missing from the Swarm section of docs/reference.md"
        );
    }

    // Logs come from every task, on both nodes, as a string and as a stream.
    every_task_logged(&name, "red");
    let out = lua_with(
        r#"local seen, n = {}, 0
           for line, stream in docker.services.get(os.getenv("NAME")):logs{follow = true} do
             local host = line:match("hello from (%x+)")
             if host and not seen[host] then seen[host] = stream n = n + 1 end
             if n == 4 then break end
           end
           local hosts = {}
           for host, stream in pairs(seen) do hosts[#hosts + 1] = host .. "=" .. stream end
           table.sort(hosts)
           print(table.concat(hosts, " "))"#,
        &env,
    );
    let mut expected: Vec<String> = running_containers(&name)
        .iter()
        .map(|h| format!("{h}=stdout"))
        .collect();
    expected.sort();
    assert_eq!(out.trim(), expected.join(" "));

    // Scale up and back.
    let out = lua_with(
        r#"local s = docker.services.get(os.getenv("NAME"))
           s:scale(6) s:wait{timeout = 90, stable = 1} print(#s:tasks{filters = {["desired-state"] = "running"}})"#,
        &env,
    );
    assert_eq!(out, "6\n");
    assert_eq!(replicas(&name), "6/6");
    lua_with(
        r#"local s = docker.services.get(os.getenv("NAME")) s:scale(4) s:wait{timeout = 90}"#,
        &env,
    );
    assert_eq!(replicas(&name), "4/4");

    // Update the environment: every new task logs the new value.
    lua_with(
        r#"local s = docker.services.get(os.getenv("NAME"))
           s:update{env = {COLOR = "blue"}} s:wait{timeout = 90}"#,
        &env,
    );
    let spec_env = docker(&[
        "service",
        "inspect",
        "--format",
        "{{json .Spec.TaskTemplate.ContainerSpec.Env}}",
        &name,
    ]);
    assert_eq!(spec_env, r#"["COLOR=blue"]"#);
    every_task_logged(&name, "blue");

    // Update the image: every running task runs the new one.
    lua_with(
        r#"local s = docker.services.get(os.getenv("NAME"))
           s:update{image = os.getenv("IMAGE2")} s:wait{timeout = 90}"#,
        &env,
    );
    let images = running_images(&name);
    assert_eq!(images.lines().count(), 4, "{images}");
    assert!(images.lines().all(|i| i == image2), "{images}");

    // force_update restarts every task with the same spec.
    lua_with(
        r#"local s = docker.services.get(os.getenv("NAME")) s:force_update() s:wait{timeout = 90}"#,
        &env,
    );
    assert_eq!(
        docker(&[
            "service",
            "inspect",
            "--format",
            "{{.Spec.TaskTemplate.ForceUpdate}}",
            &name
        ]),
        "1"
    );

    // Drain the worker: its tasks move to the manager; then back to active.
    let out = lua_with(
        r#"local node = docker.nodes.get(os.getenv("WORKER_ID"))
           -- The SDK's NodeSpec passes the engine's spelling through.
           node:update{Availability = "drain", labels = {zone = "b"}}
           print(node.availability, node.attrs.Spec.Labels.zone)
           docker.services.get(os.getenv("NAME")):wait{timeout = 90}"#,
        &env,
    );
    assert_eq!(out, "drain\tb\n");
    assert_eq!(running_on(&worker_id, &name), 0);
    assert_eq!(running_on(&manager_id, &name), 4);
    assert_eq!(replicas(&name), "4/4");
    assert_eq!(
        docker(&[
            "node",
            "inspect",
            "--format",
            "{{.Spec.Availability}} {{.Spec.Labels.zone}}",
            &worker_id
        ]),
        "drain b"
    );
    lua_with(
        r#"docker.nodes.get(os.getenv("WORKER_ID")):update{availability = "active"}"#,
        &env,
    );
    assert_eq!(
        docker(&[
            "node",
            "inspect",
            "--format",
            "{{.Spec.Availability}}",
            &worker_id
        ]),
        "active"
    );

    // A global service: one task on each node; it cannot be scaled.
    let global = format!("{name}-global");
    let out = lua_with(
        r#"local s = docker.services.create(os.getenv("IMAGE"), "sleep 600",
             {name = os.getenv("GLOBAL"), mode = "global", stop_grace_period = 0})
           s:wait{timeout = 90}
           local nodes = {}
           for _, t in ipairs(s:tasks{filters = {["desired-state"] = "running"}}) do
             nodes[#nodes + 1] = t.NodeID
           end
           table.sort(nodes)
           print(table.concat(nodes, " "))
           print(select(2, pcall(s.scale, s, 3)).kind)
           s:remove()"#,
        &[("IMAGE", &image), ("GLOBAL", &global)],
    );
    let mut both = [manager_id.clone(), worker_id.clone()];
    both.sort();
    assert_eq!(out, format!("{}\nInvalidArgument\n", both.join(" ")));

    // Jobs, whose tasks run once to completion: a replicated job of three
    // completions, two at a time; a global job, once on each node.
    let job = format!("{name}-job");
    let out = lua_with(
        r#"local s = docker.services.create(os.getenv("IMAGE"), {"sh", "-c", "echo done"},
             {name = os.getenv("JOB"),
              mode = {replicated_job = {max_concurrent = 2, total_completions = 3}}})
           s:wait{timeout = 90}
           local states = {}
           for _, t in ipairs(s:tasks()) do states[#states + 1] = t.Status.State end
           print(table.concat(states, " "))
           s:remove()
           local g = docker.services.create(os.getenv("IMAGE"), "true",
             {name = os.getenv("JOB") .. "-global", mode = "global-job"})
           g:wait{timeout = 90}
           local nodes = {}
           for _, t in ipairs(g:tasks()) do
             if t.Status.State == "complete" then nodes[#nodes + 1] = t.NodeID end
           end
           table.sort(nodes)
           print(table.concat(nodes, " "))
           g:remove()"#,
        &[("IMAGE", &image), ("JOB", &job)],
    );
    assert_eq!(
        out,
        format!("complete complete complete\n{}\n", both.join(" "))
    );

    // After a login to the image's registry, create and update send its
    // credentials (X-Registry-Auth) so that every node can pull; a service
    // of an image from a registry without a login sends none.
    let proxy = capture_proxy();
    let authed = format!("{name}-authed");
    let code = r#"local plain = docker.services.create("127.0.0.1:9/no-login/here:1", "sleep 600",
         {name = os.getenv("AUTHED") .. "-plain", stop_grace_period = 0})
       plain:remove()
       docker.login{username = "ci", password = "pw", registry = os.getenv("REGISTRY")}
       local s = docker.services.create(os.getenv("IMAGE"), "sleep 600",
         {name = os.getenv("AUTHED"), stop_grace_period = 0})
       s:update{image = os.getenv("IMAGE2")}
       s:remove()"#;
    let mut cmd = dockerlua_cmd();
    cmd.env("DOCKER_HOST", &proxy.url)
        .env("IMAGE", &image)
        .env("IMAGE2", &image2)
        .env("AUTHED", &authed)
        .env("REGISTRY", registry());
    assert_success(&run(cmd.args(["-e", code])));
    let sent = proxy.sent.lock().unwrap().clone();
    let creates = auth_headers(&sent, "/services/create");
    let updates = auth_headers(&sent, "/update?version=");
    assert_eq!(
        (creates.len(), updates.len()),
        (1, 1),
        "{}",
        String::from_utf8_lossy(&sent)
    );
    for auth in creates.iter().chain(&updates) {
        assert_eq!(auth["username"], "ci");
        assert_eq!(auth["serveraddress"], registry());
    }

    // The scripts: a rolling update that converges, one that is rolled back.
    let out = script(
        "scripts/rolling_update.lua",
        &["-t", "90s", "-s", "1s", &name, &image],
    );
    let stdout = assert_success(&out);
    assert!(
        stdout.contains(&format!("every task runs {image}")),
        "{stdout}"
    );
    let images = running_images(&name);
    assert!(images.lines().all(|i| i == image), "{images}");
    let missing = format!("{repository}-missing:1");
    let out = script(
        "scripts/rolling_update.lua",
        &["-t", "60s", &name, &missing],
    );
    let stderr = assert_exit(&out, 1);
    assert!(stderr.contains("update failed"), "{}", describe(&out));
    assert!(
        stdout_of(&out).contains(&format!("back on {image}")),
        "{}",
        describe(&out)
    );
    assert_eq!(
        docker(&[
            "service",
            "inspect",
            "--format",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
            &name
        ]),
        image
    );
    let images = running_images(&name);
    assert!(images.lines().all(|i| i == image), "{images}");

    // service ps across the swarm: every running task, both nodes by id.
    let out = script(
        "scripts/service_ps.lua",
        &["-f", "desired-state=running", &name],
    );
    let table = assert_success(&out);
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{table}");
    assert!(table.starts_with("ID "), "{table}");
    for node in [&manager_id, &worker_id] {
        let on_node = running_on(node, &name);
        let shown = rows.iter().filter(|r| r.contains(&node[..12])).count();
        assert_eq!(shown, on_node, "{table}");
    }
    let quiet = assert_success(&script("scripts/service_ps.lua", &["-q", &name]));
    assert!(quiet.lines().count() >= 4, "{quiet}");

    // An unschedulable constraint: wait times out and says why.
    let pending = format!("{name}-pending");
    let out = lua_with(
        r#"local s = docker.services.create(os.getenv("IMAGE"), "sleep 600",
             {name = os.getenv("PENDING"), constraints = {"node.labels.nope==1"}})
           local ok, err = pcall(s.wait, s, {timeout = 2})
           print(ok, err.kind)
           print(err.message)
           s:remove()
           -- A task that runs a moment, then fails: never stable for 3 s.
           local crash = docker.services.create(os.getenv("IMAGE"), {"sh", "-c", "sleep 1; exit 1"},
             {name = os.getenv("PENDING") .. "-crash", restart_policy = {delay = "500ms"}})
           local ok, err = pcall(crash.wait, crash, {timeout = 8, stable = 3})
           print(ok, err.kind, err.message:match("not converged after 8 s") ~= nil)
           crash:remove()"#,
        &[("IMAGE", &image), ("PENDING", &pending)],
    );
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("false\tTimeout"));
    let message = lines.next().unwrap();
    assert!(
        message.starts_with(&format!(
            "service {pending} not converged after 2 s: 0/1 tasks running; {pending}.1 ("
        )),
        "{message}"
    );
    assert!(
        message.contains(
            "pending: no suitable node (scheduling constraints not satisfied on 2 nodes)"
        ),
        "{message}"
    );
    assert_eq!(lines.next(), Some("false\tTimeout\ttrue"));
    assert_eq!(replicas(&pending), "");

    // Secrets and configs: created, used by a service, never printed back.
    let secret_data = format!("s3cr3t-{}", t.id);
    let secret_env = [
        ("IMAGE", image.as_str()),
        ("NAME", name.as_str()),
        ("DATA", secret_data.as_str()),
    ];
    let out = lua_with(
        r#"local name, data = os.getenv("NAME"), os.getenv("DATA")
           local secret = docker.secrets.create{name = name .. "-pw", data = data, labels = {team = "ops"}}
           local config = docker.configs.create{name = name .. "-cfg", data = "config-" .. data}
           print(tostring(secret), docker.json.encode(secret.attrs))
           print(select(2, pcall(docker.secrets.create, {name = name .. "-x", data = data, labels = {n = {}}})))
           print(select(2, pcall(docker.secrets.create, {name = name .. "-pw", data = data})))
           print(#docker.secrets.list{filters = {name = name .. "-pw"}}, secret.labels.team,
                 docker.secrets.get(name .. "-pw") == secret, config.name)
           local s = docker.services.create(os.getenv("IMAGE"),
             {"sh", "-c", "cat /run/secrets/" .. name .. "-pw; echo; cat /cfg; echo; exec sleep 600"},
             {name = name .. "-secret", secrets = {secret},
              configs = {{config_name = name .. "-cfg", filename = "/cfg"}}, stop_grace_period = "100ms"})
           s:wait{timeout = 90}
           local logs = ""
           for _ = 1, 100 do
             logs = s:logs()
             if logs:find("config-", 1, true) then break end
             docker.sleep(0.1)
           end
           io.write(logs)
           s:remove()
           -- The engine removes a service's tasks after it answers: retry.
           for _ = 1, 100 do
             if pcall(secret.remove, secret) then break end
             docker.sleep(0.1)
           end
           config:remove()
           print(select(2, pcall(docker.secrets.get, name .. "-pw")).kind)"#,
        &secret_env,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 7, "{out}");
    for line in &lines[..4] {
        assert!(!line.contains(&secret_data), "secret data shown: {line}");
    }
    assert!(
        lines[0].starts_with("<Secret ") && lines[0].contains(&format!("{name}-pw>")),
        "{out}"
    );
    assert_eq!(
        lines[1],
        "InvalidArgument: secrets.create: bad option 'labels.n' (string expected, got table)",
        "{out}"
    );
    assert!(lines[2].starts_with("Conflict (409)"), "{out}");
    assert_eq!(lines[3], format!("1\tops\ttrue\t{name}-cfg"));
    assert_eq!(lines[4], secret_data);
    assert_eq!(lines[5], format!("config-{secret_data}"));
    assert_eq!(lines[6], "NotFound");
    assert_eq!(docker(&["secret", "ls", "-q"]), "");
    assert_eq!(docker(&["config", "ls", "-q"]), "");

    // The REPL shows a secret as its line, never its data.
    let out = run_with_stdin(
        dockerlua_cmd().env("DATA", &secret_data).env("NAME", &name).arg("-i"),
        b"s = docker.secrets.create{name = os.getenv('NAME') .. '-repl', data = os.getenv('DATA')}\ns\ns.attrs\ns:remove()\n",
    );
    let shown = assert_success(&out);
    assert!(shown.contains("<Secret "), "{shown}");
    assert!(
        !shown.contains(&secret_data) && !stderr_of(&out).contains(&secret_data),
        "{shown}"
    );

    // Remove the service; the worker leaves, its node is removed; the manager leaves.
    let out = lua_with(
        r#"docker.services.get(os.getenv("NAME")):remove()
           print(#docker.services.list{filters = {name = os.getenv("NAME")}})
           docker.connect(os.getenv("WORKER_HOST")).swarm.leave()
           local node = docker.nodes.get(os.getenv("WORKER_ID"))
           for _ = 1, 300 do
             node:reload()
             if node.state == "down" then break end
             docker.sleep(0.1)
           end
           node:remove{force = true}
           print(#docker.nodes.list())
           docker.swarm.leave{force = true}
           print(pcall(docker.swarm.reload))"#,
        &env,
    );
    assert!(out.starts_with("0\n1\nfalse\t"), "{out}");
    assert_eq!(local_state(false), "inactive");
    assert_eq!(local_state(true), "inactive");
}
