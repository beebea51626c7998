//! `docker.plugins` against the engine: a real plugin made from a folder
//! (busybox and a listener on the plugin socket, so that it can be
//! enabled), configured, enabled, listed, disabled and removed; then, on an
//! engine of the test's own, pushed to the test registry, installed from
//! there under another name, upgraded and removed.

mod common;

use std::path::Path;

use common::{
    assert_success, docker, docker_output, dockerlua_at, lua, registry, unique, OwnEngine,
};

/// What the plugin runs: it listens on its socket (the engine waits for
/// that before it calls a plugin enabled) and stays up. Static, so that the
/// rootfs needs nothing else.
const LISTENER: &str = r#"
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(void) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, "/run/docker/plugins/basic.sock");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    unlink(a.sun_path);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 16) < 0)
        return 1;
    for (;;) {
        int c = accept(s, 0, 0);
        if (c >= 0)
            close(c);
    }
}
"#;

const CONFIG: &str = r#"{
  "Description": "dockerlua test plugin",
  "Documentation": "https://example.com",
  "Interface": {"Types": ["docker.dummy/1.0"], "Socket": "basic.sock"},
  "Entrypoint": ["/basic"],
  "Network": {"Type": ""},
  "Env": [{"Name": "DEBUG", "Description": "debug", "Settable": ["value"], "Value": "0"}]
}"#;

/// A plugin folder: `config.json`, and `rootfs/` with busybox and the
/// listener (compiled here with the C compiler every Rust build has). `id`
/// makes the content its own: the engine refuses to store the same layer
/// twice at once ("content ... already exists").
fn plugin_folder(dir: &Path, id: &str) {
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).unwrap();
    std::fs::write(rootfs.join("id"), id).unwrap();
    std::fs::copy("/bin/busybox", rootfs.join("bin/busybox")).unwrap();
    let source = dir.join("basic.c");
    std::fs::write(&source, LISTENER).unwrap();
    let out = common::run(std::process::Command::new("cc").args([
        "-static",
        "-Os",
        "-o",
        rootfs.join("basic").to_str().unwrap(),
        source.to_str().unwrap(),
    ]));
    assert_success(&out);
    std::fs::remove_file(source).unwrap();
    let config = CONFIG.replace(
        "dockerlua test plugin",
        &format!("dockerlua test plugin {id}"),
    );
    std::fs::write(dir.join("config.json"), config).unwrap();
}

/// Removes plugins by name when dropped.
struct Plugins(Vec<String>);

impl Drop for Plugins {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = docker_output(&["plugin", "rm", "-f", name]);
        }
    }
}

