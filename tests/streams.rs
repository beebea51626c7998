//! Streams and concurrency against the real engine: followed logs, events,
//! exec, stats, wait, `parallel`/`spawn`, iterators released by `break`, and
//! users' own coroutines.

mod common;

use std::time::{Duration, Instant};

use common::{assert_success, docker, lua, Cleanup};

/// A Lua function `sockets()` counting the dockerlua process's open sockets.
const SOCKETS: &str = r#"
local function sockets()
  local f = assert(io.open('/proc/self/stat')); local pid = f:read('n'); f:close()
  local p = io.popen('find /proc/' .. pid .. '/fd -lname "socket:*" | wc -l')
  local n = p:read('n'); p:close()
  return n
end
"#;

fn lines(out: &str) -> Vec<&str> {
    out.lines().collect()
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn followed_logs_keep_order_and_stream_names_and_end_with_the_container() {
    let t = Cleanup::new("follow");
    let code = format!(
        "local c = docker.containers.run('alpine', {{'sh', '-c', \
           'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; sleep 0.1; done; printf last'}}, \
           {{detach = true, labels = {labels}}})\n\
         for line, stream in c:logs{{follow = true}} do print(stream, line) end\n\
         c:reload() print('status', c.status)",
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    let got = lines(&out);
    let of = |stream: &str| -> Vec<String> {
        got.iter()
            .filter_map(|l| l.strip_prefix(&format!("{stream}\t")))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        of("stdout"),
        ["out1", "out2", "out3", "out4", "out5", "last"],
        "{out}"
    );
    assert_eq!(
        of("stderr"),
        ["err1", "err2", "err3", "err4", "err5"],
        "{out}"
    );
    assert_eq!(got.last(), Some(&"status\texited"), "{out}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_tty_containers_logs_are_lines_of_stdout() {
    let t = Cleanup::new("ttylogs");
    let code = format!(
        "local c = docker.containers.run('alpine', {{'sh', '-c', 'echo a; echo b >&2; printf c'}}, \
           {{detach = true, tty = true, labels = {labels}}})\n\
         for line, stream in c:logs{{follow = true}} do print(stream, line) end\n\
         c:wait()\n\
         for line, stream in c:logs{{stream = true}} do print('again', stream, line) end\n\
         print(('%q'):format(c:logs()))",
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    assert_eq!(
        lines(&out),
        [
            "stdout\ta",
            "stdout\tb",
            "stdout\tc",
            "again\tstdout\ta",
            "again\tstdout\tb",
            "again\tstdout\tc",
            "\"a\\13\\",
            "b\\13\\",
            "c\"",
        ],
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn stream_logs_of_a_stopped_container_yield_a_last_line_without_newline() {
    let t = Cleanup::new("lastline");
    let code = format!(
        "local c = docker.containers.run('alpine', {{'sh', '-c', 'echo one; printf two >&2'}}, \
           {{detach = true, labels = {labels}}})\n\
         c:wait()\n\
         for line, stream in c:logs{{stream = true}} do print(stream, line) end\n\
         for line, stream in c:logs{{stream = true, stderr = false}} do print('out', stream, line) end",
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    assert_eq!(
        lines(&out),
        ["stdout\tone", "stderr\ttwo", "out\tstdout\tone"],
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn events_see_a_container_start_and_die_live() {
    let t = Cleanup::new("events");
    // The stream is open (no `until`) before the container starts. The engine
    // answers the request a moment before it subscribes, so `since` (a second
    // back) makes it replay whatever falls in between: no sleep, no race.
    let code = format!(
        "local events = docker.events{{since = tostring(os.time() - 1), \
             filters = {{label = '{label}', type = 'container'}}}}\n\
         local id = docker.containers.run('alpine', 'true', {{detach = true, labels = {labels}}}).id\n\
         local seen = {{}}\n\
         for ev in events do\n\
           seen[#seen + 1] = ev.Action\n\
           if ev.Action == 'die' then break end\n\
         end\n\
         print(table.concat(seen, ' '))\n\
         print(#id)",
        labels = t.lua_labels(),
        label = t.label()
    );
    let out = assert_success(&lua(&code));
    let got = lines(&out);
    let actions: Vec<&str> = got[0].split(' ').collect();
    let start = actions.iter().position(|a| *a == "start");
    let die = actions.iter().position(|a| *a == "die");
    assert!(start.is_some() && start < die, "{out}");
    assert_eq!(got[1], "64");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn events_end_at_until() {
    let t = Cleanup::new("until");
    let code = format!(
        "local since = tostring(os.time() - 1)\n\
         docker.containers.run('alpine', 'true', {{labels = {labels}}})\n\
         local n = 0\n\
         for ev in docker.events{{since = since, ['until'] = tostring(os.time() + 1), \
             filters = {{label = '{label}'}}}} do\n\
           n = n + 1 io.write(ev.Action, ' ')\n\
         end\n\
         print() print(n)",
        labels = t.lua_labels(),
        label = t.label()
    );
    let out = assert_success(&lua(&code));
    assert!(out.contains("create") && out.contains("die"), "{out}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn exec_gives_exit_codes_output_stdin_and_streams() {
    let t = Cleanup::new("exec");
    let code = format!(
        "local c = docker.containers.run('alpine', 'sleep 60', \
           {{detach = true, init = true, labels = {labels}}})\n\
         local r = c:exec({{'sh', '-c', 'echo out; sleep 0.2; echo err >&2; exit 3'}})\n\
         print(r.exit_code, ('%q'):format(r.output))\n\
         r = c:exec('sh -c \"echo only-out; echo no >&2\"', {{stderr = false}})\n\
         print(r.exit_code, ('%q'):format(r.output))\n\
         r = c:exec('cat', {{stdin = 'line 1\\nline 2'}})\n\
         print(r.exit_code, ('%q'):format(r.output))\n\
         r = c:exec({{'sh', '-c', 'wc -c'}}, {{stdin = string.rep('x', 3000000)}})\n\
         print(r.exit_code, r.output)\n\
         r = c:exec('cat', {{stdin = string.rep('y', 2000000)}})\n\
         print(r.exit_code, #r.output)\n\
         r = c:exec('sh -c \"echo tty; exit 4\"', {{tty = true}})\n\
         print(r.exit_code, ('%q'):format(r.output))\n\
         local s = c:exec({{'sh', '-c', 'for i in 1 2 3; do echo o$i; echo e$i >&2; sleep 0.1; done; \
             printf end; exit 5'}}, {{stream = true}})\n\
         for line, stream in s do print(stream, line) end\n\
         print('exit', s.exit_code)\n\
         print(pcall(c.exec, c, 42))",
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    let got = lines(&out);
    assert_eq!(got[0], "3\t\"out\\");
    // stdout and stderr in one output (apart in time: their order across
    // streams is the engine's)
    assert_eq!(got[1], "err\\");
    assert_eq!(got[2], "\"");
    assert_eq!(got[3], "0\t\"only-out\\");
    assert_eq!(got[4], "\"");
    assert_eq!(got[5], "0\t\"line 1\\");
    assert_eq!(got[6], "line 2\"");
    assert_eq!(got[7], "0\t3000000");
    assert_eq!(got[8], "");
    assert_eq!(got[9], "0\t2000000");
    assert_eq!(got[10], "4\t\"tty\\13\\");
    assert_eq!(got[11], "\"");
    let streamed: Vec<&str> = got[12..19].to_vec();
    for want in ["stdout\to1", "stdout\to2", "stdout\to3", "stdout\tend"] {
        assert!(streamed.contains(&want), "{out}");
    }
    for want in ["stderr\te1", "stderr\te2", "stderr\te3"] {
        assert!(streamed.contains(&want), "{out}");
    }
    assert_eq!(got[19], "exit\t5");
    assert!(
        got[20].starts_with("false\tInvalidArgument: Container:exec: bad argument 'command'"),
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn eight_containers_run_at_once_in_parallel() {
    let t = Cleanup::new("parallel");
    // Each container waits for a marker that a spawned task creates only
    // once all eight are running: run one after the other, the first would
    // wait in vain (and the task reports how many it saw). No clock involved.
    let code = format!(
        "local label = '{label}'\n\
         local items = {{}} for i = 1, 8 do items[i] = i end\n\
         local release = docker.spawn(function()\n\
           local seen = 0\n\
           for _ = 1, 1200 do\n\
             seen = #docker.containers.list{{filters = {{label = label, status = 'running'}}}}\n\
             if seen == 8 then break end\n\
             docker.sleep(0.05)\n\
           end\n\
           for _, c in ipairs(docker.containers.list{{filters = {{label = label}}}}) do\n\
             pcall(c.exec, c, {{'touch', '/go'}})\n\
           end\n\
           return seen\n\
         end)\n\
         local r = docker.parallel(items, function(i)\n\
           return docker.containers.run('alpine', {{'sh', '-c', \
             'while [ ! -e /go ]; do sleep 0.05; done; echo ' .. i}}, \
             {{remove = true, labels = {labels}}})\n\
         end)\n\
         print(release:join(), table.concat(r, ''))",
        label = t.label(),
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    assert_eq!(out, "8\t1\n2\n3\n4\n5\n6\n7\n8\n\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_failing_parallel_item_is_reported_by_index_while_the_others_complete() {
    let t = Cleanup::new("parfail");
    let names: Vec<String> = (1..=4).map(|i| t.container(&i.to_string())).collect();
    let code = format!(
        "local names = {{'{}', '{}', '{}', '{}'}}\n\
         local ok, err = pcall(docker.parallel, {{1, 2, 3, 4}}, function(i)\n\
           local cmd = i == 2 and 'sh -c \"exit 3\"' or 'sh -c \"sleep 0.5; echo ok\"'\n\
           return docker.containers.run('alpine', cmd, {{name = names[i], labels = {labels}}})\n\
         end, {{limit = 2}})\n\
         print(ok, err.kind)\n\
         for i = 1, 4 do local e = err.errors[i] print(i, e and e.kind, e and e.exit_status) end\n\
         print(tostring(err))",
        names[0],
        names[1],
        names[2],
        names[3],
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    let got = lines(&out);
    assert_eq!(got[0], "false\tParallelError");
    assert_eq!(got[1], "1\tnil\tnil");
    assert_eq!(got[2], "2\tContainerError\t3");
    assert_eq!(got[3], "3\tnil\tnil");
    assert_eq!(got[4], "4\tnil\tnil");
    assert!(
        got[5].starts_with("ParallelError: 1 of 4 calls failed: #2: "),
        "{out}"
    );
    for (i, name) in names.iter().enumerate() {
        let state = docker(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.ExitCode}}",
            name,
        ]);
        let want = if i == 1 { "exited 3" } else { "exited 0" };
        assert_eq!(state, want, "{name}");
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn spawn_and_join_return_results_and_raise_errors() {
    let code =
        "local a = docker.spawn(function(x) docker.sleep(0.3) return x * 2, 'two' end, 21)\n\
         local b = docker.spawn(function() docker.sleep(0.3) return 'b' end)\n\
         local start = os.time()\n\
         print(a:join()) print(b:join()) print(a:join())\n\
         local bad = docker.spawn(function() docker.containers.get('no-such-container-x') end)\n\
         local ok, e = pcall(bad.join, bad) print(ok, e.kind, e.status)\n\
         local plain = docker.spawn(function() error('plain', 0) end)\n\
         print(pcall(plain.join, plain))\n\
         print(tostring(a))";
    let out = assert_success(&lua(code));
    assert_eq!(
        lines(&out),
        [
            "42\ttwo",
            "b",
            "42\ttwo",
            "false\tNotFound\t404",
            "false\tplain",
            "<Task finished>"
        ]
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn wait_with_a_timeout_raises_timeout_and_leaves_the_container_running() {
    let t = Cleanup::new("wait");
    let code = format!(
        "local c = docker.containers.run('alpine', 'sleep 60', \
           {{detach = true, init = true, labels = {labels}}})\n\
         local ok, e = pcall(c.wait, c, {{timeout = 0.5}})\n\
         print(ok, e.kind) print(c.id)\n\
         local d = docker.containers.run('alpine', 'sh -c \"exit 7\"', {{detach = true, labels = {labels}}})\n\
         local r = d:wait{{timeout = 30}} print(r.status_code, r.error)",
        labels = t.lua_labels()
    );
    let started = Instant::now();
    let out = assert_success(&lua(&code));
    assert!(started.elapsed() < Duration::from_secs(20));
    let got = lines(&out);
    assert_eq!(got[0], "false\tTimeout");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", got[1]]),
        "running"
    );
    assert_eq!(got[2], "7\tnil");
}

/// Lines come to Lua in batches (all those ready at once): each line still
/// comes once, in order, and a close ends the loop at once, lines still
/// buffered or not.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_long_log_streams_every_line_once_in_order_and_a_close_drops_the_rest() {
    let t = Cleanup::new("batches");
    let code = format!(
        "local c = docker.containers.run('alpine', {{'sh', '-c', 'seq 1 20000; printf last'}}, \
           {{detach = true, labels = {labels}}})\n\
         c:wait()\n\
         local n, bad = 0, 0\n\
         for line, stream in c:logs{{stream = true}} do\n\
           n = n + 1\n\
           if stream ~= 'stdout' or (n <= 20000 and line ~= tostring(n)) then bad = bad + 1 end\n\
           if n == 20001 and line ~= 'last' then bad = bad + 1 end\n\
         end\n\
         print('all', n, bad)\n\
         local s = c:logs{{stream = true}}\n\
         local seen = 0\n\
         for line in s do seen = seen + 1 if seen == 10 then s:close() end end\n\
         print('closed', seen, tostring(s), s())",
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    assert_eq!(
        lines(&out),
        ["all\t20001\t0", "closed\t10\t<LogStream closed>"],
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn breaking_out_of_a_followed_log_releases_its_connection() {
    let t = Cleanup::new("release");
    let code = format!(
        "{SOCKETS}\n\
         local c = docker.containers.run('alpine', {{'sh', '-c', 'while true; do echo tick; sleep 0.05; done'}}, \
           {{detach = true, init = true, labels = {labels}}})\n\
         local function check(name, make)\n\
           local during\n\
           local n = 0\n\
           for v in make() do n = n + 1 if n == 2 then during = sockets() break end end\n\
           docker.sleep(0.3)\n\
           print(name, during, sockets())\n\
         end\n\
         check('logs', function() return c:logs{{follow = true}} end)\n\
         check('stats', function() return c:stats{{stream = true}} end)\n\
         check('exec', function() return c:exec({{'sh', '-c', 'while true; do echo x; sleep 0.05; done'}}, {{stream = true}}) end)\n\
         check('events', function() return docker.events{{since = '0', filters = {{label = '{label}'}}}} end)",
        labels = t.lua_labels(),
        label = t.label()
    );
    let out = assert_success(&lua(&code));
    for line in lines(&out) {
        let f: Vec<&str> = line.split('\t').collect();
        let (during, after): (u32, u32) = (f[1].parse().unwrap(), f[2].parse().unwrap());
        assert!(after < during, "{line}\n{out}");
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn docker_calls_work_inside_users_coroutines() {
    let t = Cleanup::new("coro");
    let code = format!(
        "local gen = coroutine.wrap(function()\n\
           local c = docker.containers.run('alpine', 'sh -c \"echo a; echo b\"', {{detach = true, labels = {labels}}})\n\
           for line in c:logs{{follow = true}} do coroutine.yield(line) end\n\
           return 'end'\n\
         end)\n\
         print(gen(), gen(), gen())\n\
         local co = coroutine.create(function(x) docker.sleep(0.05) local y = coroutine.yield(x + 1) \
           return docker.ping() and y * 2 end)\n\
         print(coroutine.resume(co, 1)) print(coroutine.resume(co, 5)) print(coroutine.status(co))\n\
         local bad = coroutine.wrap(function() docker.containers.get('no-such-x') end)\n\
         local ok, e = pcall(bad) print(ok, e.kind)",
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    assert_eq!(
        lines(&out),
        [
            "a\tb\tend",
            "true\t2",
            "true\t10",
            "dead",
            "false\tNotFound"
        ]
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn stats_and_top() {
    let t = Cleanup::new("stats");
    let code = format!(
        "local c = docker.containers.run('alpine', 'sleep 60', \
           {{detach = true, init = true, labels = {labels}}})\n\
         local one = c:stats{{stream = false}} print(type(one.read), type(one.memory_stats))\n\
         local n = 0\n\
         for s in c:stats{{stream = true}} do n = n + 1 if n == 2 then break end end print(n)\n\
         local top = c:top() print(#top.Titles > 0, #top.Processes)\n\
         local ps = c:top('-o pid,comm') print(top.Titles[1] ~= nil, ps.Titles[2])",
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    let got = lines(&out);
    assert_eq!(got[0], "string\ttable");
    assert_eq!(got[1], "2");
    assert_eq!(got[2], "true\t2"); // init and sleep
    assert_eq!(got[3], "true\tCOMMAND");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn following_a_lot_of_output_keeps_memory_flat() {
    let t = Cleanup::new("memory");
    // 60 MB of 201-byte lines; buffering it would show in the peak. The
    // container stays up after its output (Engine 20.10 can end a follow
    // early when the container exits under load), so the reader stops at
    // the end marker it is sure to get.
    let code = format!(
        "local c = docker.containers.run('alpine', {{'sh', '-c', \
           'yes \"$(printf %0200d 0)\" | head -c 60000000; echo; echo END; exec sleep 600'}}, \
           {{detach = true, labels = {labels}}})\n\
         local n, bytes = 0, 0\n\
         for line in c:logs{{follow = true}} do\n\
           if line == 'END' then break end\n\
           n = n + 1 bytes = bytes + #line + 1\n\
         end\n\
         c:kill()\n\
         local f = io.open('/proc/self/status') local s = f:read('a') f:close()\n\
         print(n, bytes, s:match('VmHWM:%s*(%d+) kB'))",
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    let f: Vec<&str> = out.trim().split('\t').collect();
    assert_eq!(f[..2], ["298508", "60000001"], "{out}");
    let peak_kb: u64 = f[2].parse().unwrap();
    assert!(peak_kb < 40_000, "peak RSS {peak_kb} kB");
}

#[test]
fn errors_raised_in_tasks_keep_their_fields() {
    let code = r#"
        local wait = require("docker.wait")
        local ok, e = pcall(docker.parallel, {1, 2, 3}, function(i)
          if i == 2 then wait.poll(function() return false end, {timeout = 0.1}) end
          if i == 3 then error("plain " .. i, 0) end
          return i
        end)
        print(e.kind, e.errors[1], e.errors[2].kind, e.errors[3].kind, e.errors[3].message)
        local t = docker.spawn(function() error({kind = "Custom", message = "mine"}) end)
        local ok, e = pcall(t.join, t)
        print(ok, e.kind, e.message)
    "#;
    let out = common::assert_success(&common::lua(code));
    assert_eq!(
        out,
        "ParallelError\tnil\tTimeout\tLuaError\tplain 3\nfalse\tCustom\tmine\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_script_waits_for_its_tasks_and_reports_failures_nobody_joined() {
    let t = common::Cleanup::new("taskend");
    let name = t.container("late");
    // The main chunk ends first; the spawned task still creates its container.
    let code = format!(
        "docker.spawn(function() docker.sleep(0.5) \
           docker.containers.create('alpine', 'true', {{name = '{name}', labels = {}}}) print('task done') end) \
         local joined = docker.spawn(function() error('seen', 0) end) \
         local twice = docker.spawn(function() docker.sleep(0.2) return 7 end) \
         print(pcall(joined.join, joined)) print(twice:join(), twice:join()) print('main done')",
        t.lua_labels()
    );
    let out = common::lua(&code);
    assert_eq!(
        common::assert_success(&out),
        "false\tseen\n7\t7\nmain done\ntask done\n"
    );
    assert!(common::container_exists(&name));

    let out = common::lua(
        "docker.spawn(function() docker.containers.get('no-such-one-here') end) print('main done')",
    );
    common::assert_exit(&out, 1);
    assert_eq!(common::stdout_of(&out), "main done\n");
    assert_eq!(
        common::stderr_of(&out),
        "dockerlua: a task failed: NotFound (404): No such container: no-such-one-here\n"
    );
}
