//! `images.build`, `Image:save`, `images.load`, `images.get_registry_data`,
//! `docker.login` and `images.pull{all_tags}` against the real engine and
//! the local registry; `.dockerignore` checked against what the docker CLI
//! sends for the same folder.

mod common;

use std::path::Path;

use common::{
    assert_success, auth_headers, capture_proxy, docker, docker_cmd, dockerlua_cmd, header_values,
    lua, registry, run, Cleanup,
};

/// Files to write: (path, content), a content of `None` making a folder.
type Tree<'a> = &'a [(&'a str, Option<&'a str>)];

/// Writes `files` (path, content) under `root`; a content of `None` makes
/// a folder.
fn write_tree(root: &Path, files: Tree<'_>) {
    for (path, content) in files {
        let p = root.join(path);
        match content {
            Some(text) => {
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text).unwrap();
            }
            None => std::fs::create_dir_all(p).unwrap(),
        }
    }
}

/// What the image holds under /ctx: one line per entry (path, type, size).
fn listing(image: &str) -> String {
    docker(&[
        "run",
        "--rm",
        image,
        "sh",
        "-c",
        "cd /ctx && find . -exec stat -c '%n %F %s' {} + | sort",
    ])
}

/// Builds `dir` with dockerlua and with the docker CLI's classic builder
/// and returns both images' /ctx listings.
fn both_contexts(t: &Cleanup, dir: &Path, dockerfile: &str) -> (String, String) {
    let code = format!(
        "local img = docker.images.build{{path = {:?}, dockerfile = {:?}, labels = {}}}\n\
         print(img.id)",
        dir.display().to_string(),
        dockerfile,
        t.lua_labels()
    );
    let ours = assert_success(&lua(&code)).trim().to_owned();
    let out = run(docker_cmd()
        .env("DOCKER_BUILDKIT", "0")
        .current_dir(dir)
        .args(["build", "-q", "--label", &t.label(), "-f", dockerfile, "."]));
    let theirs = assert_success(&out).trim().to_owned();
    (listing(&ours), listing(&theirs))
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn dockerignore_sends_what_the_docker_cli_sends() {
    let t = Cleanup::new("ignore");
    let dockerfile = "FROM busybox\nCOPY . /ctx\n";
    let cases: &[(&str, &str, Tree<'_>)] = &[
        // The field notes' case: a file, a pattern across folders.
        (
            "Dockerfile",
            "secret.env\n**/*.log\n",
            &[
                ("secret.env", Some("s")),
                ("keep.txt", Some("k")),
                ("sub/a.log", Some("l")),
            ],
        ),
        // Exceptions, later lines winning, folders excluded but re-entered.
        (
            "Dockerfile",
            "# comment\nlogs\n!logs/important.log\n*.md\n!README.md\n  /tmp/  \n",
            &[
                ("logs/x.log", Some("x")),
                ("logs/important.log", Some("i")),
                ("logs/deep/y.log", Some("y")),
                ("CHANGES.md", Some("c")),
                ("README.md", Some("r")),
                ("tmp/t", Some("t")),
                ("src/tmp/t", Some("t")),
            ],
        ),
        // Everything excluded: the Dockerfile and .dockerignore still go.
        (
            "Dockerfile",
            "*\n!src\nsrc/*.o\n",
            &[
                ("a.txt", Some("a")),
                ("src/main.c", Some("m")),
                ("src/main.o", Some("o")),
                ("src/sub/x.o", Some("o")),
            ],
        ),
        // `**` forms, classes, `?`, escapes, the parent-results quirk.
        (
            "Dockerfile",
            "**/node_modules\ndocs/**\n**tmp\n?.txt\nfile[0-9].txt\na\n!a/b\na\n./dot/./x\n",
            &[
                ("node_modules/m.js", Some("m")),
                ("web/node_modules/n.js", Some("n")),
                ("docs/a/b.md", Some("d")),
                ("docs/top.md", Some("d")),
                ("stmp", Some("s")),
                ("x/y.tmp", Some("s")),
                ("1.txt", Some("1")),
                ("12.txt", Some("12")),
                ("file3.txt", Some("f")),
                ("fileA.txt", Some("f")),
                ("a/b", Some("b")),
                ("a/c", Some("c")),
                ("dot/x", Some("x")),
                ("dot/y", Some("y")),
                ("empty", None),
            ],
        ),
        // A Dockerfile elsewhere, in an excluded folder.
        (
            "build/app.Dockerfile",
            "build\n.git\n",
            &[
                ("build/other", Some("o")),
                (".git/HEAD", Some("h")),
                ("app.c", Some("c")),
            ],
        ),
    ];
    for (i, (dockerfile_path, ignore, files)) in cases.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path(), files);
        write_tree(
            dir.path(),
            &[
                (dockerfile_path, Some(dockerfile)),
                (".dockerignore", Some(ignore)),
            ],
        );
        std::os::unix::fs::symlink("README.md", dir.path().join("link")).unwrap();
        let (ours, theirs) = both_contexts(&t, dir.path(), dockerfile_path);
        assert_eq!(ours, theirs, "for .dockerignore:\n{ignore}");
        if i == 0 {
            assert!(ours.contains("./link symbolic link"), "{ours}");
        }
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn build_takes_tags_buildargs_labels_target_and_a_dockerfile_path() {
    let t = Cleanup::new("bopts");
    let repo = t.image("app");
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            (
                "docker/Dockerfile.multi",
                Some(
                    "FROM busybox AS base\nARG GREETING=none\nRUN echo \"$GREETING\" > /greeting\n\
                     COPY hello.txt /hello.txt\n\
                     FROM base AS final\nRUN echo final > /stage\n",
                ),
            ),
            ("hello.txt", Some("hello from the context\n")),
        ],
    );
    let code = format!(
        r#"
        local events = 0
        local img, logs = docker.images.build{{
          path = {path:?}, dockerfile = "docker/Dockerfile.multi",
          tag = {{"{repo}:1", "{repo}:2"}}, buildargs = {{GREETING = "hi there"}},
          labels = {labels}, target = "base", nocache = true,
          progress = function(e) events = events + 1 end,
        }}
        print(img.tags[1], img.tags[2], img.labels["dockerlua.test"] ~= nil)
        print(#logs == events, #logs > 3)
        "#,
        path = dir.path().display().to_string(),
        labels = t.lua_labels(),
    );
    let out = assert_success(&lua(&code));
    assert_eq!(out, format!("{repo}:1\t{repo}:2\ttrue\ntrue\ttrue\n"));
    let files = docker(&[
        "run",
        "--rm",
        &format!("{repo}:1"),
        "sh",
        "-c",
        "cat /greeting /hello.txt; ls /stage 2>&1 || true",
    ]);
    assert!(
        files.starts_with("hi there\nhello from the context\n"),
        "{files}"
    );
    assert!(
        files.contains("No such file"),
        "target stopped at base: {files}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn fileobj_builds_a_dockerfile_without_context_and_quiet_still_names_the_image() {
    let t = Cleanup::new("fileobj");
    let code = format!(
        r#"
        local img, logs = docker.images.build{{
          fileobj = "FROM busybox\nRUN echo built > /built\n", labels = {labels}, quiet = true,
        }}
        print(img.id:match("^sha256:%x+$") ~= nil, #logs)
        print(docker.containers.run(img.id, "cat /built", {{remove = true}}))
        "#,
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    assert_eq!(out, "true\t1\nbuilt\n\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_failing_step_raises_build_error_with_its_message_and_the_log() {
    let t = Cleanup::new("bfail");
    let code = format!(
        r#"
        local ok, err = pcall(docker.images.build, {{
          fileobj = "FROM busybox\nRUN echo about to fail; exit 3\n",
          labels = {labels}, forcerm = true,
        }})
        print(ok, err.kind, err.message)
        local out = {{}}
        for _, e in ipairs(err.build_log) do out[#out + 1] = e.stream or "" end
        print(table.concat(out):find("about to fail", 1, true) ~= nil)
        print(err.build_log[#err.build_log].error ~= nil)
        print(tostring(err))
        "#,
        labels = t.lua_labels()
    );
    let out = assert_success(&lua(&code));
    let msg = "The command '/bin/sh -c echo about to fail; exit 3' returned a non-zero code: 3";
    assert_eq!(
        out,
        format!("false\tBuildError\t{msg}\ntrue\ntrue\nBuildError: {msg}\n")
    );
    // forcerm removed the failed step's container.
    let left = docker(&[
        "ps",
        "-aq",
        "--filter",
        "status=exited",
        "--filter",
        "ancestor=busybox",
    ]);
    assert!(
        !docker(&["ps", "-a", "--format", "{{.Command}}"]).contains("about to fail"),
        "{left}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn bad_build_arguments_are_reported_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let code = format!(
        r#"
        local function try(opts)
          local ok, err = pcall(docker.images.build, opts)
          print(err.kind, err.message)
        end
        try{{}}
        try{{path = "/x", fileobj = "FROM x"}}
        try{{path = {path:?}}}
        try{{path = "/nonexistent/ctx"}}
        try{{fileobj = "FROM x", bogus = 1}}
        try{{fileobj = "FROM x", buildargs = {{A = {{}}}}}}
        "#,
        path = dir.path().display().to_string()
    );
    let out = assert_success(&lua(&code));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    for line in &lines {
        assert!(line.starts_with("InvalidArgument\t"), "{line}");
    }
    assert!(lines[0].contains("missing option 'path'"), "{out}");
    assert!(lines[1].contains("not both"), "{out}");
    assert!(lines[2].contains("no Dockerfile 'Dockerfile'"), "{out}");
    assert!(lines[3].contains("/nonexistent/ctx"), "{out}");
    assert!(lines[4].contains("unknown option 'bogus'"), "{out}");
    assert!(lines[5].contains("'buildargs' value for 'A'"), "{out}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn save_then_load_from_a_file_and_from_a_string() {
    let t = Cleanup::new("saveload");
    let repo = t.image("img");
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("img.tar");
    let code = format!(
        r#"
        local img = docker.images.build{{fileobj = "FROM busybox\nRUN echo saved > /saved\n",
          tag = "{repo}:v1", labels = {labels}}}
        local bytes = img:save{{path = {archive:?}}}
        print(bytes > 0, bytes == #io.open({archive:?}, "rb"):read("a"))
        img:remove{{force = true}}
        local loaded = docker.images.load{{path = {archive:?}}}
        print(#loaded, loaded[1].tags[1], loaded[1].id == img.id)
        loaded[1]:remove{{force = true}}
        local again = docker.images.load(io.open({archive:?}, "rb"):read("a"))
        print(again[1].tags[1])
        local ok, err = pcall(docker.images.load, "not a tar")
        print(ok, err.kind)
        "#,
        labels = t.lua_labels(),
        archive = archive.display().to_string(),
    );
    let out = assert_success(&lua(&code));
    assert_eq!(
        out,
        format!("true\ttrue\n1\t{repo}:v1\ttrue\n{repo}:v1\nfalse\tImageLoadError\n")
    );
    assert_eq!(
        docker(&["run", "--rm", &format!("{repo}:v1"), "cat", "/saved"]),
        "saved"
    );
}

/// `img:save()` without a path is an iterator of the archive's chunks, and
/// `named` chooses the name the archive gives the image (as the Python SDK).
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn save_without_a_path_streams_chunks_and_named_chooses_the_tag() {
    let t = Cleanup::new("savechunks");
    let repo = t.image("img");
    let code = format!(
        r#"
        local img = docker.images.build{{fileobj = "FROM busybox\nRUN echo chunked > /chunked\n",
          tag = "{repo}:v1", labels = {labels}}}
        img:tag("{repo}", "v2")
        img:reload()
        local parts = {{}}
        for chunk in img:save{{named = "{repo}:v2"}} do parts[#parts + 1] = chunk end
        local archive = table.concat(parts)
        print(#parts > 0, archive:sub(258, 262))
        print(select(2, pcall(img.save, img, {{named = "{repo}:nope"}})).kind)
        img:remove{{force = true}}
        local loaded = docker.images.load(archive)
        print(#loaded, table.concat(loaded[1].tags, " "))
        "#,
        labels = t.lua_labels(),
    );
    let out = assert_success(&lua(&code));
    assert_eq!(out, format!("true\tustar\nInvalidArgument\n1\t{repo}:v2\n"));
    assert_eq!(
        docker(&["run", "--rm", &format!("{repo}:v2"), "cat", "/chunked"]),
        "chunked"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn registry_data_names_the_digest_the_registry_holds() {
    let t = Cleanup::new("regdata");
    let reference = t.pushed_image("rd");
    let code = format!(
        r#"
        local data = docker.images.get_registry_data("{reference}")
        print(data.id == data.digest, data.digest, #data.platforms > 0, data.attrs.Descriptor.size > 0)
        local ok, err = pcall(docker.images.get_registry_data, "{reg}/dockerlua/no-such-image:1")
        print(ok, err.kind)
        "#,
        reg = registry()
    );
    let out = assert_success(&lua(&code));
    docker(&["pull", "-q", &reference]);
    let repo_digest = docker(&["inspect", "-f", "{{index .RepoDigests 0}}", &reference]);
    let digest = repo_digest.split('@').nth(1).unwrap();
    let mut lines = out.lines();
    assert_eq!(lines.next().unwrap(), format!("true\t{digest}\ttrue\ttrue"));
    assert_eq!(lines.next().unwrap(), "false\tImageNotFound");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn pull_all_tags_brings_every_tag_of_the_repository() {
    let t = Cleanup::new("alltags");
    let reference = t.pushed_image("multi");
    let repo = reference.trim_end_matches(":latest").to_owned();
    docker(&["pull", "-q", &reference]);
    docker(&["tag", &reference, &format!("{repo}:second")]);
    docker(&["push", "-q", &format!("{repo}:second")]);
    docker(&["rmi", &reference, &format!("{repo}:second")]);
    let code = format!(
        r#"
        local images = docker.images.pull("{repo}", {{all_tags = true}})
        local tags = {{}}
        for _, img in ipairs(images) do
          for _, tag in ipairs(img.tags) do tags[#tags + 1] = tag end
        end
        table.sort(tags)
        print(table.concat(tags, " "))
        local ok, err = pcall(docker.images.pull, "{repo}:latest", {{all_tags = true}})
        print(err.kind)
        "#
    );
    let out = assert_success(&lua(&code));
    assert_eq!(
        out,
        format!("{repo}:latest {repo}:second\nInvalidArgument\n")
    );
}

/// The decoded `X-Registry-Config` headers of the builds.
fn registry_configs(sent: &[u8]) -> Vec<serde_json::Value> {
    header_values(sent, "/build", "x-registry-config")
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn login_is_checked_by_the_engine_and_its_credentials_go_with_later_pushes_and_builds() {
    let t = Cleanup::new("login");
    let repo = format!("{}/dockerlua/{}-pushed", registry(), t.id);
    t.remove_image_later(&repo);
    docker(&["tag", "busybox", &format!("{repo}:1")]);
    let proxy = capture_proxy();
    // The test registry has no auth: the engine's check passes, as it does
    // for `docker login` against it.
    let code = format!(
        r#"
        local answer = docker.login{{username = "ci", password = "s3cret+/?>", registry = "{reg}"}}
        print(answer.Status)
        docker.images.push("{repo}:1")
        docker.images.build{{fileobj = "FROM busybox\nLABEL built=1\n", labels = {labels}}}
        local ok, err = pcall(docker.login, {{username = "ci"}})
        print(err.kind)
        "#,
        reg = registry(),
        labels = t.lua_labels(),
    );
    let out = assert_success(&run(dockerlua_cmd()
        .env("DOCKER_HOST", &proxy.url)
        .args(["-e", &code])));
    assert_eq!(out, "Login Succeeded\nInvalidArgument\n");
    let sent = proxy.sent.lock().unwrap().clone();
    let pushes = auth_headers(&sent, "/push");
    assert_eq!(pushes.len(), 1, "{}", String::from_utf8_lossy(&sent));
    assert_eq!(pushes[0]["username"], "ci");
    assert_eq!(pushes[0]["password"], "s3cret+/?>");
    assert_eq!(pushes[0]["serveraddress"], registry());
    // Builds carry every login, by registry, for their FROM pulls.
    let configs = registry_configs(&sent);
    assert_eq!(configs.len(), 1, "{}", String::from_utf8_lossy(&sent));
    assert_eq!(configs[0][registry()]["username"], "ci");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn hard_links_in_the_context_are_sent_once_and_stay_links() {
    let t = Cleanup::new("hardlink");
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..600_000u64).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(dir.path().join("big"), &data).unwrap();
    std::fs::hard_link(dir.path().join("big"), dir.path().join("twin")).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox\nCOPY . /data/\n",
    )
    .unwrap();
    let proxy = capture_proxy();
    let code = format!(
        r#"
        local img = docker.images.build{{path = {ctx:?}, labels = {labels}}}
        io.write(docker.containers.run(img.id,
          {{"sh", "-c", "stat -c '%i %h %s' /data/big /data/twin; cmp /data/big /data/twin && echo same"}},
          {{remove = true, labels = {labels}}}))
        "#,
        ctx = dir.path().display().to_string(),
        labels = t.lua_labels()
    );
    let out = assert_success(&run(dockerlua_cmd()
        .env("DOCKER_HOST", &proxy.url)
        .args(["-e", &code])));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    // One inode, two links, in the image as in the context.
    assert_eq!(lines[0], lines[1], "{out}");
    assert!(lines[0].ends_with(" 2 600000"), "{out}");
    assert_eq!(lines[2], "same");
    // The data went once (600 kB), not once for each name.
    let sent = proxy.sent.lock().unwrap().len();
    assert!(sent < 900_000, "{sent} bytes sent");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_dockerfile_outside_the_context_is_sent_with_it() {
    let t = Cleanup::new("outside");
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("ctx/data.txt", Some("from the context\n")),
            (
                "Dockerfile.ci",
                Some("FROM busybox\nCOPY data.txt /data.txt\n"),
            ),
        ],
    );
    let code = format!(
        r#"
        local img = docker.images.build{{path = {ctx:?}, dockerfile = {file:?}, labels = {labels}}}
        print(img.id)
        "#,
        ctx = dir.path().join("ctx").display().to_string(),
        file = dir.path().join("Dockerfile.ci").display().to_string(),
        labels = t.lua_labels()
    );
    let id = assert_success(&lua(&code)).trim().to_owned();
    assert_eq!(
        docker(&["run", "--rm", &id, "cat", "/data.txt"]),
        "from the context"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn df_reports_the_engines_disk_usage() {
    let out = assert_success(&lua(r#"
        local df = docker.df()
        local found = false
        for _, img in ipairs(df.Images) do
          for _, tag in ipairs(img.RepoTags or {}) do found = found or tag == "busybox:latest" end
        end
        print(math.type(df.LayersSize), found, type(df.Containers), type(df.Volumes))
        "#));
    assert_eq!(out, "integer\ttrue\ttable\ttable\n");
}
