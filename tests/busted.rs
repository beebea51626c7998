//! Testing scripts with busted (Debian's lua-busted) under dockerlua, as
//! docs/testing.md shows it: the example team library and its specs in
//! docs/testing/, run with `busted --lua=dockerlua` against the real engine
//! and with a `--dry-run` wrapper.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{describe, docker, host, run, stderr_of, stdout_of, Cleanup};

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/testing")
}

/// `busted --lua=INTERPRETER SPEC` from the library's folder; `SPEC_RUN`
/// names (and labels) what the specs create.
fn busted(interpreter: &Path, spec: &str, t: &Cleanup) -> Output {
    assert!(
        Path::new("/usr/bin/busted").exists(),
        "busted is not installed (lua-busted: tools/test.sh installs it)"
    );
    let mut cmd = Command::new("busted");
    cmd.arg(format!("--lua={}", interpreter.display()))
        .args(["--output", "plainTerminal", spec])
        .current_dir(project())
        .env("DOCKER_HOST", host())
        .env("SPEC_RUN", &t.id)
        .env_remove("DOCKERLUA_PATH");
    run(&mut cmd)
}

fn labelled_volumes(t: &Cleanup) -> String {
    docker(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        &format!("label={}", t.label()),
    ])
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn busted_runs_a_team_librarys_specs_against_the_engine() {
    let t = Cleanup::new("busted");
    let out = busted(
        Path::new(env!("CARGO_BIN_EXE_dockerlua")),
        "spec/volumes_spec.lua",
        &t,
    );
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout_of(&out).contains("3 successes / 0 failures / 0 errors"),
        "{}",
        describe(&out)
    );
    // The specs' teardown removed what they made.
    assert_eq!(labelled_volumes(&t), "", "{}", describe(&out));

    // A failing spec fails the run, with busted's report of it.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("failing_spec.lua");
    std::fs::write(
        &spec,
        "describe('engine', function() it('answers', function() \
         assert.are.equal('no such output', docker.containers.run('busybox', 'echo hi', \
         {remove = true})) end) end)",
    )
    .unwrap();
    let out = busted(
        Path::new(env!("CARGO_BIN_EXE_dockerlua")),
        spec.to_str().unwrap(),
        &t,
    );
    assert!(!out.status.success(), "{}", describe(&out));
    let report = stdout_of(&out);
    assert!(report.contains("0 successes / 1 failure"), "{report}");
    assert!(report.contains("(string) 'hi\n'"), "{report}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn busted_under_dry_run_changes_nothing() {
    let t = Cleanup::new("busted-dry");
    let dir = tempfile::tempdir().unwrap();
    let wrapper = dir.path().join("dockerlua-dry-run");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec {} --dry-run \"$@\"\n",
            env!("CARGO_BIN_EXE_dockerlua")
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&wrapper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&wrapper, perms).unwrap();
    let out = busted(&wrapper, "spec/dry_run_spec.lua", &t);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout_of(&out).contains("1 success / 0 failures"),
        "{}",
        describe(&out)
    );
    assert!(
        stderr_of(&out).contains("dry-run: POST /volumes/create"),
        "{}",
        describe(&out)
    );
    assert_eq!(labelled_volumes(&t), "");
}
