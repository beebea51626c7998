//! The fuzz of issue 20: every public function and method of the `docker`
//! module, its collections, objects and stdlib modules (found by walking the
//! tables with `pairs`, so new ones are fuzzed too) called with bad values
//! (nil, NaN, ±inf, ±1e300, -1, huge and invalid UTF-8 strings, wrong types,
//! cyclic tables, other userdata, functions). Each call must succeed or raise
//! a typed error with a one-line message under 1 KB. One process per pass,
//! against the real engine: under `--dry-run` (options fuzzed too, so that
//! nothing, not a service of 1e300 replicas, is ever created), then
//! `--read-only` (what reads really answer). The driver is
//! tests/fuzz/driver.lua.

mod common;

use std::time::{Duration, Instant};

use common::{describe, docker, run, Cleanup};

/// Removes the network and the volume the fuzz calls methods on.
struct Removed(String, String);

impl Drop for Removed {
    fn drop(&mut self) {
        let _ = common::docker_output(&["network", "rm", &self.0]);
        let _ = common::docker_output(&["volume", "rm", &self.1]);
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn every_function_and_method_survives_bad_values_with_typed_errors() {
    let t = Cleanup::new("fuzz");
    let container = t.container("c");
    docker(&[
        "run",
        "--name",
        &container,
        "--label",
        &t.label(),
        "alpine",
        "true",
    ]);
    let objects = Removed(format!("{}-n", t.id), format!("{}-v", t.id));
    docker(&["network", "create", "--label", &t.label(), &objects.0]);
    docker(&["volume", "create", "--label", &t.label(), &objects.1]);
    // Files a call may write (`c:export(path)` under --read-only) land here.
    let cwd = tempfile::tempdir().unwrap();
    let driver = format!("{}/tests/fuzz/driver.lua", env!("CARGO_MANIFEST_DIR"));
    let started = Instant::now();
    for (flag, mode) in [("--dry-run", "dry"), ("--read-only", "ro")] {
        let out = run(common::dockerlua_cmd()
            .current_dir(cwd.path())
            .env("DOCKERLUA_TIMEOUT", "10")
            .args([flag, &driver, mode, &container, &objects.0, &objects.1]));
        let stdout = common::stdout_of(&out);
        let last = stdout.lines().last().unwrap_or_default().to_owned();
        let calls: usize = last
            .strip_prefix("calls ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{mode}: no summary\n{}", describe(&out)));
        assert!(calls > 3000, "{mode}: only {calls} calls");
        assert!(
            out.status.success() && last.ends_with(" failures 0"),
            "{mode}: {}",
            stdout.lines().take(60).collect::<Vec<_>>().join("\n")
        );
    }
    // The container the methods were called on is unchanged.
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &container]).trim(),
        "exited"
    );
    let took = started.elapsed();
    println!("fuzz: {took:?}");
    assert!(took < Duration::from_secs(120), "{took:?}");
}
