//! Hardening (issue 9): timeouts, bounded memory, checked arguments, hidden
//! passwords, the stdlib's edges.
//!
//! Faults a real engine cannot produce (an engine that stalls, floods, or
//! answers late on purpose) come from a fake engine: a tiny HTTP/1.1 server
//! on a unix socket in a temporary folder. Everything else runs on the real
//! engine (`#[ignore]`d: tools/test.sh runs those), or needs no engine at all
//! because the argument is refused before any request: those run against a
//! socket that does not exist, so a request would be a `ConnectionError`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake::{fake, Answer};
use common::{
    assert_success, describe, docker, dockerlua_at as against, offline, run, stderr_of, stdout_of,
    Cleanup,
};

/// Runs `code` offline; it must succeed; its stdout.
fn offline_lua(code: &str) -> String {
    assert_success(&run(offline().args(["-e", code])))
}

/// An inspect answer for a container named `x`.
fn container_json() -> String {
    r#"{"Id":"x","Name":"/x","State":{"Status":"running"},"Config":{"Tty":false}}"#.into()
}

// ---------------------------------------------------------------------------
// Timeouts (item 7)

#[test]
fn a_stalled_engine_times_out_naming_the_call() {
    let engine = fake(|_, path| match path {
        "/version" => Answer::Stall,
        // The head, part of the body, then nothing.
        "/info" => Answer::Pieces(vec![(Duration::ZERO, r#"{"ID": "#.into())]),
        _ => Answer::Json(404, r#"{"message":"no"}"#.into()),
    });
    // From DOCKERLUA_TIMEOUT...
    let started = Instant::now();
    let out = run(against(&engine.url)
        .env("DOCKERLUA_TIMEOUT", "1")
        .args(["-e", "docker.version()"]));
    let elapsed = started.elapsed();
    let err = stderr_of(&out);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        err.contains("Timeout") && err.contains("GET /version") && err.contains("1 s"),
        "{err}"
    );
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    // ... and from docker.connect's option, over the variable.
    let code = format!(
        "local d = docker.connect('{}', {{timeout = 0.5}})\n\
         local ok, e = pcall(d.version)\n\
         print(e.kind, e.message)",
        engine.url
    );
    let out = assert_success(&run(against(&engine.url)
        .env("DOCKERLUA_TIMEOUT", "1000")
        .args(["-e", &code])));
    assert!(out.starts_with("Timeout\tGET /version"), "{out}");
    assert!(out.contains("0.5 s"), "{out}");
    // An answer that stops half-way times out too.
    let out = run(against(&engine.url)
        .env("DOCKERLUA_TIMEOUT", "1")
        .args(["-e", "docker.info()"]));
    assert!(
        stderr_of(&out).contains("Timeout: GET /info: the engine sent nothing for 1 s"),
        "{}",
        describe(&out)
    );
}

#[test]
fn streams_and_stop_waits_outlast_the_client_timeout() {
    let engine = fake(|method, path| match (method, path) {
        // An event 2 s after the head: longer than the 1 s timeout.
        (_, "/events") => Answer::Pieces(vec![(
            Duration::from_secs(2),
            r#"{"Type":"container","Action":"start"}"#.to_owned() + "\n",
        )]),
        ("GET", "/containers/x/json") => Answer::Json(200, container_json()),
        // The engine waits for the stop timeout (2 s) before it answers.
        ("POST", "/containers/x/stop") => {
            Answer::After(Duration::from_millis(1500), 204, String::new())
        }
        _ => Answer::Json(404, r#"{"message":"no"}"#.into()),
    });
    let code = "for e in docker.events() do print(e.Action) break end\n\
                local c = docker.containers.get('x')\n\
                c:stop{timeout = 2}\n\
                print('stopped')";
    let out = run(against(&engine.url)
        .env("DOCKERLUA_TIMEOUT", "1")
        .args(["-e", code]));
    assert_eq!(stdout_of(&out), "start\nstopped\n", "{}", describe(&out));
}

#[test]
fn timeouts_are_checked() {
    let out = run(offline()
        .env("DOCKERLUA_TIMEOUT", "soon")
        .args(["-e", "docker.ping()"]));
    assert!(
        stderr_of(&out).contains("InvalidArgument: DOCKERLUA_TIMEOUT: seconds expected"),
        "{}",
        describe(&out)
    );
    let out = offline_lua(
        "for _, t in ipairs({-1, 0/0, 'x'}) do\n\
           local ok, e = pcall(docker.connect, 'unix:///x.sock', {timeout = t})\n\
           print(e.kind, e.message)\n\
         end\n\
         print(docker.connect('unix:///x.sock', {timeout = 0}) ~= nil)",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    for line in &lines[..3] {
        assert!(
            line.starts_with(
                "InvalidArgument\tconnect: bad option 'timeout' (non-negative seconds"
            ),
            "{out}"
        );
    }
    assert_eq!(lines[3], "true");
}

// ---------------------------------------------------------------------------
// Bounded memory (item 8)

/// Runs `code` against `url`; `code` prints one line and then reads stdin,
/// so that its peak memory can be read while it waits. Answers the line and
/// the peak resident size in MiB.
fn peak_memory(url: &str, code: &str) -> (String, u64) {
    let mut child = against(url)
        .args(["-e", code])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "dockerlua did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    (line, peak_kib / 1024)
}

#[test]
fn flooded_answers_are_capped_and_memory_stays_bounded() {
    let engine = fake(|_, path| match path {
        "/version" => Answer::Flood(200),
        _ => Answer::Flood(500),
    });
    let (line, peak) = peak_memory(
        &engine.url,
        "local ok, e = pcall(docker.version)\n\
         print(e.kind, e.message) io.stdout:flush() io.read()",
    );
    assert!(
        line.starts_with("APIError\tGET /version: the engine's answer is larger than 64 MiB"),
        "{line}"
    );
    println!("peak memory reading a flooded answer: {peak} MiB");
    assert!(peak < 150, "{peak} MiB");

    let (line, peak) = peak_memory(
        &engine.url,
        "local ok, e = pcall(docker.info)\n\
         print(e.kind, e.status, #e.message, e.message:sub(-50)) io.stdout:flush() io.read()",
    );
    let fields: Vec<&str> = line.trim_end().split('\t').collect();
    assert_eq!(fields[..2], ["APIError", "500"], "{line}");
    let length: usize = fields[2].parse().unwrap();
    assert!(length <= (1 << 20) + 100, "{length}");
    assert!(
        fields[3].ends_with("(the engine's error message was cut at 1 MiB)"),
        "{line}"
    );
    println!("peak memory reading a flooded error: {peak} MiB");
    assert!(peak < 50, "{peak} MiB");
}

// ---------------------------------------------------------------------------
// Huge inputs (item 9), panics (item 10), numbers (items 11, 12)

#[test]
fn huge_names_are_refused_with_an_excerpt() {
    let out = offline_lua(
        "local huge = string.rep('a', 10 * 1000 * 1000)\n\
         for _, call in ipairs({\n\
           function() return docker.containers.get(huge) end,\n\
           function() return docker.images.get(huge) end,\n\
           function() return docker.containers.run('alpine', 'true', {name = huge}) end,\n\
         }) do\n\
           local ok, e = pcall(call)\n\
           print(e.kind, #tostring(e), e.message:match('too long') ~= nil)\n\
         end",
    );
    for line in out.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields[0], "InvalidArgument", "{out}");
        assert!(fields[1].parse::<usize>().unwrap() < 300, "{out}");
        assert_eq!(fields[2], "true", "{out}");
    }
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn no_panic_from_huge_or_odd_seconds() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = probe.local_addr().unwrap().port();
    drop(probe);
    let code = format!(
        "local wait = require('docker.wait')\n\
         print(docker.net.probe('127.0.0.1', {closed}, 1e300))\n\
         local ok, e = pcall(wait.port, '127.0.0.1', {closed}, {{timeout = 0.2, probe_timeout = 1e300}})\n\
         print(e.kind)\n\
         for _, call in ipairs({{\n\
           function() docker.net.probe('127.0.0.1', {closed}, 0/0) end,\n\
           function() docker.sleep(0/0) end,\n\
           function() wait.poll(function() end, {{timeout = 0/0}}) end,\n\
           function() wait.port('127.0.0.1', {closed}, {{probe_timeout = 0/0}}) end,\n\
           function() require('docker.retry').call(function() end, {{delay = 0/0}}) end,\n\
         }}) do\n\
           local ok, e = pcall(call)\n\
           print(e.kind)\n\
         end"
    );
    let out = offline_lua(&code);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("false\t"), "{out}");
    assert_eq!(lines[1], "Timeout", "{out}");
    assert_eq!(lines[2..], ["InvalidArgument"; 5], "{out}");
}

#[test]
fn numbers_sizes_and_times_are_checked_before_any_request() {
    let out = offline_lua(
        "for _, call in ipairs({\n\
           function() docker.containers.run('alpine', 'true', {mem_limit = '17179869185g'}) end,\n\
           function() docker.containers.run('alpine', 'true', {mem_limit = '1q'}) end,\n\
           function() docker.containers.create('alpine', 'true', {stop_timeout = -1}) end,\n\
           function() docker.containers.create('alpine', 'true',\n\
             {restart_policy = {Name = 'on-failure', MaximumRetryCount = 'x'}}) end,\n\
           function() docker.events{since = 'garbage'} end,\n\
           function() docker.events{since = 0/0} end,\n\
           function() docker.events{['until'] = math.huge} end,\n\
           function() docker.events{['until'] = '2024-13-01T00:00:00Z'} end,\n\
         }) do\n\
           local ok, e = pcall(call)\n\
           print(e.kind, e.message)\n\
         end\n\
         -- Good times pass the checks (and then find no engine).\n\
         for _, since in ipairs({'10m', '2024-05-01T12:00:00Z', 1700000000, '1700000000.5'}) do\n\
           local ok, e = pcall(docker.events, {since = since})\n\
           print(e.kind)\n\
         end",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 12, "{out}");
    for line in &lines[..8] {
        assert!(line.starts_with("InvalidArgument\t"), "{out}");
    }
    assert!(lines[0].contains("too large"), "{out}");
    assert!(lines[3].contains("MaximumRetryCount"), "{out}");
    assert!(lines[4].contains("'garbage'"), "{out}");
    assert_eq!(lines[8..], ["ConnectionError"; 4], "{out}");
}

// ---------------------------------------------------------------------------
// Addresses (items 13, 21)

#[test]
fn bad_engine_addresses_are_named() {
    for (host, why) in [
        ("tcp://127.0.0.1:99999", "bad port '99999'"),
        ("tcp://localhost:notaport", "bad port 'notaport'"),
        ("tcp://[::1", "unclosed '['"),
    ] {
        let out = run(against(host).args(["-e", "docker.ping()"]));
        let err = stderr_of(&out);
        assert!(!out.status.success());
        assert!(
            err.contains("InvalidArgument: bad engine address") && err.contains(why),
            "{host}: {err}"
        );
    }
}

#[test]
fn passwords_in_engine_urls_are_hidden() {
    let out = run(against("tcp://user:s3cret@127.0.0.1:1").args([
        "-e",
        "print(tostring(docker))\n\
         print(tostring(docker.connect('tcp://me:pa55@127.0.0.1:1')))\n\
         print(select(2, pcall(docker.connect('tcp://me:pa55@127.0.0.1:1').ping)))\n\
         docker.ping()",
    ]));
    let all = format!("{}{}", stdout_of(&out), stderr_of(&out));
    assert!(!out.status.success());
    assert!(
        all.contains("<DockerClient tcp://user:xxxxx@127.0.0.1:1>"),
        "{all}"
    );
    assert!(
        all.contains("ConnectionError: cannot reach the engine at tcp://me:xxxxx@127.0.0.1:1"),
        "{all}"
    );
    assert!(
        all.contains("ConnectionError: cannot reach the engine at tcp://user:xxxxx@127.0.0.1:1"),
        "{all}"
    );
    assert!(!all.contains("s3cret") && !all.contains("pa55"), "{all}");
}

// ---------------------------------------------------------------------------
// Arguments (items 16, 17)

#[test]
fn empty_and_dot_names_say_what_is_wrong() {
    let out = offline_lua(
        "for _, call in ipairs({\n\
           function() docker.containers.get('') end,\n\
           function() docker.containers.get('..') end,\n\
           function() docker.containers.get('a/b') end,\n\
           function() docker.images.get('') end,\n\
           function() docker.images.get('a/../b') end,\n\
           function() docker.containers.run('') end,\n\
         }) do\n\
           local ok, e = pcall(call)\n\
           print(e.message)\n\
         end",
    );
    let want = [
        "containers.get: bad argument 'id_or_name' (empty string)",
        "containers.get: bad argument 'id_or_name' (not a name: '..')",
        "containers.get: bad argument 'id_or_name' (a container id or name has no '/': 'a/b')",
        "images.get: bad argument 'reference' (empty string)",
        "images.get: bad argument 'reference' (not a name: 'a/../b')",
        "containers.run: bad argument 'image' (empty string)",
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), want, "{out}");
}

#[test]
fn run_refuses_detach_with_remove() {
    let out = offline_lua(
        "local ok, e = pcall(docker.containers.run, 'alpine', 'true', {detach = true, remove = true})\n\
         print(e.kind, e.message)",
    );
    assert!(
        out.starts_with(
            "InvalidArgument\tcontainers.run: options 'detach' and 'remove' cannot be used together"
        ),
        "{out}"
    );
}

// ---------------------------------------------------------------------------
// Credentials (item 18)

#[test]
fn docker_hub_references_ask_for_the_index_key() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("asked");
    let helper = dir.path().join("docker-credential-probe");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\ncat >> '{}'\necho >> '{}'\necho 'credentials not found' >&2\nexit 1\n",
            log.display(),
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(dir.path().join("config.json"), r#"{"credsStore": "probe"}"#).unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = run(offline()
        .env("DOCKER_CONFIG", dir.path())
        .env("PATH", path)
        .args([
            "-e",
            "for _, ref in ipairs({'docker.io/me/app:1', 'index.docker.io/me/app:1', 'me/app:1', \
             'localhost:5000/me/app:1'}) do\n\
               local ok, e = pcall(docker.images.push, ref)\n\
               print(e.kind)\n\
             end",
        ]));
    assert_eq!(
        stdout_of(&out),
        "ConnectionError\n".repeat(4),
        "{}",
        describe(&out)
    );
    let asked = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        asked.lines().collect::<Vec<_>>(),
        [
            "https://index.docker.io/v1/",
            "https://index.docker.io/v1/",
            "https://index.docker.io/v1/",
            "localhost:5000",
        ],
        "{asked}"
    );
}

