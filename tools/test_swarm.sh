#!/usr/bin/env bash
# The swarm tests (tests/swarm.rs) need a second engine that joins the test
# engine's swarm as a worker, named by DOCKERLUA_TEST_ENGINE2_HOST. Until
# tools/test.sh starts one itself, this starts (or reuses) the test engine and
# a second one beside it (tools/engine.sh: its own socket, bridge, data and
# registry), runs the swarm tests, and stops what it started.
#
#   tools/test_swarm.sh [CARGO TEST ARGS...]
#   KEEP_ENGINE=1 tools/test_swarm.sh   # leave both engines running
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE_DIR=${DOCKERLUA_ENGINE_DIR:-$PWD/.engine}
ENGINE2_DIR=${DOCKERLUA_ENGINE2_DIR:-$ENGINE_DIR-2}

started=()
for dir in "$ENGINE_DIR" "$ENGINE2_DIR"; do
    tools/engine.sh status "$dir" 2>/dev/null || started+=("$dir")
    tools/engine.sh start "$dir"
done
stop_engines() {
    [ "${KEEP_ENGINE:-0}" = 1 ] && return 0
    for dir in "${started[@]}"; do tools/engine.sh stop "$dir"; done
}
trap stop_engines EXIT

. "$ENGINE_DIR/env"
DOCKERLUA_TEST_ENGINE2_HOST=$(. "$ENGINE2_DIR/env" && echo "$DOCKER_HOST")
export DOCKERLUA_TEST_ENGINE2_HOST
cargo test --test swarm "$@" -- --include-ignored
