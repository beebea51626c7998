//! `--dry-run` and `--read-only`: what happens to a request that would
//! change the engine. Every request passes [`Guard::intercept`] in
//! [`super::Engine::request`], so no endpoint can slip past it.
//!
//! - Reads (`GET`, `HEAD`, and the few `POST`s that change nothing, such as
//!   `wait` and `auth`) go to the engine.
//! - Read-only: a write raises a `ReadOnly` error; nothing is sent.
//! - Dry run: a write is printed as one line on stderr (method, path, the
//!   essential body) and answered here with a plausible placeholder, so the
//!   script goes on. What a dry write "made" (a container, an image, an
//!   exec, a network...) is remembered, so that reading it back (inspect,
//!   logs, wait) answers as the engine would have.
//!
//! Placeholders are real HTTP answers (written into an in-memory pipe and
//! read by hyper), so every caller reads them as it reads the engine's.
//!
//! This file: the modes, which requests are writes, the printed line;
//! `dry`: what dry writes made and each write's placeholder; `answer`: the
//! in-memory HTTP answers; `text`: paths, bodies, queries and times as text.

mod answer;
mod dry;
mod text;

use std::io::Write as _;
use std::sync::Mutex;

use hyper::body::Incoming;
use hyper::{Method, Response};

use super::{Engine, Error, ErrorKind, Req, Result};
use answer::respond;
use dry::DryState;
use text::{display_path, engine_bool, essential_body, form_value, percent_decode, short_ids};

/// What a script may do to its engines (the `--dry-run`/`--read-only` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    #[default]
    Normal,
    /// Writes are printed and answered with placeholders, not sent.
    DryRun,
    /// Writes raise `ReadOnly` errors.
    ReadOnly,
}

/// One engine's write policy and what its dry writes made.
pub(crate) struct Guard {
    mode: WriteMode,
    /// Names the engine in printed lines (a context's name), when given.
    label: Option<String>,
    dry: Mutex<DryState>,
}

/// Collection-level verbs: `/images/create` is not an image named "create".
const VERBS: &[&str] = &[
    "create",
    "prune",
    "json",
    "load",
    "search",
    "get",
    "init",
    "join",
    "leave",
    "update",
    "unlock",
    "unlockkey",
    "pull",
    "privileges",
];

/// A request's path split as the API names things.
struct Route {
    kind: String,
    /// The object (id or name), decoded; `None` for collection verbs.
    key: Option<String>,
    /// The verb after the object, or the collection verb.
    action: String,
}

impl Route {
    fn parse(path: &str) -> Route {
        // Decoded before it is split, as the engine's router sees it: an
        // encoded slash cannot hide a verb.
        let segments: Vec<String> = percent_decode(path)
            .trim_start_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect();
        let kind = segments.first().cloned().unwrap_or_default();
        let rest = &segments[1.min(segments.len())..];
        if rest.is_empty() {
            return Route {
                kind,
                key: None,
                action: String::new(),
            };
        }
        if rest.len() == 1 && VERBS.contains(&rest[0].as_str()) {
            return Route {
                kind,
                key: None,
                action: rest[0].clone(),
            };
        }
        // Image and plugin names hold slashes: the verb, if any, is the
        // last segment.
        if kind == "images" || kind == "plugins" {
            const IMAGE_VERBS: &[&str] = &["json", "history", "tag", "push", "get"];
            const PLUGIN_VERBS: &[&str] = &["json", "enable", "disable", "push", "upgrade", "set"];
            let verbs = if kind == "images" {
                IMAGE_VERBS
            } else {
                PLUGIN_VERBS
            };
            let last = rest.last().map(String::as_str).unwrap_or_default();
            if rest.len() > 1 && verbs.contains(&last) {
                return Route {
                    kind,
                    key: Some(rest[..rest.len() - 1].join("/")),
                    action: last.to_owned(),
                };
            }
            return Route {
                kind,
                key: Some(rest.join("/")),
                action: String::new(),
            };
        }
        Route {
            kind,
            key: Some(rest[0].clone()),
            action: rest[1..].join("/"),
        }
    }
}

