//! `/images/...`: inspect, history, pull, push, tag, save and load.

use std::path::Path;

use serde_json::Value;

pub use super::registry::Auth;
use super::upload::Upload;
use hyper::body::Incoming;
use hyper::Response;

use super::{segment, BodyReader, Engine, Error, ErrorKind, JsonStream, Query, Req, Result};

/// An image archive to load: a file, streamed from disk, or bytes in memory.
pub enum Archive<'a> {
    File(&'a Path),
    Bytes(bytes::Bytes),
}

impl Engine {
    pub async fn image_inspect(&self, name: &str) -> Result<Value> {
        self.inspect(&super::resource::IMAGES, name).await
    }

    pub async fn image_history(&self, name: &str) -> Result<Value> {
        let req = Req::get(format!("/images/{}/history", segment(name))).about_image();
        self.json(req).await
    }

    /// Pulls `image:tag` (or `image@digest` with `tag` empty); the progress
    /// arrives as JSON values on the stream.
    pub async fn image_pull(
        &self,
        image: &str,
        tag: &str,
        platform: Option<&str>,
        auth: &Auth,
    ) -> Result<JsonStream> {
        let mut q = Query::new();
        q.add("fromImage", image);
        if !tag.is_empty() {
            q.add("tag", tag);
        }
        q.add_opt("platform", platform);
        let header = self.auth_header(image, auth).await?;
        let req = Req::post("/images/create")
            .query(q)
            .header("x-registry-auth", header)
            .about_image()
            .lasting();
        Ok(JsonStream::new(self.request(req).await?, true))
    }

    pub async fn image_push(
        &self,
        image: &str,
        tag: Option<&str>,
        auth: &Auth,
    ) -> Result<JsonStream> {
        let mut q = Query::new();
        q.add_opt("tag", tag);
        let header = self.auth_header(image, auth).await?;
        let req = Req::post(format!("/images/{}/push", segment(image)))
            .query(q)
            .header("x-registry-auth", header)
            .about_image()
            .lasting();
        Ok(JsonStream::new(self.request(req).await?, true))
    }

    pub async fn image_tag(&self, image: &str, repository: &str, tag: Option<&str>) -> Result<()> {
        let mut q = Query::new();
        q.add("repo", repository).add_opt("tag", tag);
        let req = Req::post(format!("/images/{}/tag", segment(image)))
            .query(q)
            .about_image();
        self.empty(req).await
    }

    /// `docker save` of `names`, to read as it arrives (the archive names
    /// the images by the names given: an id alone saves it untagged).
    pub async fn image_save_reader(&self, names: &[&str]) -> Result<BodyReader> {
        Ok(BodyReader::new(self.save_request(names).await?))
    }

    async fn save_request(&self, names: &[&str]) -> Result<Response<Incoming>> {
        let req = match names {
            [one] => Req::get(format!("/images/{}/get", segment(one))),
            many => {
                let mut q = Query::new();
                for name in many {
                    q.add("names", name);
                }
                Req::get("/images/get").query(q)
            }
        };
        self.request(req.about_image().lasting()).await
    }

    /// Writes `docker save` of `names` to `path` as it arrives; returns the
    /// bytes written. A failed save leaves no partial file behind.
    pub async fn image_save(&self, names: &[&str], path: &Path) -> Result<u64> {
        let response = self.save_request(names).await?;
        let what = format!("save of {}", names.join(", "));
        self.answer_to_file(response, path, &what).await
    }

    /// `docker load`: sends the archive (a file streams from disk) and
    /// returns what the engine loaded, as `Loaded image: NAME` or
    /// `Loaded image ID: ID` name them.
    pub async fn image_load(&self, archive: Archive<'_>) -> Result<Vec<String>> {
        let mut q = Query::new();
        q.add("quiet", "1");
        let req = Req::post("/images/load").query(q).lasting();
        let req = match archive {
            Archive::File(path) => {
                let upload = Upload::from_file(path).await.map_err(|e| {
                    Error::invalid(format!("cannot read '{}': {e}", path.display()))
                })?;
                req.stream_body(upload, "application/x-tar")
            }
            Archive::Bytes(bytes) => req.raw_body(bytes, "application/x-tar"),
        };
        let mut stream = JsonStream::new(self.request(req).await?, false);
        // What the engine says in the answer about the archive (an HTTP
        // error keeps its own kind).
        let load_error = |e: Error| match (e.kind, e.status) {
            (ErrorKind::Api, None) => Error::new(ErrorKind::ImageLoad, e.message),
            _ => e,
        };
        let mut loaded = Vec::new();
        while let Some(event) = stream.next().await.map_err(load_error)? {
            let text = event.get("stream").and_then(Value::as_str).unwrap_or("");
            for line in text.lines() {
                let name = line
                    .strip_prefix("Loaded image ID: ")
                    .or_else(|| line.strip_prefix("Loaded image: "));
                if let Some(name) = name {
                    loaded.push(name.trim().to_owned());
                }
            }
        }
        if loaded.is_empty() {
            return Err(Error::new(
                ErrorKind::ImageLoad,
                "the engine loaded no image from the archive",
            ));
        }
        Ok(loaded)
    }
}
