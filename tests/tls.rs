//! TLS engines: the test engine also listens on 127.0.0.1 with `--tlsverify`
//! (`DOCKERLUA_TEST_TLS_HOST`), with a CA, a server and a client certificate
//! in `DOCKERLUA_TEST_TLS_CERTS` (see `tools/engine.sh`).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{assert_success, dockerlua_cmd, run};

fn tls_env(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            panic!("{name} is not set: run the tests with tools/test.sh (engine.sh writes it)")
        })
}

/// `127.0.0.1:PORT` of the engine's TLS listener.
fn tls_addr() -> String {
    let host = tls_env("DOCKERLUA_TEST_TLS_HOST");
    host.strip_prefix("tcp://").unwrap_or(&host).to_owned()
}

/// The folder of `ca.pem`, `cert.pem` and `key.pem`.
fn certs() -> String {
    tls_env("DOCKERLUA_TEST_TLS_CERTS")
}

/// A dockerlua command with none of the docker CLI's TLS variables.
fn cmd() -> Command {
    let mut cmd = dockerlua_cmd();
    for name in ["DOCKER_TLS_VERIFY", "DOCKER_TLS", "DOCKER_CERT_PATH"] {
        cmd.env_remove(name);
    }
    cmd
}

fn lua(code: &str) -> Output {
    run(cmd().args(["-e", code]))
}

/// `{ca=..., cert=..., key=...}` for the test engine's files.
fn tls_table(ca: &str) -> String {
    let dir = certs();
    format!("{{ca = '{ca}', cert = '{dir}/cert.pem', key = '{dir}/key.pem'}}")
}

/// Runs `code`, which must fail inside `pcall`; prints kind and message.
fn failure(code: &str) -> String {
    let wrapped = format!(
        "local ok, e = pcall(function() {code} end)\n\
         assert(not ok, 'no error')\n\
         print(e.kind, e.message)"
    );
    assert_success(&lua(&wrapped))
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn https_with_client_certificates_pings_and_lists() {
    let code = format!(
        "local d = docker.connect('https://{}', {{tls = {}}})\n\
         assert(d.ping() == true)\n\
         assert(type(d.containers.list{{all = true}}) == 'table')\n\
         assert(#d.images.list() > 0)\n\
         print(d.images.get('alpine:latest').id ~= nil, d.version().ApiVersion ~= nil)",
        tls_addr(),
        tls_table(&format!("{}/ca.pem", certs()))
    );
    assert_eq!(assert_success(&lua(&code)), "true\ttrue\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn tcp_with_tls_files_speaks_tls() {
    let code = format!(
        "print(docker.connect('tcp://{}', {{tls = {}}}).ping())",
        tls_addr(),
        tls_table(&format!("{}/ca.pem", certs()))
    );
    assert_eq!(assert_success(&lua(&code)), "true\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn docker_tls_verify_from_the_environment() {
    let out = run(cmd()
        .env("DOCKER_HOST", tls_env("DOCKERLUA_TEST_TLS_HOST"))
        .env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_CERT_PATH", certs())
        .args(["-e", "print(docker.ping(), type(docker.info().ID))"]));
    assert_eq!(assert_success(&out), "true\tstring\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn docker_tls_uses_the_cert_path_too() {
    let out = run(cmd()
        .env("DOCKER_HOST", tls_env("DOCKERLUA_TEST_TLS_HOST"))
        .env("DOCKER_TLS", "1")
        .env("DOCKER_CERT_PATH", certs())
        .args(["-e", "print(docker.from_env().ping())"]));
    assert_eq!(assert_success(&out), "true\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn the_cert_path_defaults_to_the_docker_config_folder() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".docker");
    std::fs::create_dir(&dir).unwrap();
    for file in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::copy(Path::new(&certs()).join(file), dir.join(file)).unwrap();
    }
    let out = run(cmd()
        .env("HOME", home.path())
        .env_remove("DOCKER_CONFIG")
        .env("DOCKER_HOST", tls_env("DOCKERLUA_TEST_TLS_HOST"))
        .env("DOCKER_TLS_VERIFY", "1")
        .args(["-e", "print(docker.ping())"]));
    assert_eq!(assert_success(&out), "true\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn docker_tls_verify_without_a_ca_names_the_missing_file() {
    let empty = tempfile::tempdir().unwrap();
    let out = run(cmd()
        .env("DOCKER_HOST", tls_env("DOCKERLUA_TEST_TLS_HOST"))
        .env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_CERT_PATH", empty.path())
        .args([
            "-e",
            "local ok, e = pcall(docker.ping) print(ok, e.kind, e.message)",
        ]));
    let text = assert_success(&out);
    let ca = empty.path().join("ca.pem");
    assert!(text.starts_with("false\tInvalidArgument\t"), "{text}");
    assert!(text.contains(&*ca.to_string_lossy()), "{text}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn without_a_client_certificate_the_engine_refuses() {
    let code = format!(
        "docker.connect('https://{}', {{tls = {{ca = '{}/ca.pem'}}}}).ping()",
        tls_addr(),
        certs()
    );
    let text = failure(&code);
    assert!(text.starts_with("ConnectionError\t"), "{text}");
    assert!(
        text.contains(&format!(
            "TLS handshake with the engine at https://{}",
            tls_addr()
        )),
        "{text}"
    );
    assert!(text.to_lowercase().contains("certificate"), "{text}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_wrong_ca_fails_on_the_engine_certificate() {
    let other = tempfile::tempdir().unwrap();
    let status = Command::new("openssl")
        .current_dir(other.path())
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca-key.pem"])
        .args(["-out", "ca.pem", "-days", "2", "-subj", "/CN=another-ca"])
        .output()
        .expect("openssl");
    assert!(status.status.success(), "openssl: {status:?}");
    let ca = other.path().join("ca.pem");
    let code = format!(
        "docker.connect('https://{}', {{tls = {}}}).ping()",
        tls_addr(),
        tls_table(&ca.to_string_lossy())
    );
    let text = failure(&code);
    assert!(text.starts_with("ConnectionError\t"), "{text}");
    assert!(text.contains(&tls_addr()), "{text}");
    assert!(text.contains("certificate"), "{text}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_missing_certificate_file_is_named() {
    let code = format!(
        "docker.connect('https://{}', {{tls = {}}})",
        tls_addr(),
        tls_table("/nonexistent/dockerlua/ca.pem")
    );
    let text = failure(&code);
    assert!(text.starts_with("InvalidArgument\t"), "{text}");
    assert!(text.contains("'/nonexistent/dockerlua/ca.pem'"), "{text}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_key_that_is_not_a_key_is_named() {
    let dir = certs();
    let code = format!(
        "docker.connect('https://{}', {{tls = {{ca = '{dir}/ca.pem', \
         cert = '{dir}/cert.pem', key = '{dir}/ca.pem'}}}})",
        tls_addr()
    );
    let text = failure(&code);
    assert!(text.starts_with("InvalidArgument\t"), "{text}");
    assert!(text.contains(&format!("'{dir}/ca.pem'")), "{text}");
}

#[test]
fn tls_on_a_unix_socket_is_refused() {
    let text = failure("docker.connect('unix:///tmp/x.sock', {tls = {ca = '/x'}})");
    assert!(text.starts_with("InvalidArgument\t"), "{text}");
    assert!(
        text.contains("tls needs a tcp:// or https:// engine"),
        "{text}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn plain_http_to_the_tls_port_is_an_api_error() {
    let text = failure(&format!("docker.connect('tcp://{}').ping()", tls_addr()));
    assert!(text.starts_with("APIError\t"), "{text}");
}
