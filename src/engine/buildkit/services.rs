//! The small session services: health (the engine checks the session is
//! alive), secrets (`RUN --mount=type=secret`) and auth (registry
//! credentials for `FROM` pulls, from the client's `config.json` as the CLI
//! answers them).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use bollard_buildkit_proto::health::health_check_response::ServingStatus;
use bollard_buildkit_proto::health::health_server::Health;
use bollard_buildkit_proto::health::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
};
use bollard_buildkit_proto::moby::buildkit::secrets::v1::secrets_server::Secrets;
use bollard_buildkit_proto::moby::buildkit::secrets::v1::{GetSecretRequest, GetSecretResponse};
use bollard_buildkit_proto::moby::filesync::v1::auth_server::Auth;
use bollard_buildkit_proto::moby::filesync::v1::{
    CredentialsRequest, CredentialsResponse, FetchTokenRequest, FetchTokenResponse,
    GetTokenAuthorityRequest, GetTokenAuthorityResponse, VerifyTokenAuthorityRequest,
    VerifyTokenAuthorityResponse,
};
use futures_util::Stream;
use serde_json::Value;
use tonic::{Request, Response, Status};

use crate::engine::credentials;

pub struct HealthService;

#[tonic::async_trait]
impl Health for HealthService {
    async fn check(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        }))
    }

    async fn list(
        &self,
        _: Request<HealthListRequest>,
    ) -> Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("not served"))
    }

    type WatchStream =
        Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send + 'static>>;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("not served"))
    }
}

/// The build's secrets by id, read before the build starts.
pub struct SecretsService(pub Arc<HashMap<String, Vec<u8>>>);

#[tonic::async_trait]
impl Secrets for SecretsService {
    async fn get_secret(
        &self,
        request: Request<GetSecretRequest>,
    ) -> Result<Response<GetSecretResponse>, Status> {
        let id = &request.get_ref().id;
        match self.0.get(id) {
            Some(data) => Ok(Response::new(GetSecretResponse { data: data.clone() })),
            // The id is the Dockerfile's, never a secret's value.
            None => Err(Status::not_found(format!("secret {id:?} not given"))),
        }
    }
}

/// Credentials by registry: those the build was given first, then the
/// client's `config.json`; none is an empty answer (anonymous pulls).
pub struct AuthService {
    pub given: serde_json::Map<String, Value>,
}

#[tonic::async_trait]
impl Auth for AuthService {
    async fn credentials(
        &self,
        request: Request<CredentialsRequest>,
    ) -> Result<Response<CredentialsResponse>, Status> {
        let host = &request.get_ref().host;
        let key = if host == "registry-1.docker.io" || host == "docker.io" {
            crate::engine::reference::DOCKER_HUB_KEY
        } else {
            host.as_str()
        };
        let found = match self.given.get(key) {
            Some(v) => Some(v.clone()),
            None => credentials::credentials(key).await.unwrap_or(None),
        };
        let field = |v: &Value, name: &str| {
            v.get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let answer = match found {
            Some(v) if v.get("identitytoken").is_some() => CredentialsResponse {
                username: String::new(),
                secret: field(&v, "identitytoken"),
            },
            Some(v) => CredentialsResponse {
                username: field(&v, "username"),
                secret: field(&v, "password"),
            },
            None => CredentialsResponse::default(),
        };
        Ok(Response::new(answer))
    }

    async fn fetch_token(
        &self,
        _: Request<FetchTokenRequest>,
    ) -> Result<Response<FetchTokenResponse>, Status> {
        Err(Status::unimplemented("not served"))
    }

    async fn get_token_authority(
        &self,
        _: Request<GetTokenAuthorityRequest>,
    ) -> Result<Response<GetTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("not served"))
    }

    async fn verify_token_authority(
        &self,
        _: Request<VerifyTokenAuthorityRequest>,
    ) -> Result<Response<VerifyTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("not served"))
    }
}
