//! Installing without Rust: tools/release.sh's tarball and Debian package
//! install and run a script, and the image that tools/image.sh builds runs a
//! script against the engine whose socket it is given.
//!
//! The binary packaged is the one cargo built for the tests (stripped of its
//! debug sections by the script), or `DOCKERLUA_RELEASE_BIN` (a release
//! build, whose fat LTO takes minutes).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_success, describe, docker, host, run, Cleanup};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tools/release.sh` into a fresh folder.
fn release(dist: &Path) -> String {
    let bin = std::env::var("DOCKERLUA_RELEASE_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_dockerlua").to_owned());
    assert_success(&run(Command::new(root().join("tools/release.sh"))
        .env("DIST", dist)
        .env("DOCKERLUA_RELEASE_BIN", bin)))
}

fn only(dist: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{suffix} in {found:?}");
    found.into_iter().next().unwrap()
}

fn version_line() -> String {
    let out = run(Command::new(env!("CARGO_BIN_EXE_dockerlua")).arg("--version"));
    assert_success(&out).trim().to_owned()
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn the_tarball_and_the_deb_install_and_run_and_the_image_runs_a_script() {
    let t = Cleanup::new("release");
    let dist = tempfile::tempdir().unwrap();
    let said = release(dist.path());
    let glibc = said
        .lines()
        .find_map(|l| l.strip_prefix("release: the binary needs glibc >= "))
        .unwrap_or_else(|| panic!("no glibc line: {said}"))
        .to_owned();
    assert!(glibc.starts_with("2."), "{said}");
    assert_success(&run(Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(dist.path())));

    // The tarball: everything in one folder, the binary runs a script.
    let tarball = only(dist.path(), "-linux-gnu.tar.gz");
    let unpacked = tempfile::tempdir().unwrap();
    assert_success(&run(Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(unpacked.path())));
    let top = std::fs::read_dir(unpacked.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for file in [
        "bin/dockerlua",
        "man/man1/dockerlua.1",
        "completions/dockerlua.bash",
        "completions/_dockerlua",
        "completions/dockerlua.fish",
        "types/docker.lua",
        "types/docker-api/containers.lua",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        assert!(top.join(file).is_file(), "{file} missing from the tarball");
    }
    let bin = top.join("bin/dockerlua");
    let out = run(Command::new(&bin).arg("--version"));
    assert_eq!(assert_success(&out).trim(), version_line());
    let out = run(Command::new(&bin).env("DOCKER_HOST", host()).args([
        "-e",
        "print(docker.ping(), require('docker.human').size(2048))",
    ]));
    assert_eq!(assert_success(&out), "true\t2.05kB\n");

    // The .deb, installed by dpkg into an empty root: files in their places.
    let deb = only(dist.path(), ".deb");
    let depends = assert_success(&run(Command::new("dpkg-deb")
        .arg("-f")
        .arg(&deb)
        .arg("Depends")));
    assert!(
        depends.contains(&format!("libc6 (>= {glibc})")),
        "{depends}"
    );
    let target = tempfile::tempdir().unwrap();
    let admin = target.path().join("var/lib/dpkg");
    for dir in ["info", "updates", "triggers"] {
        std::fs::create_dir_all(admin.join(dir)).unwrap();
    }
    std::fs::write(admin.join("status"), "").unwrap();
    std::fs::write(admin.join("available"), "").unwrap();
    let dpkg = |args: &[&str]| {
        let mut cmd = Command::new("dpkg");
        cmd.arg(format!("--root={}", target.path().display()))
            .args([
                "--log=/dev/null",
                "--force-depends",
                "--force-script-chrootless",
            ])
            .args(args);
        cmd
    };
    assert_success(&run(&mut dpkg(&["-i", deb.to_str().unwrap()])));
    for file in [
        "usr/bin/dockerlua",
        "usr/share/man/man1/dockerlua.1.gz",
        "usr/share/bash-completion/completions/dockerlua",
        "usr/share/zsh/vendor-completions/_dockerlua",
        "usr/share/fish/vendor_completions.d/dockerlua.fish",
        "usr/share/doc/dockerlua/copyright",
        "usr/share/dockerlua/types/docker.lua",
    ] {
        assert!(target.path().join(file).is_file(), "{file} not installed");
    }
    let installed = target.path().join("usr/bin/dockerlua");
    let out = run(Command::new(&installed)
        .env("DOCKER_HOST", host())
        .args(["-e", "print(#docker.images.list() > 0)"]));
    assert_eq!(assert_success(&out), "true\n");
    let man = run(Command::new("man")
        .arg("-l")
        .arg(target.path().join("usr/share/man/man1/dockerlua.1.gz"))
        .env("MANPAGER", "cat")
        .env("COLUMNS", "80"));
    assert!(
        assert_success(&man).contains("dockerlua"),
        "{}",
        describe(&man)
    );
    assert_success(&run(&mut dpkg(&["--purge", "dockerlua"])));
    assert!(!installed.exists());

    // The image: a script from the working folder, against the engine.
    let base = format!("{}:base", t.image("base"));
    let tag = format!("{}:test", t.image("img"));
    let out = run(Command::new(root().join("tools/image.sh"))
        .arg(&tag)
        .env("DIST", dist.path())
        .env("BASE", &base));
    assert!(out.status.success(), "{}", describe(&out));
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("script.lua"),
        format!(
            "print(docker.containers.run('alpine', 'echo from the image', {{remove = true, labels = {}}}))",
            t.lua_labels()
        ),
    )
    .unwrap();
    let socket = host()
        .strip_prefix("unix://")
        .expect("a unix socket engine")
        .to_owned();
    let out = docker(&[
        "run",
        "--rm",
        "--label",
        &t.label(),
        "-v",
        &format!("{socket}:/var/run/docker.sock"),
        "-v",
        &format!("{}:/work", work.path().display()),
        &tag,
        "script.lua",
    ]);
    assert_eq!(out, "from the image");
    let version = docker(&["run", "--rm", "--label", &t.label(), &tag, "--version"]);
    assert_eq!(version, version_line());
}
