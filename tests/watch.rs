//! Long-running automation against the real engine: `docker.events` that
//! reconnects (engine restart, cut and stalled connections), `docker.watch`,
//! followed logs across a restart, signals during a handler, and the
//! scripts built on them. A [`FaultProxy`] stands between client and engine
//! only for the faults a real engine cannot make.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{
    assert_success, docker, dockerlua_cmd, host, Cleanup, FaultProxy, Follower, OwnEngine,
};

const LONG: Duration = Duration::from_secs(90);

/// The engine's socket path (`DOCKER_HOST` without `unix://`).
fn engine_socket(host: &str) -> String {
    host.strip_prefix("unix://")
        .expect("a unix engine")
        .to_owned()
}

/// Prints each event of `filters` as `Type Action name` and our notices as
/// their action, after a first line `ready`.
fn printer(filters: &str, extra: &str) -> String {
    format!(
        r#"local s = docker.events{{reconnect = true, filters = {filters}{extra}}}
print("ready")
for e in s do
  if e.Type == "dockerlua" then print(e.Action)
  else print(e.Type .. " " .. e.Action .. " " .. tostring(e.Actor.Attributes.name)) end
end"#
    )
}

fn follower(host: &str, code: &str) -> Follower {
    let mut cmd = dockerlua_cmd();
    cmd.env("DOCKER_HOST", host).args(["-e", code]);
    Follower::start(&mut cmd)
}

/// A `docker` command for the engine at `host`.
fn docker_at(host: &str, args: &[&str]) -> String {
    let out = common::run(Command::new("docker").env("DOCKER_HOST", host).args(args));
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        common::describe(&out)
    );
    common::stdout_of(&out)
}

/// Lines of the follower that are container events of the names given.
fn assert_once(f: &Follower, lines: &[String]) {
    for line in lines {
        assert_eq!(f.count(line), 1, "{line:?} once; lines: {:?}", f.lines());
    }
}

