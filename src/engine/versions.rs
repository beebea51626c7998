//! The engine layer's readers on answers of API 1.44 and 1.51 (Docker 25 to
//! 28), which cannot run here: the answers are `tests/fixtures/api/`, written
//! from the Engine API's documentation (its README says which schema each
//! follows). The same readers on 1.41 answers are tested against the real
//! engine.

use serde_json::{json, Value};

use super::containers::health;
use super::reference::familiar_name;
use super::resource::CONTAINERS;
use super::stream::progress_error;
use super::watch::resume::Resume;
use super::watch::schedule::changes_the_list;

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("a fixture is JSON")
}

struct Answers {
    version: &'static str,
    containers: Value,
    container: Value,
    images: Value,
    image: Value,
    df: Value,
}

fn answers() -> [Answers; 2] {
    macro_rules! of {
        ($v:literal) => {
            Answers {
                version: $v,
                containers: fixture(include_str!(concat!(
                    "../../tests/fixtures/api/v",
                    $v,
                    "/containers.json"
                ))),
                container: fixture(include_str!(concat!(
                    "../../tests/fixtures/api/v",
                    $v,
                    "/container.json"
                ))),
                images: fixture(include_str!(concat!(
                    "../../tests/fixtures/api/v",
                    $v,
                    "/images.json"
                ))),
                image: fixture(include_str!(concat!(
                    "../../tests/fixtures/api/v",
                    $v,
                    "/image.json"
                ))),
                df: fixture(include_str!(concat!(
                    "../../tests/fixtures/api/v",
                    $v,
                    "/df.json"
                ))),
            }
        };
    }
    [of!("1.44"), of!("1.51")]
}

#[test]
fn health_of_listed_and_inspected_containers() {
    let [v144, v151] = answers();
    // A list entry has it only in its `Status` text up to 1.51.
    assert_eq!(health(&v144.containers[0]).as_deref(), Some("healthy"));
    assert_eq!(health(&v151.containers[0]).as_deref(), Some("starting"));
    for a in [&v144, &v151] {
        assert_eq!(health(&a.containers[1]), None, "{}", a.version);
        assert_eq!(
            health(&a.container).as_deref(),
            Some("unhealthy"),
            "{}",
            a.version
        );
    }
}

#[test]
fn listed_images_of_containers_read_in_their_familiar_form() {
    let [v144, v151] = answers();
    let image = |a: &Answers, i: usize| {
        familiar_name(a.containers[i]["Image"].as_str().unwrap()).to_owned()
    };
    assert_eq!(image(&v144, 0), "ubuntu:latest");
    // 1.51 engines with the containerd store list canonical references.
    assert_eq!(
        v151.containers[0]["Image"],
        "docker.io/library/ubuntu:latest"
    );
    assert_eq!(image(&v151, 0), "ubuntu:latest");
    assert_eq!(
        image(&v151, 1),
        "ubuntu@sha256:a59906e33509d14c036c8678d687bd4eec81ed7c4b8ce907b888c607f6a1e0e6"
    );
    // An inspect's `Config.Image` is as given at create, in every version.
    assert_eq!(v151.container["Config"]["Image"], "ubuntu:latest");
}

#[test]
fn the_container_normaliser_leaves_docker_answers_as_they_are() {
    let normalize = CONTAINERS.normalize.expect("containers are normalised");
    for a in answers() {
        for before in a
            .containers
            .as_array()
            .unwrap()
            .iter()
            .chain([&a.container])
        {
            let mut after = before.clone();
            normalize(&mut after);
            assert_eq!(&after, before, "{}", a.version);
        }
    }
}