// ---------------------------------------------------------------------------
// The stdlib's edges (item 20)

#[test]
fn stdlib_edges_raise_clear_errors() {
    let out = offline_lua(
        r#"local errors = require("docker.errors")
        local human = require("docker.human")
        local format = require("docker.format")
        local mt = {__index = function() return 1 end}
        local t = setmetatable({}, mt)
        for _, call in ipairs({
          function() return errors.new() end,
          function() return docker.json.array(1) end,
          function() return docker.json.array(t) end,
          function() return format.containers({{Names = 5}}) end,
          function() return format.containers({{Names = {"/x"}, Id = {}}}) end,
          function() return format.images({{RepoTags = {"a:1"}, Created = "x"}}) end,
          function() return human.size(1, {precision = 1.5}) end,
          function() return human.duration(0/0) end,
          function() return human.duration(math.huge) end,
          function() return human.time("2024-13-01T00:00:00Z") end,
          function() return human.time("2023-02-29T00:00:00Z") end,
          function() return format.tabulate({{"a", "b"}}, {padding = 1e9}) end,
        }) do
          local ok, e = pcall(call)
          print(ok, errors.kind(e), errors.message(e))
        end
        print(getmetatable(t) == mt, tostring(errors.new("X", "y")))
        local e = errors.new("X", "y"); e.kind = nil
        print(tostring(e))"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 14, "{out}");
    for line in &lines[..12] {
        assert!(line.starts_with("false\tInvalidArgument\t"), "{out}");
        assert!(!line.contains(".lua:"), "a raw Lua error: {line}");
    }
    assert!(
        lines[1].contains("json.array: bad argument 't' (table expected, got number)"),
        "{out}"
    );
    assert!(
        lines[3].contains("format.containers: bad list item #1"),
        "{out}"
    );
    assert_eq!(lines[12], "true\tX: y", "{out}");
    assert_eq!(lines[13], "LuaError: y", "{out}");
}

// ---------------------------------------------------------------------------
// On the real engine

/// Followed logs of a container removed while they are read end after the
/// last line, without raising (item 14).
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn followed_logs_end_cleanly_when_the_container_is_removed() {
    let t = Cleanup::new("logsgone");
    let code = format!(
        "local c = docker.containers.run('alpine', {{'sh', '-c', 'echo one; echo two; sleep 60'}},\n\
           {{detach = true, labels = {labels}}})\n\
         local n = 0\n\
         for line in c:logs{{follow = true}} do\n\
           n = n + 1\n\
           print(line)\n\
           if n == 2 then docker.spawn(function() c:remove{{force = true}} end) end\n\
         end\n\
         print('ended')",
        labels = t.lua_labels()
    );
    let out = assert_success(&common::lua(&code));
    assert_eq!(out, "one\ntwo\nended\n");
}

/// Negative stop timeouts, NaN waits and garbage times are refused on the
/// objects too (item 12); good ones work.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn container_methods_check_numbers_and_times() {
    let t = Cleanup::new("numbers");
    let code = format!(
        "local c = docker.containers.run('alpine', {{'sh', '-c', 'echo hi; sleep 60'}},\n\
           {{detach = true, labels = {labels}}})\n\
         for _, call in ipairs({{\n\
           function() c:stop{{timeout = -1}} end,\n\
           function() c:restart{{timeout = 0.5}} end,\n\
           function() c:wait{{timeout = 0/0}} end,\n\
           function() c:logs{{since = 'garbage'}} end,\n\
           function() c:logs{{['until'] = 0/0}} end,\n\
         }}) do\n\
           local ok, e = pcall(call)\n\
           print(e.kind, e.message)\n\
         end\n\
         require('docker.wait').log(c, 'hi')\n\
         io.write(c:logs{{since = '10m'}})\n\
         c:stop{{timeout = 0}}\n\
         print(c.status)",
        labels = t.lua_labels()
    );
    let out = assert_success(&common::lua(&code));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 7, "{out}");
    for line in &lines[..5] {
        assert!(line.starts_with("InvalidArgument\t"), "{out}");
    }
    assert!(
        lines[0].contains("non-negative integer expected, got -1"),
        "{out}"
    );
    assert_eq!(lines[5..], ["hi", "exited"], "{out}");
}

