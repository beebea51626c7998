//! `/images/...`.

use serde_json::Value;

use super::{reference, segment, Engine, JsonStream, Query, Req, Result};

/// Where credentials for a registry request come from.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// `config.json` (`credHelpers`, `credsStore`, `auths`).
    #[default]
    FromConfig,
    /// Given by the caller: `{username, password}` or `{identitytoken}`.
    Given(Value),
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
        let header = auth_header(image, auth).await?;
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
        let header = auth_header(image, auth).await?;
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
}

/// The `X-Registry-Auth` value for a request about `image`. Without
/// credentials an empty object is sent, as the docker CLI does.
async fn auth_header(image: &str, auth: &Auth) -> Result<String> {
    let credentials = match auth {
        Auth::Given(value) => Some(value.clone()),
        Auth::FromConfig => super::credentials::credentials(&reference::registry_of(image)).await?,
    };
    Ok(super::credentials::encode_auth(
        &credentials.unwrap_or_else(|| serde_json::json!({})),
    ))
}
