//! `moby.sshforward.v1.SSH`: ssh agent forwarding for
//! `RUN --mount=type=ssh`. Each id names an agent socket: the one given (or
//! `$SSH_AUTH_SOCK`), or, for key files, an `ssh-agent` we start, load with
//! `ssh-add` and kill when the build ends (the docker CLI holds such keys in
//! an agent of its own, in process). Each connection the build's step opens
//! to its socket is a `ForwardAgent` stream, which we relay to the agent.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bollard_buildkit_proto::moby::sshforward::v1::ssh_server::Ssh;
use bollard_buildkit_proto::moby::sshforward::v1::{
    BytesMessage, CheckAgentRequest, CheckAgentResponse,
};
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tonic::{Request, Response, Status, Streaming};

use crate::engine::{Error, Result};

/// The methods announced when a build is given `ssh`.
pub const METHODS: &[&str] = &[
    "/moby.sshforward.v1.SSH/CheckAgent",
    "/moby.sshforward.v1.SSH/ForwardAgent",
];

/// The id BuildKit asks for when the Dockerfile names none.
pub const DEFAULT_ID: &str = "default";

/// The gRPC metadata key naming the id of a `ForwardAgent` stream.
const ID_KEY: &str = "buildkit.ssh.id";

/// The agent sockets by id.
pub struct SshService(pub Arc<HashMap<String, PathBuf>>);

impl SshService {
    fn socket(&self, id: &str) -> std::result::Result<&PathBuf, Status> {
        let id = if id.is_empty() { DEFAULT_ID } else { id };
        self.0.get(id).ok_or_else(|| {
            Status::not_found(format!(
                "no ssh agent or key for id {id:?} (images.build's 'ssh' option)"
            ))
        })
    }
}

type BytesStream = Pin<Box<dyn Stream<Item = std::result::Result<BytesMessage, Status>> + Send>>;

#[tonic::async_trait]
impl Ssh for SshService {
    async fn check_agent(
        &self,
        request: Request<CheckAgentRequest>,
    ) -> std::result::Result<Response<CheckAgentResponse>, Status> {
        self.socket(&request.get_ref().id)?;
        Ok(Response::new(CheckAgentResponse {}))
    }

    type ForwardAgentStream = BytesStream;

    async fn forward_agent(
        &self,
        request: Request<Streaming<BytesMessage>>,
    ) -> std::result::Result<Response<BytesStream>, Status> {
        let id = request
            .metadata()
            .get(ID_KEY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let socket = self.socket(&id)?;
        let agent = UnixStream::connect(socket).await.map_err(|e| {
            Status::unavailable(format!(
                "ssh agent {:?} at '{}': {e}",
                if id.is_empty() { DEFAULT_ID } else { &id },
                socket.display()
            ))
        })?;
        let (from_agent, mut to_agent) = agent.into_split();
        let mut incoming = request.into_inner();
        // The step's requests to the agent; their end closes our writing half,
        // which ends the agent's answers in turn.
        tokio::spawn(async move {
            while let Ok(Some(message)) = incoming.message().await {
                if to_agent.write_all(&message.data).await.is_err() {
                    break;
                }
            }
            let _ = to_agent.shutdown().await;
        });
        let answers = futures_util::stream::unfold(
            Some(from_agent),
            |reader: Option<tokio::net::unix::OwnedReadHalf>| async move {
                let mut reader = reader?;
                let mut buf = vec![0; 32 * 1024];
                match reader.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(BytesMessage { data: buf }), Some(reader)))
                    }
                    Err(e) => Some((Err(Status::unavailable(e.to_string())), None)),
                }
            },
        );
        Ok(Response::new(answers.boxed()))
    }
}

/// An `ssh-agent` started for a build's key files; killed (and its folder
/// removed) when dropped.
pub struct KeyAgent {
    child: tokio::process::Child,
    dir: PathBuf,
    pub socket: PathBuf,
}

