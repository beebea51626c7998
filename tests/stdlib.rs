//! The embedded stdlib (`require("docker.NAME")`) against the real engine,
//! users' paths, and the LuaLS definitions against the live module.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{assert_success, docker, dockerlua_cmd, lua, run, Cleanup};

/// Runs Lua code and returns its stdout, failing the test on an error.
#[track_caller]
fn ok(code: &str) -> String {
    assert_success(&lua(code))
}

#[test]
fn modules_load_with_chunk_names_under_stdlib() {
    let out = ok(r#"
        for _, name in ipairs{"args", "cleanup", "errors", "format", "human", "retry", "wait"} do
          local m = require("docker." .. name)
          local f
          for _, v in pairs(m) do if type(v) == "function" then f = v break end end
          -- Through the guard that types the module's own errors.
          for i = 1, 10 do
            local up, inner = debug.getupvalue(f, i)
            if up == "f" then f = inner break end
          end
          print(name, debug.getinfo(f, "S").source)
        end"#);
    for name in [
        "args", "cleanup", "errors", "format", "human", "retry", "wait",
    ] {
        assert!(
            out.contains(&format!("{name}\t@stdlib/{name}.lua")),
            "{out}"
        );
    }
}

#[test]
fn human_sizes_durations_and_times() {
    let out = ok(r#"
        local h = require("docker.human")
        print(h.size(1234567), h.size(999), h.size(5 * 1024 * 1024, {binary = true}))
        print(h.duration(0.2), h.duration(1), h.duration(75), h.duration(300), h.duration(3 * 3600))
        print(h.duration(3 * 86400), h.duration(20 * 86400), h.duration(90 * 86400), h.duration(800 * 86400))
        print(h.time("1970-01-02T00:00:00Z"), h.time("2024-05-01T12:00:00.5+02:00"), h.time("0001-01-01T00:00:00Z"))
        print(h.ago(1000, 1300), h.parse_duration("1h30m"), h.parse_duration("250ms"), h.parse_size("512m"))
        local ok, err = pcall(h.parse_duration, "soon")
        print(err.kind, err.message)"#);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1.23MB\t999B\t5MiB");
    assert_eq!(
        lines[1],
        "Less than a second\t1 second\tAbout a minute\t5 minutes\t3 hours"
    );
    assert_eq!(lines[2], "3 days\t2 weeks\t3 months\t2 years");
    assert_eq!(lines[3], "86400\t1714557600.5\tnil");
    assert_eq!(lines[4], "5 minutes ago\t5400\t0.25\t536870912");
    assert!(
        lines[5].starts_with("InvalidArgument\thuman.parse_duration: bad duration 'soon'"),
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn format_containers_matches_the_docker_cli_table() {
    let t = Cleanup::new("fmt");
    let name = t.container("web");
    docker(&[
        "run",
        "-d",
        "--init",
        "--name",
        &name,
        "--label",
        &t.label(),
        "-p",
        "127.0.0.1::8080",
        // Exposed, not published: first, and as a range, in the CLI's column.
        "--expose",
        "9443-9444",
        "alpine",
        "sleep",
        "300",
    ]);
    let filter = format!("label={}", t.label());
    let cli = docker(&["ps", "--filter", &filter, "--format", "{{.ID}}|{{.Ports}}"]);
    let (id, ports) = cli.split_once('|').unwrap();
    assert!(ports.starts_with("9443-9444/tcp, 127.0.0.1:"), "{ports}");
    let out = ok(&format!(
        r#"local f = require("docker.format")
           local list = docker.containers.list{{filters = {{label = "{label}"}}}}
           local now = list[1].attrs.Created + 300
           io.write(f.containers(list, {{now = now}}))
           io.write(f.containers({{docker.containers.get("{name}")}}, {{now = now, header = false}}))
           io.write(f.containers(list, {{quiet = true}}))"#,
        label = t.label()
    ));
    let lines: Vec<&str> = out.lines().collect();
    let header = "CONTAINER ID   IMAGE     COMMAND       CREATED         STATUS";
    assert!(lines[0].starts_with(header), "{out}");
    assert!(lines[0].ends_with("NAMES"), "{out}");
    for row in &lines[1..3] {
        assert!(
            row.starts_with(&format!(
                "{id}   alpine    \"sleep 300\"   5 minutes ago   Up "
            )),
            "{out}"
        );
        assert!(row.contains(ports) && row.ends_with(&name), "{out}");
    }
    assert_eq!(lines[3], id);
    // The columns line up: every field starts where its header does.
    let col = lines[0].find("NAMES").unwrap();
    assert_eq!(&lines[1][col..], name);
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn format_images_and_json() {
    let cli = docker(&["images", "alpine:latest", "--format", "{{.ID}} {{.Size}}"]);
    let (id, size) = cli.split_once(' ').unwrap();
    let out = ok(r#"
        local f = require("docker.format")
        local imgs = docker.images.list{name = "alpine:latest"}
        io.write(f.images(imgs))
        print(f.json(imgs))
        print(f.json({}))
        local ok, err = pcall(f.containers, imgs)
        print(err.kind, err.message)"#);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("REPOSITORY   TAG       IMAGE ID       CREATED"),
        "{out}"
    );
    assert!(
        lines[1].starts_with(&format!("alpine       latest    {id}   ")),
        "{out}"
    );
    assert!(lines[1].ends_with(&format!("   {size}")), "{out}");
    let json: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(json[0]["Repository"], "alpine");
    assert_eq!(json[0]["ID"], id);
    assert_eq!(lines[3], "[]");
    assert!(
        lines[4].contains(
            "InvalidArgument\tformat.containers: bad list item #1 (container expected, got image)"
        ),
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn cleanup_stop_and_remove_by_filter_with_dry_run() {
    let t = Cleanup::new("clean");
    for n in 0..2 {
        let name = t.container(&format!("up{n}"));
        common::sleeper(&t, &name);
    }
    let other = t.container("other");
    docker(&[
        "run", "-d", "--init", "--name", &other, "alpine", "sleep", "300",
    ]);
    let filter = format!("label={}", t.label());
    let running = || docker(&["ps", "-q", "--filter", &filter]).lines().count();
    let code = |call: &str| {
        format!(
            r#"local cleanup = require("docker.cleanup")
               local r = cleanup.{call}
               for _, e in ipairs(r) do print(e.action, e.name, e.done, e.error) end"#
        )
    };
    let out = ok(&code(&format!(
        "stop({{label = \"{}\"}}, {{dry_run = true, log = print}})",
        t.label()
    )));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("would stop ")).count(),
        2,
        "{out}"
    );
    assert_eq!(running(), 2, "a dry run stopped something");

    let out = ok(&code(&format!(
        "stop({{label = \"{}\"}}, {{timeout = 0}})",
        t.label()
    )));
    assert_eq!(
        out.lines().filter(|l| l.ends_with("\ttrue\tnil")).count(),
        2,
        "{out}"
    );
    assert_eq!(running(), 0);
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &other]),
        "running"
    );

    let out = ok(&code(&format!("remove({{label = \"{}\"}})", t.label())));
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(docker(&["ps", "-aq", "--filter", &filter]), "");
    assert!(common::container_exists(&other));

    let out = lua(r#"require("docker.cleanup").remove({})"#);
    let err = common::assert_exit(&out, 1);
    assert!(
        err.contains("InvalidArgument: cleanup.remove: empty filters"),
        "{err}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn cleanup_exited_and_dangling_images() {
    let t = Cleanup::new("prune");
    let (done, up, first, tag) = common::exited_running_and_dangling(&t);
    let out = ok(&format!(
        r#"local r = require("docker.cleanup").prune{{filters = {{label = "{}"}}}}
           for _, e in ipairs(r.containers) do print("c", e.name, e.done) end
           for _, e in ipairs(r.images) do print("i", e.short_id, e.done, e.size > 0) end
           print(r.reclaimed > 0)"#,
        t.label()
    ));
    assert_eq!(
        out,
        format!("c\t{done}\ttrue\ni\t{first}\ttrue\ttrue\ntrue\n")
    );
    assert!(!common::container_exists(&done));
    assert!(common::container_exists(&up));
    assert!(!common::image_exists(&first));
    assert!(common::image_exists(&tag));
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn wait_for_log_line_port_and_health() {
    let t = Cleanup::new("wait");
    let out = ok(&format!(
        r#"local wait = require("docker.wait")
           local labels = {labels}
           local c = docker.containers.run("alpine", {{"sh", "-c", "sleep 1; echo ok > /tmp/x; echo listening on 8080; exec busybox httpd -f -p 8080 -h /tmp"}},
             {{detach = true, init = true, labels = labels,
               healthcheck = {{Test = {{"CMD", "busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/x"}}, Interval = 200000000,
                               -- Probes fail until httpd is up (after 1 s, later under
                               -- load): they must not make it unhealthy first.
                               StartPeriod = 120000000000}}}})
           local ok, err = pcall(wait.port, c, 8080, {{timeout = 0.2}})
           print("early", err.kind)
           local start = docker.clock()
           print("log", wait.log(c, "listening on (%d+)"))
           print("port", select(2, wait.port(c, 8080, {{timeout = 10}})))
           print("healthy", wait.healthy(c.id, {{timeout = 20}}).name == c.name)
           print("waited", docker.clock() - start >= 0.5)
           local ok, err = pcall(wait.log, c, "never printed", {{timeout = 0.5}})
           print("timeout", err.kind, err.message)
           local quick = docker.containers.run("alpine", "echo bye", {{detach = true, labels = labels}})
           local ok, err = pcall(wait.log, quick, "never printed", {{timeout = 10}})
           print("gone", err.kind)
           local ok, err = pcall(wait.healthy, quick)
           print("nohealth", err.kind, err.message:match("has no healthcheck") ~= nil)
           local sick = docker.containers.run("alpine", "sleep 60", {{detach = true, init = true, labels = labels,
             healthcheck = {{test = {{"CMD-SHELL", "echo probe says no; exit 3"}}, interval = "100ms", retries = 2}}}})
           local before = docker.clock()
           local ok, err = pcall(wait.healthy, sick, {{timeout = 50}})
           print("unhealthy", err.kind, err.status, err.exit_status, err.output, docker.clock() - before < 40)
           print(err.message)
           sick:remove{{force = true}}
           local ok, err = pcall(wait.log, 42, "x")
           print("bad", err.kind, err.message)"#,
        labels = t.lua_labels()
    ));
    let expected = [
        "early\tTimeout",
        "log\tlistening on 8080",
        "port\t8080",
        "healthy\ttrue",
        "waited\ttrue",
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(&lines[..5], &expected, "{out}");
    assert!(
        lines[5].starts_with("timeout\tTimeout\twait.log: "),
        "{out}"
    );
    assert!(lines[5].ends_with("not so after 0.5 s"), "{out}");
    assert_eq!(lines[6], "gone\tWaitError");
    assert_eq!(lines[7], "nohealth\tWaitError\ttrue");
    assert_eq!(
        lines[8..10],
        [
            "unhealthy\tWaitError\tunhealthy\t3\tprobe says no",
            "\ttrue"
        ],
        "{out}"
    );
    assert!(
        lines[10].ends_with("is unhealthy (last probe: exit status 3: probe says no)"),
        "{out}"
    );
    let lines: Vec<&str> = lines.iter().skip(3).copied().collect();
    assert!(
        lines[8].starts_with("bad\tInvalidArgument\twait.log: bad argument 'container'"),
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn retry_backs_off_and_keeps_the_last_error() {
    let out = ok(r#"
        local retry = require("docker.retry")
        local n, waits = 0, {}
        local v = retry.call(function(x) n = n + 1; if n < 3 then error("flaky") end; return x * 2 end,
          {delay = 0.05, factor = 3, on_retry = function(_, a, w) waits[a] = w end}, 21)
        print(v, n, waits[1], waits[2])
        print(table.concat(retry.delays{attempts = 5, delay = 1, factor = 2, max_delay = 3}, " "))
        -- A kind not in retry_on fails at once, with the engine's own error.
        local calls = 0
        local ok, err = pcall(retry.call, function() calls = calls + 1; docker.containers.get("no-such-container-xyz") end,
          {retry_on = {"ConnectionError"}, delay = 0})
        print(calls, err.kind, err.status)
        calls = 0
        local f = retry.wrap(function() calls = calls + 1; error("always") end, {attempts = 3, delay = 0})
        local ok, err = pcall(f)
        print(calls, err)
        local ok, err = pcall(retry.call, function() end, {attempts = 0})
        print(err.kind)"#);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "42\t3\t0.05\t0.15");
    assert_eq!(lines[1], "1 2 3 3");
    assert_eq!(lines[2], "1\tNotFound\t404");
    assert!(
        lines[3].starts_with("3\t") && lines[3].ends_with("always"),
        "{out}"
    );
    assert_eq!(lines[4], "InvalidArgument");
}

/// Users' folders serve their own modules, but never replace the embedded
/// `docker.*` ones: not through `--path`, `DOCKERLUA_PATH`, nor a
/// `docker/args.lua` planted in the current folder (`./?.lua` is on Lua's
/// default path).
#[test]
fn embedded_stdlib_wins_over_everything_on_the_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docker")).unwrap();
    for module in ["human", "args"] {
        std::fs::write(
            dir.path().join(format!("docker/{module}.lua")),
            "PLANTED = true; return { mine = true }",
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("teamlib.lua"), "return { team = 'ops' }").unwrap();
    let path = dir.path().to_str().unwrap();
    let code = "print(require('teamlib').team, require('docker.human').mine, \
                require('docker.args').mine, PLANTED, type(require('docker.human').size))";
    let want = "ops\tnil\tnil\tnil\tfunction\n";
    let out = assert_success(&run(dockerlua_cmd().args(["--path", path, "-e", code])));
    assert_eq!(out, want);
    let out = assert_success(&run(dockerlua_cmd()
        .env("DOCKERLUA_PATH", path)
        .args(["-e", code])));
    assert_eq!(out, want);
    let code = "print(require('docker.args').mine, PLANTED, type(require('docker.args').parse))";
    let out = assert_success(&run(dockerlua_cmd()
        .current_dir(dir.path())
        .args(["-e", code])));
    assert_eq!(out, "nil\tnil\tfunction\n");
}

/// Every member of the live `docker` module, its objects and the stdlib
/// modules, as `Class.member`, must be in types/docker.lua.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn type_definitions_cover_the_live_module() {
    let t = Cleanup::new("types");
    let out = ok(&format!(
        r#"local function emit(class, t)
             for k in pairs(t) do print(class .. "." .. k) end
           end
           local function class_of(k, v)
             local mt = getmetatable(v)
             if type(mt) == "table" and rawget(mt, "__name") then return rawget(mt, "__name") end
             return "Docker" .. k:sub(1, 1):upper() .. k:sub(2)
           end
           emit("DockerClient", docker)
           for k, v in pairs(docker) do
             if type(v) == "table" then emit(class_of(k, v), v) end
           end
           local function members(class, obj)
             local mt = debug.getmetatable(obj)
             if mt.__members then
               for _, m in ipairs(mt.__members) do print(class .. "." .. m) end
             else
               emit(class, mt.__index)
             end
           end
           local c = docker.containers.create("alpine", "true", {{labels = {labels}}})
           members("Container", c)
           members("Image", docker.images.get("alpine"))
           local n = docker.networks.create("{net}", {{labels = {labels}}})
           members("Network", n)
           n:remove()
           local v = docker.volumes.create{{labels = {labels}}}
           members("Volume", v)
           v:remove()
           local task = docker.spawn(function() end)
           members("Task", task)
           task:join()
           -- Streams are userdata without a member list; `close` is declared
           -- on DockerStream (`exit_code`, nil but on exec streams, is checked below).
           local events = docker.events{{since = 1, ["until"] = 1}}
           if type(events.close) == "function" then print("DockerStream.close") end
           events:close()
           for _, name in ipairs{{"args", "cleanup", "errors", "format", "human", "retry", "wait"}} do
             emit("docker." .. name, require("docker." .. name))
           end"#,
        labels = t.lua_labels(),
        net = t.id
    ));
    let live: BTreeSet<String> = out.lines().map(str::to_owned).collect();
    assert!(
        live.contains("DockerClient.containers")
            && live.contains("Container.logs")
            && live.contains("DockerStream.close"),
        "{out}"
    );
    let mut defined = BTreeSet::new();
    for file in type_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("types")) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("---@meta"),
            "{} is not a LuaLS meta file",
            file.display()
        );
        defined.extend(common::defined_members(&text));
    }
    let mut missing: Vec<&String> = live.iter().filter(|m| !defined.contains(*m)).collect();
    let exit_code = "ExecStream.exit_code".to_owned();
    if !defined.contains(&exit_code) {
        missing.push(&exit_code);
    }
    assert!(missing.is_empty(), "missing from types/: {missing:?}");
    // ...and every one has a reference entry for the REPL's help.
    let reference = dockerlua::repl::help::Reference::embedded();
    let undocumented: Vec<&String> = live.iter().filter(|m| !reference.has(m)).collect();
    assert!(undocumented.is_empty(), "no help entry: {undocumented:?}");

    // The binary prints the same files.
    let printed = assert_success(&common::dockerlua(&["--print-types"]));
    assert!(printed.starts_with("-- types/docker.lua\n---@meta"));
    assert_eq!(common::defined_members(&printed), defined);
}

/// Every `.lua` file under `dir`.
fn type_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(type_files(&path));
        } else if path.extension().is_some_and(|e| e == "lua") {
            out.push(path);
        }
    }
    out.sort();
    out
}
