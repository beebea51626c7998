//! `docker.compose` and `docker.yaml`: loading compose files (engine-free),
//! and projects on the real engine, side by side with Debian's
//! `docker-compose` 1.29 in both directions.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{
    assert_success, describe, docker, docker_cmd, dockerlua_cmd, run, stdout_of, Cleanup,
};

/// `dockerlua -e CODE` in `dir`.
fn dl(dir: &Path, code: &str) -> Output {
    run(dockerlua_cmd().current_dir(dir).args(["-e", code]))
}

#[track_caller]
fn dl_ok(dir: &Path, code: &str) -> String {
    assert_success(&dl(dir, code))
}

/// `docker-compose ARGS...` in `dir`, on the test engine.
fn docker_compose(dir: &Path, args: &[&str]) -> Output {
    run(Command::new("docker-compose")
        .env("DOCKER_HOST", common::host_or_none())
        .current_dir(dir)
        .args(args))
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Removes a project's containers, networks and volumes when dropped.
struct ProjectGuard(String);

impl Drop for ProjectGuard {
    fn drop(&mut self) {
        // Never panic here (a failed test may be unwinding): no engine, nothing to do.
        if std::env::var("DOCKER_HOST").map_or(true, |h| h.is_empty()) {
            return;
        }
        let label = format!("label=com.docker.compose.project={}", self.0);
        let quiet = |args: &[&str]| -> Vec<String> {
            docker_cmd()
                .args(args)
                .output()
                .map(|o| stdout_of(&o).lines().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let ids = quiet(&["ps", "-aq", "--filter", &label]);
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(ids.iter().map(String::as_str));
            quiet(&args);
        }
        for kind in ["network", "volume"] {
            let ids = quiet(&[kind, "ls", "-q", "--filter", &label]);
            if !ids.is_empty() {
                let mut args = vec![kind, "rm"];
                args.extend(ids.iter().map(String::as_str));
                quiet(&args);
            }
        }
    }
}

fn project_dir(t: &Cleanup) -> (tempfile::TempDir, ProjectGuard) {
    let dir = tempfile::Builder::new().prefix(&t.id).tempdir().unwrap();
    (dir, ProjectGuard(t.id.clone()))
}

// --- the model, without an engine ------------------------------------------------

#[test]
fn load_searches_upwards_merges_overrides_and_interpolates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, ".env", "TAG=3.19\nPORT=8080\nEMPTY=\n");
    write(d, "web.env", "FROM_FILE=yes\nSHARED=file\n");
    write(
        d,
        "compose.yaml",
        r#"
name: Demo_App
x-common: &common
  init: true
  labels: {team: ops}
services:
  web:
    <<: *common
    image: "alpine:${TAG}"
    env_file: web.env
    environment:
      SHARED: env
      PRICE: "$$5"
      DEFAULTED: ${EMPTY:-fallback}
      KEPT_EMPTY: ${EMPTY-unused}
    ports: ["${PORT}:80"]
    depends_on: [db]
  db:
    extends: {file: base.yaml, service: database}
    environment: {ROLE: primary}
  debug:
    image: busybox
    profiles: [debug]
"#,
    );
    write(
        d,
        "base.yaml",
        "services:\n  database:\n    image: busybox\n    user: nobody\n    environment: {ROLE: base, BASE: 'yes'}\n",
    );
    write(
        d,
        "compose.override.yaml",
        "services:\n  web:\n    ports: ['9090:90']\n    environment: {SHARED: override}\n---\nservices:\n  web:\n    hostname: second-document\n",
    );
    std::fs::create_dir_all(d.join("deep/er")).unwrap();
    let out = dl_ok(
        &d.join("deep/er"),
        r#"
        local p = docker.compose.load()
        local c = p:config()
        local web, db = c.services.web, c.services.db
        print(p.name, table.concat(p.services, ","), #p.config_files)
        print(web.image, web.init, web.labels.team, web.hostname)
        print(web.environment.SHARED, web.environment.FROM_FILE, web.environment.PRICE,
              web.environment.DEFAULTED, "[" .. web.environment.KEPT_EMPTY .. "]")
        print(web.ports[1].published, web.ports[1].target, web.ports[2].published, web.ports[2].target)
        print(db.image, db.user, db.environment.ROLE, db.environment.BASE)
        print(web.depends_on.db.condition, c.networks.default ~= nil, c.name)
        local q = docker.compose.load{profiles = {"debug"}}
        print(table.concat(q.services, ","))
    "#,
    );
    assert_eq!(
        out,
        "demo_app\tdb,web\t2\n\
         alpine:3.19\ttrue\tops\tsecond-document\n\
         override\tyes\t$5\tfallback\t[]\n\
         8080\t80\t9090\t90\n\
         busybox\tnobody\tprimary\tyes\n\
         service_started\ttrue\tnil\n\
         db,debug,web\n"
    );
}

#[test]
fn load_errors_name_the_file_the_path_and_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "compose.yaml", "services:\n  web:\n    image: alpine\n");
    write(
        d,
        "bad-port.yaml",
        "services:\n  web:\n    ports: ['80:80', '1:2:3:4']\n",
    );
    write(d, "bad-key.yaml", "services:\n  web:\n    enviroment: {}\n");
    write(
        d,
        "need-var.yaml",
        "services:\n  web:\n    image: 'alpine:${TAG:?set TAG}'\n",
    );
    write(
        d,
        "cycle.yaml",
        "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n",
    );
    write(d, "bad-yaml.yaml", "services: [\n");
    let out = dl_ok(
        d,
        r#"
        for _, f in ipairs{"bad-port.yaml", "bad-key.yaml", "need-var.yaml", "cycle.yaml", "bad-yaml.yaml"} do
          local ok, err = pcall(docker.compose.load, {files = {"compose.yaml", f}})
          print(ok, err.kind, (err.message:gsub("^%S*/", "")))
        end
    "#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "false\tInvalidArgument\tbad-port.yaml: services.web.ports[1]: bad port '1:2:3:4' ([[ip:]published:]target[/protocol] expected)"
    );
    assert_eq!(
        lines[1],
        "false\tInvalidArgument\tbad-key.yaml: services.web.enviroment: unknown key 'enviroment' (did you mean 'environment'?)"
    );
    assert_eq!(
        lines[2],
        "false\tInvalidArgument\tneed-var.yaml: services.web.image: required variable TAG is missing a value: set TAG"
    );
    assert!(
        lines[3].ends_with("services: dependency cycle: a -> b -> a"),
        "{out}"
    );
    assert!(
        lines[4].starts_with("false\tInvalidArgument\tbad-yaml.yaml: invalid YAML"),
        "{out}"
    );
}