/// Whether a request would change the engine.
pub fn is_write(req: &Req<'_>) -> bool {
    let method = &req.method;
    let route = Route::parse(&req.path);
    match (route.kind.as_str(), route.action.as_str()) {
        // Attaching only reads, unless it sends stdin (the websocket attach
        // is a GET).
        ("containers", "attach" | "attach/ws") => request_flag(req, "stdin"),
        _ if method == Method::GET || method == Method::HEAD => false,
        // Waiting and checking credentials change nothing.
        ("containers", "wait") | ("auth", _) | ("_ping", _) => false,
        _ => true,
    }
}

/// A boolean flag of a request as the engine reads it: from the form body
/// first (the engine parses one), then from the query.
fn request_flag(req: &Req<'_>, key: &str) -> bool {
    let form = req
        .content_type
        .starts_with("application/x-www-form-urlencoded")
        .then_some(req.body.as_ref())
        .flatten()
        .map(|body| String::from_utf8_lossy(body).into_owned());
    form.and_then(|form| form_value(&form, key))
        .or_else(|| form_value(req.query.as_str(), key))
        .is_some_and(|v| engine_bool(&v))
}

impl Guard {
    pub fn new(mode: WriteMode, label: Option<String>) -> Self {
        Guard {
            mode,
            label,
            dry: Mutex::new(DryState::default()),
        }
    }

    pub fn mode(&self) -> WriteMode {
        self.mode
    }

    /// `Some(answer)` when the request must not reach the engine: a dry
    /// write's placeholder, or a read of something a dry write made.
    pub async fn intercept(
        &self,
        engine: &Engine,
        req: &Req<'_>,
    ) -> Result<Option<Response<Incoming>>> {
        if self.mode == WriteMode::Normal {
            return Ok(None);
        }
        let query = req.query.as_str();
        let write = is_write(req);
        let route = Route::parse(&req.path);
        if self.mode == WriteMode::ReadOnly {
            if !write {
                return Ok(None);
            }
            return Err(Error::new(
                ErrorKind::ReadOnly,
                format!(
                    "refused {} {} (--read-only)",
                    req.method,
                    display_path(&req.path, query)
                ),
            ));
        }
        let answer = if write {
            let (answer, made) = self.dry_write(engine, req, &route).await?;
            self.report(req, made.as_deref());
            Some(answer)
        } else {
            self.dry_read(&req.method, &route, query)
        };
        match answer {
            Some(answer) => respond(answer, req).await.map(Some),
            None => Ok(None),
        }
    }

    /// Prints a dry write as one line on stderr.
    fn report(&self, req: &Req<'_>, made: Option<&str>) {
        let mut line = self.prefix();
        line.push_str(&format!(
            "{} {}",
            req.method,
            display_path(&req.path, req.query.as_str())
        ));
        if let Some(body) = &req.body {
            line.push(' ');
            line.push_str(&essential_body(&req.path, req.content_type, body));
        }
        if let Some(made) = made {
            line.push_str(" -> ");
            line.push_str(made);
        }
        // A closed stderr must not end the script.
        let _ = writeln!(std::io::stderr(), "{line}");
    }

    /// Prints, under `--dry-run`, the local file a call would have written.
    pub(crate) fn report_local_write(&self, path: &std::path::Path, size: u64, what: &str) {
        let line = format!(
            "{}would write {} ({size} bytes: {})",
            self.prefix(),
            path.display(),
            short_ids(what)
        );
        let _ = writeln!(std::io::stderr(), "{line}");
    }

