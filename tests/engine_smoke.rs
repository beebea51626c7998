//! The test engine and the harness in `tests/common` work (no dockerlua yet).

mod common;

use common::{docker, docker_output, Cleanup};

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn the_test_image_runs() {
    assert_eq!(docker(&["run", "--rm", "alpine", "echo", "hi"]), "hi");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn the_registry_image_is_downloaded_when_pulled() {
    // The only test that pulls DOCKERLUA_TEST_PULL_IMAGE; others use
    // Cleanup::pushed_image so that parallel pulls do not share layers.
    let image = common::pull_image();
    let t = Cleanup::new("smoke-pull");
    t.remove_image_later(&image);
    assert!(
        !common::image_exists(&image),
        "{image} should only be in the registry"
    );
    let out = docker(&["pull", &image]);
    assert!(
        out.contains("Download complete") || out.contains("Pull complete"),
        "the pull did not download:\n{out}"
    );
    docker(&["rmi", &image]);
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn cleanup_removes_what_a_test_created() {
    let t = Cleanup::new("smoke-cleanup");
    let named = t.container("named");
    docker(&["create", "--name", &named, "alpine", "true"]);
    let labelled = docker(&["run", "-d", "--label", &t.label(), "alpine", "sleep", "600"]);
    let image = t.image("img");
    docker(&["tag", "alpine", &image]);
    let pushed = t.pushed_image("pushed");
    let pull = docker(&["pull", &pushed]);
    assert!(pull.contains("Pull complete"), "{pull}");
    drop(t);

    assert!(!common::container_exists(&named));
    assert!(!common::container_exists(&labelled));
    assert!(!common::image_exists(&image));
    assert!(!common::image_exists(&pushed));
    assert!(
        common::image_exists("alpine:latest"),
        "cleanup must only untag shared images"
    );
}

#[test]
fn unique_names_differ() {
    let a = common::unique("x");
    let b = common::unique("x");
    assert_ne!(a, b);
    assert!(a.starts_with("x-"));
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn commands_report_failures() {
    let out = docker_output(&["inspect", &common::unique("no-such-thing")]);
    assert!(!out.status.success());
    assert!(
        common::stderr_of(&out).contains("No such"),
        "{}",
        common::describe(&out)
    );
}