#[test]
#[ignore = "needs docker-compose: tools/test.sh installs it"]
fn a_project_from_a_table_writes_a_file_docker_compose_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = dl_ok(
        d,
        r#"
        local services = {}
        for i = 1, 3 do
          services["worker" .. i] = {image = "busybox", command = "sleep " .. i * 100,
            environment = {INDEX = tostring(i)}, depends_on = {"queue"}}
        end
        services.queue = {image = "alpine:latest", ports = {"127.0.0.1:6379:6379"},
          volumes = {"data:/data", "./conf:/conf:ro"},
          healthcheck = {test = {"CMD", "true"}, interval = "2s", retries = 3}}
        local p = docker.compose.project({name = "built", services = services, volumes = {data = {}}})
        local text = docker.yaml.encode(p:config())
        local f = assert(io.open("compose.yaml", "w")); f:write(text); f:close()
        local back = docker.yaml.decode(text)
        print(p.name, #p.services, back.services.worker2.environment.INDEX,
              back.services.worker3.command[2], back.services.queue.volumes[2].read_only)
    "#,
    );
    assert_eq!(out, "built\t4\t2\t300\ttrue\n");
    let config = docker_compose(d, &["config"]);
    assert!(config.status.success(), "{}", describe(&config));
    let text = stdout_of(&config);
    assert!(
        text.contains("sleep 300") || text.contains("- '300'"),
        "{text}"
    );
    assert!(text.contains("6379"), "{text}");
}

// --- on the engine ---------------------------------------------------------------

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn external_networks_and_volumes_are_used_never_created() {
    let t = Cleanup::new("extern");
    let (dir, _guard) = project_dir(&t);
    let net = t.container("net");
    let vol = t.container("vol");
    let code = format!(
        r#"local p = docker.compose.project{{name = "{id}",
             services = {{a = {{image = "alpine", command = "sleep 300", init = true,
               volumes = {{"data:/data"}}}}}},
             networks = {{default = {{external = true, name = "{net}"}}}},
             volumes = {{data = {{external = true, name = "{vol}"}}}}}}
           local ok, err = pcall(p.up, p)
           print(ok, err.kind, err.message)
           docker.networks.create("{net}", {{labels = {labels}}})
           ok, err = pcall(p.up, p)
           print(ok, err.kind, err.message)
           docker.volumes.create{{name = "{vol}", labels = {labels}}}
           local report = p:up()
           print(#report.networks, #report.volumes)
           p:down{{volumes = true}}"#,
        id = t.id,
        labels = t.lua_labels(),
    );
    let out = dl_ok(dir.path(), &code);
    assert_eq!(
        out,
        format!(
            "false\tNotFound\tnetwork {net} is external but does not exist\n\
             false\tNotFound\tvolume {vol} is external but does not exist\n\
             0\t0\n"
        )
    );
    // External ones are the user's: `down{volumes = true}` leaves both.
    assert!(docker_cmd()
        .args(["network", "inspect", &net])
        .output()
        .unwrap()
        .status
        .success());
    assert!(docker_cmd()
        .args(["volume", "inspect", &vol])
        .output()
        .unwrap()
        .status
        .success());
    docker_cmd().args(["network", "rm", &net]).output().unwrap();
    docker_cmd().args(["volume", "rm", &vol]).output().unwrap();
}

