//! `c:copy_from` and `c:copy_to` follow `docker cp`'s rules (trailing `/`,
//! `/.`, links, modes, owners): each case is done both ways, with
//! dockerlua and with `docker cp`, and the results compared. A dry run
//! writes no local file. (Archives that climb out of the destination cannot
//! come from a real engine: `src/engine/copy.rs`'s unit tests feed them.)

mod common;

use std::path::Path;
use std::process::Command;

use common::{assert_success, describe, docker, lua, run, stderr_of, Cleanup};

/// `find` of a local tree: type, mode, size, link target, one line each.
fn listing(root: &Path) -> String {
    let out = run(Command::new("find")
        .arg(".")
        .args(["-printf", "%P %y %m %s %l\n"])
        .current_dir(root));
    let mut lines: Vec<String> = common::stdout_of(&out)
        .lines()
        .map(|l| {
            // A folder's size is the file system's business.
            let parts: Vec<&str> = l.split(' ').collect();
            if parts.get(1) == Some(&"d") {
                format!("{} d {}", parts[0], parts[2])
            } else {
                l.to_owned()
            }
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

/// `ls -ln` of paths in the container, owners and modes included.
fn container_listing(name: &str, paths: &str) -> String {
    docker(&[
        "exec",
        name,
        "sh",
        "-c",
        &format!("cd / && find {paths} | sort | xargs stat -c '%n %F %a %u:%g %s'"),
    ])
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn copy_from_follows_docker_cp() {
    let t = Cleanup::new("copyfrom");
    let name = t.container("src");
    docker(&[
        "run",
        "-d",
        "--init",
        "--name",
        &name,
        "--label",
        &t.label(),
        "alpine",
        "sh",
        "-c",
        "mkdir -p /data/sub && echo one > /data/a.txt && echo two > /data/sub/b.txt \
         && ln -s a.txt /data/link && chmod 600 /data/a.txt && chmod 750 /data/sub \
         && chown 1234:2345 /data/sub/b.txt && touch /ready && sleep 300",
    ]);
    common::eventually(
        "the container's files",
        std::time::Duration::from_secs(30),
        || {
            common::docker_output(&["exec", &name, "test", "-e", "/ready"])
                .status
                .success()
        },
    );
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    for dir in [&ours, &theirs] {
        std::fs::create_dir(dir.path().join("into")).unwrap();
        std::fs::create_dir(dir.path().join("contents")).unwrap();
        std::fs::write(dir.path().join("over.txt"), "old").unwrap();
    }
    // (source in the container, local destination)
    let cases = [
        ("/data", "fresh"),
        ("/data", "into"),
        ("/data/.", "contents"),
        ("/data/a.txt", "over.txt"),
        ("/data/a.txt", "into"),
        ("/data/a.txt", "new.txt"),
        ("/data/link", "link-copy"),
    ];
    let mut calls = String::new();
    for (src, dest) in cases {
        calls.push_str(&format!(
            "print(c:copy_from({src:?}, {:?}))\n",
            ours.path().join(dest).display().to_string()
        ));
        docker(&[
            "cp",
            &format!("{name}:{src}"),
            theirs.path().join(dest).to_str().unwrap(),
        ]);
    }
    let out = assert_success(&lua(&format!(
        "local c = docker.containers.get('{name}')\n{calls}"
    )));
    let o = ours.path().display().to_string();
    assert_eq!(
        out.replace(&o, "@"),
        "@/fresh\n@/into/data\n@/contents\n@/over.txt\n@/into/a.txt\n@/new.txt\n@/link-copy\n"
    );
    let listed = listing(ours.path());
    assert_eq!(listed, listing(theirs.path()));
    assert!(listed.contains("fresh/a.txt f 600 4"), "{listed}");
    assert!(listed.contains("fresh/link l 777 5 a.txt"), "{listed}");
    assert!(listed.contains("contents/sub d 750"), "{listed}");
    assert_eq!(
        std::fs::read_to_string(ours.path().join("over.txt")).unwrap(),
        "one\n"
    );
    // -L: the file a link points to, under the link's name.
    let out = assert_success(&lua(&format!(
        "print(docker.containers.get('{name}'):copy_from('/data/link', {:?}, {{follow_link = true}}))",
        ours.path().join("followed").display().to_string()
    )));
    assert!(out.ends_with("/followed\n"), "{out}");
    assert_eq!(
        std::fs::read_to_string(ours.path().join("followed")).unwrap(),
        "one\n"
    );

    // What the CLI refuses, refused with its reason.
    for (src, dest, says) in [
        ("/data/a.txt/", "x", "'/data/a.txt/' is not a directory"),
        ("/data", "over.txt", "cannot copy a directory to a file"),
        ("/data/a.txt", "missing/", "destination directory"),
        ("/data/a.txt", "no/such/dir/f", "no such directory"),
        ("/nothing", "x", "NotFound"),
    ] {
        let out = lua(&format!(
            "docker.containers.get('{name}'):copy_from({src:?}, {:?})",
            ours.path().join(dest).display().to_string()
        ));
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        assert!(
            stderr_of(&out).contains(says),
            "{src} {dest}: {}",
            describe(&out)
        );
    }

    // A dry run reads the container and writes nothing here.
    let dry = tempfile::tempdir().unwrap();
    let out = assert_success(&run(common::dockerlua_cmd().args([
        "--dry-run",
        "-e",
        &format!(
            "print(docker.containers.get('{name}'):copy_from('/data', {:?}))",
            dry.path().join("backup").display().to_string()
        ),
    ])));
    assert!(out.ends_with("/backup\n"), "{out}");
    let out_err = stderr_of(&run(common::dockerlua_cmd().args([
        "--dry-run",
        "-e",
        &format!(
            "docker.containers.get('{name}'):copy_from('/data', {:?})",
            dry.path().join("backup").display().to_string()
        ),
    ])));
    assert!(out_err.contains("dry-run: would write "), "{out_err}");
    assert_eq!(std::fs::read_dir(dry.path()).unwrap().count(), 0);
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn copy_to_follows_docker_cp() {
    let t = Cleanup::new("copyto");
    let name = t.container("dst");
    docker(&[
        "run",
        "-d",
        "--init",
        "--name",
        &name,
        "--label",
        &t.label(),
        "alpine",
        "sh",
        "-c",
        "mkdir -p /ours/into /theirs/into /ours/contents /theirs/contents \
         && echo old > /ours/over.txt && echo old > /theirs/over.txt && touch /ready && sleep 300",
    ]);
    common::eventually(
        "the container's folders",
        std::time::Duration::from_secs(30),
        || {
            common::docker_output(&["exec", &name, "test", "-e", "/ready"])
                .status
                .success()
        },
    );
    let local = tempfile::tempdir().unwrap();
    let src = local.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("a.txt"), "one\n").unwrap();
    std::fs::write(src.join("sub/b.txt"), "two\n").unwrap();
    std::os::unix::fs::symlink("a.txt", src.join("link")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(src.join("a.txt"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::chown(src.join("sub/b.txt"), Some(1234), Some(2345)).unwrap();
    let s = src.display().to_string();
    let cases = [
        (s.clone(), "fresh"),
        (s.clone(), "into"),
        (format!("{s}/."), "contents"),
        (format!("{s}/a.txt"), "over.txt"),
        (format!("{s}/a.txt"), "into"),
        (format!("{s}/a.txt"), "new.txt"),
        (format!("{s}/link"), "link-copy"),
    ];
    let mut calls = String::new();
    for (from, dest) in &cases {
        calls.push_str(&format!("print(c:copy_to({from:?}, '/ours/{dest}'))\n"));
        docker(&["cp", from, &format!("{name}:/theirs/{dest}")]);
    }
    let out = assert_success(&lua(&format!(
        "local c = docker.containers.get('{name}')\n{calls}"
    )));
    assert_eq!(
        out,
        "/ours/fresh\n/ours/into/src\n/ours/contents\n/ours/over.txt\n/ours/into/a.txt\n\
         /ours/new.txt\n/ours/link-copy\n"
    );
    let ours = container_listing(&name, "ours");
    assert_eq!(
        ours.replace("ours", "theirs"),
        container_listing(&name, "theirs")
    );
    assert!(
        ours.contains("ours/fresh/a.txt regular file 640 0:0 4"),
        "{ours}"
    );
    assert!(ours.contains("ours/fresh/link symbolic link"), "{ours}");
    assert!(
        ours.contains("ours/fresh/sub/b.txt regular file 644 1234:2345"),
        "{ours}"
    );
    assert_eq!(docker(&["exec", &name, "cat", "/ours/over.txt"]), "one");

    for (from, dest, says) in [
        (
            s.clone(),
            "/ours/over.txt",
            "cannot copy a directory to a file",
        ),
        (format!("{s}/a.txt"), "/nowhere/", "destination directory"),
        (format!("{s}/a.txt/"), "/ours", "is not a directory"),
    ] {
        let out = lua(&format!(
            "docker.containers.get('{name}'):copy_to({from:?}, {dest:?})"
        ));
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        assert!(
            stderr_of(&out).contains(says),
            "{from} {dest}: {}",
            describe(&out)
        );
    }
    // A dry run changes nothing in the container.
    let out = run(common::dockerlua_cmd().args([
        "--dry-run",
        "-e",
        &format!("print(docker.containers.get('{name}'):copy_to({s:?}, '/ours/dry'))"),
    ]));
    assert_eq!(common::stdout_of(&out), "/ours/dry\n", "{}", describe(&out));
    assert!(
        stderr_of(&out).contains("dry-run: PUT"),
        "{}",
        describe(&out)
    );
    assert!(
        !common::docker_output(&["exec", &name, "test", "-e", "/ours/dry"])
            .status
            .success()
    );
}

/// The backup recipe (scripts/volume_backup.lua): a volume into a local
/// folder and back into a new volume, files, folders and links intact.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_volume_backed_up_and_restored() {
    let t = Cleanup::new("volbackup");
    let (from, to) = (t.container("from"), t.container("to"));
    docker(&["volume", "create", "--label", &t.label(), &from]);
    docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{from}:/v"),
        "alpine",
        "sh",
        "-c",
        "mkdir -p /v/d && echo hi > /v/d/f && chmod 604 /v/d/f && ln -s d/f /v/l",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    let b = backup.to_str().unwrap();
    let out = assert_success(&common::script(
        "scripts/volume_backup.lua",
        &["backup", &from, b],
    ));
    assert_eq!(out, format!("backed up volume {from} into {b}\n"));
    assert_eq!(
        listing(&backup),
        " d 755\nd d 755\nd/f f 604 3 \nl l 777 3 d/f"
    );
    let out = common::dockerlua_cmd()
        .args(["scripts/volume_backup.lua", "restore", b, &to])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    // The new volume is labelled by nobody: remove it with the test.
    let listed = docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{to}:/v"),
        "alpine",
        "sh",
        "-c",
        "cd /v && find . | sort | xargs stat -c '%n %F %a %s' && cat d/f",
    ]);
    docker(&["volume", "rm", &to]);
    assert_eq!(
        listed,
        ". directory 755 4096\n./d directory 755 4096\n./d/f regular file 604 3\n\
         ./l symbolic link 777 3\nhi"
    );
    // No holder container is left behind.
    assert_eq!(
        docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=dockerlua.volume-backup={from}")
        ]),
        ""
    );
}
