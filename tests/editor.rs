//! Editor support in one step: `--init-editor [DIR]` writes the LuaLS
//! definitions and a `.luarc.json` pointing at them; option tables are
//! `(exact)` classes so a misspelt option is flagged. (lua-language-server
//! is not packaged by Debian: the generated files are checked here.)

mod common;

use std::process::Command;

use common::{assert_success, run};

fn dl() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.env("DOCKER_HOST", "unix:///nonexistent/dockerlua-test.sock");
    cmd
}

#[test]
fn init_editor_writes_the_types_and_points_luarc_at_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_success(&run(dl().arg("--init-editor").current_dir(dir.path())));
    assert!(out.contains("wrote ./.luarc.json"), "{out}");
    let rc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(".luarc.json")).unwrap())
            .unwrap();
    assert_eq!(
        rc["workspace.library"],
        serde_json::json!([".dockerlua/types"])
    );
    assert_eq!(rc["runtime.version"], "Lua 5.4");
    // Every file `--print-types` prints is there, as printed.
    let printed = assert_success(&run(dl().arg("--print-types")));
    let types = dir.path().join(".dockerlua/types");
    let mut count = 0;
    for part in printed.split("-- types/").skip(1) {
        let (name, text) = part.split_once('\n').unwrap();
        let written = std::fs::read_to_string(types.join(name)).unwrap();
        assert_eq!(written.trim_end(), text.trim_end(), "{name}");
        count += 1;
    }
    assert!(count >= 10, "{count} files");
    // Option tables are exact: `detatch` is an unknown field for LuaLS.
    let containers = std::fs::read_to_string(types.join("docker-api/containers.lua")).unwrap();
    for class in [
        "---@class (exact) CreateOptions\n",
        "---@class (exact) RunOptions: CreateOptions\n",
        "---@class (exact) LogsBaseOptions\n",
    ] {
        assert!(containers.contains(class), "{class}");
    }

    // A second run into a named folder keeps the user's own settings.
    let project = dir.path().join("team");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join(".luarc.json"),
        r#"{"workspace": {"library": ["lib"]}, "runtime.version": "LuaJIT"}"#,
    )
    .unwrap();
    let out = assert_success(&run(dl().args(["--init-editor", project.to_str().unwrap()])));
    assert!(out.contains("updated"), "{out}");
    let rc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(project.join(".luarc.json")).unwrap())
            .unwrap();
    assert_eq!(
        rc["workspace"]["library"],
        serde_json::json!(["lib", ".dockerlua/types"])
    );
    assert_eq!(rc["runtime.version"], "LuaJIT");
    assert!(project.join(".dockerlua/types/docker.lua").is_file());
    // A .luarc.json that is not plain JSON is not overwritten.
    std::fs::write(project.join(".luarc.json"), "// comment\n{}").unwrap();
    let out = run(dl().args(["--init-editor", project.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(project.join(".luarc.json")).unwrap(),
        "// comment\n{}"
    );
}
