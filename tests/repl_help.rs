//! The REPL's help, string printing, `:` completion and `docker.isatty`,
//! driven through a real pseudo-terminal (as tests/repl.rs does).

mod common;

use std::path::Path;

use common::repl::{Repl, PROMPT};

/// A REPL on `host` (none by default), 200 columns wide.
fn start(state: &Path, host: Option<&str>) -> Repl {
    let mut cmd = Repl::command(state, &[]);
    cmd.env("COLUMNS", "200").env(
        "DOCKER_HOST",
        host.unwrap_or("unix:///nonexistent/dockerlua-test.sock"),
    );
    Repl::spawn(cmd)
}

#[test]
fn help_and_question_mark_show_reference_entries() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = start(dir.path(), None);
    let run = r.eval("help(docker.containers.run)");
    assert!(
        run.starts_with("ContainerCollection.run(image, command, opts)\n"),
        "{run}"
    );
    assert!(
        run.contains("detach") && run.contains("opts: RunOptions?"),
        "{run}"
    );
    // `?` with a path, a method written with `:`, a module, a class.
    assert_eq!(r.eval("?docker.containers.run"), run);
    let logs = r.eval("?Container:logs");
    assert!(logs.starts_with("Container:logs(opts)\n"), "{logs}");
    assert!(logs.contains("LogStream"), "{logs}");
    let wait = r.eval("?docker.wait");
    assert!(wait.starts_with("docker.wait  (class)"), "{wait}");
    assert!(wait.contains("members: poll, healthy, log, port"), "{wait}");
    let log = r.eval("w = require('docker.wait'); help(w.log)");
    assert!(
        log.starts_with("docker.wait.log(container, pattern, opts)"),
        "{log}"
    );
    let collection = r.eval("help(docker.images)");
    assert!(
        collection.contains("members: list, get, pull"),
        "{collection}"
    );
    let field = r.eval("help('Container.status')");
    assert!(field.starts_with("Container.status: string"), "{field}");
    let none = r.eval("help(print)");
    assert!(
        none.starts_with("no reference entry for this function"),
        "{none}"
    );
    let usage = r.eval("help()");
    assert!(usage.contains("?c:logs"), "{usage}");
    // An option class lists what it inherits: every option of `run`.
    let options = r.eval("help('RunOptions')");
    let members = options.split("members: ").nth(1).unwrap_or("");
    for option in ["detach", "remove", "environment", "volumes", "healthcheck"] {
        assert!(members.contains(option), "{option}: {options}");
    }
    assert!(members.split(", ").count() > 80, "{options}");
    // An undefined name says so, not a syntax error in our source.
    let undefined = r.eval("?c:logs");
    assert_eq!(undefined, "help: c is not defined (it is nil)\n");
    assert_eq!(
        r.eval("?nothing_here"),
        "help: nothing_here is not defined (it is nil)\n"
    );
    let bad = r.eval("?c:");
    assert!(!bad.contains(".rs:"), "{bad}");
}

#[test]
fn strings_with_newlines_print_as_lines_and_isatty_sees_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = start(dir.path(), None);
    assert_eq!(r.eval("'line 1\\nline 2\\n'"), "line 1\nline 2\n");
    assert_eq!(r.eval("'one line'"), "\"one line\"\n");
    // Several values stay quoted, so they can be told apart.
    assert_eq!(r.eval("'a\\nb', 1"), "\"a\\nb\"\t1\n");
    assert_eq!(
        r.eval("docker.isatty(io.stdout), docker.isatty('stdin')"),
        "true\ttrue\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn after_a_colon_completion_offers_methods_only() {
    let t = common::Cleanup::new("colon");
    let dir = tempfile::tempdir().unwrap();
    let host = common::host();
    let mut r = start(dir.path(), Some(&host));
    r.eval(&format!(
        "c = docker.containers.create('alpine', 'true', {{labels = {}}})",
        t.lua_labels()
    ));
    r.send("c:st\t\t");
    let listed = r.until("c:st");
    let listed = format!("{listed}{}", r.until("c:st"));
    assert!(
        listed.contains("start") && listed.contains("stop") && listed.contains("stats"),
        "{listed:?}"
    );
    assert!(
        !listed.contains("status"),
        "a field offered after ':': {listed:?}"
    );
    r.send("\x03");
    r.until(PROMPT);
    // After `.` the fields are there.
    r.send("c.statu\t");
    r.until("c.status");
    r.send("\x03");
    r.until(PROMPT);
    let logs = r.eval("?c:logs");
    assert!(logs.starts_with("Container:logs(opts)"), "{logs}");
    let c = r.eval("help(c)");
    assert!(
        c.starts_with("Container  (class)") && c.contains("members: id"),
        "{c}"
    );
    r.eval("c:remove()");
}
