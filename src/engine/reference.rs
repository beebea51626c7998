//! Image references (`[registry/]name[:tag][@digest]`): one parser for every
//! caller, so that pull, run, tag and credentials agree on what a name means.

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

/// The key `config.json` (and credential helpers) keep Docker Hub under.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The registry a reference lives in, as `config.json` keys it. Docker Hub,
/// however named (`alpine`, `docker.io/...`, `index.docker.io/...`), is
/// [`DOCKER_HUB_KEY`], as the docker CLI keys it.
pub fn registry_of(reference: &str) -> String {
    match reference.split_once('/') {
        Some(("docker.io" | "index.docker.io", _)) => DOCKER_HUB_KEY.to_owned(),
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first.to_owned(),
        _ => DOCKER_HUB_KEY.to_owned(),
    }
}

/// A registry as the user names it (`docker.io`, `https://host:5000/v2/`,
/// `host:5000`), keyed as [`registry_of`] keys references.
pub fn registry_key(registry: &str) -> String {
    let bare = registry
        .strip_prefix("https://")
        .or_else(|| registry.strip_prefix("http://"))
        .unwrap_or(registry);
    let host = bare.split('/').next().unwrap_or(bare);
    match host {
        "" | "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB_KEY.to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_keys() {
        assert_eq!(registry_key("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(registry_key(DOCKER_HUB_KEY), DOCKER_HUB_KEY);
        assert_eq!(registry_key("https://localhost:5000/v2/"), "localhost:5000");
        assert_eq!(registry_key("localhost:5000"), "localhost:5000");
    }

    #[test]
    fn registry_of_references() {
        assert_eq!(registry_of("alpine"), "https://index.docker.io/v1/");
        assert_eq!(
            registry_of("library/alpine:3"),
            "https://index.docker.io/v1/"
        );
        assert_eq!(registry_of("localhost:5000/x/y"), "localhost:5000");
        assert_eq!(registry_of("ghcr.io/a/b"), "ghcr.io");
        assert_eq!(registry_of("localhost/a"), "localhost");
        assert_eq!(registry_of("docker.io/library/alpine"), DOCKER_HUB_KEY);
        assert_eq!(registry_of("index.docker.io/me/app:1"), DOCKER_HUB_KEY);
    }

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

    #[test]
    fn references() {
        assert_eq!(split_reference("alpine"), ("alpine", None));
        assert_eq!(split_reference("alpine:3.20"), ("alpine", Some("3.20")));
        assert_eq!(
            split_reference("localhost:5000/a/b"),
            ("localhost:5000/a/b", None)
        );
        assert_eq!(
            split_reference("localhost:5000/a:v1"),
            ("localhost:5000/a", Some("v1"))
        );
        assert_eq!(split_reference("a@sha256:abc"), ("a@sha256:abc", None));
        assert_eq!(with_tag("alpine"), "alpine:latest");
        assert_eq!(with_tag("a@sha256:abc"), "a@sha256:abc");
    }
}
