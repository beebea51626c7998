//! Talking to registries through the engine: `POST /auth` (login),
//! `GET /distribution/{name}/json`, and the credentials a request about an
//! image carries (this client's logins, then `config.json`).

use serde_json::{json, Value};

use super::reference::{registry_key, registry_of};
use super::{credentials, segment, Engine, Req, Result};

/// Where credentials for a registry request come from.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// This client's logins, then `config.json` (`credHelpers`,
    /// `credsStore`, `auths`).
    #[default]
    FromConfig,
    /// Given by the caller: `{username, password}` or `{identitytoken}`.
    Given(Value),
}

impl Engine {
    /// Checks credentials with the engine (which asks the registry) and
    /// keeps them for this client's later requests to that registry.
    /// Returns the engine's answer (`Status`, maybe `IdentityToken`).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        registry: Option<&str>,
    ) -> Result<Value> {
        let key = registry_key(registry.unwrap_or(""));
        let mut body = json!({
            "username": username,
            "password": password,
            "serveraddress": key,
        });
        let answer = self.json(Req::post("/auth").json_body(&body)).await?;
        // A registry that hands out a token wants it instead of the password.
        if let Some(token) = answer
            .get("IdentityToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            body = json!({ "identitytoken": token, "serveraddress": key });
        }
        self.inner.logins.lock().unwrap().insert(key, body);
        Ok(answer)
    }

    /// The credentials of this client's logins, by registry.
    pub fn logins(&self) -> serde_json::Map<String, Value> {
        self.inner.logins.lock().unwrap().clone()
    }

    /// The `X-Registry-Auth` value for a request about `image`. Without
    /// credentials an empty object is sent, as the docker CLI does.
    pub async fn auth_header(&self, image: &str, auth: &Auth) -> Result<String> {
        let header = match auth {
            Auth::Given(value) => Some(credentials::encode_auth(value)),
            Auth::FromConfig => self.registry_auth(image).await?,
        };
        Ok(header.unwrap_or_else(|| credentials::encode_auth(&json!({}))))
    }

    /// The `X-Registry-Auth` value of this client's credentials for
    /// `image`'s registry (a login, else the docker config's); `None`
    /// without any.
    pub async fn registry_auth(&self, image: &str) -> Result<Option<String>> {
        let registry = registry_of(image);
        let credentials = match self.logins().remove(&registry) {
            Some(login) => Some(login),
            None => credentials::credentials(&registry).await?,
        };
        Ok(credentials.as_ref().map(credentials::encode_auth))
    }

    /// What the registry says of `reference` (its manifest's descriptor and
    /// platforms), without pulling it.
    pub async fn distribution_inspect(&self, reference: &str, auth: &Auth) -> Result<Value> {
        let header = self.auth_header(reference, auth).await?;
        let req = Req::get(format!("/distribution/{}/json", segment(reference)))
            .header("x-registry-auth", header)
            .about_image();
        self.json(req).await
    }
}
