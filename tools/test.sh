#!/usr/bin/env bash
# THE test command: starts a private Docker Engine and registry in .engine
# (tools/engine.sh), runs every test against it, ignored ones included:
#
#   cargo test --all-targets CARGO_ARGS... -- --include-ignored TEST_ARGS...
#
# (--all-targets only when CARGO_ARGS choose no target such as --test FILE)
# and stops the engine again. Returns cargo test's exit status.
#
#   tools/test.sh                       # everything
#   tools/test.sh --test engine_smoke   # arguments go to cargo test; after a
#   tools/test.sh --test cli -- exit    # `--`, to the test binaries
#   KEEP_ENGINE=1 tools/test.sh         # leave the engine running afterwards
#                                       # (then: . .engine/env; docker ps ...)
#   DOCKERLUA_PODMAN=1 tools/test.sh    # also start Podman in .podman
#                                       # (tools/podman.sh) for tests/podman.rs
#
# Tests that need an engine are `#[ignore = "needs an engine: tools/test.sh"]`,
# so a plain `cargo test` (no engine) runs only the engine-free ones. The
# Podman tests (named podman_service_*) are ignored too and need Podman: without
# DOCKERLUA_PODMAN=1 this script skips them (`--skip podman_service_`); run
# without the service they fail, never pass.
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
# (it pulls from the engine's registry); without it those tests are skipped
# by name below.
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
# Split the arguments at the first `--`: cargo's, then the test binaries'.
cargo_args=() test_args=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do cargo_args+=("$1"); shift; done
[ $# -gt 0 ] && shift
test_args=("$@")
[ "${DOCKERLUA_PODMAN:-0}" = 1 ] || test_args+=(--skip podman_service_)
# Every target unless the arguments choose some (cargo would run the union).
targets=(--all-targets)
for a in ${cargo_args[@]+"${cargo_args[@]}"}; do
    case "$a" in --test | --test=* | --lib | --bin | --bin=* | --bins | --tests | --bench | --bench=* | --benches | --example | --example=* | --examples | --doc) targets=() ;; esac
done

status=0
cargo test ${targets[@]+"${targets[@]}"} ${cargo_args[@]+"${cargo_args[@]}"} -- --include-ignored ${test_args[@]+"${test_args[@]}"} || status=$?
exit $status
