//! The methods of live objects, each checked against what the engine then
//! holds: Container lifecycle, rename, archives, and Image tag, push, history,
//! remove and prune.

mod common;

use std::time::Duration;

use common::{assert_success, docker, lua, state, Cleanup};

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn container_lifecycle_methods_change_the_engine_state() {
    let t = Cleanup::new("life");
    let name = t.container("c");
    let code = format!(
        "local c = docker.containers.create('alpine', 'sleep 300', {{name = '{name}', init = true, labels = {}}})\n\
         print(c.status)\n\
         c:start() print(c.status)\n\
         c:pause() print(c.status)\n\
         c:unpause() print(c.status)\n\
         local started = c.attrs.State.StartedAt\n\
         c:restart{{timeout = 1}} print(c.status, c.attrs.State.StartedAt ~= started)\n\
         c:kill('SIGKILL') print(c.status, c.attrs.State.ExitCode)\n\
         c:start() c:stop{{timeout = 1}} print(c.status)\n\
         c:start() c:start() c:stop() c:stop() print('again', c.status)",
        t.lua_labels()
    );
    assert_eq!(
        assert_success(&lua(&code)),
        "created\nrunning\npaused\nrunning\nrunning\ttrue\nexited\t137\nexited\nagain\texited\n"
    );
    assert_eq!(state(&name), "exited");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn rename_and_remove() {
    let t = Cleanup::new("rename");
    let old = t.container("old");
    let new = t.container("new");
    let code = format!(
        "local c = docker.containers.create('alpine', 'true', {{name = '{old}', labels = {}}})\n\
         c:rename('{new}') print(c.name)\n\
         c:remove() print(pcall(c.reload, c))",
        t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(new.as_str()));
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("false\tNotFound (404): No such container: "),
        "{out}"
    );
    assert!(!common::container_exists(&old) && !common::container_exists(&new));
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn archives_go_in_and_come_out() {
    let t = Cleanup::new("archive");
    let name = t.container("c");
    // A tar made by the engine itself (get_archive), put back under a new folder.
    let code = format!(
        "local c = docker.containers.run('alpine', 'sleep 300', {{detach = true, init = true, name = '{name}', labels = {}}})\n\
         local tar, stat = c:get_archive('/etc/dockerlua-test-image')\n\
         print(stat.name, stat.size, #tar % 512)\n\
         c:exec('mkdir /copy')\n\
         print(c:put_archive('/copy', tar))\n\
         io.write(c:exec('cat /copy/dockerlua-test-image').output)",
        t.lua_labels()
    );
    let expected = docker(&["run", "--rm", "alpine", "cat", "/etc/dockerlua-test-image"]);
    assert_eq!(
        assert_success(&lua(&code)),
        format!(
            "dockerlua-test-image\t{}\t0\ntrue\n{expected}\n",
            expected.len() + 1
        )
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn image_tag_push_history_and_remove() {
    let t = Cleanup::new("imgops");
    let local = t.image("local");
    let pushed = format!("{}/dockerlua/{}", common::registry(), t.image("pushed"));
    let code = format!(
        "local img = docker.images.get('alpine')\n\
         print(img:tag('{local}', 'v1'), img:tag('{pushed}:v2'))\n\
         print(#img:history() >= 1)\n\
         local events = 0\n\
         docker.images.push('{pushed}', {{tag = 'v2', progress = function(e) events = events + 1 end}})\n\
         print(events > 0)\n\
         docker.images.remove('{local}:v1')\n\
         print(pcall(docker.images.get, '{local}:v1'))"
    );
    let out = assert_success(&lua(&code));
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("true\ttrue"));
    assert_eq!(lines.next(), Some("true"));
    assert_eq!(lines.next(), Some("true"));
    let last = lines.next().unwrap();
    assert!(last.starts_with("false\tImageNotFound (404): "), "{out}");
    assert!(!common::image_exists(&format!("{local}:v1")));
    // The registry has it: remove the local tag, pull it back.
    t.remove_image_later(&pushed);
    docker(&["rmi", &format!("{pushed}:v2")]);
    let out = assert_success(&lua(&format!(
        "print(docker.images.pull('{pushed}:v2').id == docker.images.get('alpine').id)"
    )));
    assert_eq!(out, "true\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn images_prune_removes_only_dangling_images_of_the_filter() {
    let t = Cleanup::new("imgprune");
    let (_, up, dangling, tag) = common::exited_running_and_dangling(&t);
    let code = format!(
        "local r = docker.images.prune{{filters = {{dangling = true, label = '{}'}}}}\n\
         for _, d in ipairs(r.ImagesDeleted or {{}}) do if d.Deleted then print(d.Deleted) end end",
        t.label()
    );
    let out = assert_success(&lua(&code));
    assert!(out.lines().any(|l| l.contains(&dangling)), "{out}");
    assert!(!common::image_exists(&dangling));
    assert!(common::image_exists(&tag));
    assert_eq!(state(&up), "running");
}

/// A listed container's named fields are right without a reload: its
/// health comes from the list entry's `Status`, `attrs` is the list entry.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_listed_container_has_its_health_without_a_reload() {
    let t = Cleanup::new("listhealth");
    let healthy = t.container("healthy");
    let plain = t.container("plain");
    let label = t.label();
    run_healthy(&healthy, &["--label", &label]);
    docker(&[
        "run", "-d", "--name", &plain, "--label", &label, "alpine", "sleep", "300",
    ]);
    let code = format!(
        "for _, c in ipairs(docker.containers.list{{filters = {{label = '{label}'}}}}) do \
           print(c.name, c.status, c.health, type(c.attrs.State)) \
         end \
         local c = docker.containers.get('{healthy}') print('inspected', c.health, type(c.attrs.State))"
    );
    let out = assert_success(&lua(&code));
    let mut lines: Vec<String> = out.lines().map(str::to_owned).collect();
    lines.sort();
    let mut want = vec![
        format!("{healthy}\trunning\thealthy\tstring"),
        "inspected\thealthy\ttable".to_owned(),
        format!("{plain}\trunning\tnil\tstring"),
    ];
    want.sort();
    assert_eq!(lines, want, "{out}");
}

/// A reload builds only the members the fields read (see
/// `engine::resource::CONTAINER_FIELDS`): every field must read the same
/// from that skim as from the whole answer, which `attrs` still gives.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_reloaded_container_reads_its_fields_as_from_the_whole_answer() {
    let t = Cleanup::new("skim");
    let name = t.container("c");
    let label = t.label();
    run_healthy(&name, &["-t", "--label", &label, "--label", "team=ops"]);
    // `fields` runs before `attrs` is read (on the skim) and after (on the
    // whole answer); `from_attrs` reads the same out of `attrs` by hand.
    let code = format!(
        "local function fields(c) \
           return table.concat({{c.name, c.status, c.image, tostring(c.health), \
             c.labels.team, (tostring(c):gsub('^<Container %x+ ', ''))}}, ' ') \
         end \
         local function from_attrs(a) \
           return table.concat({{a.Name:sub(2), a.State.Status, a.Config.Image, \
             a.State.Health.Status, a.Config.Labels.team, a.Name:sub(2) .. ' ' .. a.State.Status .. '>'}}, ' ') \
         end \
         for _, c in ipairs{{docker.containers.get('{name}'), (function() \
             local c = docker.containers.list{{filters = {{label = '{label}'}}}}[1] c:reload() return c end)()}} do \
           local skimmed = fields(c) \
           local a = c.attrs \
           print(skimmed, skimmed == fields(c), skimmed == from_attrs(a), \
             type(a.HostConfig), type(a.Config.Env), a.Config.Tty) \
         end"
    );
    let out = assert_success(&lua(&code));
    let line = format!(
        "{name} running alpine healthy ops {name} running>\ttrue\ttrue\ttable\ttable\ttrue"
    );
    assert_eq!(out, format!("{line}\n{line}\n"));
}

/// Runs `alpine sleep 300` as `name` with a health check that passes, and
/// waits until the engine calls it healthy.
fn run_healthy(name: &str, options: &[&str]) {
    let mut args = vec!["run", "-d", "--name", name];
    args.extend_from_slice(options);
    args.extend_from_slice(&["--health-cmd", "true", "--health-interval", "1s"]);
    args.extend_from_slice(&["alpine", "sleep", "300"]);
    docker(&args);
    common::eventually("a healthy container", Duration::from_secs(60), || {
        common::inspect(name, "{{.State.Health.Status}}") == "healthy"
    });
}