fn lifecycle(name: &str) -> Vec<String> {
    ["create", "start", "die"]
        .iter()
        .map(|a| format!("container {a} {name}"))
        .collect()
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn events_survive_an_engine_restart_each_event_exactly_once() {
    let _ = host();
    let engine = OwnEngine::start("dl-watch-", None);
    let proxy = FaultProxy::new(&engine_socket(&engine.host));
    let label = "dockerlua.test=restart";
    let mut f = follower(
        &proxy.host(),
        &printer(&format!("{{label = '{label}'}}"), ""),
    );
    f.wait_for("ready", LONG);
    let mut before = Vec::new();
    for name in ["a1", "a2", "a3"] {
        docker_at(
            &engine.host,
            &[
                "run", "-d", "--label", label, "--name", name, "busybox", "true",
            ],
        );
        before.extend(lifecycle(name));
    }
    f.wait_for("container die a3", LONG);
    // The client cannot come back until the container below has run.
    proxy.refuse();
    engine.restart();
    docker_at(
        &engine.host,
        &[
            "run", "-d", "--label", label, "--name", "b1", "busybox", "true",
        ],
    );
    docker_at(&engine.host, &["wait", "b1"]);
    proxy.heal();
    f.wait_for("container die b1", LONG);
    assert_once(&f, &before);
    assert_once(&f, &lifecycle("b1"));
    assert_eq!(f.count("reconnect"), 1, "{:?}", f.lines());
    let lines = f.lines();
    let at = |l: &str| lines.iter().position(|x| x == l).unwrap();
    assert!(at("reconnect") < at("container create b1"), "{lines:?}");
    assert!(at("container die a3") < at("reconnect"), "{lines:?}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn events_recover_from_a_cut_and_from_a_stall() {
    let t = Cleanup::new("cut");
    let proxy = FaultProxy::new(&engine_socket(&host()));
    let filters = format!("{{label = '{}'}}", t.label());
    let mut f = follower(&proxy.host(), &printer(&filters, ", stall = 1"));
    f.wait_for("ready", LONG);
    let run = |name: &str| {
        docker(&[
            "run",
            "-d",
            "--label",
            &t.label(),
            "--name",
            &t.container(name),
            "busybox",
            "true",
        ]);
        lifecycle(&format!("{}-{name}", t.id))
    };
    let c1 = run("c1");
    f.wait_for(&c1[2], LONG);

    proxy.cut();
    let c2 = run("c2");
    f.wait_for(&c2[2], LONG);
    f.wait_for("reconnect", LONG);

    // A stall closes nothing: only the quiet stream and an unanswered
    // /_ping tell it.
    let accepted = proxy.accepted();
    proxy.stall();
    let c3 = run("c3");
    common::eventually("a connection after the stall", LONG, || {
        proxy.accepted() > accepted
    });
    proxy.heal();
    f.wait_for(&c3[2], LONG);
    for line in c1.iter().chain(&c2).chain(&c3) {
        assert_eq!(f.count(line), 1, "{line:?} once; lines: {:?}", f.lines());
    }
    assert_eq!(f.count("reconnect"), 2, "{:?}", f.lines());
    assert!(f.stderr().is_empty(), "{}", f.stderr());
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn without_reconnect_a_cut_stream_ends_with_a_connection_error() {
    let t = Cleanup::new("nocut");
    let proxy = FaultProxy::new(&engine_socket(&host()));
    let code = format!(
        r#"local s = docker.events{{filters = {{label = '{}'}}}}
print("ready")
local ok, e = pcall(function() for ev in s do print(ev.Action) end end)
print(ok, e.kind)"#,
        t.label()
    );
    let mut f = follower(&proxy.host(), &code);
    f.wait_for("ready", LONG);
    proxy.cut();
    f.wait_for("false\tConnectionError", LONG);
    assert!(f.wait(LONG).success(), "{}", f.stderr());
}

/// A script that lists what `docker.watch` hands its function, one line per
/// call: `call REASON name,name,...` (sorted), and stops at `stop`.
fn watcher(t: &Cleanup, opts: &str, body: &str) -> String {
    format!(
        r#"local n = 0
docker.watch({{all = true, filters = {{label = '{label}'}}{opts}}}, function(cs, why)
  n = n + 1
  local names = {{}}
  for _, c in ipairs(cs) do names[#names + 1] = c.name .. "=" .. c.status end
  table.sort(names)
  print("call " .. why.reason .. " " .. table.concat(names, ","))
  {body}
end)
print("returned")"#,
        label = t.label()
    )
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn watch_lists_at_start_after_debounced_events_and_on_resync_until_false() {
    let t = Cleanup::new("watch");
    let name = t.container("w1");
    docker(&[
        "create",
        "--label",
        &t.label(),
        "--name",
        &name,
        "busybox",
        "sleep",
        "60",
    ]);
    let body =
        "if n == 1 then print('ready') end\n  if why.reason == 'resync' then return false end";
    let mut f = follower(&host(), &watcher(&t, ", debounce = 1.5, resync = 5", body));
    f.wait_for(&format!("call start {name}=created"), LONG);
    // Start, then kill at once: several events, one call after the quiet time.
    let burst = format!("local c = docker.containers.get('{name}') c:start() c:kill()");
    assert_success(&common::lua(&burst));
    f.wait_for(&format!("call events {name}=exited"), LONG);
    f.wait_for("returned", LONG);
    let lines = f.lines();
    let calls: Vec<&String> = lines.iter().filter(|l| l.starts_with("call ")).collect();
    // start (created), events (exited), then the resync that returns false.
    assert_eq!(calls.len(), 3, "{lines:?}");
    assert!(calls[2].starts_with("call resync "), "{lines:?}");
    assert!(f.wait(LONG).success(), "{}", f.stderr());
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn watch_reports_errors_and_goes_on_unless_stop_on_error() {
    let t = Cleanup::new("watcherr");
    let body = "if n == 1 then error('boom ' .. n) end\n  if n == 2 then return false end";
    let mut f = follower(&host(), &watcher(&t, ", resync = 0.2", body));
    f.wait_for("returned", LONG);
    assert!(f.wait(LONG).success(), "{}", f.stderr());
    assert!(f.stderr().contains("boom 1"), "{}", f.stderr());
    assert_eq!(
        f.lines().iter().filter(|l| l.starts_with("call")).count(),
        2
    );

    let body = "error('stop here')";
    let mut f = follower(
        &host(),
        &watcher(&t, ", resync = 0.2, stop_on_error = true", body),
    );
    let status = f.wait(LONG);
    assert_eq!(status.code(), Some(1), "{}", f.stderr());
    assert!(f.stderr().contains("stop here"), "{}", f.stderr());
    assert!(!f.lines().contains(&"returned".to_owned()));
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn watch_calls_again_after_a_reconnect() {
    let t = Cleanup::new("watchre");
    let proxy = FaultProxy::new(&engine_socket(&host()));
    let body = "if why.reason == 'reconnect' then return false end";
    let mut f = follower(&proxy.host(), &watcher(&t, "", body));
    f.wait_for("call start ", LONG);
    proxy.cut();
    f.wait_for("call reconnect ", LONG);
    f.wait_for("returned", LONG);
    assert!(f.wait(LONG).success(), "{}", f.stderr());
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn sigterm_during_a_handler_cancels_its_call_and_exits_143() {
    let t = Cleanup::new("term");
    let name = t.container("victim");
    // The handler's call runs a container that would live 10 minutes.
    let body = format!(
        "print('handling') io.stdout:flush()\n  docker.containers.run('busybox', {{'sleep', '600'}}, \
         {{name = '{name}', labels = {labels}}})",
        labels = t.lua_labels()
    );
    let mut f = follower(&host(), &watcher(&t, "", &body));
    f.wait_for("handling", LONG);
    common::eventually("the handler's container runs", LONG, || {
        docker(&["ps", "-q", "--filter", &format!("name={name}")]).trim() != ""
    });
    f.signal(libc::SIGTERM);
    let status = f.wait(LONG);
    assert_eq!(status.code(), Some(143), "{}", f.stderr());
    assert!(f.stderr().contains("terminated"), "{}", f.stderr());
    // The run was cancelled as a run is: its container is killed.
    common::eventually("the cancelled run's container stops", LONG, || {
        docker(&["ps", "-q", "--filter", &format!("name={name}")]).trim() == ""
    });

    // Between events, idle in the loop: the same clean end.
    let mut f = follower(&host(), &watcher(&t, "", "print('idle')"));
    f.wait_for("idle", LONG);
    f.signal(libc::SIGTERM);
    assert_eq!(f.wait(LONG).code(), Some(143), "{}", f.stderr());
}

/// A Lua function `status(key)`: a number of `/proc/self/status` (kB).
const STATUS: &str = r#"local function status(key)
  local f = assert(io.open("/proc/self/status")) local s = f:read("a") f:close()
  return tonumber(s:match(key .. ":%s*(%d+)"))
end
"#;

/// Worker `w` of `workers` creates and removes volumes `PREFIX-w-0`,
/// `PREFIX-w-1`... in order, `rounds` of them, all workers at once: volume
/// writes wait on the engine's database, so one after another 10,000 of them
/// take minutes on a loaded machine. Prints `churned` at the end.
fn volume_churn(prefix: &str, workers: usize, rounds: usize) -> String {
    format!(
        "local workers = {{}} for w = 1, {workers} do workers[w] = w end\n\
         docker.parallel(workers, function(w)\n\
           for i = 0, {last} do\n\
             local name = '{prefix}-' .. w .. '-' .. i\n\
             docker.api{{method = 'POST', path = '/volumes/create', body = {{Name = name}}}}\n\
             docker.api{{method = 'DELETE', path = '/volumes/' .. name}}\n\
           end\n\
         end, {{limit = {workers}}})\n\
         print('churned')",
        last = rounds - 1
    )
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ten_thousand_events_none_lost_none_twice_in_flat_memory() {
    let prefix = common::unique("tenk");
    // 10 workers of 500 volumes: 10,000 events.
    let (workers, rounds) = (10, 500);
    let total = 2 * workers * rounds;
    // Generous for a shared 2-core machine: unloaded it takes ~15 s.
    let deadline = Instant::now() + Duration::from_secs(300);
    // Each worker's events come in its order (the engine logs a volume's
    // create before its destroy, and a worker waits for each): so each event
    // must be the next one expected of its worker. The state is one entry a
    // worker: nothing grows with the count.
    let code = format!(
        r#"{STATUS}
local prefix, total = "{prefix}-", {total}
local s = docker.events{{reconnect = true, filters = {{type = "volume", event = {{"create", "destroy"}}}}}}
print("ready") io.stdout:flush()
local next_i, want = {{}}, {{}}
for w = 1, {workers} do next_i[w], want[w] = 0, "create" end
local seen, bad, rss2k = 0, 0, nil
for e in s do
  local name = e.Actor and e.Actor.ID or ""
  if e.Type == "dockerlua" then print(e.Action) io.stdout:flush()
  elseif name:sub(1, #prefix) == prefix then
    seen = seen + 1
    local w, i = name:match("^(%d+)%-(%d+)$", #prefix + 1)
    w, i = tonumber(w), tonumber(i)
    if not w or not next_i[w] or i ~= next_i[w] or e.Action ~= want[w] then
      bad = bad + 1
      if bad < 5 then print("unexpected " .. name .. " " .. e.Action) end
    elseif want[w] == "create" then want[w] = "destroy"
    else want[w], next_i[w] = "create", i + 1 end
    if seen == 2000 then rss2k = status("VmRSS") end
    if seen == total then break end
  end
end
print("seen " .. seen .. " bad " .. bad)
print("rss2k " .. rss2k .. " rss " .. status("VmRSS") .. " peak " .. status("VmHWM"))"#
    );
    let left = || deadline.saturating_duration_since(Instant::now());
    let mut f = follower(&host(), &code);
    f.wait_for("ready", LONG);
    let started = Instant::now();
    let mut generator = follower(&host(), &volume_churn(&prefix, workers, rounds));
    assert!(generator.wait(left()).success(), "{}", generator.stderr());
    eprintln!("10,000 events generated in {:?}", started.elapsed());
    f.wait_for(&format!("seen {total} bad 0"), left());
    assert!(f.wait(left()).success(), "{}", f.stderr());
    let lines = f.lines();
    let memory = lines
        .iter()
        .find(|l| l.starts_with("rss2k "))
        .expect("memory line");
    let kb: Vec<u64> = memory
        .split(' ')
        .skip(1)
        .step_by(2)
        .map(|n| n.parse().unwrap())
        .collect();
    eprintln!("10,000 events: {memory} (kB)");
    // After 2,000 events the memory is what it will be: 8,000 more add
    // less than 2 MB (garbage not yet collected), whatever the count.
    assert!(kb[1] < kb[0] + 2048, "{memory}");
    assert!(
        !lines.iter().any(|l| l == "overflow" || l == "reconnect"),
        "{lines:?}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_handler_slower_than_the_engine_loses_nothing_and_an_overflow_is_told() {
    let prefix = common::unique("slow");
    let n = 40;
    let names: Vec<String> = (0..n).map(|i| format!("'{prefix}-{i}'")).collect();
    let filters = format!(
        "{{type = 'volume', event = 'create', volume = {{{}}}}}",
        names.join(", ")
    );
    // Each event takes the handler 150 ms: the engine drops a listener
    // that lags 100 ms, so only reading ahead keeps them all.
    let code = format!(
        r#"local s = docker.events{{filters = {filters}}}
print("ready") io.stdout:flush()
local seen = 0
for e in s do
  docker.sleep(0.15)
  seen = seen + 1
  print(e.Action .. " " .. (e.Actor.ID or e.Actor.Attributes.name)) io.stdout:flush()
  if seen == {n} then break end
end"#
    );
    let create_all = format!(
        "for i = 0, {} do docker.api{{method = 'POST', path = '/volumes/create', body = {{Name = '{prefix}-' .. i}}}} end",
        n - 1
    );
    let remove_all = format!(
        "for i = 0, {} do docker.api{{method = 'DELETE', path = '/volumes/{prefix}-' .. i}} end",
        n - 1
    );
    let mut f = follower(&host(), &code);
    f.wait_for("ready", LONG);
    assert_success(&common::lua(&create_all));
    assert!(f.wait(LONG).success(), "{}", f.stderr());
    for i in 0..n {
        assert_eq!(
            f.count(&format!("create {prefix}-{i}")),
            1,
            "{:?}",
            f.lines()
        );
    }
    assert_success(&common::lua(&remove_all));

    // A buffer of 5 and a handler that waits: the loss is counted, and
    // what was seen plus what was lost is all of it.
    let code = format!(
        r#"local s = docker.events{{filters = {filters}, buffer = 5}}
print("ready") io.stdout:flush()
local seen, dropped, first = 0, 0, true
for e in s do
  if first then docker.sleep(1) first = false end
  if e.Action == "overflow" then dropped = dropped + e.dropped print("overflow " .. e.dropped)
  else seen = seen + 1 end
  if seen + dropped == {n} then break end
end
print("seen " .. seen .. " dropped " .. dropped)"#
    );
    let mut f = follower(&host(), &code);
    f.wait_for("ready", LONG);
    assert_success(&common::lua(&create_all));
    assert!(f.wait(LONG).success(), "{}", f.stderr());
    assert_success(&common::lua(&remove_all));
    let summary = f
        .lines()
        .into_iter()
        .find(|l| l.starts_with("seen "))
        .expect("summary");
    let seen: usize = summary.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(seen < n && seen >= 5, "{summary}: {:?}", f.lines());
    assert!(
        f.lines().iter().any(|l| l.starts_with("overflow ")),
        "{:?}",
        f.lines()
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn followed_logs_with_reconnect_go_on_across_a_restart_without_repeats() {
    let t = Cleanup::new("logre");
    let name = t.container("talker");
    docker(&[
        "run",
        "-d",
        "--label",
        &t.label(),
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        "echo start; i=0; while [ $i -lt 600 ]; do echo n$i; i=$((i+1)); sleep 0.05; done",
    ]);
    // Follows until the second run has said n5, then prints what it got.
    let code = format!(
        r#"local c = docker.containers.get('{name}')
local got, starts = {{}}, 0
for line, stream in c:logs{{follow = true, reconnect = true}} do
  got[#got + 1] = line
  if line == "start" then starts = starts + 1 end
  if line == "n3" and starts == 1 then print("first run") io.stdout:flush() end
  if line == "n5" and starts == 2 then break end
end
print("got " .. table.concat(got, ","))"#
    );
    let mut f = follower(&host(), &code);
    f.wait_for("first run", LONG);
    docker(&["restart", "-t", "1", &name]);
    assert!(f.wait(LONG).success(), "{}", f.stderr());
    let got = f
        .lines()
        .into_iter()
        .find(|l| l.starts_with("got "))
        .expect("got line");
    let got: Vec<&str> = got["got ".len()..].split(',').collect();
    // Exactly the engine's own log, up to where the loop stopped.
    let log = docker(&["logs", &name]);
    let log: Vec<&str> = log.lines().collect();
    assert!(got.len() > 8, "{got:?}");
    assert_eq!(got, &log[..got.len()], "followed vs docker logs");
    assert_eq!(got.iter().filter(|l| **l == "start").count(), 2, "{got:?}");
}

/// Runs `scripts/NAME` with `args` in the background.
fn script_follower(name: &str, args: &[&str]) -> Follower {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name);
    let mut cmd = dockerlua_cmd();
    cmd.arg(path).args(args);
    Follower::start(&mut cmd)
}

fn started_at(name: &str) -> String {
    docker(&["inspect", "-f", "{{.State.StartedAt}}", name])
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn autoheal_restarts_an_unhealthy_container_with_backoff_then_gives_up() {
    let t = Cleanup::new("autoheal");
    let sick = t.container("sick");
    let well = t.container("well");
    // Unhealthy once /tmp/sick exists, which a restart keeps.
    for name in [&sick, &well] {
        docker(&[
            "run",
            "-d",
            "--label",
            &t.label(),
            "--label",
            "autoheal=true",
            "--name",
            name,
            "--health-cmd",
            "test ! -f /tmp/sick",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
            "busybox",
            "sleep",
            "600",
        ]);
    }
    let first = started_at(&sick);
    let mut f = script_follower(
        "autoheal.lua",
        &[
            "--label",
            "autoheal=true",
            "--label",
            &t.label(),
            "-t",
            "0",
            "--backoff",
            "1s",
            "--max-restarts",
            "2",
        ],
    );
    f.wait_for(
        &format!(
            "autoheal: watching 2 containers labelled autoheal=true, {}",
            t.label()
        ),
        LONG,
    );
    common::eventually("both healthy", LONG, || {
        docker(&["inspect", "-f", "{{.State.Health.Status}}", &sick]).trim() == "healthy"
    });
    docker(&["exec", &sick, "touch", "/tmp/sick"]);
    f.wait_for(
        &format!("autoheal: restarting {sick} (unhealthy; restart 1 of 2)"),
        LONG,
    );
    f.wait_for(
        &format!("autoheal: restarting {sick} (unhealthy; restart 2 of 2)"),
        LONG,
    );
    f.wait_for(
        &format!("autoheal: giving up on {sick} after 2 restarts"),
        LONG,
    );
    assert_ne!(started_at(&sick), first, "restarted");
    f.signal(libc::SIGTERM);
    assert_eq!(f.wait(LONG).code(), Some(143), "{}", f.stderr());
    // Only the sick one was touched.
    assert!(
        !f.lines().iter().any(|l| l.contains(&well)),
        "{:?}",
        f.lines()
    );
    let restarts = f
        .lines()
        .iter()
        .filter(|l| l.contains("restarting"))
        .count();
    assert_eq!(restarts, 2, "{:?}", f.lines());
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn restart_on_failure_starts_failed_containers_again_then_gives_up() {
    let t = Cleanup::new("onfail");
    let bad = t.container("bad");
    let good = t.container("good");
    let mut f = script_follower(
        "restart_on_failure.lua",
        &[
            "--label",
            &t.label(),
            "--backoff",
            "0.2s",
            "--max-restarts",
            "2",
        ],
    );
    f.wait_for(
        &format!(
            "restart_on_failure: watching containers labelled {}",
            t.label()
        ),
        LONG,
    );
    docker(&[
        "run",
        "-d",
        "--label",
        &t.label(),
        "--name",
        &good,
        "busybox",
        "true",
    ]);
    docker(&[
        "run",
        "-d",
        "--label",
        &t.label(),
        "--name",
        &bad,
        "busybox",
        "sh",
        "-c",
        "exit 3",
    ]);
    f.wait_for(
        &format!("restart_on_failure: giving up on {bad} after 2 restarts (exit code 3)"),
        LONG,
    );
    let lines = f.lines();
    let starts = lines
        .iter()
        .filter(|l| l.contains("starting it again"))
        .count();
    assert_eq!(starts, 2, "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains(&good)), "{lines:?}");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.ExitCode}}", &bad]).trim(),
        "3"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn gen_renders_from_labels_rewrites_on_change_and_signals_only_then() {
    let t = Cleanup::new("gen");
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("upstream.tpl");
    let output = dir.path().join("upstream.conf");
    std::fs::write(
        &template,
        "# generated\n% for _, c in ipairs(containers) do\nserver {{ c.name }} port={{ c.labels[\"web.port\"] }}\n% end\n",
    )
    .unwrap();
    // The container told of changes counts its SIGHUPs in its log.
    let proxy = t.container("proxy");
    docker(&[
        "run",
        "-d",
        "--label",
        &t.label(),
        "--name",
        &proxy,
        "busybox",
        "sh",
        "-c",
        "trap 'echo reload' HUP; echo up; while true; do sleep 0.1; done",
    ]);
    let web1 = t.container("web1");
    docker(&[
        "run",
        "-d",
        "--label",
        &t.label(),
        "--label",
        "web.port=8080",
        "--name",
        &web1,
        "busybox",
        "sleep",
        "600",
    ]);
    let filter = "web.port";
    // -n: the text on stdout, no file, no signal.
    let dry = assert_success(&common::script(
        "scripts/gen.lua",
        &[
            "-n",
            "--once",
            "--label",
            &t.label(),
            "--label",
            filter,
            "--notify",
            &proxy,
            template.to_str().unwrap(),
            output.to_str().unwrap(),
        ],
    ));
    assert!(
        dry.ends_with(&format!("# generated\nserver {web1} port=8080\n")),
        "{dry}"
    );
    assert!(!output.exists());
    // dockerlua's own --dry-run does the same: a dry run writes no file.
    let gen = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen.lua");
    let dry = assert_success(&common::run(
        dockerlua_cmd().arg("--dry-run").arg(&gen).args([
            "--once",
            "--label",
            &t.label(),
            "--label",
            filter,
            "--notify",
            &proxy,
            template.to_str().unwrap(),
            output.to_str().unwrap(),
        ]),
    ));
    assert!(
        dry.ends_with(&format!("# generated\nserver {web1} port=8080\n")),
        "{dry}"
    );
    assert!(!output.exists(), "--dry-run wrote {}", output.display());
    let mut f = script_follower(
        "gen.lua",
        &[
            "--label",
            &t.label(),
            "--label",
            filter,
            "--notify",
            &proxy,
            template.to_str().unwrap(),
            output.to_str().unwrap(),
        ],
    );
    let read = || std::fs::read_to_string(&output).unwrap_or_default();
    let reloads = || {
        docker(&["logs", &proxy])
            .lines()
            .filter(|l| *l == "reload")
            .count()
    };
    common::eventually("the first rendering", LONG, || {
        read() == format!("# generated\nserver {web1} port=8080\n")
    });
    common::eventually("the first reload", LONG, || reloads() == 1);

    let web2 = t.container("web2");
    docker(&[
        "run",
        "-d",
        "--label",
        &t.label(),
        "--label",
        "web.port=9090",
        "--name",
        &web2,
        "busybox",
        "sleep",
        "600",
    ]);
    common::eventually("web2 in the file", LONG, || {
        read() == format!("# generated\nserver {web1} port=8080\nserver {web2} port=9090\n")
    });
    common::eventually("the second reload", LONG, || reloads() == 2);

    // An event that changes nothing in the file: no write, no signal.
    docker(&["kill", "-s", "USR1", &web2]);
    docker(&["rm", "-f", &web1]);
    common::eventually("web1 gone from the file", LONG, || {
        read() == format!("# generated\nserver {web2} port=9090\n")
    });
    common::eventually("the third reload", LONG, || reloads() == 3);
    f.signal(libc::SIGTERM);
    assert_eq!(f.wait(LONG).code(), Some(143), "{}", f.stderr());
    let writes = f
        .lines()
        .iter()
        .filter(|l| l.starts_with("gen: wrote"))
        .count();
    assert_eq!(writes, 3, "{:?}", f.lines());
    assert_eq!(reloads(), 3);
}
