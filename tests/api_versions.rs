//! Today's engines (API 1.44 to 1.51: Docker 25 to 28), which cannot run
//! here: a fake engine advertises their version and serves answers in their
//! documented shapes (`tests/fixtures/api/`, whose README says which schema
//! each follows), and the client reads them through its usual paths: the
//! named fields, the list and inspect normalisers, `docker.format` and
//! `docker.wait`. The same code on Engine 20.10's own answers is tested
//! against the real engine (objects.rs, stdlib.rs...); so is negotiation,
//! at the end of this file.

mod common;

use std::net::TcpListener;

use common::fake::{fake_api, Answer, Fake};
use common::{assert_success, run};

fn fixture(version: &str, name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/api/v{version}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A fake engine that says it speaks `advertised` and answers with the
/// fixtures of `version`; `inspect` replaces the container inspect.
fn engine(advertised: &'static str, version: &'static str, inspect: Option<String>) -> Fake {
    fake_api(advertised, move |method, path| {
        let body = match (method, path) {
            ("GET", "/containers/json") => fixture(version, "containers"),
            ("GET", p) if p.starts_with("/containers/") && p.ends_with("/json") => inspect
                .clone()
                .unwrap_or_else(|| fixture(version, "container")),
            ("GET", "/images/json") => fixture(version, "images"),
            ("GET", p) if p.starts_with("/images/") && p.ends_with("/json") => {
                fixture(version, "image")
            }
            ("GET", p) if p.starts_with("/networks/") => fixture(version, "network"),
            ("GET", "/system/df") => fixture(version, "df"),
            ("GET", "/version") => format!(
                r#"{{"Version":"fake","ApiVersion":"{advertised}","MinAPIVersion":"1.24"}}"#
            ),
            _ => return Answer::Json(404, r#"{"message":"not in the fixtures"}"#.into()),
        };
        Answer::Json(200, body)
    })
}

/// `dockerlua -e code` against `url`, negotiating (a pinned version would not).
fn lua_at_url(url: &str, code: &str) -> String {
    let mut cmd = common::dockerlua_at(url);
    cmd.env_remove("DOCKER_API_VERSION").args(["-e", code]);
    assert_success(&run(&mut cmd))
}

fn lua_at(engine: &Fake, code: &str) -> String {
    lua_at_url(&engine.url, code)
}

/// What a script reads of every kind of answer, one line each.
const READ_ALL: &str = r#"
    local f = require("docker.format")
    local list = docker.containers.list{all = true}
    for _, c in ipairs(list) do
      print("listed", c.short_id, c.name, c.status, tostring(c.health), c.image,
        tostring(c.labels["com.example.vendor"]))
    end
    for _, r in ipairs(f.rows(list, {now = 1740000000})) do
      print("ps", r.ID, r.Image, r.State, r.Status, r.Ports, r.Names)
    end
    local c = docker.containers.get("funny_chatelet")
    print("got", c.short_id, c.name, c.status, tostring(c.health), c.image,
      tostring(c.labels["com.example.vendor"]))
    for _, r in ipairs(f.rows({c}, {now = 1740000000})) do
      print("ps", r.ID, r.Image, r.State, r.Ports, r.Names)
    end
    local images = docker.images.list()
    for _, i in ipairs(images) do
      print("image", i.short_id, #i.tags, table.concat(i.tags, ","),
        tostring(i.labels["org.opencontainers.image.version"]))
    end
    for _, r in ipairs(f.rows(images, {now = 1740000000})) do
      print("images", r.Repository, r.Tag, r.ID, r.Size)
    end
    local i = docker.images.get("ubuntu:latest")
    print("got image", i.short_id, table.concat(i.tags, ","),
      i.labels["org.opencontainers.image.version"], tostring(i.attrs.VirtualSize))
    for _, r in ipairs(f.rows({i}, {now = 1740000000})) do
      print("images", r.Repository, r.Tag, r.ID, r.Size)
    end
    local n = docker.networks.get("mynetwork")
    for _, m in ipairs(n.containers) do print("member", m.short_id, m.name) end
    local df = docker.df()
    print("df", df.LayersSize, #df.Images, df.Images[1].Size,
      tostring(df.Images[1].VirtualSize), df.BuildCache[2].Parents[1])
"#;

/// The lines both versions print alike.
const COMMON: &[&str] = &[
    "listed\taa86eacfb3b3\tfunny_chatelet\trunning\t",
    "listed\t3176a2479c92\tboring_feynman\texited\tnil\t",
    "ps\taa86eacfb3b3\tubuntu:latest\trunning\tUp 4 days (",
    "got\taa86eacfb3b3\tfunny_chatelet\trunning\tunhealthy\tubuntu:latest\tAcme",
    // An inspect's `null` binding (`443/tcp`) is no key in Lua: the exposed
    // ports of a running container name it.
    "ps\taa86eacfb3b3\tubuntu:latest\trunning\t443/tcp, 0.0.0.0:80->8080/tcp, [::]:80->8080/tcp\tfunny_chatelet",
    "image\tsha256:7229784845\t2\tubuntu:latest,ubuntu:24.04\t24.04",
    "image\tsha256:ec3f0931a6\t0\t\tnil",
    "images\tubuntu\tlatest\t72297848456d\t78.1MB",
    "images\tubuntu\t24.04\t72297848456d\t78.1MB",
    "images\t<none>\t<none>\tec3f0931a6e6\t172MB",
    "got image\tsha256:7229784845\tubuntu:latest,ubuntu:24.04\t24.04\tnil",
    "member\taa86eacfb3b3\tfunny_chatelet",
    "df\t250182694\t2\t78118278\tnil\thw53o5aio51xtltp5xjp8v7fx",
];

fn assert_lines(out: &str, wanted: &[&str]) {
    for line in wanted {
        assert!(
            out.lines().any(|l| l.starts_with(line)),
            "no line starting {line:?} in:\n{out}"
        );
    }
}

#[test]
fn named_fields_and_the_stdlib_on_api_1_44_answers() {
    let engine = engine("1.44", "1.44", None);
    let out = lua_at(&engine, READ_ALL);
    assert_lines(&out, COMMON);
    assert_lines(
        &out,
        &[
            "listed\taa86eacfb3b3\tfunny_chatelet\trunning\thealthy\tubuntu:latest\tAcme",
            "ps\taa86eacfb3b3\tubuntu:latest\trunning\tUp 4 days (healthy)\t443/tcp, 0.0.0.0:80->8080/tcp\tfunny_chatelet",
            // An image id as the image: short, as the CLI shows it.
            "listed\t3176a2479c92\tboring_feynman\texited\tnil\tsha256:72297848456d",
            "ps\t3176a2479c92\t72297848456d\texited\tExited (137) 5 minutes ago\t\tboring_feynman",
        ],
    );
}

#[test]
fn named_fields_and_the_stdlib_on_api_1_51_answers() {
    let engine = engine("1.51", "1.51", None);
    let out = lua_at(&engine, READ_ALL);
    assert_lines(&out, COMMON);
    assert_lines(
        &out,
        &[
            // Canonical references in the list (the containerd store): the
            // familiar name, and the CLI's column without the digest.
            "listed\taa86eacfb3b3\tfunny_chatelet\trunning\tstarting\tubuntu:latest\tAcme",
            "ps\taa86eacfb3b3\tubuntu:latest\trunning\tUp 4 days (health: starting)\t443/tcp, 0.0.0.0:80->8080/tcp\tfunny_chatelet",
            "listed\t3176a2479c92\tboring_feynman\texited\tnil\tubuntu@sha256:a59906e33509",
            "ps\t3176a2479c92\tubuntu\texited\tExited (137) 5 minutes ago\t\tboring_feynman",
        ],
    );
}

#[test]
fn wait_port_finds_the_address_in_the_networks_when_the_top_level_one_is_empty() {
    // A container on user-defined networks only: the deprecated top-level
    // `IPAddress` is empty (and gone from 1.52 on). The first network by
    // name gives the address; the fixture's values are changed so that
    // the address answers here.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut inspect: serde_json::Value =
        serde_json::from_str(&fixture("1.51", "container")).unwrap();
    let networks = &mut inspect["NetworkSettings"]["Networks"];
    let mut other = networks["mynetwork"].clone();
    other["IPAddress"] = "192.0.2.1".into(); // TEST-NET: never answers
    networks["zzz"] = other;
    networks["mynetwork"]["IPAddress"] = "127.0.0.1".into();
    assert_eq!(inspect["NetworkSettings"]["IPAddress"], "");
    let engine = engine("1.51", "1.51", Some(inspect.to_string()));
    let out = lua_at(
        &engine,
        &format!(
            r#"local wait = require("docker.wait")
            local c = docker.containers.get("funny_chatelet")
            for _ = 1, 5 do print(wait.port(c, {port}, {{timeout = 20}})) end"#
        ),
    );
    assert_eq!(out, format!("127.0.0.1\t{port}\n").repeat(5));
}

/// The version prefix of every request after the ping.
fn versions_asked(engine: &Fake) -> Vec<String> {
    engine
        .requests()
        .iter()
        .filter(|r| !r.ends_with("/_ping"))
        .map(|r| {
            let target = r.split(' ').nth(1).unwrap_or("");
            target.split('/').nth(1).unwrap_or("").to_owned()
        })
        .collect()
}

#[test]
fn negotiation_speaks_the_engines_version_up_to_ours() {
    // Docker 25, Docker 28 and an engine newer than the code was checked
    // against (which must still answer 1.51 as documented).
    for (advertised, fixtures, spoken) in [
        ("1.44", "1.44", "v1.44"),
        ("1.51", "1.51", "v1.51"),
        ("1.99", "1.51", "v1.51"),
    ] {
        let engine = engine(advertised, fixtures, None);
        let out = lua_at(
            &engine,
            "print(docker.version().ApiVersion, #docker.containers.list{all = true})",
        );
        assert_eq!(out, format!("{advertised}\t2\n"));
        let asked = versions_asked(&engine);
        assert_eq!(
            asked,
            [spoken, spoken],
            "{advertised}: {:?}",
            engine.requests()
        );
        // One ping per client.
        let pings = engine
            .requests()
            .iter()
            .filter(|r| r.ends_with("/_ping"))
            .count();
        assert_eq!(pings, 1, "{:?}", engine.requests());
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn negotiation_with_the_real_engine_stays_at_its_version() {
    // Engine 20.10 speaks 1.41: requests go to /v1.41/, not to ours.
    let engine_version = common::docker(&["version", "--format", "{{.Server.APIVersion}}"]);
    assert_eq!(engine_version, "1.41", "the test engine is 20.10");
    let proxy = common::proxy::capture_proxy();
    let out = lua_at_url(
        &proxy.url,
        "print(docker.version().ApiVersion, type(docker.containers.list()))",
    );
    assert_eq!(out, "1.41\ttable\n");
    let sent = String::from_utf8_lossy(&proxy.sent.lock().unwrap()).into_owned();
    assert!(sent.contains("GET /v1.41/version "), "{sent}");
    assert!(sent.contains("GET /v1.41/containers/json"), "{sent}");
    assert!(!sent.contains("/v1.51/"), "{sent}");
}