#[test]
fn the_fields_the_history_removes_are_absent_and_their_replacements_there() {
    // The fixtures themselves, against the version history: what the code
    // must not depend on is really absent.
    for a in answers() {
        let v = a.version;
        for image in a.images.as_array().unwrap().iter().chain([&a.image]) {
            assert!(image.get("VirtualSize").is_none(), "{v}");
            assert!(image["Size"].as_u64().is_some(), "{v}");
        }
        // Untagged: an empty list from 1.43 on, no "<none>:<none>".
        assert_eq!(a.images[1]["RepoTags"], json!([]), "{v}");
        for image in a.df["Images"].as_array().unwrap() {
            assert!(image.get("VirtualSize").is_none(), "{v}");
        }
        assert!(a.df.get("BuilderSize").is_none(), "{v}");
        for record in a.df["BuildCache"].as_array().unwrap() {
            assert!(record.get("Parent").is_none(), "{v}");
            assert!(record["Parents"].is_array(), "{v}");
        }
        let settings = &a.container["NetworkSettings"];
        assert_eq!(settings["IPAddress"], "", "{v}");
        assert_eq!(settings["Networks"]["mynetwork"]["IPAddress"], "172.20.0.4");
    }
    let [v144, v151] = answers();
    assert!(v144.image.get("ContainerConfig").is_some());
    assert!(v151.image.get("ContainerConfig").is_none());
    assert!(v151.image.get("Container").is_none());
    assert!(v151.image["Config"].get("Hostname").is_none());
    assert_eq!(v144.images[0]["Containers"], -1);
    assert_eq!(v151.images[0]["Containers"], 2);
    assert!(v151.containers[0].get("ImageManifestDescriptor").is_some());
}

#[test]
fn progress_errors_without_the_deprecated_error_field() {
    // API 1.48 deprecates `error` beside `errorDetail`; a future version
    // leaves it out.
    let message = json!({"errorDetail": {"message": "manifest unknown"}});
    assert_eq!(
        progress_error(&message).as_deref(),
        Some("manifest unknown")
    );
    let both = json!({"errorDetail": {"message": "denied"}, "error": "denied"});
    assert_eq!(progress_error(&both).as_deref(), Some("denied"));
    let progress = json!({"status": "Downloading", "id": "a1b2",
        "progressDetail": {"current": 1024, "total": 4096}});
    assert_eq!(progress_error(&progress), None);
}

#[test]
fn events_without_the_deprecated_status_id_and_from() {
    // `EventMessage` as documented (1.44 to 1.51): `Type`, `Action`,
    // `Actor`, `scope`, `time`, `timeNano`; 1.52 stops sending the old
    // `status`, `id` and `from` beside them.
    let event = |id: &str, action: &str| {
        json!({"Type": "container", "Action": action,
            "Actor": {"ID": id, "Attributes": {"image": "alpine:latest", "name": "my-container"}},
            "scope": "local", "time": 1461943101, "timeNano": 1461943101381709551_i64})
    };
    let mut resume = Resume::default();
    assert!(resume.admit(&event("ede54ee1afda", "create")));
    // Same moment, another container or action: a new event.
    assert!(resume.admit(&event("abadbce344c0", "create")));
    assert!(resume.admit(&event("ede54ee1afda", "start")));
    // The engine replaying one after a reconnection: not again.
    assert!(!resume.admit(&event("ede54ee1afda", "create")));
    assert!(changes_the_list(&event("ede54ee1afda", "die")));
    assert!(!changes_the_list(&event(
        "ede54ee1afda",
        "exec_start: sh -c true"
    )));
}

#[test]
fn stats_figures_of_a_1_51_sample() {
    // `ContainerStatsResponse` as 1.51 documents it (cgroup v2): the
    // figures `docker stats` shows come out as the CLI computes them.
    let sample = fixture(include_str!("../../tests/fixtures/api/v1.51/stats.json"));
    let f = super::stats::Figures::of(&sample);
    // (29912000 - 19912000) / (5e9 - 4e9) * 5 CPUs * 100
    assert!((f.cpu_percent - 5.0).abs() < 1e-9, "{}", f.cpu_percent);
    assert_eq!(f.mem_usage, 10137600 - 2510848);
    assert_eq!(f.mem_limit, 8217579520);
    assert_eq!((f.net_rx, f.net_tx), (5338 + 4641, 648 + 690));
    assert_eq!((f.block_read, f.block_write), (7593984, 100));
    assert_eq!(f.pids, 5);
}