/// `commit{conf = }` reaches the new image; `list{sparse = true}` is
/// accepted (item 16).
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn commit_conf_reaches_the_image() {
    let t = Cleanup::new("commitconf");
    let repo = t.image("committed");
    let code = format!(
        "local c = docker.containers.create('alpine', 'true', {{labels = {labels}}})\n\
         local img = c:commit{{repository = '{repo}', tag = 'v1',\n\
           conf = {{Env = {{'FROM_CONF=1'}}, Labels = {{conf = 'yes'}}}}}}\n\
         print(img.labels.conf)\n\
         for _, e in ipairs(img.attrs.Config.Env) do if e == 'FROM_CONF=1' then print(e) end end\n\
         local listed = docker.containers.list{{all = true, sparse = true,\n\
           filters = {{label = '{label}'}}}}\n\
         print(#listed, listed[1] == c)",
        labels = t.lua_labels(),
        label = t.label()
    );
    let out = assert_success(&common::lua(&code));
    assert_eq!(out, "yes\nFROM_CONF=1\n1\ttrue\n");
}

/// `==` between a Container or Image and any other userdata is false, not an
/// error (item 19).
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn objects_compare_false_with_other_userdata() {
    let t = Cleanup::new("eq");
    let code = format!(
        "local c = docker.containers.create('alpine', 'true', {{labels = {labels}}})\n\
         local img = docker.images.get('alpine')\n\
         print(c == img, img == c, c == io.stdout, img == io.stdout,\n\
           c == docker.containers.get(c.id), img == docker.images.get(img.id))",
        labels = t.lua_labels()
    );
    let out = assert_success(&common::lua(&code));
    assert_eq!(out, "false\tfalse\tfalse\tfalse\ttrue\ttrue\n");
}

