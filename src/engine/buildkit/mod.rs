//! BuildKit builds against the engine's built-in BuildKit (Engine 20.10:
//! API 1.41): a session (see [`session`]) serving the context through file
//! sync (only what the build reads), secrets, ssh agent forwarding (see
//! [`ssh`]) and registry credentials, then
//! `POST /build?version=2&session=ID&remote=client-session`, whose JSON
//! lines carry BuildKit's progress (see [`progress`]).

mod filesync;
pub mod progress;
mod services;
mod session;
mod ssh;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bollard_buildkit_proto::health::health_server::HealthServer;
use bollard_buildkit_proto::moby::buildkit::secrets::v1::secrets_server::SecretsServer;
use bollard_buildkit_proto::moby::filesync::v1::auth_server::AuthServer;
use bollard_buildkit_proto::moby::filesync::v1::file_sync_server::FileSyncServer;
use bollard_buildkit_proto::moby::sshforward::v1::ssh_server::SshServer;
use serde_json::Value;
use tonic::service::Routes;

use super::build::{BuildOptions, Context};
use super::{credentials, Engine, Error, JsonStream, Req, Result, WriteMode};
use filesync::{FileSyncService, Source};
use progress::{Steps, TRACE_ID};
use services::{AuthService, HealthService, SecretsService};
use ssh::SshService;

/// Where a secret's value comes from (read when the build starts).
#[derive(Debug, Clone)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
}

/// What a BuildKit build adds to [`BuildOptions`].
#[derive(Debug, Clone, Default)]
pub struct KitOptions {
    /// Secrets by id, for `RUN --mount=type=secret,id=ID`.
    pub secrets: Vec<(String, SecretSource)>,
    /// ssh ids for `RUN --mount=type=ssh,id=ID`, each with an agent
    /// socket, key files, or nothing (`$SSH_AUTH_SOCK`).
    pub ssh: Vec<(String, Vec<PathBuf>)>,
}

/// A running BuildKit build: its events (traces decoded), and its session.
pub struct KitBuild {
    stream: JsonStream,
    steps: Steps,
    sent: Arc<AtomicU64>,
    /// Open while the build runs; dropped (closed) with it.
    _session: Option<session::Session>,
    /// The ssh agents started for key files, killed with the build.
    _agents: Vec<ssh::KeyAgent>,
}

impl KitBuild {
    /// The next event. A `moby.buildkit.trace` event's `aux` comes decoded
    /// (`{vertexes, statuses, logs}`); the second value is the plain
    /// progress lines it adds.
    pub async fn next(&mut self) -> Result<Option<(Value, Vec<String>)>> {
        let Some(mut event) = self.stream.next().await? else {
            return Ok(None);
        };
        let mut lines = Vec::new();
        if event.get("id").and_then(Value::as_str) == Some(TRACE_ID) {
            if let Some(trace) = event
                .get("aux")
                .and_then(Value::as_str)
                .and_then(progress::decode_trace)
            {
                lines = self.steps.feed(&trace);
                event["aux"] = trace;
            }
        } else if let Some(text) = event.get("stream").and_then(Value::as_str) {
            lines.extend(text.lines().map(str::to_owned));
        }
        Ok(Some((event, lines)))
    }

    /// The failure `event` reports, explained and with the failed step's log.
    pub fn failure(&self, event: &Value) -> Option<String> {
        let error = super::build::build_error(event)?;
        Some(progress::failure_message(&error, &self.steps))
    }