/// Two services, the second waiting for the first to be healthy.
fn two_services(t: &Cleanup) -> String {
    format!(
        r#"
services:
  db:
    image: alpine:latest
    command: sh -c "touch /tmp/ready; exec sleep 600"
    init: true
    labels: {{dockerlua.test: "{id}"}}
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 500ms
  web:
    image: alpine:latest
    command: sh -c "echo web says hi; exec sleep 600"
    init: true
    labels: {{dockerlua.test: "{id}"}}
    environment: {{GREETING: "${{GREETING:-hello}}"}}
    depends_on:
      db: {{condition: service_healthy}}
"#,
        id = t.id
    )
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn up_by_dockerlua_is_seen_and_taken_down_by_docker_compose() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    write(d, "compose.yaml", &two_services(&t));
    let name = &t.id;
    let out = dl_ok(
        d,
        &format!(
            r#"
        local p = docker.compose.load{{project_name = "{name}"}}
        local r = p:up{{wait = true, wait_timeout = 60}}
        table.sort(r.created)
        print(table.concat(r.created, " "), table.concat(r.networks, " "))
        local db = docker.containers.get("{name}-db-1")
        print(db.attrs.State.Health.Status, docker.containers.get("{name}-web-1").status)
        -- nothing changed: nothing touched
        local again = p:up{{}}
        print(#again.created, #again.recreated, #again.unchanged)
        for line, stream, container in p:logs{{services = {{"web"}}}} do print(container, stream, line) end
    "#
        ),
    );
    assert_eq!(
        out,
        format!(
            "{name}-db-1 {name}-web-1\t{name}_default\nhealthy\trunning\n0\t0\t2\n{name}-web-1\tstdout\tweb says hi\n"
        )
    );
    let labels = docker(&[
        "inspect",
        "-f",
        "{{index .Config.Labels \"com.docker.compose.project\"}} {{index .Config.Labels \"com.docker.compose.service\"}} {{index .Config.Labels \"com.docker.compose.container-number\"}} {{index .Config.Labels \"com.docker.compose.oneoff\"}} {{index .Config.Labels \"com.docker.compose.depends_on\"}}",
        &format!("{name}-web-1"),
    ]);
    assert_eq!(
        labels,
        format!("{name} web 1 False db:service_healthy:false")
    );

    let ps = docker_compose(d, &["-p", name, "ps"]);
    let ps_text = assert_success(&ps);
    assert!(
        ps_text.contains(&format!("{name}-db-1")) && ps_text.contains("Up (healthy)"),
        "{ps_text}"
    );
    assert!(ps_text.contains(&format!("{name}-web-1")), "{ps_text}");
    let down = docker_compose(d, &["-p", name, "down", "-t", "1"]);
    assert!(down.status.success(), "{}", describe(&down));
    let filter = format!("label=com.docker.compose.project={name}");
    assert_eq!(docker(&["ps", "-aq", "--filter", &filter]), "");
    assert_eq!(docker(&["network", "ls", "-q", "--filter", &filter]), "");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_changed_service_is_recreated_and_the_rest_left_running() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    write(d, "compose.yaml", &two_services(&t));
    write(d, "greeting.env", "GREETING=bonjour\n");
    let name = &t.id;
    let out = dl_ok(
        d,
        &format!(
            r#"
        local p = docker.compose.load{{project_name = "{name}"}}
        p:up{{wait = true, wait_timeout = 60}}
        local db_id = docker.containers.get("{name}-db-1").id
        local web_id = docker.containers.get("{name}-web-1").id
        -- the same files with another GREETING: only web changes
        local changed = docker.compose.load{{project_name = "{name}", env_file = {{"greeting.env"}}}}
        local r = changed:up{{wait = true, wait_timeout = 60}}
        print(table.concat(r.recreated, " "), table.concat(r.unchanged, " "))
        print(docker.containers.get("{name}-db-1").id == db_id, docker.containers.get("{name}-web-1").id == web_id)
        print(docker.containers.get("{name}-web-1"):exec("sh -c 'echo $GREETING'").output)
        local forced = changed:up{{force_recreate = true, services = {{"db"}}, timeout = 1}}
        print(table.concat(forced.recreated, " "))
        local down = changed:down{{timeout = 1}}
        table.sort(down.removed)
        print(table.concat(down.removed, " "), table.concat(down.networks, " "))
    "#
        ),
    );
    assert_eq!(
        out,
        format!(
            "{name}-web-1\t{name}-db-1\ntrue\tfalse\nbonjour\n\n{name}-db-1\n{name}-db-1 {name}-web-1\t{name}_default\n"
        )
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn get_acts_on_a_project_docker_compose_brought_up() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    write(d, "compose.yaml", &two_services(&t));
    let name = &t.id;
    let up = docker_compose(d, &["-p", name, "up", "-d"]);
    assert!(up.status.success(), "{}", describe(&up));
    // docker-compose 1.x names containers <project>_<service>_<n>.
    let out = dl_ok(
        d,
        &format!(
            r#"
        local listed = false
        for _, pr in ipairs(docker.compose.projects()) do
          if pr.name == "{name}" then listed = pr.status == "running(2)" end
        end
        local p = docker.compose.get("{name}")
        print(listed, p.name, table.concat(p.services, ","))
        for _, c in ipairs(p:ps()) do print(c.name, c.status) end
        -- the logs of a service may still be on their way: wait for the line
        local seen
        for _ = 1, 100 do
          for line, _, container in p:logs{{services = {{"web"}}}} do seen = container .. " " .. line end
          if seen then break end
          docker.sleep(0.1)
        end
        print(seen)
        print(#p:stop{{services = {{"web"}}, timeout = 1}}, docker.containers.get("{name}_web_1").status)
        local r = p:down{{timeout = 1}}
        table.sort(r.removed)
        print(table.concat(r.removed, " "), table.concat(r.networks, " "))
    "#
        ),
    );
    assert_eq!(
        out,
        format!(
            "true\t{name}\tdb,web\n{name}_db_1\trunning\n{name}_web_1\trunning\n{name}_web_1 web says hi\n1\texited\n{name}_db_1 {name}_web_1\t{name}_default\n"
        )
    );
    let filter = format!("label=com.docker.compose.project={name}");
    assert_eq!(docker(&["ps", "-aq", "--filter", &filter]), "");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn wait_names_the_services_that_are_not_ready() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    let name = &t.id;
    let out = dl_ok(
        d,
        &format!(
            r#"
        local p = docker.compose.project{{name = "{name}", services = {{
          slow = {{image = "alpine:latest", command = "sleep 600", init = true,
                  labels = {{["dockerlua.test"] = "{name}"}},
                  healthcheck = {{test = "false", interval = "1h", start_period = "1h"}}}},
          quick = {{image = "alpine:latest", command = "sleep 600", init = true,
                  labels = {{["dockerlua.test"] = "{name}"}}}},
        }}}}
        local t0 = os.time()
        local ok, err = pcall(p.up, p, {{wait = true, wait_timeout = 2}})
        print(ok, err.kind, err.message:match("slow %(starting%)") ~= nil, err.message:match("quick") == nil)
        print(os.time() - t0 < 30)
        p:down{{timeout = 1}}
    "#
        ),
    );
    assert_eq!(out, "false\tTimeout\ttrue\ttrue\ntrue\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn one_offs_execs_and_lifecycle_verbs() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    let name = &t.id;
    write(
        d,
        "compose.yaml",
        &format!(
            r#"
services:
  migrate:
    image: busybox:latest
    command: sh -c "echo migrated > /state/done"
    volumes: ["state:/state"]
    labels: {{dockerlua.test: "{name}"}}
  app:
    image: busybox:latest
    command: sh -c "cat /state/done; exec sleep 600"
    init: true
    volumes: ["state:/state"]
    labels: {{dockerlua.test: "{name}"}}
    environment: {{MODE: service}}
    depends_on:
      migrate: {{condition: service_completed_successfully}}
    deploy: {{replicas: 2}}
volumes:
  state: {{}}
"#
        ),
    );
    let out = dl_ok(
        d,
        &format!(
            r#"
        local p = docker.compose.load{{project_name = "{name}"}}
        local r = p:up{{wait = true, wait_timeout = 60}}
        table.sort(r.created)
        print(table.concat(r.created, " "))
        print(#p:ps(), #p:ps{{all = true}})
        print(p:run("app", "sh -c 'cat /state/done; echo $MODE $EXTRA'", {{remove = true, environment = {{EXTRA = "x"}}}}))
        print(p:exec("app", "cat /state/done", {{index = 2}}).output)
        print(#p:pause{{services = {{"app"}}}}, docker.containers.get("{name}-app-1").status)
        p:unpause{{}}
        print(docker.containers.get("{name}-app-2").status)
        p:stop{{services = {{"app"}}, timeout = 1}}
        print(docker.containers.get("{name}-app-1").status)
        p:start{{}}
        print(docker.containers.get("{name}-app-1").status)
        p:kill{{services = {{"app"}}, signal = "KILL"}}
        print(docker.containers.get("{name}-app-2").status)
        p:restart{{services = {{"app"}}, timeout = 1}}
        print(docker.containers.get("{name}-app-2").status)
        local down = p:down{{volumes = true, timeout = 1}}
        print(#down.removed, table.concat(down.volumes, " "))
    "#
        ),
    );
    assert_eq!(
        out,
        format!(
            "{name}-app-1 {name}-app-2 {name}-migrate-1\n2\t3\nmigrated\nservice x\n\nmigrated\n\n2\tpaused\nrunning\nexited\nrunning\nexited\nrunning\n3\t{name}_state\n"
        )
    );
    let filter = format!("label=com.docker.compose.project={name}");
    assert_eq!(docker(&["ps", "-aq", "--filter", &filter]), "");
    assert_eq!(docker(&["volume", "ls", "-q", "--filter", &filter]), "");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn every_service_key_reaches_the_engine() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    let name = &t.id;
    write(d, "secret.txt", "s3cret\n");
    write(d, "app.conf", "conf=1\n");
    write(d, "ctx/Dockerfile", "FROM alpine:latest\nARG FLAVOUR\nRUN echo $FLAVOUR > /flavour\nFROM alpine:latest AS final\nCOPY --from=0 /flavour /flavour\n");
    std::fs::create_dir_all(d.join("data")).unwrap();
    write(
        d,
        "compose.yaml",
        &format!(
            r#"
services:
  full:
    build: {{context: ./ctx, args: {{FLAVOUR: mint}}, target: final}}
    entrypoint: ["/bin/sh", "-c"]
    command: ["cat /flavour; exec sleep 600"]
    environment: ["LIST_FORM=1"]
    ports: ["127.0.0.1::80", {{target: 81, published: "0", protocol: udp}}]
    expose: ["90"]
    volumes:
      - ./data:/data:ro
      - named:/named
      - {{type: tmpfs, target: /scratch, tmpfs: {{size: 1m}}}}
    networks:
      front: {{aliases: [fronty], ipv4_address: 172.29.57.10}}
      back: {{}}
    restart: on-failure:3
    labels: {{dockerlua.test: "{name}", own: label}}
    container_name: {name}-custom
    hostname: fullhost
    user: "1000:1000"
    working_dir: /tmp
    stop_signal: SIGUSR1
    stop_grace_period: 3s
    init: true
    privileged: false
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    devices: ["/dev/null:/dev/nullish:rwm"]
    dns: [9.9.9.9]
    extra_hosts: ["db.local:10.0.0.5"]
    logging: {{driver: json-file, options: {{max-size: 1m}}}}
    ulimits: {{nofile: {{soft: 1024, hard: 2048}}, nproc: 512}}
    sysctls: {{net.core.somaxconn: "1024"}}
    tmpfs: ["/run/t:size=2m"]
    read_only: true
    shm_size: 32m
    mem_limit: 64m
    cpus: 0.5
    deploy: {{resources: {{limits: {{pids: 100}}}}}}
    healthcheck: {{test: ["CMD", "true"], interval: 2s, timeout: 1s, retries: 4, start_period: 1s}}
    secrets: [token]
    configs: [{{source: appconf, target: /etc/app.conf}}]
    x-anything: ignored
  nohealth:
    image: busybox:latest
    command: sleep 600
    network_mode: none
    scale: 2
    labels: {{dockerlua.test: "{name}"}}
    healthcheck: {{disable: true}}
networks:
  front: {{ipam: {{config: [{{subnet: 172.29.57.0/24}}]}}, labels: {{dockerlua.test: "{name}"}}}}
  back: {{internal: true, labels: {{dockerlua.test: "{name}"}}}}
volumes:
  named: {{labels: {{dockerlua.test: "{name}"}}}}
secrets:
  token: {{file: ./secret.txt}}
configs:
  appconf: {{file: ./app.conf}}
x-top: ignored
"#
        ),
    );
    let out = dl_ok(
        d,
        &format!(
            r#"
        local p = docker.compose.load{{project_name = "{name}"}}
        p:up{{wait = true, wait_timeout = 60}}
        local c = docker.containers.get("{name}-custom")
        local a, h = c.attrs.Config, c.attrs.HostConfig
        local function has(list, v) for _, x in ipairs(list or {{}}) do if x == v then return true end end return false end
        print(c:logs())
        print(a.Entrypoint[1], a.Cmd[1], has(a.Env, "LIST_FORM=1"), a.Hostname, a.User, a.WorkingDir, a.StopSignal, a.StopTimeout)
        print(a.Labels.own, a.ExposedPorts["90/tcp"] ~= nil, h.PortBindings["80/tcp"][1].HostIp, h.PortBindings["81/udp"] ~= nil)
        print(h.RestartPolicy.Name, h.RestartPolicy.MaximumRetryCount, h.Init, h.Privileged, h.ReadonlyRootfs)
        print(h.CapAdd[1], h.CapDrop[1], h.Devices[1].PathInContainer, h.Dns[1], h.ExtraHosts[1])
        print(h.LogConfig.Type, h.LogConfig.Config["max-size"], h.Sysctls["net.core.somaxconn"], h.Tmpfs["/run/t"])
        local ul = {{}}
        for _, u in ipairs(h.Ulimits) do ul[u.Name] = u.Soft .. "/" .. u.Hard end
        print(ul.nofile, ul.nproc, h.ShmSize, h.Memory, h.NanoCpus, h.PidsLimit)
        print(a.Healthcheck.Test[2], a.Healthcheck.Interval, a.Healthcheck.Retries)
        local m = {{}}
        for _, x in ipairs(c.attrs.Mounts) do m[x.Destination] = x.Type .. ":" .. tostring(x.RW) end
        print(m["/data"], m["/named"], m["/scratch"], m["/run/secrets/token"], m["/etc/app.conf"])
        print(c:exec("cat /run/secrets/token /etc/app.conf").output)
        local nets = c.attrs.NetworkSettings.Networks
        local front = nets["{name}_front"]
        print(front.IPAMConfig.IPv4Address, has(front.Aliases, "fronty"), has(front.Aliases, "full"), nets["{name}_back"] ~= nil)
        print(docker.networks.get("{name}_back").attrs.Internal, docker.volumes.get("{name}_named").labels["com.docker.compose.volume"])
        local n1 = docker.containers.get("{name}-nohealth-1")
        print(n1.attrs.HostConfig.NetworkMode, n1.attrs.Config.Healthcheck.Test[1], docker.containers.get("{name}-nohealth-2").status)
        print(p:config().services.full.build.args.FLAVOUR)
        p:down{{volumes = true, timeout = 1}}
    "#
        ),
    );
    assert_eq!(
        out,
        "mint\n\n\
         /bin/sh\tcat /flavour; exec sleep 600\ttrue\tfullhost\t1000:1000\t/tmp\tSIGUSR1\t3\n\
         label\ttrue\t127.0.0.1\ttrue\n\
         on-failure\t3\ttrue\tfalse\ttrue\n\
         NET_ADMIN\tMKNOD\t/dev/nullish\t9.9.9.9\tdb.local:10.0.0.5\n\
         json-file\t1m\t1024\tsize=2m\n\
         1024/2048\t512/512\t33554432\t67108864\t500000000\t100\n\
         true\t2000000000\t4\n\
         bind:false\tvolume:true\ttmpfs:true\tbind:false\tbind:false\n\
         s3cret\nconf=1\n\n\
         172.29.57.10\ttrue\ttrue\ttrue\n\
         true\tnamed\n\
         none\tNONE\trunning\n\
         mint\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn the_deploy_script_migrates_then_restarts_one_container_at_a_time() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    let name = &t.id;
    write(
        d,
        "compose.yaml",
        &format!(
            r#"
services:
  app:
    image: busybox:latest
    command: sh -c "touch /tmp/up; exec sleep 600"
    init: true
    scale: 2
    labels: {{dockerlua.test: "{name}"}}
    healthcheck: {{test: ["CMD", "test", "-f", "/tmp/up"], interval: 500ms}}
"#
        ),
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/compose_deploy.lua");
    let deploy = |extra: &[&str]| {
        let mut cmd = dockerlua_cmd();
        cmd.current_dir(d)
            .arg(&script)
            .args(["-p", name, "-t", "60"])
            .args(extra);
        run(&mut cmd)
    };
    let started = |n: u32| {
        docker(&[
            "inspect",
            "-f",
            "{{.State.StartedAt}}",
            &format!("{name}-app-{n}"),
        ])
    };
    let out = deploy(&[]);
    assert_eq!(
        assert_success(&out),
        format!("{name}: 2 created, 0 recreated, 0 unchanged\n")
    );
    let before = (started(1), started(2));
    let out = deploy(&[
        "--migrate",
        "app",
        "--command",
        "sh -c 'echo migrating; echo v2 > /tmp/schema'",
        "--restart",
        "app",
    ]);
    assert_eq!(
        assert_success(&out),
        format!(
            "{name}: 0 created, 0 recreated, 2 unchanged\nmigrating\nmigration in app: done\nrestarted {name}-app-1\nrestarted {name}-app-2\n"
        )
    );
    assert_ne!(started(1), before.0);
    assert_ne!(started(2), before.1);
    // The one-off was removed; a failed migration stops the deploy.
    let filter = "label=com.docker.compose.oneoff=True";
    let project = format!("label=com.docker.compose.project={name}");
    assert_eq!(
        docker(&["ps", "-aq", "--filter", filter, "--filter", &project]),
        ""
    );
    let restarted = (started(1), started(2));
    let out = deploy(&[
        "--migrate",
        "app",
        "--command",
        "sh -c 'echo broken >&2; exit 3'",
        "--restart",
        "app",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        common::stderr_of(&out).contains("broken"),
        "{}",
        describe(&out)
    );
    assert_eq!((started(1), started(2)), restarted);
}

/// `StartedAt` and id of a container, to tell a restart from a recreation.
fn started(name: &str) -> (String, String) {
    let out = docker(&["inspect", "-f", "{{.State.StartedAt}} {{.Id}}", name]);
    let (at, id) = out.split_once(' ').unwrap();
    (at.to_owned(), id.to_owned())
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn restart_true_restarts_the_dependent_when_its_dependency_is_recreated_or_restarted() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    let name = &t.id;
    let service = |env: &str, deps: &str| {
        format!(
            "{{image = 'alpine:latest', command = 'sleep 600', init = true, \
             labels = {{['dockerlua.test'] = '{name}'}}, environment = {{V = '{env}'}}{deps}}}"
        )
    };
    let project = |v: &str| {
        format!(
            "docker.compose.project{{name = '{name}', services = {{ db = {}, web = {}, other = {} }}}}",
            service(v, ""),
            service("1", ", depends_on = {db = {condition = 'service_started', restart = true}}"),
            service("1", ", depends_on = {'db'}"),
        )
    };
    dl_ok(d, &format!("{}:up{{}}", project("1")));
    let (web, other) = (format!("{name}-web-1"), format!("{name}-other-1"));
    let (web0, other0) = (started(&web), started(&other));
    // db changes: recreated; web (restart: true) restarted in place; other untouched.
    let out = dl_ok(
        d,
        &format!(
            "local r = {}:up{{timeout = 1}}\nprint(table.concat(r.recreated, ' '))\nprint(table.concat(r.started, ' '))",
            project("2")
        ),
    );
    assert_eq!(out, format!("{name}-db-1\n{web}\n"));
    let (web1, other1) = (started(&web), started(&other));
    assert_eq!(web1.1, web0.1, "web was recreated");
    assert_ne!(web1.0, web0.0, "web was not restarted");
    assert_eq!(other1, other0, "other was touched");
    // An explicit restart of db restarts web after it, not other.
    let out = dl_ok(
        d,
        &format!(
            "local r = {}:restart{{services = {{'db'}}, timeout = 1}}\ntable.sort(r)\nprint(table.concat(r, ' '))",
            project("2")
        ),
    );
    assert_eq!(out, format!("{name}-db-1 {web}\n"));
    assert_ne!(started(&web).0, web1.0, "web was not restarted");
    assert_eq!(started(&other), other0, "other was touched");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn optional_dependencies_that_are_missing_or_fail_are_skipped_with_a_warning() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    let name = &t.id;
    write(
        d,
        "compose.yaml",
        &format!(
            r#"
x-base: &base
  image: alpine:latest
  init: true
  labels: {{dockerlua.test: "{name}"}}
services:
  debug:
    <<: *base
    command: sleep 600
    profiles: [debug]
  job:
    <<: *base
    command: sh -c "exit 3"
  sick:
    <<: *base
    command: sleep 600
    healthcheck: {{test: ["CMD", "false"], interval: 200ms, retries: 1}}
  web:
    <<: *base
    command: sleep 600
    depends_on:
      debug: {{required: false}}
      job: {{condition: service_completed_successfully, required: false}}
      sick: {{condition: service_healthy, required: false}}
"#
        ),
    );
    let out = dl(
        d,
        &format!(
            r#"
        local p = docker.compose.load{{project_name = "{name}"}}
        local r = p:up{{wait_timeout = 60}}
        table.sort(r.warnings)
        for _, w in ipairs(r.warnings) do print(w) end
        print(docker.containers.get("{name}-web-1").status)
    "#
        ),
    );
    let stdout = assert_success(&out);
    assert_eq!(
        stdout,
        format!(
            "web: optional dependency job skipped: dependency job ({name}-job-1) exited with code 3\n\
             web: optional dependency sick skipped: dependency sick ({name}-sick-1) is unhealthy\n\
             running\n"
        )
    );
    let stderr = common::stderr_of(&out);
    assert!(
        stderr.contains(
            "WARN: web: optional dependency 'debug' is not in the project (undefined or disabled): skipped"
        ),
        "{stderr}"
    );
    // Required, the same dependencies fail the load or the up.
    let required = std::fs::read_to_string(d.join("compose.yaml"))
        .unwrap()
        .replace("required: false", "required: true");
    write(d, "compose.yaml", &required);
    let out = dl(
        d,
        &format!("docker.compose.load{{project_name = '{name}'}}"),
    );
    assert!(
        common::stderr_of(&out).contains("depends on undefined (or disabled) service 'debug'"),
        "{}",
        describe(&out)
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_built_service_with_an_image_follows_its_pull_policy() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    let name = &t.id;
    // In the registry, /marker holds the test's id; a build writes "built".
    let image = t.pushed_image("pp");
    write(
        d,
        "ctx/Dockerfile",
        "FROM alpine:latest\nRUN echo built > /marker\n",
    );
    let up = |policy: &str| {
        write(
            d,
            "compose.yaml",
            &format!(
                "services:\n  app:\n    image: {image}\n    build: ctx\n{policy}    command: [\"true\"]\n    labels: {{dockerlua.test: \"{name}\"}}\n"
            ),
        );
        dl_ok(
            d,
            &format!("docker.compose.load{{project_name = '{name}'}}:up{{}}"),
        );
        docker(&["run", "--rm", &image, "cat", "/marker"])
    };
    // missing (the default): the image is not here, so it is pulled, not built.
    assert_eq!(up(""), *name);
    // build: always built.
    assert_eq!(up("    pull_policy: build\n"), "built");
    // missing, the image here: neither pulled nor built.
    assert_eq!(up("    pull_policy: missing\n"), "built");
    // always: pulled over the local one.
    assert_eq!(up("    pull_policy: always\n"), *name);
    // never, the image gone: built, not pulled.
    docker(&["rm", "-f", &format!("{name}-app-1")]);
    docker(&["rmi", &image]);
    assert_eq!(up("    pull_policy: never\n"), "built");
}

/// Two services that print and exit: `a` a line on stderr, `bb` as told.
/// (Lines of stdout and stderr may reach the log out of order.)
fn printing_project(name: &str, b_command: &str) -> String {
    format!(
        r#"docker.compose.project{{name = "{name}", services = {{
          a = {{image = "alpine:latest", command = {{"sh", "-c", "echo hello from a >&2"}},
                labels = {{["dockerlua.test"] = "{name}"}}}},
          bb = {{image = "alpine:latest", command = {{"sh", "-c", "{b_command}"}}, init = true,
                labels = {{["dockerlua.test"] = "{name}"}}}},
        }}}}"#
    )
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn up_without_detach_prints_the_logs_until_every_container_exits() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    let name = &t.id;
    let out = dl_ok(
        d,
        &format!(
            r#"
        local p = {}
        local r = p:up{{detach = false}}
        print(r.exit_codes["{name}-a-1"], r.exit_codes["{name}-bb-1"])
    "#,
            printing_project(name, "echo b one; echo b two; exit 3")
        ),
    );
    let (a, b) = (format!("{name}-a-1"), format!("{name}-bb-1"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("Attaching to {a}, {b}"), "{out}");
    // Each container's lines in order; the two containers' interleaved.
    let of = |prefix: &str| -> Vec<&str> {
        lines
            .iter()
            .copied()
            .filter(|l| l.starts_with(prefix))
            .collect()
    };
    assert_eq!(
        of(&format!("{a} ")),
        vec![
            format!("{a}   | hello from a"),
            format!("{a} exited with code 0")
        ],
        "{out}"
    );
    assert_eq!(
        of(&format!("{b} ")),
        vec![
            format!("{b}  | b one"),
            format!("{b}  | b two"),
            format!("{b} exited with code 3")
        ],
        "{out}"
    );
    assert_eq!(lines.last(), Some(&"0\t3"), "{out}");
    assert_eq!(lines.len(), 7, "{out}");

    // abort_on_container_exit: a's exit stops bb.
    let out = dl_ok(
        d,
        &format!(
            r#"
        local p = {}
        local r = p:up{{detach = false, abort_on_container_exit = true, timeout = 5}}
        print(r.exit_codes["{name}-a-1"], r.exit_codes["{name}-bb-1"] ~= nil, docker.containers.get("{name}-bb-1").status)
    "#,
            printing_project(name, "echo waiting; exec sleep 600")
        ),
    );
    assert!(out.contains("Aborting on container exit...\n"), "{out}");
    assert!(out.ends_with("0\ttrue\texited\n"), "{out}");

    // exit_code_from: bb's exit stops a (the abort), and bb's code is the
    // report's.
    let project = format!(
        r#"docker.compose.project{{name = "{name}", services = {{
          a = {{image = "alpine:latest", command = {{"sleep", "600"}}, init = true,
                labels = {{["dockerlua.test"] = "{name}"}}}},
          bb = {{image = "alpine:latest", command = {{"sh", "-c", "echo b; exit 7"}},
                labels = {{["dockerlua.test"] = "{name}"}}}},
        }}}}"#
    );
    let out = dl_ok(
        d,
        &format!(
            r#"
        local p = {project}
        local r = p:up{{detach = false, exit_code_from = "bb", timeout = 5}}
        print(r.exit_code, r.exit_codes["{name}-bb-1"])
        print(pcall(p.up, p, {{detach = false, exit_code_from = "nope"}}))
        print(pcall(p.up, p, {{exit_code_from = "bb"}}))
    "#
        ),
    );
    let lines: Vec<&str> = out.lines().rev().take(3).collect();
    assert_eq!(lines[2], "7\t7", "{out}");
    assert!(
        lines[1].starts_with("false\tInvalidArgument: Project:up: bad option 'exit_code_from' (no service 'nope' among those followed: a, bb)"),
        "{out}"
    );
    assert!(
        lines[0].contains("bad option 'exit_code_from' (it needs detach = false)"),
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn attach_dependencies_follows_what_the_services_depend_on() {
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let name = &t.id;
    let project = format!(
        r#"docker.compose.project{{name = "{name}", services = {{
          db = {{image = "alpine:latest", command = {{"sh", "-c", "echo db ready"}},
                labels = {{["dockerlua.test"] = "{name}"}}}},
          web = {{image = "alpine:latest", command = {{"sh", "-c", "echo web ready"}}, depends_on = {{"db"}},
                labels = {{["dockerlua.test"] = "{name}"}}}},
        }}}}"#
    );
    let out = dl_ok(
        dir.path(),
        &format!(
            r#"
        local p = {project}
        local r = p:up{{detach = false, services = {{"web"}}}}
        print(r.exit_codes["{name}-web-1"], r.exit_codes["{name}-db-1"])
        r = p:up{{detach = false, services = {{"web"}}, attach_dependencies = true}}
        print(r.exit_codes["{name}-web-1"], r.exit_codes["{name}-db-1"])
    "#
        ),
    );
    let (db, web) = (format!("{name}-db-1"), format!("{name}-web-1"));
    let attaching: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("Attaching to "))
        .collect();
    assert_eq!(
        attaching,
        vec![
            format!("Attaching to {web}"),
            format!("Attaching to {db}, {web}")
        ],
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with(&db) && l.ends_with(" | db ready")),
        "{out}"
    );
    let codes: Vec<&str> = out.lines().filter(|l| l.starts_with('0')).collect();
    assert_eq!(codes, vec!["0\tnil", "0\t0"], "{out}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_interrupted_up_without_detach_stops_the_containers() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    let name = &t.id;
    let script = format!(
        "{}:up{{detach = false, timeout = 5}}\nprint('not reached')",
        printing_project(name, "echo ready; exec sleep 600")
    );
    let mut child = dockerlua_cmd()
        .current_dir(d)
        .args(["-e", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once bb's first line is printed, the logs are being followed. The
    // lines come through a thread, so that a silent child cannot hang the test.
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
                if line.ends_with("| ready") {
                    break;
                }
            }
            Err(e) => {
                let _ = child.kill();
                panic!("no 'ready' line ({e}): {seen}");
            }
        }
    }
    // SAFETY: kill(2) on the pid of a child not waited for yet.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "dockerlua did not end");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("Gracefully stopping..."), "{stderr}");
    reader.join().unwrap();
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(!rest.iter().any(|l| l == "not reached"), "{rest:?}");
    // Stopped, not removed.
    let state = docker(&[
        "inspect",
        "-f",
        "{{.State.Status}}",
        &format!("{name}-bb-1"),
    ]);
    assert_eq!(state, "exited");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_up_without_detach_interrupted_while_it_waits_stops_what_it_started() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let t = Cleanup::new("cmp");
    let (dir, _guard) = project_dir(&t);
    let d = dir.path();
    let name = &t.id;
    // web waits for slow to be healthy, which it will not be for an hour.
    let script = format!(
        r#"docker.compose.project{{name = "{name}", services = {{
          slow = {{image = "alpine:latest", command = "sleep 600", init = true,
                  labels = {{["dockerlua.test"] = "{name}"}},
                  healthcheck = {{test = "false", interval = "1h", start_period = "1h"}}}},
          web = {{image = "alpine:latest", command = "sleep 600", init = true,
                  labels = {{["dockerlua.test"] = "{name}"}},
                  depends_on = {{slow = {{condition = "service_healthy"}}}}}},
        }}}}:up{{detach = false, timeout = 5}}"#
    );
    let mut child = dockerlua_cmd()
        .current_dir(d)
        .args(["-e", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let slow = format!("{name}-slow-1");
    let state = |c: &str| {
        // Empty when there is no such container.
        stdout_of(&common::docker_output(&[
            "inspect",
            "-f",
            "{{.State.Status}}",
            c,
        ]))
        .trim()
        .to_owned()
    };
    common::eventually("slow running", Duration::from_secs(60), || {
        state(&slow) == "running"
    });
    // SAFETY: kill(2) on the pid of a child not waited for yet.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "dockerlua did not end");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("Gracefully stopping..."), "{stderr}");
    assert_eq!(state(&slow), "exited", "{stderr}");
    assert_eq!(state(&format!("{name}-web-1")), "", "web was created");
}