impl Drop for KeyAgent {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What an id's paths are: one agent socket, or key files.
pub enum Given {
    Socket(PathBuf),
    Keys(Vec<PathBuf>),
}

/// Sorts `id`'s paths as the CLI does: no path is `$SSH_AUTH_SOCK`, one
/// socket is an agent, anything else must be key files.
pub fn classify(id: &str, paths: &[PathBuf]) -> Result<Given> {
    let what = |detail: String| Error::invalid(format!("build ssh '{id}': {detail}"));
    if paths.is_empty() {
        let sock = std::env::var_os("SSH_AUTH_SOCK")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                what("no agent socket or key given, and SSH_AUTH_SOCK is not set".into())
            })?;
        return classify(id, &[PathBuf::from(sock)]);
    }
    let mut keys = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .map_err(|e| what(format!("cannot use '{}': {e}", path.display())))?;
        use std::os::unix::fs::FileTypeExt;
        if meta.file_type().is_socket() {
            if paths.len() > 1 {
                return Err(what(format!(
                    "'{}' is an agent socket: give it alone, or key files",
                    path.display()
                )));
            }
            return Ok(Given::Socket(path.clone()));
        }
        if !meta.is_file() {
            return Err(what(format!(
                "'{}' is neither an agent socket nor a key file",
                path.display()
            )));
        }
        keys.push(path.clone());
    }
    Ok(Given::Keys(keys))
}

/// Starts an `ssh-agent` of our own holding `keys` (`ssh-add` loads them;
/// a key with a passphrase asks for it on the terminal, as `ssh-add` does).
pub async fn start_agent(id: &str, keys: &[PathBuf]) -> Result<KeyAgent> {
    let what = |detail: String| Error::invalid(format!("build ssh '{id}': {detail}"));
    let dir = std::env::temp_dir().join(format!("dockerlua-ssh-{}", super::session::new_id()));
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| what(format!("cannot make '{}': {e}", dir.display())))?;
    }
    let socket = dir.join("agent.sock");
    let child = tokio::process::Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(what(format!(
                "key files need OpenSSH's ssh-agent, which did not start: {e} \
                 (or give an agent socket)"
            )));
        }
    };
    let mut agent = KeyAgent { child, dir, socket };
    wait_listening(&mut agent)
        .await
        .map_err(|e| what(format!("ssh-agent: {e}")))?;
    let added = tokio::process::Command::new("ssh-add")
        .arg("-q")
        .arg("--")
        .args(keys)
        .env("SSH_AUTH_SOCK", &agent.socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|e| what(format!("ssh-add did not run: {e}")))?;
    if !added.status.success() {
        let names = keys
            .iter()
            .map(|k| format!("'{}'", k.display()))
            .collect::<Vec<_>>()
            .join(", ");
        // ssh-add names the file and the problem, never the key's bytes.
        let said = String::from_utf8_lossy(&added.stderr);
        let prompt = |l: &str| l.starts_with("Enter passphrase") || l.starts_with("Bad passphrase");
        if said.lines().any(|l| prompt(l.trim())) {
            return Err(what(format!(
                "{names} needs a passphrase and no terminal could ask for it: load it into \
                 your agent (ssh-add) and give the agent's socket"
            )));
        }
        let last = said
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("it failed");
        return Err(what(format!("ssh-add could not load {names}: {last}")));
    }
    Ok(agent)
}

/// Waits until the agent answers on its socket (or exits, or 10 s pass).
async fn wait_listening(agent: &mut KeyAgent) -> std::result::Result<(), String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if UnixStream::connect(&agent.socket).await.is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = agent.child.try_wait() {
            return Err(format!("exited before listening ({status})"));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "no socket at '{}' after 10 s",
                agent.socket.display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The sockets of `given` ids, and the agents started for key files.
pub async fn agents(
    given: &[(String, Vec<PathBuf>)],
) -> Result<(HashMap<String, PathBuf>, Vec<KeyAgent>)> {
    let mut sockets = HashMap::new();
    let mut started = Vec::new();
    for (id, paths) in given {
        match classify(id, paths)? {
            Given::Socket(path) => {
                sockets.insert(id.clone(), path);
            }
            Given::Keys(keys) => {
                let agent = start_agent(id, &keys).await?;
                sockets.insert(id.clone(), agent.socket.clone());
                started.push(agent);
            }
        }
    }
    Ok((sockets, started))
}