    /// `dry-run: `, or `dry-run [LABEL]: ` naming the engine.
    fn prefix(&self) -> String {
        match &self.label {
            Some(label) => format!("dry-run [{label}]: "),
            None => "dry-run: ".to_owned(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DryState> {
        // A panic while locked leaves plain data behind: keep using it.
        self.dry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, path: &str, query: &[(&str, &str)]) -> Req<'static> {
        let mut q = crate::engine::Query::new();
        for (k, v) in query {
            q.add(k, v);
        }
        Req::new(method, path).query(q)
    }

    #[test]
    fn writes_are_told_from_reads() {
        let post = Method::POST;
        let write =
            |m: &Method, path: &str, query: &[(&str, &str)]| is_write(&req(m.clone(), path, query));
        assert!(!write(&Method::GET, "/containers/json", &[]));
        assert!(!write(&post, "/containers/abc/wait", &[]));
        assert!(!write(&post, "/auth", &[]));
        assert!(!write(&post, "/containers/abc/attach", &[("stdout", "1")]));
        assert!(write(&post, "/containers/abc/attach", &[("stdin", "1")]));
        assert!(write(&post, "/containers/create", &[]));
        assert!(write(&Method::DELETE, "/images/a/b", &[]));
        assert!(write(
            &Method::PUT,
            "/containers/abc/archive",
            &[("path", "/")]
        ));
        assert!(write(&post, "/networks/create", &[]));
    }

    #[test]
    fn stdin_flags_are_read_as_the_engine_reads_them() {
        let attach = |value: &str| {
            is_write(&req(
                Method::POST,
                "/containers/c/attach",
                &[("stdin", value)],
            ))
        };
        for yes in ["1", "true", "yes", "TRUE", "on", "2", " y ", "None-ish"] {
            assert!(attach(yes), "{yes}");
        }
        for no in ["", "0", "no", "false", "none", "FALSE", "No", " 0 ", "NONE"] {
            assert!(!attach(no), "{no:?}");
        }
        // The first value counts, as Go's FormValue takes it.
        let q = [("stdin", "on"), ("stdin", "0")];
        assert!(is_write(&req(Method::POST, "/containers/c/attach", &q)));
        // An encoded slash hides no verb.
        assert!(is_write(&req(
            Method::GET,
            "/containers/c%2Fattach%2Fws",
            &[("stdin", "1")]
        )));
        // The websocket attach is a GET.
        assert!(is_write(&req(
            Method::GET,
            "/containers/c/attach/ws",
            &[("stdin", "yes")]
        )));
        assert!(!is_write(&req(
            Method::GET,
            "/containers/c/attach/ws",
            &[("stdout", "1")]
        )));
        // A form body is read before the query, as the engine does.
        let form = |body: &'static str| {
            req(Method::POST, "/containers/c/attach", &[("stdin", "0")]).raw_body(
                bytes::Bytes::from_static(body.as_bytes()),
                "application/x-www-form-urlencoded",
            )
        };
        assert!(is_write(&form("stdin=yes")));
        assert!(!is_write(&form("stdout=1")));
        assert!(is_write(&req(
            Method::POST,
            "/containers/c/%61ttach",
            &[("stdin", "Yes")]
        )));
    }

    #[test]
    fn routes_name_objects() {
        let r = Route::parse("/images/localhost%3A5000/app/tag");
        assert_eq!(
            (r.kind.as_str(), r.key.as_deref(), r.action.as_str()),
            ("images", Some("localhost:5000/app"), "tag")
        );
        let r = Route::parse("/images/create");
        assert_eq!((r.key.as_deref(), r.action.as_str()), (None, "create"));
        let r = Route::parse("/images/a/b");
        assert_eq!((r.key.as_deref(), r.action.as_str()), (Some("a/b"), ""));
        let r = Route::parse("/containers/web/json");
        assert_eq!((r.key.as_deref(), r.action.as_str()), (Some("web"), "json"));
        let r = Route::parse("/networks/n1");
        assert_eq!((r.key.as_deref(), r.action.as_str()), (Some("n1"), ""));
    }
}