/// A failed run of a huge command gives a one-line error of a sane size
/// (item 9); a huge value in a query is refused, quoted short.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn huge_commands_and_values_give_short_errors() {
    let t = Cleanup::new("hugecmd");
    let code = format!(
        "local huge = string.rep('x', 100 * 1000)\n\
         local ok, e = pcall(docker.containers.run, 'alpine', {{'sh', '-c', 'exit 3', huge}},\n\
           {{labels = {labels}}})\n\
         print(e.kind, e.exit_status, #e.command, #tostring(e))\n\
         ok, e = pcall(docker.images.list, {{name = string.rep('y', 10 * 1000 * 1000)}})\n\
         print(e.kind, #tostring(e), e.message:match('too long') ~= nil)",
        labels = t.lua_labels()
    );
    let out = assert_success(&common::lua(&code));
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines[0][..2], ["ContainerError", "3"], "{out}");
    assert!(lines[0][2].parse::<usize>().unwrap() > 100_000, "{out}");
    assert!(lines[0][3].parse::<usize>().unwrap() < 1000, "{out}");
    assert_eq!(lines[1][0], "InvalidArgument", "{out}");
    assert!(lines[1][1].parse::<usize>().unwrap() < 300, "{out}");
    assert_eq!(lines[1][2], "true", "{out}");
}