fn inspect(name: &str, template: &str) -> String {
    docker(&["plugin", "inspect", "-f", template, name])
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_plugin_made_from_a_folder_is_configured_enabled_pushed_installed_and_upgraded() {
    let id = unique("plugin");
    let name = format!("{}/{id}:latest", registry());
    let local = format!("{id}-local:latest");
    let _guard = Plugins(vec![name.clone()]);
    let dir = tempfile::tempdir().unwrap();
    plugin_folder(dir.path(), &id);

    let code = format!(
        r#"
        local p = docker.plugins.create("{name}", "{dir}")
        print(tostring(p), p.name, p.enabled, p.settings.Env[1])
        p:configure{{DEBUG = "1"}}
        print("configured", p.settings.Env[1])
        p:enable{{timeout = 30}}
        print("enabled", p.enabled)
        for _, q in ipairs(docker.plugins.list()) do
          if q.name == "{name}" then print("listed", q.enabled, q.settings.Env[1]) end
        end
        print("got", docker.plugins.get(p.id).name)
        "#,
        dir = dir.path().display()
    );
    let out = assert_success(&lua(&code));
    assert_eq!(
        out,
        format!(
            "<Plugin {name}>\t{name}\tfalse\tDEBUG=0\nconfigured\tDEBUG=1\nenabled\ttrue\n\
             listed\ttrue\tDEBUG=1\ngot\t{name}\n"
        )
    );
    assert_eq!(
        inspect(&name, "{{.Enabled}} {{.Settings.Env}}"),
        "true [DEBUG=1]"
    );

    // Disabled and removed on the shared engine.
    let code = format!(
        r#"
        local p = docker.plugins.get("{name}")
        p:disable()
        print("disabled", p.enabled)
        p:remove()
        local ok, e = pcall(docker.plugins.get, "{name}")
        print(ok, e.kind)
        "#
    );
    assert_eq!(
        assert_success(&lua(&code)),
        "disabled\tfalse\nfalse\tNotFound\n"
    );
    assert!(!docker_output(&["plugin", "inspect", &name])
        .status
        .success());

    // Pushed, then installed from the registry under another name (disabled,
    // with the pushed defaults), upgraded, removed: on an engine of this
    // test's own, because Engine 20.10 now and then crashes pushing a plugin
    // to a plain-http registry ("panic: send on closed channel" in
    // containerd's pusher.go), which would take every later test with it.
    // Only that crash is retried, on a fresh engine.
    let code = format!(
        r#"
        -- Engine 20.10 talks to a plain-http registry by trying https and
        -- falling back; now and then a plugin transfer reports the https
        -- failure instead ("server gave HTTP response to HTTPS client").
        -- Only that is retried.
        local function transfer(f, ...)
          for _ = 1, 4 do
            local ok, result = pcall(f, ...)
            if ok then return result end
            if not tostring(result.message):find("HTTPS client", 1, true) then error(result, 0) end
          end
          return f(...)
        end
        local p = docker.plugins.create("{name}", "{dir}")
        assert(transfer(p.push, p))
        local i = transfer(docker.plugins.install, "{name}", "{local}")
        print("installed", i.name, i.enabled, i.settings.Env[1], i.attrs.PluginReference)
        transfer(i.upgrade, i)
        print("upgraded", i.enabled)
        local ok, e = pcall(transfer, i.upgrade, i, "{name}")
        print(ok, ok or e.kind)
        i:remove()
        p:remove{{force = true}}
        local ok, e = pcall(docker.plugins.get, "{name}")
        print(ok, e.kind)
        for _, q in ipairs(docker.plugins.list()) do print("left", q.name) end
        "#,
        dir = dir.path().display()
    );
    const ATTEMPTS: u32 = 3;
    for attempt in 1..=ATTEMPTS {
        let engine = OwnEngine::start("dl-plugins-", Some(&registry()));
        let out = common::run(dockerlua_at(&engine.host).args(["-e", &code]));
        let log = engine.log();
        let crashed = log.contains("panic: send on closed channel")
            && log.contains("remotes/docker/pusher.go");
        if !out.status.success() && crashed && attempt < ATTEMPTS {
            eprintln!(
                "plugins: attempt {attempt}: the engine crashed pushing the plugin \
                 (Engine 20.10's known pusher panic); again on a fresh engine"
            );
            continue;
        }
        assert!(
            !crashed,
            "the engine crashed pushing the plugin {ATTEMPTS} times (pusher panic in {})",
            engine.dir.path().join("dockerd.log").display()
        );
        assert_eq!(
            assert_success(&out),
            format!(
                "installed\t{local}\tfalse\tDEBUG=0\t{name}\n\
                 upgraded\tfalse\ntrue\ttrue\nfalse\tNotFound\n"
            )
        );
        break;
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_enabled_plugin_refuses_an_upgrade_and_bad_arguments_are_named() {
    let id = unique("plugin");
    let name = format!("{}/{id}:latest", registry());
    let _guard = Plugins(vec![name.clone()]);
    let dir = tempfile::tempdir().unwrap();
    plugin_folder(dir.path(), &id);
    let code = format!(
        r#"
        local p = docker.plugins.create{{name = "{name}", plugin_data_dir = "{dir}"}}
        p:enable(30)
        local ok, e = pcall(p.upgrade, p, "{name}")
        print(ok, e.kind)
        print(select(2, pcall(p.configure, p, 3)).message)
        print(select(2, pcall(docker.plugins.create, "x")).message)
        print(select(2, pcall(docker.plugins.create, "x", "/nonexistent/folder")).message)
        p:disable{{force = true}}
        print(docker.plugins.get("{name}").enabled)
        "#,
        dir = dir.path().display()
    );
    let out = assert_success(&lua(&code));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "false\tConflict", "{out}");
    assert!(
        lines[1].contains("Plugin:configure") && lines[1].contains("'options'"),
        "{out}"
    );
    assert!(
        lines[2].contains("plugins.create") && lines[2].contains("plugin_data_dir"),
        "{out}"
    );
    assert!(lines[3].contains("/nonexistent/folder"), "{out}");
    assert_eq!(lines[4], "false", "{out}");
    assert_eq!(inspect(&name, "{{.Enabled}}"), "false");
}
