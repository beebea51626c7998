//! `/images/...`.

use serde_json::Value;

use super::{segment, Engine, JsonStream, Query, Req, Result};

/// Where credentials for a registry request come from.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// `config.json` (`credHelpers`, `credsStore`, `auths`).
    #[default]
    FromConfig,
    /// Given by the caller: `{username, password}` or `{identitytoken}`.
    Given(Value),
}

/// `name[:tag]` split from a reference; a digest reference keeps its digest
/// in the name and has no tag.
pub fn split_reference(reference: &str) -> (&str, Option<&str>) {
    if reference.contains('@') {
        return (reference, None);
    }
    match reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
        _ => (reference, None),
    }
}

/// The reference with `:latest` added when it names no tag or digest.
pub fn with_tag(reference: &str) -> String {
    match split_reference(reference) {
        (name, None) if !name.contains('@') => format!("{name}:latest"),
        _ => reference.to_owned(),
    }
}

/// The short form Docker shows of an image name: Podman reports Docker Hub
/// names fully qualified (`docker.io/library/alpine:latest`), Docker as
/// `alpine:latest`. Other names (`localhost/x`, `quay.io/x`) stay as they are.
pub fn familiar_name(name: &str) -> &str {
    match name.strip_prefix("docker.io/") {
        Some(rest) => match rest.strip_prefix("library/") {
            Some(official) if !official.contains('/') => official,
            _ => rest,
        },
        None => name,
    }
}

impl Engine {
    pub async fn images_list(&self, all: bool, filters: Option<&Value>) -> Result<Value> {
        let mut q = Query::new();
        q.flag("all", all);
        q.add_opt("filters", filters.map(Value::to_string));
        self.json(Req::get("/images/json").query(q)).await
    }

    pub async fn image_inspect(&self, name: &str) -> Result<Value> {
        let req = Req::get(format!("/images/{}/json", segment(name))).about_image();
        self.json(req).await
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
        let header = auth_header(image, auth).await?;
        let req = Req::post("/images/create")
            .query(q)
            .header("x-registry-auth", header)
            .about_image();
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
        let header = auth_header(image, auth).await?;
        let req = Req::post(format!("/images/{}/push", segment(image)))
            .query(q)
            .header("x-registry-auth", header)
            .about_image();
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

    pub async fn image_remove(&self, image: &str, force: bool, noprune: bool) -> Result<Value> {
        let mut q = Query::new();
        q.flag("force", force).flag("noprune", noprune);
        let req = Req::delete(format!("/images/{}", segment(image)))
            .query(q)
            .about_image();
        self.json(req).await
    }

    pub async fn images_prune(&self, filters: Option<&Value>) -> Result<Value> {
        let mut q = Query::new();
        q.add_opt("filters", filters.map(Value::to_string));
        self.json(Req::post("/images/prune").query(q)).await
    }
}

/// The `X-Registry-Auth` value for a request about `image`. Without
/// credentials an empty object is sent, as the docker CLI does.
async fn auth_header(image: &str, auth: &Auth) -> Result<String> {
    let credentials = match auth {
        Auth::Given(value) => Some(value.clone()),
        Auth::FromConfig => super::config::credentials(&super::config::registry_of(image)).await?,
    };
    Ok(super::config::encode_auth(
        &credentials.unwrap_or_else(|| serde_json::json!({})),
    ))
}

#[cfg(test)]
mod tests {
    use super::familiar_name;

    #[test]
    fn docker_hub_names_are_shortened_as_docker_shows_them() {
        assert_eq!(
            familiar_name("docker.io/library/alpine:latest"),
            "alpine:latest"
        );
        assert_eq!(familiar_name("docker.io/team/app:1"), "team/app:1");
        assert_eq!(familiar_name("docker.io/library/a/b"), "library/a/b");
        assert_eq!(familiar_name("alpine"), "alpine");
        assert_eq!(
            familiar_name("localhost/alpine:latest"),
            "localhost/alpine:latest"
        );
        assert_eq!(familiar_name("localhost:5000/x:1"), "localhost:5000/x:1");
    }
}