    /// File data bytes the session sent to the engine so far.
    pub fn context_bytes(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

/// Whether `DOCKER_BUILDKIT` turns BuildKit on, as the CLI reads it.
pub fn enabled_by_env() -> bool {
    std::env::var("DOCKER_BUILDKIT")
        .map(|v| {
            matches!(
                v.trim().to_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
        .unwrap_or(false)
}

impl Engine {
    /// Starts a BuildKit build: a session for the context, then the build.
    /// A dry run opens no session, reads no secret and starts no ssh agent:
    /// the build request is printed, with no secret's or key's id or value.
    pub async fn image_build_kit(
        &self,
        context: Context,
        options: &BuildOptions,
        kit: &KitOptions,
    ) -> Result<KitBuild> {
        if options.squash {
            return Err(Error::invalid(
                "build: 'squash' is the legacy builder's; BuildKit does not squash",
            ));
        }
        let (name, key, sources, dockerfile) = sources(&context, options)?;
        let sent = Arc::new(AtomicU64::new(0));
        let dry = self.mode() == WriteMode::DryRun;
        let mut agents = Vec::new();
        let session = if dry {
            None
        } else {
            let secrets = read_secrets(&kit.secrets)?;
            let mut methods = session::METHODS.to_vec();
            let mut routes = Routes::new(HealthServer::new(HealthService))
                .add_service(FileSyncServer::new(FileSyncService {
                    sources,
                    sent: sent.clone(),
                }))
                .add_service(SecretsServer::new(SecretsService(Arc::new(secrets))))
                .add_service(AuthServer::new(AuthService {
                    given: self.registry_config(options.auth.as_ref()),
                }));
            // Only a session given ssh serves it: without, the engine says
            // which id no client forwarded.
            if !kit.ssh.is_empty() {
                let (sockets, started) = ssh::agents(&kit.ssh).await?;
                agents = started;
                routes = routes.add_service(SshServer::new(SshService(Arc::new(sockets))));
                methods.extend_from_slice(ssh::METHODS);
            }
            Some(
                self.open_session(&name, &shared_key(&key), routes, &methods)
                    .await?,
            )
        };
        let proxies = super::options::proxy::variables(self.url());
        let mut query = options.query(Some(&dockerfile), &proxies);
        query
            .add("version", "2")
            .add("remote", "client-session")
            .add(
                "session",
                session
                    .as_ref()
                    .map_or_else(|| "dry-run".to_owned(), |s| s.id.clone()),
            );
        let mut req = Req::post("/build").query(query).lasting();
        let registries = self.registry_config(options.auth.as_ref());
        if !registries.is_empty() {
            req = req.header(
                "x-registry-config",
                credentials::encode_auth(&Value::Object(registries)),
            );
        }
        let response = self.request(req).await?;
        Ok(KitBuild {
            stream: JsonStream::with_errors(response),
            steps: Steps::default(),
            sent,
            _session: session,
            _agents: agents,
        })
    }
}

/// The session's name and what its shared key derives from, its folders
/// (`context`, `dockerfile`) and the Dockerfile's name in its folder.
type Sources = (String, String, HashMap<String, Source>, String);

fn sources(context: &Context, options: &BuildOptions) -> Result<Sources> {
    let mut sources = HashMap::new();
    match context {
        Context::Dockerfile(text) => {
            sources.insert("context".to_owned(), Source::Empty);
            sources.insert(
                "dockerfile".to_owned(),
                Source::File {
                    name: "Dockerfile".to_owned(),
                    data: Arc::from(text.as_bytes()),
                },
            );
            let name = "dockerfile".to_owned();
            Ok((name.clone(), name, sources, "Dockerfile".to_owned()))
        }
        Context::Dir(dir) => {
            let root = std::fs::canonicalize(dir)
                .map_err(|e| Error::invalid(format!("build context '{}': {e}", dir.display())))?;
            if !root.is_dir() {
                return Err(Error::invalid(format!(
                    "build context '{}' is not a folder",
                    dir.display()
                )));
            }
            let given = options.dockerfile.as_deref().unwrap_or("Dockerfile");
            let path = if Path::new(given).is_absolute() {
                PathBuf::from(given)
            } else {
                root.join(given)
            };
            if !path.is_file() {
                return Err(Error::invalid(format!(
                    "no Dockerfile '{given}' in the build context '{}'",
                    dir.display()
                )));
            }
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "Dockerfile".to_owned());
            let folder = path.parent().unwrap_or(&root).to_path_buf();
            let rel = path
                .strip_prefix(&root)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| file_name.clone());
            let excludes = super::build::context_patterns(&root, &rel)?;
            sources.insert(
                "context".to_owned(),
                Source::Dir {
                    path: root.clone(),
                    excludes,
                },
            );
            sources.insert(
                "dockerfile".to_owned(),
                Source::Dir {
                    path: folder,
                    excludes: Vec::new(),
                },
            );
            let name = root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "context".to_owned());
            Ok((name, root.display().to_string(), sources, file_name))
        }
    }
}

/// The secrets' values, read now: a missing file or variable is an error
/// naming the secret's id and source, never its value.
fn read_secrets(secrets: &[(String, SecretSource)]) -> Result<HashMap<String, Vec<u8>>> {
    let mut values = HashMap::new();
    for (id, source) in secrets {
        let value = match source {
            SecretSource::File(path) => std::fs::read(path).map_err(|e| {
                Error::invalid(format!(
                    "build secret '{id}': cannot read '{}': {e}",
                    path.display()
                ))
            })?,
            SecretSource::Env(var) => std::env::var_os(var)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "build secret '{id}': the environment variable '{var}' is not set"
                    ))
                })?
                .into_encoded_bytes(),
        };
        values.insert(id.clone(), value);
    }
    Ok(values)
}

/// The key that lets the engine diff against what an earlier build of the
/// same folder sent.
fn shared_key(source: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(source.as_bytes());
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}
