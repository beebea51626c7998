//! Pull progress as a user sees it: the binary in a real terminal (tmux) of
//! a given width, pulling from the test registry.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{host, Cleanup};

/// Runs `dockerlua -e CODE` in a tmux pane `width` columns wide and returns
/// the screen (with its scrollback) once the command has ended.
fn in_terminal(width: u16, code: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("run.sh");
    std::fs::write(
        &script,
        format!(
            "export DOCKER_HOST='{}'\n'{}' -e \"$(cat '{}')\"\necho \"EXIT=$?\"\nsleep 120\n",
            host(),
            env!("CARGO_BIN_EXE_dockerlua"),
            dir.path().join("code.lua").display()
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("code.lua"), code).unwrap();
    let socket = format!("dockerlua-progress-{}-{width}", std::process::id());
    let tmux = |args: &[&str]| {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
            .expect("tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let w = width.to_string();
    tmux(&[
        "new-session",
        "-d",
        "-s",
        "p",
        "-x",
        &w,
        "-y",
        "30",
        "sh",
        script.to_str().unwrap(),
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let screen = loop {
        let screen = tmux(&["capture-pane", "-p", "-t", "p", "-S", "-200"]);
        if screen.contains("EXIT=") {
            break screen;
        }
        if Instant::now() > deadline {
            tmux(&["kill-server"]);
            panic!("the pull did not end within 60 s:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    tmux(&["kill-server"]);
    screen
}

fn is_layer_line(line: &str) -> bool {
    line.len() > 14
        && line.as_bytes()[12] == b':'
        && line[..12].chars().all(|c| c.is_ascii_hexdigit())
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn pull_progress_per_layer_on_a_wide_terminal_one_line_on_a_narrow_one() {
    assert!(
        Path::new("/usr/bin/tmux").exists(),
        "tmux is needed (apt-get install tmux)"
    );
    let t = Cleanup::new("progress");
    for (width, per_layer) in [(160u16, true), (80, false)] {
        let reference = t.pushed_image(&format!("w{width}"));
        let screen = in_terminal(width, &format!("docker.images.pull('{reference}')"));
        assert!(screen.contains("EXIT=0"), "{screen}");
        let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
        let layers: Vec<&&str> = lines.iter().filter(|l| is_layer_line(l)).collect();
        if per_layer {
            // The marker layer was downloaded, alpine's was there already.
            assert!(
                layers.iter().any(|l| l.contains("Pull complete")),
                "{screen}"
            );
            assert!(
                layers.iter().any(|l| l.contains("Already exists")),
                "{screen}"
            );
        } else {
            assert!(layers.is_empty(), "{screen}");
        }
        let summary = lines
            .iter()
            .find(|l| l.starts_with("Complete: "))
            .unwrap_or_else(|| panic!("no summary line:\n{screen}"));
        // Sizes follow only when the engine sent any: a small layer can
        // arrive before any progress detail is reported.
        assert!(summary.starts_with("Complete: 2/2 layers"), "{summary}");
        assert!(
            lines.iter().any(|l| l.starts_with("Digest: sha256:")),
            "{screen}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("Status: Downloaded newer image for")),
            "{screen}"
        );
    }
}