/// A TLS engine that accepts and never finishes the handshake fails with a
/// Timeout, even for a stream, which the client timeout does not cover.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_stalled_tls_handshake_times_out() {
    let certs = std::env::var("DOCKERLUA_TEST_TLS_CERTS").expect("tools/test.sh sets it");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        // Accept, and say nothing.
        let held: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(60));
        drop(held);
    });
    let code = format!(
        // A pinned version: no `/_ping` (which the client timeout covers)
        // comes before the stream, so only the handshake's own limit can end it.
        "local d = docker.connect('tcp://127.0.0.1:{port}', {{timeout = 1, version = '1.41',\n\
           tls = {{ca = '{certs}/ca.pem', cert = '{certs}/cert.pem', key = '{certs}/key.pem'}}}})\n\
         local ok, e = pcall(d.events)\n\
         print(e.kind, e.message)"
    );
    let started = Instant::now();
    let out = assert_success(&common::lua(&code));
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(
        out.starts_with(
            "Timeout\tevents: connecting (with the TLS handshake) to the engine at tcp://127.0.0.1:"
        ),
        "{out}"
    );
}

// ---------------------------------------------------------------------------
// Bounded memory on large answers (issue 20, item 4)

/// A JSON array of `n` empty objects.
fn empty_objects(n: usize) -> String {
    let mut body = String::with_capacity(3 * n + 2);
    body.push('[');
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        body.push_str("{}");
    }
    body.push(']');
    body
}

