//! `images.build{buildkit = true}` against the engine's built-in BuildKit:
//! cache mounts, secrets (absent from every layer), multi-stage with
//! `target` and bind mounts from another stage, a large context of which
//! only the file read crosses the socket, and failures.

mod common;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use common::{assert_success, docker, docker_cmd, lua, run, Cleanup};

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Builds `dir` with BuildKit (extra Lua options `opts`), tagged `tag`;
/// prints the image id, then each log line of the build's steps, then the
/// context bytes the session sent.
fn build(t: &Cleanup, dir: &Path, tag: &str, opts: &str) -> (String, String, u64) {
    let code = format!(
        r#"
        local img, logs = docker.images.build{{
          path = {path:?}, tag = {tag:?}, buildkit = true, labels = {labels}, {opts}
        }}
        print(img.id)
        for _, e in ipairs(logs) do
          if e.id == "moby.buildkit.trace" then
            for _, l in ipairs(e.aux.logs) do io.write(l.data) end
          end
        end
        print("BYTES " .. logs[#logs].aux.bytes)
        "#,
        path = dir.display().to_string(),
        labels = t.lua_labels(),
    );
    let out = assert_success(&lua(&code));
    let (id, rest) = out.split_once('\n').unwrap();
    let (log, bytes) = rest.rsplit_once("BYTES ").unwrap();
    (id.to_owned(), log.to_owned(), bytes.trim().parse().unwrap())
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_cache_mount_keeps_its_files_from_one_build_to_the_next() {
    let t = Cleanup::new("bkcache");
    let dir = tempfile::tempdir().unwrap();
    // The id makes the cache this test's own; the arg makes each build run.
    let dockerfile = format!(
        "FROM busybox:latest\nARG RUN=1\n\
         RUN --mount=type=cache,id={id},target=/cache \
         echo \"run $RUN saw: $(cat /cache/mark 2>/dev/null || echo nothing)\"; \
         echo from-run-$RUN > /cache/mark\n",
        id = t.id
    );
    write(dir.path(), &[("Dockerfile", &dockerfile)]);
    let tag = format!("{}:latest", t.image("img"));
    let (_, first, _) = build(&t, dir.path(), &tag, "buildargs = {RUN = '1'}");
    assert!(first.contains("run 1 saw: nothing"), "{first}");
    let (_, second, _) = build(&t, dir.path(), &tag, "buildargs = {RUN = '2'}");
    assert!(second.contains("run 2 saw: from-run-1"), "{second}");
}

/// Every file of every layer of `image`'s `docker save` archive.
fn layer_files(image: &str) -> Vec<(String, Vec<u8>)> {
    let out = run(docker_cmd().args(["save", image]));
    assert!(out.status.success());
    let mut files = Vec::new();
    let mut archive = tar::Archive::new(&out.stdout[..]);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name.ends_with("layer.tar") {
            let mut layer = tar::Archive::new(&data[..]);
            for inner in layer.entries().unwrap() {
                let mut inner = inner.unwrap();
                let path = inner.path().unwrap().to_string_lossy().into_owned();
                let mut bytes = Vec::new();
                inner.read_to_end(&mut bytes).unwrap();
                files.push((format!("{name}:{path}"), bytes));
            }
        } else {
            files.push((name, data));
        }
    }
    files
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn secrets_from_a_file_and_a_variable_are_read_and_never_kept() {
    let t = Cleanup::new("bksecret");
    let dir = tempfile::tempdir().unwrap();
    let from_file = format!("filesecret-{}", t.id);
    let from_env = format!("envsecret-{}", t.id);
    // The id in the step: the cache does not know secrets' values, so an
    // identical step of an earlier run would be reused, not run.
    let dockerfile = format!(
        "FROM busybox:latest\n\
         RUN --mount=type=secret,id=token --mount=type=secret,id=pass \
         cat /run/secrets/token /run/secrets/pass | md5sum > /sums; \
         test -s /run/secrets/token && echo secrets-read {}\n",
        t.id
    );
    write(dir.path(), &[("Dockerfile", &dockerfile)]);
    let secret_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret_file.path(), &from_file).unwrap();
    let tag = format!("{}:latest", t.image("img"));
    let opts = format!(
        "secrets = {{{{id = 'token', src = {:?}}}, {{id = 'pass', env = 'BK_TEST_PASS'}}}}",
        secret_file.path().display().to_string()
    );
    let code = format!(
        r#"
        local img, logs = docker.images.build{{
          path = {path:?}, tag = {tag:?}, buildkit = true, labels = {labels}, {opts}
        }}
        for _, e in ipairs(logs) do
          if e.id == "moby.buildkit.trace" then
            for _, l in ipairs(e.aux.logs) do io.write(l.data) end
          end
        end
        "#,
        path = dir.path().display().to_string(),
        labels = t.lua_labels(),
    );
    let out = run(common::dockerlua_cmd()
        .env("BK_TEST_PASS", &from_env)
        .args(["-e", &code]));
    let log = assert_success(&out);
    assert!(log.contains("secrets-read"), "{log}");
    assert!(
        !log.contains(&from_file) && !log.contains(&from_env),
        "{log}"
    );
    // The sums of both values were written: both were readable.
    let sums = docker(&["run", "--rm", &tag, "cat", "/sums"]);
    let expected = docker(&[
        "run",
        "--rm",
        "busybox:latest",
        "sh",
        "-c",
        &format!("printf %s {from_file}{from_env} | md5sum"),
    ]);
    assert_eq!(sums.trim(), expected.trim());
    for (name, data) in layer_files(&tag) {
        let text = String::from_utf8_lossy(&data);
        assert!(
            !text.contains(&from_file) && !text.contains(&from_env),
            "a secret is in {name}"
        );
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn multi_stage_with_target_args_labels_and_a_bind_mount_from_a_stage() {
    let t = Cleanup::new("bkstage");
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "Dockerfile",
                "FROM busybox:latest AS tools\n\
                 RUN mkdir /out && echo made-in-tools > /out/tool.txt\n\
                 FROM busybox:latest AS app\n\
                 ARG GREETING\n\
                 RUN --mount=type=bind,from=tools,source=/out,target=/mnt \
                 echo \"$GREETING $(cat /mnt/tool.txt)\" > /app.txt\n\
                 FROM busybox:latest AS never\n\
                 RUN exit 1\n",
            ),
            ("unused.bin", "not read"),
        ],
    );
    let tag = format!("{}:latest", t.image("img"));
    let (id, _, _) = build(
        &t,
        dir.path(),
        &tag,
        "target = 'app', buildargs = {GREETING = 'hello'}, labels = {tier = 'web'}",
    );
    assert_eq!(
        docker(&["run", "--rm", &id, "cat", "/app.txt"]).trim(),
        "hello made-in-tools"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{index .Config.Labels \"tier\"}}", &tag]).trim(),
        "web"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_large_context_sends_only_the_file_the_build_copies() {
    let t = Cleanup::new("bkbig");
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "Dockerfile",
                "FROM busybox:latest\nCOPY small.txt /small.txt\n",
            ),
            ("small.txt", "just this\n"),
        ],
    );
    let big = std::fs::File::create(dir.path().join("big.bin")).unwrap();
    big.set_len(200 * 1024 * 1024).unwrap();
    let tag = format!("{}:latest", t.image("img"));
    let (id, _, bytes) = build(&t, dir.path(), &tag, "");
    assert_eq!(
        docker(&["run", "--rm", &id, "cat", "/small.txt"]).trim(),
        "just this"
    );
    // The Dockerfile and small.txt, nothing of the 200 MB.
    assert!(bytes < 64 * 1024, "{bytes} bytes sent");
    assert!(bytes >= "just this\n".len() as u64);
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_failing_run_raises_build_error_with_the_step_log() {
    let t = Cleanup::new("bkfail");
    let code = format!(
        r#"
        local ok, err = pcall(docker.images.build, {{
          fileobj = "FROM busybox:latest\nRUN echo about to fail-{id}; exit 3\n",
          buildkit = true, labels = {labels},
        }})
        print(ok, err.kind)
        print(err.message)
        "#,
        id = t.id,
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    assert!(out.starts_with("false\tBuildError\n"), "{out}");
    assert!(out.contains("exit code: 3"), "{out}");
    assert!(out.contains(&format!("about to fail-{}", t.id)), "{out}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn what_the_builtin_frontend_lacks_is_named() {
    let code = r#"
        local ok, err = pcall(docker.images.build, {
          fileobj = "FROM busybox:latest\nCOPY --link a /a\n", buildkit = true,
        })
        print(ok, err.kind)
        print(err.message)
        "#;
    let out = assert_success(&lua(code));
    assert!(out.starts_with("false\tBuildError\n"), "{out}");
    assert!(out.contains("built-in Dockerfile frontend"), "{out}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_dry_run_opens_no_session_and_prints_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("Dockerfile", "FROM busybox:latest\nRUN true\n")],
    );
    let code = format!(
        r#"
        local img = docker.images.build{{path = {:?}, buildkit = true, tag = "dry-bk:1",
          secrets = {{{{id = "tok", env = "BK_DRY_SECRET"}}}}}}
        print(img.id ~= nil)
        "#,
        dir.path().display().to_string()
    );
    let out = run(common::dockerlua_cmd()
        .env("BK_DRY_SECRET", "dry-secret-value")
        .args(["--dry-run", "-e", &code]));
    let all = format!("{}{}", common::stdout_of(&out), common::stderr_of(&out));
    assert!(out.status.success(), "{all}");
    assert!(all.contains("/build") && all.contains("version=2"), "{all}");
    assert!(!all.contains("dry-secret-value"), "{all}");
    assert!(!common::image_exists("dry-bk:1"));
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn docker_buildkit_in_the_environment_turns_buildkit_on() {
    let t = Cleanup::new("bkenv");
    // `RUN --mount` is BuildKit's: the classic builder refuses it.
    let code = format!(
        r#"
        local fileobj = "FROM busybox:latest\nRUN --mount=type=cache,target=/c echo {id}\n"
        print(pcall(docker.images.build, {{fileobj = fileobj, labels = {labels}}}))
        local ok, err = pcall(docker.images.build,
          {{fileobj = fileobj, labels = {labels}, buildkit = false}})
        print(ok, err.kind)
        "#,
        id = t.id,
        labels = t.lua_labels()
    );
    let out = run(common::dockerlua_cmd()
        .env("DOCKER_BUILDKIT", "1")
        .args(["-e", &code]));
    let text = assert_success(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("true\t"), "{text}");
    assert_eq!(lines[1], "false\tBuildError", "{text}");
}

/// An `ssh-agent` this test started (killed when dropped), its socket.
struct Agent {
    child: std::process::Child,
    socket: std::path::PathBuf,
}

impl Agent {
    fn start(dir: &Path, keys: &[&Path]) -> Agent {
        let socket = dir.join("agent.sock");
        let child = std::process::Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("ssh-agent (apt install openssh-client)");
        let agent = Agent { child, socket };
        common::eventually("the agent's socket", Duration::from_secs(20), || {
            std::os::unix::net::UnixStream::connect(&agent.socket).is_ok()
        });
        for key in keys {
            assert_success(&run(std::process::Command::new("ssh-add")
                .arg("-q")
                .arg(key)
                .env("SSH_AUTH_SOCK", &agent.socket)));
        }
        agent
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new key without passphrase, and its fingerprint (`SHA256:...`).
fn new_key(dir: &Path, name: &str) -> (std::path::PathBuf, String) {
    let path = dir.join(name);
    assert_success(&run(std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path)));
    let listed = assert_success(&run(std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(&path)));
    let print = listed.split_whitespace().nth(1).unwrap().to_owned();
    (path, print)
}

/// This machine's `ssh-add` with its libraries and loader, in `dir/x`: the
/// busybox image has no ssh client, and a bind mount of this lets a step
/// ask the forwarded agent for its keys (`/x/ssh-add -l`, see [`SSH_ADD`]).
fn ssh_add_kit(dir: &Path) {
    let x = dir.join("x");
    std::fs::create_dir_all(&x).unwrap();
    let ssh_add = String::from_utf8(
        run(std::process::Command::new("sh").args(["-c", "command -v ssh-add"])).stdout,
    )
    .unwrap();
    let ssh_add = ssh_add.trim();
    let libs = assert_success(&run(std::process::Command::new("ldd").arg(ssh_add)));
    let mut loader = None;
    for path in libs.split_whitespace().filter(|w| w.starts_with('/')) {
        let name = Path::new(path).file_name().unwrap().to_owned();
        if name.to_string_lossy().starts_with("ld-linux") {
            loader = Some(name.to_string_lossy().into_owned());
        }
        std::fs::copy(path, x.join(&name)).unwrap();
    }
    std::fs::copy(ssh_add, x.join("ssh-add")).unwrap();
    std::os::unix::fs::symlink(loader.expect("a dynamic loader"), x.join("ld.so")).unwrap();
}

/// The step that lists the keys of the agent the build forwards.
const SSH_ADD: &str = "/x/ld.so --library-path /x /x/ssh-add -l";

/// The ssh-agents whose command line names `dir` (ours, left running).
fn agents_under(dir: &Path) -> Vec<String> {
    let dir = dir.display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains("ssh-agent") && c.contains(&dir))
        .collect()
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ssh_forwards_an_agent_socket_and_key_files_to_run_mounts() {
    let t = Cleanup::new("bkssh");
    let keys = tempfile::tempdir().unwrap();
    let (one, one_print) = new_key(keys.path(), "one");
    let (two, two_print) = new_key(keys.path(), "two");
    let (three, three_print) = new_key(keys.path(), "three");
    let agent = Agent::start(keys.path(), &[&one]);
    let dir = tempfile::tempdir().unwrap();
    ssh_add_kit(dir.path());
    // Each step prints what the agent of its id answers, line by line.
    let dockerfile = format!(
        "FROM busybox:latest\n\
         RUN --mount=type=bind,source=x,target=/x --mount=type=ssh,required=true \
         test -S \"$SSH_AUTH_SOCK\" && keys=$({SSH_ADD}) && echo \"$keys\" | sed 's/^/default: /'\n\
         RUN --mount=type=bind,source=x,target=/x --mount=type=ssh,id=files,required=true \
         keys=$({SSH_ADD}) && echo \"$keys\" | sed 's/^/files: /'\n"
    );
    write(dir.path(), &[("Dockerfile", &dockerfile)]);
    let tmp = tempfile::tempdir().unwrap();
    let code = format!(
        r#"
        -- As a table, then in the CLI's words (the default: $SSH_AUTH_SOCK).
        for _, ssh in ipairs{{ {{default = {sock:?}, files = {{{two:?}, {three:?}}}}},
                              {{"default", "files={two},{three}"}} }} do
          local img, logs = docker.images.build{{
            path = {path:?}, buildkit = true, nocache = true, labels = {labels}, ssh = ssh,
          }}
          for _, e in ipairs(logs) do
            if e.id == "moby.buildkit.trace" then
              for _, l in ipairs(e.aux.logs) do io.write(l.data) end
            end
          end
        end
        "#,
        path = dir.path().display().to_string(),
        labels = t.lua_labels(),
        sock = agent.socket.display().to_string(),
        two = two.display().to_string(),
        three = three.display().to_string(),
    );
    // Our agent for the key files lives under TMPDIR: this test's own.
    let out = run(common::dockerlua_cmd()
        .env("TMPDIR", tmp.path())
        .env("SSH_AUTH_SOCK", &agent.socket)
        .args(["-e", &code]));
    let log = assert_success(&out);
    let listed = |prefix: &str| -> Vec<String> {
        log.lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .collect()
    };
    // Each build's step answered with exactly the given agent's key...
    assert_eq!(
        listed("default: "),
        [one_print.as_str(), one_print.as_str()],
        "{log}"
    );
    // ... and with the key files' two keys, through the agent we started.
    let mut files = listed("files: ");
    files.sort();
    let mut expected = vec![
        two_print.as_str(),
        three_print.as_str(),
        two_print.as_str(),
        three_print.as_str(),
    ];
    expected.sort();
    assert_eq!(files, expected, "{log}");
    // That agent is gone with the build, and so is its folder.
    assert!(agents_under(tmp.path()).is_empty());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    // No key's private part in the output.
    for key in [&one, &two, &three] {
        let private = std::fs::read_to_string(key).unwrap();
        let body = private.lines().nth(1).unwrap();
        assert!(!common::describe(&out).contains(body));
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_required_ssh_mount_without_its_agent_fails_clearly() {
    let t = Cleanup::new("bksshno");
    let keys = tempfile::tempdir().unwrap();
    let (one, _) = new_key(keys.path(), "one");
    let agent = Agent::start(keys.path(), &[&one]);
    let code = format!(
        r#"
        local fileobj = "FROM busybox:latest\nRUN --mount=type=ssh,required=true echo {id}\n"
        for _, ssh in ipairs{{false, {{other = {sock:?}}}}} do
          local ok, err = pcall(docker.images.build, {{fileobj = fileobj, buildkit = true,
            labels = {labels}, ssh = ssh or nil}})
          print(ok, err.kind, (err.message:gsub("\n", " ")))
        end
        "#,
        id = t.id,
        labels = t.lua_labels(),
        sock = agent.socket.display().to_string(),
    );
    let out = assert_success(&lua(&code));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    // Without `ssh`, the engine's own words for the missing id (Engine
    // 20.10 names the default ""), and which option gives it ...
    assert!(lines[0].starts_with("false\tBuildError\t"), "{out}");
    assert!(lines[0].contains("forwarded from the client"), "{out}");
    assert!(
        lines[0].contains("needs images.build's 'ssh' option for its id"),
        "{out}"
    );
    // ... and with other ids, ours, naming the option.
    assert!(lines[1].starts_with("false\tBuildError\t"), "{out}");
    assert!(
        lines[1].contains("no ssh agent or key for id \"default\" (images.build's 'ssh' option)"),
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn bad_ssh_options_are_refused_naming_the_option_and_never_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_key = dir.path().join("not-a-key");
    std::fs::write(&not_a_key, "PRIVATE-MATERIAL-7731\n").unwrap();
    let code = format!(
        r#"
        for _, ssh in ipairs{{ {{default = 3}}, {{[1] = {{}}}}, {{default = "/nonexistent/agent"}},
                              {{["a=b"] = true}}, {{default = {bad:?}}} }} do
          local ok, err = pcall(docker.images.build, {{fileobj = "FROM busybox:latest\n",
            buildkit = true, ssh = ssh}})
          print(ok, err.kind, err.message)
        end
        local ok, err = pcall(docker.images.build, {{fileobj = "FROM busybox:latest\n",
          ssh = {{default = true}}}})
        print(ok, err.kind, err.message)
        "#,
        bad = not_a_key.display().to_string()
    );
    let out = assert_success(&lua(&code));
    assert!(!out.contains("PRIVATE-MATERIAL"), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    for line in &lines {
        assert!(line.starts_with("false\tInvalidArgument\t"), "{out}");
    }
    assert!(
        lines[0].contains("ssh.default must be an agent socket or key path"),
        "{out}"
    );
    assert!(lines[1].contains("ssh[1] must be a string"), "{out}");
    assert!(
        lines[2].contains("build ssh 'default': cannot use '/nonexistent/agent'"),
        "{out}"
    );
    assert!(lines[3].contains("ssh id 'a=b'"), "{out}");
    assert!(lines[4].contains("ssh-add could not load"), "{out}");
    assert!(lines[5].contains("'ssh' needs a BuildKit build"), "{out}");
    // A key with a passphrase, and no terminal to ask for it (a session of
    // its own has none): said, not waited for.
    let keys = tempfile::tempdir().unwrap();
    let locked = keys.path().join("locked");
    assert_success(&run(std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "pass-5511", "-f"])
        .arg(&locked)));
    let code = format!(
        r#"local ok, err = pcall(docker.images.build, {{fileobj = "FROM busybox:latest\n",
             buildkit = true, ssh = {{default = {locked:?}}}}})
           print(ok, err.kind, err.message)"#,
        locked = locked.display().to_string()
    );
    let mut cmd = common::dockerlua_cmd();
    cmd.args(["-e", &code]);
    // SAFETY: setsid is async-signal-safe; the child only calls it, then exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::setsid();
            Ok(())
        });
    }
    let out = assert_success(&run(&mut cmd));
    assert!(
        out.starts_with("false\tInvalidArgument\tbuild ssh 'default': ")
            && out.contains("needs a passphrase and no terminal could ask for it"),
        "{out}"
    );
    assert!(!out.contains("pass-5511"), "{out}");
    // `true` is the agent SSH_AUTH_SOCK names, when it names one.
    let out = run(common::dockerlua_cmd().env_remove("SSH_AUTH_SOCK").args([
        "-e",
        r#"local ok, err = pcall(docker.images.build, {fileobj = "FROM busybox:latest\n",
             buildkit = true, ssh = {default = true}})
           print(ok, err.kind, err.message)"#,
    ]));
    let out = assert_success(&out);
    assert!(
        out.starts_with(
            "false\tInvalidArgument\tbuild ssh 'default': no agent socket or key \
                         given, and SSH_AUTH_SOCK is not set"
        ),
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_dry_run_with_ssh_starts_no_agent_and_shows_no_key() {
    let keys = tempfile::tempdir().unwrap();
    let (one, _) = new_key(keys.path(), "one");
    let code = format!(
        r#"
        local img = docker.images.build{{fileobj = "FROM busybox:latest\n", buildkit = true,
          tag = "dry-bkssh:1", ssh = {{default = {key:?}}}}}
        print(img.id ~= nil)
        "#,
        key = one.display().to_string()
    );
    let tmp = tempfile::tempdir().unwrap();
    let out =
        run(common::dockerlua_cmd()
            .env("TMPDIR", tmp.path())
            .args(["--dry-run", "-e", &code]));
    let all = common::describe(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("/build"), "{all}");
    let private = std::fs::read_to_string(&one).unwrap();
    assert!(!all.contains(private.lines().nth(1).unwrap()), "{all}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    assert!(!common::image_exists("dry-bkssh:1"));
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_hard_linked_file_crosses_the_socket_once() {
    let t = Cleanup::new("bklink");
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "Dockerfile",
            "FROM busybox:latest\nCOPY data/ /data/\n\
             RUN cmp /data/a.bin /data/b.bin && md5sum /data/a.bin /data/b.bin\n",
        )],
    );
    // 8 MB that differ throughout: equal contents mean the same bytes.
    let size = 8 * 1024 * 1024;
    let data: Vec<u8> = (0..size as u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/a.bin"), &data).unwrap();
    std::fs::hard_link(dir.path().join("data/a.bin"), dir.path().join("data/b.bin")).unwrap();
    let tag = format!("{}:latest", t.image("img"));
    let (id, _, bytes) = build(&t, dir.path(), &tag, "nocache = true");
    let sums = docker(&["run", "--rm", &id, "md5sum", "/data/a.bin", "/data/b.bin"]);
    let sums: Vec<&str> = sums
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let local = md5_of(&data);
    assert_eq!(sums, [local.as_str(), local.as_str()]);
    // Once, not twice (the Dockerfile is the rest).
    assert!(bytes >= size, "{bytes} bytes sent");
    assert!(bytes < size + 64 * 1024, "{bytes} bytes sent for {size}");
}

/// The md5 of `data`, by the host's md5sum.
fn md5_of(data: &[u8]) -> String {
    let out = common::run_with_stdin(&mut std::process::Command::new("md5sum"), data);
    common::stdout_of(&out)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn build_contexts_are_refused_naming_the_frontend() {
    let code = r#"
        for _, kit in ipairs{true, false} do
          local ok, err = pcall(docker.images.build, {fileobj = "FROM busybox:latest\n",
            buildkit = kit, build_contexts = {other = "."}})
          print(ok, err.kind, err.message)
        end
        "#;
    let out = assert_success(&lua(code));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("false\tInvalidArgument\t"), "{out}");
    assert!(
        lines[0].contains("'build_contexts' needs Dockerfile frontend 1.4 named contexts"),
        "{out}"
    );
    assert!(
        lines[1].contains("'build_contexts' needs a BuildKit build"),
        "{out}"
    );
}
