#!/usr/bin/env bash
# THE test command: starts a private Docker Engine and registry in .engine
# (tools/engine.sh), runs `cargo test --all-targets ARGS...` against it and
# stops the engine again. Returns cargo test's exit status.
#
#   tools/test.sh                       # everything
#   tools/test.sh --test engine_smoke   # extra arguments go to cargo test
#   KEEP_ENGINE=1 tools/test.sh         # leave the engine running afterwards
#                                       # (then: . .engine/env; docker ps ...)
#   DOCKERLUA_PODMAN=1 tools/test.sh    # also start Podman in .podman
#                                       # (tools/podman.sh) for tests/podman.rs
#
# An engine that was already running in .engine (e.g. from KEEP_ENGINE=1 or
# `tools/engine.sh start .engine`) is reused and left running.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE_DIR=${DOCKERLUA_ENGINE_DIR:-$PWD/.engine}

command -v cargo >/dev/null || { [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"; }

already_running=0
tools/engine.sh status "$ENGINE_DIR" 2>/dev/null && already_running=1
tools/engine.sh start "$ENGINE_DIR"

stop_engine() {
    if [ "${KEEP_ENGINE:-0}" = 1 ] || [ $already_running = 1 ]; then
        echo "test: the engine keeps running; stop it with: tools/engine.sh stop $ENGINE_DIR" >&2
    else
        tools/engine.sh stop "$ENGINE_DIR"
    fi
}
trap stop_engine EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

. "$ENGINE_DIR/env"

# Opt-in: tests/podman.rs runs against a Podman service next to the engine
# (it pulls from the engine's registry); without it those tests are skipped.
if [ "${DOCKERLUA_PODMAN:-0}" = 1 ]; then
    PODMAN_DIR=${DOCKERLUA_PODMAN_DIR:-$PWD/.podman}
    stop_both() {
        if [ "${KEEP_ENGINE:-0}" = 1 ]; then
            echo "test: podman keeps running; stop it with: tools/podman.sh stop $PODMAN_DIR" >&2
        else
            tools/podman.sh stop "$PODMAN_DIR"
        fi
        stop_engine
    }
    trap stop_both EXIT
    tools/podman.sh start "$PODMAN_DIR"
    export DOCKERLUA_TEST_PODMAN_HOST
    DOCKERLUA_TEST_PODMAN_HOST=$(. "$PODMAN_DIR/env" && echo "$DOCKERLUA_TEST_PODMAN_HOST")
fi
status=0
cargo test --all-targets "$@" || status=$?
exit $status
