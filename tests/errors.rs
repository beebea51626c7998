//! Failures a script meets: each raises an error object with a kind, a
//! status where the engine answered, and a message; nothing panics.

mod common;

use common::{assert_exit, assert_success, docker, lua, stderr_of, Cleanup};

/// Runs `code`, which must fail inside `pcall`, and prints the error's fields.
fn fields(code: &str) -> String {
    let wrapped = format!(
        "local ok, e = pcall(function() {code} end)\n\
         assert(not ok, 'no error')\n\
         print(e.kind, e.status, e.message)\n\
         print(tostring(e))"
    );
    assert_success(&lua(&wrapped))
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_missing_container_is_not_found() {
    let out = fields("docker.containers.get('f1064a8a4c82dead')");
    assert_eq!(
        out,
        "NotFound\t404\tNo such container: f1064a8a4c82dead\n\
         NotFound (404): No such container: f1064a8a4c82dead\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_uncaught_error_prints_one_line_and_a_traceback() {
    let out = lua("local x = 1\ndocker.containers.get('nope-not-here')");
    assert_exit(&out, 1);
    let err = stderr_of(&out);
    let mut lines = err.lines();
    assert_eq!(
        lines.next(),
        Some("dockerlua: NotFound (404): No such container: nope-not-here")
    );
    assert_eq!(lines.next(), Some("stack traceback:"), "{err}");
    assert!(err.contains("(command line):2: in main chunk"), "{err}");
    assert!(!err.contains("__mlua"), "{err}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_name_in_use_is_a_conflict() {
    let t = Cleanup::new("conflict");
    let name = t.container("c");
    let code = format!(
        "docker.containers.create('alpine', 'true', {{name = '{name}', labels = {labels}}})\n\
         docker.containers.create('alpine', 'true', {{name = '{name}', labels = {labels}}})",
        labels = t.lua_labels()
    );
    let out = fields(&code);
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("Conflict\t409\t"), "{out}");
    assert!(first.contains(&name), "{out}");
    assert_eq!(
        docker(&["ps", "-aq", "--filter", &format!("name={name}")])
            .lines()
            .count(),
        1
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_non_zero_exit_is_a_container_error() {
    let code = "local ok, e = pcall(docker.containers.run, 'alpine', \"sh -c 'echo broken >&2; exit 3'\", {remove = true})\n\
                print(e.kind, e.exit_status, e.stderr, e.command, e.image)\n\
                print(tostring(e))";
    let out = assert_success(&lua(code));
    assert_eq!(
        out,
        "ContainerError\t3\tbroken\n\tsh -c 'echo broken >&2; exit 3'\talpine\n\
         ContainerError: command 'sh -c 'echo broken >&2; exit 3'' in image 'alpine' returned non-zero exit status 3: broken\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_missing_image_with_pull_never_is_image_not_found() {
    let t = Cleanup::new("never");
    let reference = t.pushed_image("img");
    let out = fields(&format!(
        "docker.containers.run('{reference}', 'true', {{pull = 'never'}})"
    ));
    assert!(out.starts_with("ImageNotFound\t404\t"), "{out}");
    assert!(!common::image_exists(&reference), "it was pulled");
    let out = fields(&format!("docker.images.get('{reference}')"));
    assert!(out.starts_with("ImageNotFound\t404\t"), "{out}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn run_pulls_a_missing_image_first() {
    let t = Cleanup::new("autopull");
    let reference = t.pushed_image("img");
    let out = lua(&format!(
        "io.write(docker.containers.run('{reference}', 'cat /marker', {{remove = true}}))"
    ));
    assert_eq!(assert_success(&out), format!("{}\n", t.id));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("Unable to find image '{reference}' locally")),
        "{err}"
    );
    assert!(common::image_exists(&reference));
}

#[test]
fn an_unreachable_engine_names_the_address() {
    for host in ["unix:///nonexistent/docker.sock", "tcp://127.0.0.1:9"] {
        let out = common::run(
            common::dockerlua_cmd()
                .args(["-H", host, "-e"])
                .arg("local ok, e = pcall(docker.ping) print(e.kind, e.status) print(e.message) docker.ping()"),
        );
        assert_exit(&out, 1);
        let stdout = common::stdout_of(&out);
        assert!(stdout.starts_with("ConnectionError\tnil\n"), "{stdout}");
        assert!(
            stdout.contains(&format!("cannot reach the engine at {host}")),
            "{stdout}"
        );
        assert!(stderr_of(&out).starts_with(&format!(
            "dockerlua: ConnectionError: cannot reach the engine at {host}"
        )));
    }
}

#[test]
fn a_bad_host_is_an_invalid_argument() {
    let out = common::run(common::dockerlua_cmd().args(["-H", "ftp://x", "-e", "docker.ping()"]));
    assert_exit(&out, 1);
    assert!(stderr_of(&out).starts_with("dockerlua: InvalidArgument: bad engine address 'ftp://x'"));
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn wrong_arguments_name_the_function_and_the_argument() {
    let cases = [
        (
            "docker.containers.run(42)",
            "containers.run: bad argument 'image' (string or Image expected, got number)",
        ),
        (
            "docker.containers.run('alpine', 'true', {detatch = true})",
            "containers.run: unknown option 'detatch' (did you mean 'detach'?)",
        ),
        (
            "docker.containers.list('all')",
            "containers.list: bad argument 'opts' (table expected, got string)",
        ),
        (
            "docker.containers.list({limit = 'x'})",
            "containers.list: bad option 'limit' (integer expected, got string)",
        ),
        (
            "docker.containers.run('alpine', {1, {}})",
            "containers.run: bad 'command' item #2 (string expected, got table)",
        ),
        (
            "docker.containers.run('alpine', 'echo \"unclosed')",
            "containers.run: bad argument 'command' (unbalanced quotes in 'echo \"unclosed')",
        ),
        (
            "docker.images.pull(nil)",
            "images.pull: bad argument 'reference' (string expected, got nil)",
        ),
        (
            "docker.containers.list({filters = {label = {1, true}}})",
            "containers.list: bad 'filters.label' item #2 (string expected, got boolean)",
        ),
        (
            "docker.json.encode(function() end)",
            "json.encode: a function has no json form",
        ),
    ];
    for (code, expected) in cases {
        let out = fields(code);
        assert_eq!(
            out,
            format!("InvalidArgument\tnil\t{expected}\nInvalidArgument: {expected}\n"),
            "{code}"
        );
    }
    // A method on a live container checks its options too, before any request.
    let t = Cleanup::new("badarg");
    let code = format!(
        "local c = docker.containers.create('alpine', 'true', {{labels = {}}})\n\
         local ok, e = pcall(c.stop, c, {{timeout = 'soon'}})\n\
         print(e.kind, e.message)",
        t.lua_labels()
    );
    assert_eq!(
        assert_success(&lua(&code)),
        "InvalidArgument\tContainer:stop: bad option 'timeout' (non-negative integer expected, got string)\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn json_null_is_nil_and_empty_arrays_stay_arrays() {
    let t = Cleanup::new("json");
    let code = format!(
        "local c = docker.containers.create('alpine', 'true', {{labels = {}}})\n\
         print(c.attrs.Config.Entrypoint == nil, c.attrs.Config.Domainname)\n\
         print(docker.json.encode(c.attrs.Mounts), docker.json.encode({{}}), docker.json.encode({{1, 2}}))\n\
         print(docker.json.encode(docker.json.decode('{{\"a\":[],\"b\":null}}')))",
        t.lua_labels()
    );
    assert_eq!(
        assert_success(&lua(&code)),
        "true\t\n[]\t{}\t[1,2]\n{\"a\":[]}\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_empty_entrypoint_reaches_the_engine_as_an_array() {
    let t = Cleanup::new("entry");
    let name = t.container("c");
    let code = format!(
        "docker.containers.create('alpine', {{'echo', 'x'}}, {{name = '{name}', entrypoint = {{}}, labels = {}}})",
        t.lua_labels()
    );
    assert_success(&lua(&code));
    assert_eq!(
        docker(&["inspect", "-f", "{{json .Config.Entrypoint}}", &name]),
        "[]"
    );
}