#[test]
fn answers_of_too_many_values_are_refused_with_memory_bounded() {
    // 40 MiB of `{}`: 14 million values, under the byte cap.
    let huge = Arc::new(empty_objects(14 << 20));
    let engine = fake(move |_, path| match path {
        "/containers/json" => Answer::Json(200, huge.to_string()),
        _ => Answer::Json(404, r#"{"message":"no"}"#.into()),
    });
    let (line, peak) = peak_memory(
        &engine.url,
        "local ok, e = pcall(docker.containers.list)\n\
         print(e.kind, e.message) io.stdout:flush() io.read()",
    );
    assert!(
        line.starts_with(
            "APIError\tcontainers.list: GET /containers/json: \
             the engine's answer holds more than 1048576 json values"
        ),
        "{line}"
    );
    println!("peak memory refusing 14 million values: {peak} MiB");
    assert!(peak < 200, "{peak} MiB");

    // Just under the budget: converted, within a stated bound.
    let most = Arc::new(empty_objects((1 << 20) - 1));
    let engine = fake(move |_, path| match path {
        "/containers/json" => Answer::Json(200, most.to_string()),
        _ => Answer::Json(404, r#"{"message":"no"}"#.into()),
    });
    let (line, peak) = peak_memory(
        &engine.url,
        "print(#docker.containers.list()) io.stdout:flush() io.read()",
    );
    assert_eq!(line.trim(), ((1 << 20) - 1).to_string());
    println!("peak memory converting a million values: {peak} MiB");
    assert!(peak < 400, "{peak} MiB");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn collected_output_over_the_cap_is_refused_and_points_to_streams() {
    let t = Cleanup::new("outcap");
    // 200 KB of output; the cap is set to 100,000 bytes for the test.
    let code = format!(
        "local c = docker.containers.run('alpine', {{'sh', '-c', \
           'head -c 200000 /dev/zero | tr \"\\\\0\" x; echo; echo done >&2'}}, \
           {{detach = true, labels = {labels}}})\n\
         c:wait()\n\
         local ok, e = pcall(c.logs, c)\n\
         print(e.kind, e.message)\n\
         local n = 0\n\
         for line in c:logs{{stream = true}} do n = n + #line end\n\
         print('streamed', n)\n\
         print(#c:logs{{stdout = false}})\n\
         ok, e = pcall(docker.containers.run, 'alpine', {{'head', '-c', '150000', '/dev/zero'}}, \
           {{labels = {labels}}})\n\
         print(e.kind, e.message)",
        labels = t.lua_labels()
    );
    let out = assert_success(&run(common::dockerlua_cmd()
        .env("DOCKERLUA_MAX_OUTPUT", "100000")
        .args(["-e", &code])));
    let lines: Vec<&str> = out.lines().collect();
    let refused = "APIError\tContainer:logs: the output is larger than 100000 bytes \
                   (DOCKERLUA_MAX_OUTPUT): read it as it comes with `stream = true`, \
                   or write it to a file";
    assert_eq!(lines[0], refused, "{out}");
    assert_eq!(lines[1], "streamed\t200004", "{out}");
    // What is under the cap is read whole.
    assert_eq!(lines[2], "5", "{out}");
    assert!(
        lines[3].starts_with("APIError\tcontainers.run: the output is larger than 100000 bytes"),
        "{out}"
    );

    let code = format!(
        "docker.containers.run('alpine', 'true', {{labels = {}}})",
        t.lua_labels()
    );
    let bad = run(common::dockerlua_cmd()
        .env("DOCKERLUA_MAX_OUTPUT", "lots")
        .args(["-e", &code]));
    assert!(
        stderr_of(&bad).contains("DOCKERLUA_MAX_OUTPUT: a count of bytes expected, got 'lots'"),
        "{}",
        describe(&bad)
    );
}

// ---------------------------------------------------------------------------
// Error messages (issue 20, item 8)

#[test]
fn error_messages_are_one_short_line_whatever_they_quote() {
    // Arguments of 10 MB, refused before any request.
    let out = offline_lua(
        "local huge = string.rep('x', 10000000)\n\
         for _, f in ipairs{\n\
           function() docker.containers.create('alpine', {mem_limit = huge}) end,\n\
           function() docker.containers.create('alpine', {shm_size = huge}) end,\n\
           function() docker.connect(huge) end,\n\
           function() docker.context(huge) end,\n\
           function() docker.api{path = huge} end,\n\
           function() docker.api{path = '/x\\n\\27[31m\\7'} end,\n\
         } do\n\
           local ok, e = pcall(f)\n\
           local line = tostring(e)\n\
           print(e.kind, #line < 1000 and #e.message < 1000, line:find('[%c]') == nil)\n\
         end",
    );
    for line in out.lines() {
        assert_eq!(line, "InvalidArgument\ttrue\ttrue", "{out}");
    }
    assert_eq!(out.lines().count(), 6, "{out}");

    // 10,000 failures in a parallel call: a summary, all of them in `errors`.
    let out = offline_lua(
        "local items = {} for i = 1, 10000 do items[i] = i end\n\
         local ok, e = pcall(docker.parallel, items, function(i) error({kind = 'X', n = i}) end)\n\
         local n = 0 for _ in pairs(e.errors) do n = n + 1 end\n\
         print(e.kind, #tostring(e) < 1000, n)\n\
         print(e.message:match('^10000 of 10000 calls failed: #1: .*; and 9997 more %(in err.errors%)$') ~= nil)",
    );
    assert_eq!(out, "ParallelError\ttrue\t10000\ntrue\n");
}

#[test]
fn engine_messages_lose_their_control_characters() {
    let engine = fake(|_, path| match path {
        "/containers/x/json" => Answer::Json(
            404,
            r#"{"message":"No such container: x\nsecond line\u001b[31m red\u0007\n"}"#.into(),
        ),
        _ => Answer::Json(404, r#"{"message":"no"}"#.into()),
    });
    let out = assert_success(&run(against(&engine.url).args([
        "-e",
        "local ok, e = pcall(docker.containers.get, 'x') print(tostring(e)) print(e.message)",
    ])));
    assert_eq!(
        out,
        "NotFound (404): No such container: x\\nsecond line\\x1b[31m red\\x07\n\
         No such container: x\\nsecond line\\x1b[31m red\\x07\n"
    );
}

// ---------------------------------------------------------------------------
// Typed errors (issue 20, items 9 and 11; issue 23)

#[test]
fn stdlib_and_small_functions_raise_typed_errors() {
    let out = offline_lua(
        "local function show(f, ...)\n\
           local ok, e = pcall(f, ...) print(type(e) == 'string' and 'string' or e.kind, tostring(e))\n\
         end\n\
         show(require('docker.errors').invalid, nil)\n\
         show(docker.isatty, '\\xff')\n\
         show(docker.json.array, {x = 1})\n\
         show(require('docker.retry').call, function() error('mine', 0) end, {attempts = 1})",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "InvalidArgument\tInvalidArgument: errors.invalid: bad argument 'fn' \
         (string expected, got nil)",
        "{out}"
    );
    assert!(
        lines[1].starts_with("InvalidArgument\tInvalidArgument: isatty: bad argument 'file'"),
        "{out}"
    );
    assert_eq!(
        lines[2],
        "InvalidArgument\tInvalidArgument: json.array: bad argument 't' \
         (a sequence 1..n expected, has key 'x')",
        "{out}"
    );
    // What the caller's own function raises passes as it is.
    assert_eq!(lines[3], "string\tmine", "{out}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn methods_called_with_a_dot_say_so() {
    let t = Cleanup::new("dot");
    let code = format!(
        "local c = docker.containers.create('alpine', {{labels = {}}})\n\
         local function show(f, ...) local ok, e = pcall(f, ...) print(e.kind, tostring(e)) end\n\
         show(c.restart, {{timeout = 1}})\n\
         show(c.stop)\n\
         show(c.remove, docker.images.get('alpine'))\n\
         c.restart{{timeout = 1}}",
        t.lua_labels()
    );
    let out = run(common::dockerlua_cmd().args(["-e", &code]));
    assert_eq!(
        stdout_of(&out),
        "InvalidArgument\tInvalidArgument: Container:restart called with '.'; write c:restart{...}\n\
         InvalidArgument\tInvalidArgument: Container:stop called with '.'; write c:stop{...}\n\
         InvalidArgument\tInvalidArgument: Container:remove called on another kind of object; \
         write c:remove(...)\n",
        "{}",
        describe(&out)
    );
    let stderr = stderr_of(&out);
    assert!(
        stderr.starts_with(
            "dockerlua: InvalidArgument: Container:restart called with '.'; write c:restart{...}\n"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("get_future"), "{stderr}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_burst_of_calls_keeps_few_idle_connections() {
    let out = assert_success(&run(common::dockerlua_cmd().args([
        "-e",
        "local function sockets()\n\
           local f = assert(io.open('/proc/self/stat')) local pid = f:read('n') f:close()\n\
           local p = io.popen('find /proc/' .. pid .. '/fd -lname \"socket:*\" | wc -l')\n\
           local n = p:read('n') p:close() return n\n\
         end\n\
         docker.version() local before = sockets()\n\
         local tasks = {}\n\
         for i = 1, 400 do tasks[i] = docker.spawn(function() return docker.version().ApiVersion end) end\n\
         for _, t in ipairs(tasks) do t:join() end\n\
         -- Connections beyond the pool close as their tasks end: wait for it.\n\
         local deadline = docker.clock() + 10\n\
         while sockets() > before + 16 and docker.clock() < deadline do docker.sleep(0.05) end\n\
         print(sockets() - before)",
    ])));
    let open: usize = out.trim().parse().unwrap();
    // The one connection open before, and at most 16 idle ones.
    assert!(open <= 16, "{open} more sockets open after the burst");

    let bad = run(common::dockerlua_cmd()
        .env("DOCKER_API_VERSION", "abc")
        .args(["-e", "docker.version()"]));
    assert!(
        stderr_of(&bad).contains("InvalidArgument: bad API version 'abc'"),
        "{}",
        describe(&bad)
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn put_archive_from_a_folder_is_refused() {
    let t = Cleanup::new("putdir");
    let dir = tempfile::tempdir().unwrap();
    let code = format!(
        "local c = docker.containers.create('alpine', {{labels = {}}})\n\
         local ok, e = pcall(c.put_archive, c, '/tmp', {{from = '{}'}})\n\
         print(e.kind, e.message)",
        t.lua_labels(),
        dir.path().display()
    );
    let out = assert_success(&run(common::dockerlua_cmd().args(["-e", &code])));
    assert_eq!(
        out,
        format!(
            "InvalidArgument\tContainer:put_archive: '{}' is a folder: a file expected \
             (a tar file for put_archive)\n",
            dir.path().display()
        )
    );
}

/// Attaching to a container that does not run is refused at once, naming
/// the call and the container, as `docker attach` refuses it (the engine
/// holds such an attach until the container runs: the call hung); a running
/// container is still attached.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn attaching_to_a_container_that_does_not_run_is_refused() {
    let t = Cleanup::new("attachstop");
    let created = t.container("created");
    let exited = t.container("exited");
    let paused = t.container("paused");
    let label = t.label();
    docker(&[
        "create", "--name", &created, "--label", &label, "alpine", "true",
    ]);
    docker(&[
        "run", "--name", &exited, "--label", &label, "alpine", "true",
    ]);
    common::sleeper(&t, &paused);
    docker(&["pause", &paused]);
    let code = format!(
        r#"for _, name in ipairs{{"{created}", "{exited}", "{paused}"}} do
             local c = docker.containers.get(name)
             for _, opts in ipairs{{ {{}}, {{stream = true}}, {{stdin = true}}, {{logs = true}} }} do
               local ok, e = pcall(c.attach, c, opts)
               print(ok, e.kind, e.message)
             end
           end
           local c = docker.containers.run("alpine", {{"sh", "-c", "read x; echo got-$x"}},
             {{detach = true, stdin_open = true, labels = {labels}}})
           local s = c:attach{{stdin = true}}
           s:write("one\n")
           for line in s do print(line) end
           print("exit", s.exit_code)"#,
        labels = t.lua_labels()
    );
    let mut attach = common::fault::Follower::start(common::dockerlua_cmd().args(["-e", &code]));
    let status = attach.wait(Duration::from_secs(60));
    assert!(status.success(), "{}", attach.stderr());
    let lines = attach.lines();
    let refused = |name: &str, status: &str, why: &str| {
        format!(
            "false\tConflict\tContainer:attach: container '{name}' is {status}: \
             cannot attach to a {why}"
        )
    };
    let mut expected = Vec::new();
    for (name, status, why) in [
        (&created, "created", "stopped container, start it first"),
        (&exited, "exited", "stopped container, start it first"),
        (&paused, "paused", "paused container, unpause it first"),
    ] {
        expected.extend(std::iter::repeat_n(refused(name, status, why), 4));
    }
    expected.extend(["got-one".to_owned(), "exit\t0".to_owned()]);
    assert_eq!(lines, expected);
    docker(&["unpause", &paused]);
}

/// A request too long for a URI (10,000 names in a filter, a huge path) is
/// refused before anything is sent, naming the function, the call and the
/// part that is too long, quoted short (issue 20, item 11).
#[test]
fn too_long_requests_name_the_function_and_the_argument() {
    let code = "local names = {}\n\
                for i = 1, 10000 do names[i] = 'name-' .. i end\n\
                for _, f in ipairs{\n\
                  function() return docker.containers.list{filters = {name = names}} end,\n\
                  function() return docker.images.prune{filters = {label = names}} end,\n\
                  function() return docker.events{filters = {container = names}} end,\n\
                  function() return docker.api{path = '/containers/' .. string.rep('x', 70000) .. '/json'} end,\n\
                } do\n\
                  local ok, e = pcall(f)\n\
                  print(e.kind, #tostring(e), e.message)\n\
                end";
    let out = assert_success(&run(offline()
        .env("DOCKER_API_VERSION", "1.41")
        .args(["-e", code])));
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 4, "{out}");
    for (line, (function, call, part)) in lines.iter().zip([
        (
            "containers.list: ",
            "GET /containers/json",
            r#"its 'filters' is 118904 bytes ('{"name":["name-1","name-2","#,
        ),
        (
            "images.prune: ",
            "POST /images/prune",
            r#"its 'filters' is 118905 bytes ('{"label":["name-1","name-2","#,
        ),
        (
            "events: ",
            "GET /events",
            r#"its 'filters' is 118909 bytes ('{"container":["name-1","name-2""#,
        ),
        (
            "",
            "GET /containers/xxxx",
            "its path is 70017 bytes ('/containers/xxx",
        ),
    ]) {
        assert_eq!(line[0], "InvalidArgument", "{out}");
        assert!(line[1].parse::<usize>().unwrap() < 400, "{out}");
        assert!(
            line[2].starts_with(&format!("{function}{call}")),
            "{function}{call}: {out}"
        );
        assert!(line[2].contains(": too long a request ("), "{out}");
        assert!(line[2].contains(part), "{part}: {out}");
    }
    // Under --dry-run too, before any dry-run line could echo the value.
    let out = run(offline().env("DOCKER_API_VERSION", "1.41").args([
        "--dry-run",
        "-e",
        "local ok, e = pcall(docker.images.remove, string.rep('x', 10 * 1000 * 1000))\n\
             print(e.kind, e.message)",
    ]));
    let stdout = assert_success(&out);
    assert!(
        stdout.starts_with("InvalidArgument\tDELETE /images/xxxxxxxx"),
        "{stdout}"
    );
    assert!(stdout.contains(": too long a request ("), "{stdout}");
    assert!(stdout.len() < 400, "{stdout}");
    assert_eq!(stderr_of(&out), "");
}

/// A connection that breaks while an answer is read (the engine killed
/// mid-answer: a fake engine, since a real one cannot be cut on demand at a
/// given byte) is a ConnectionError naming the call and the engine, for
/// answers read whole and for streams (issue 20, item 11).
#[test]
fn a_connection_broken_mid_answer_names_the_call() {
    let engine = fake(|_, path| match path {
        "/containers/x/json" => Answer::Json(200, container_json()),
        "/containers/json" => Answer::Short(r#"[{"Id":"#.into()),
        "/info" => Answer::Cut(vec![r#"{"ID": "#.into()]),
        // One stdout frame ("hi\n"), then the cut.
        "/containers/x/logs" => Answer::Cut(vec!["\u{1}\0\0\0\0\0\0\u{3}hi\n".into()]),
        "/events" => Answer::Cut(vec![
            r#"{"Type":"container","Action":"start"}"#.to_owned() + "\n",
        ]),
        _ => Answer::Json(404, r#"{"message":"no"}"#.into()),
    });
    let code = "local c = docker.containers.get('x')\n\
                for _, f in ipairs{\n\
                  function() return docker.containers.list() end,\n\
                  function() return docker.info() end,\n\
                  function() return c:logs() end,\n\
                  function() for line in c:logs{stream = true, follow = true} do print(line) end end,\n\
                  function() for e in docker.events() do print(e.Action) end end,\n\
                } do\n\
                  local ok, e = pcall(f)\n\
                  print(e.kind, e.message)\n\
                end";
    let out = assert_success(&run(against(&engine.url).args(["-e", code])));
    let lines: Vec<&str> = out.lines().collect();
    let broken = |call: &str| {
        format!(
            "ConnectionError\t{call}: reading the answer from the engine at {}: \
             error reading a body from connection",
            engine.url
        )
    };
    let expected = [
        broken("containers.list: GET /containers/json"),
        broken("GET /info"),
        broken("Container:logs: GET /containers/x/logs"),
        "hi".to_owned(),
        broken("GET /containers/x/logs"),
        "start".to_owned(),
        broken("GET /events"),
    ];
    assert_eq!(lines.len(), expected.len(), "{out}");
    for (line, expected) in lines.iter().zip(&expected) {
        assert!(line.starts_with(expected.as_str()), "{expected}\n{out}");
    }
}

/// An engine killed (SIGKILL) while a script follows logs and events: both
/// end with a ConnectionError naming their call, at once.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_engine_killed_mid_stream_names_the_call() {
    let engine = common::OwnEngine::start("dl-killed-", Some(&common::registry()));
    let docker_at = |args: &[&str]| {
        let out = run(common::docker_cmd()
            .env("DOCKER_HOST", &engine.host)
            .args(args));
        assert!(out.status.success(), "docker {args:?}: {}", describe(&out));
    };
    docker_at(&[
        "run",
        "-d",
        "--name",
        "talker",
        "alpine",
        "sh",
        "-c",
        "while true; do echo tick; sleep 0.1; done",
    ]);
    let follow = |code: &str| {
        let code = format!(
            "io.stdout:setvbuf('line')\n\
             local ok, e = pcall(function() {code} end)\n\
             print(e.kind) print(e.message)"
        );
        common::fault::Follower::start(against(&engine.host).args(["-e", &code]))
    };
    let mut logs = follow(
        "for line in docker.containers.get('talker'):logs{stream = true, follow = true} do \
           print(line) end",
    );
    let mut events = follow("local s = docker.events() print('ready') for e in s do end");
    logs.wait_for("tick", Duration::from_secs(60));
    events.wait_for("ready", Duration::from_secs(60));
    let pid = std::fs::read_to_string(engine.dir.path().join("docker.pid")).unwrap();
    let pid: i32 = pid.trim().parse().unwrap();
    // SAFETY: kill(2) on the test's own engine, by its pid file.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    // Logs are asked for by the container's id, which `get` found.
    for (follower, call) in [(&mut logs, "/logs"), (&mut events, "GET /events")] {
        follower.wait(Duration::from_secs(30));
        let lines = follower.lines();
        let n = lines.len();
        assert!(n >= 2, "{lines:?}");
        assert_eq!(lines[n - 2], "ConnectionError", "{lines:?}");
        let expected = format!(
            "{call}: reading the answer from the engine at {}: \
             error reading a body from connection",
            engine.host
        );
        assert!(lines[n - 1].starts_with("GET /"), "{lines:?}");
        assert!(lines[n - 1].contains(&expected), "{expected}\n{lines:?}");
    }
}
