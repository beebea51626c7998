#!/usr/bin/env bash
# THE test command: starts a private Docker Engine and registry in .engine
# (tools/engine.sh), a second engine for swarm tests and an sshd for ssh://
# engines next to it (see below; their addresses are in .engine/env:
# DOCKERLUA_TEST_ENGINE2_HOST, DOCKERLUA_TEST_SWARM_*_ADDR,
# DOCKERLUA_TEST_SSH_*), runs every test against them, ignored ones included:
#
#   cargo test --no-fail-fast --all-targets CARGO_ARGS... -- --include-ignored TEST_ARGS...
#
# (--all-targets only when CARGO_ARGS choose no target such as --test FILE)
# (--no-fail-fast: one failing test file does not hide the others' results)
# and stops them again. Returns cargo test's exit status (or 1 when the
# tests left an engine in a swarm).
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

# Next to it (and stopped with it: `tools/engine.sh stop DIR` stops them by
# their pid files): a second engine in DIR/engine2 with its own socket, bridge
# and data, using the first one's registry, so that the two can form a swarm;
# and an sshd in DIR/sshd whose sessions reach the first engine, for ssh://
# engines (tools/sshd.sh). Their variables are added to DIR/env.
#
# The swarm, as checked by hand with Engine 20.10 (E1, E2: the two
# DOCKER_HOSTs; REG: $DOCKERLUA_TEST_REGISTRY, where `docker -H $E1 push`
# put an image of the test's own, REG/dockerlua/swarmcheck):
#   docker -H $E1 swarm init --advertise-addr 127.0.0.1:2377 --listen-addr 127.0.0.1:2377
#   docker -H $E2 swarm join --token "$(docker -H $E1 swarm join-token -q worker)" \
#       --listen-addr 127.0.0.1:2378 --advertise-addr 127.0.0.1:2378 127.0.0.1:2377
#   docker -H $E1 service create -q --name s --replicas 4 $REG/dockerlua/swarmcheck:latest sleep 300
#   docker -H $E1 ps -q | wc -l; docker -H $E2 ps -q | wc -l    # 2 and 2
#   W=$(docker -H $E2 info -f '{{.Swarm.NodeID}}')
#   docker -H $E1 service rm s
#   docker -H $E2 swarm leave --force
#   docker -H $E1 node rm --force "$W"
#   docker -H $E1 swarm leave --force      # both: Swarm.LocalNodeState = inactive
#   docker -H $E1 rmi REG/dockerlua/swarmcheck:latest; the same on E2 (both pulled it)
# Only one test swarm can run on a host at a time (the gossip port 7946 and
# the VXLAN port 4789 are the host's); each engine has a docker_gwbridge of
# its own (tools/engine.sh). The ssh engine, checked by hand:
#   PATH=$DOCKERLUA_TEST_SSH_PATH:$PATH docker -H $DOCKERLUA_TEST_SSH_HOST ps
tools/engine.sh start "$ENGINE_DIR/engine2" --registry "$DOCKERLUA_TEST_REGISTRY"
tools/sshd.sh start "$ENGINE_DIR/sshd" "$DOCKER_HOST"
{
    grep '^export DOCKER_HOST=' "$ENGINE_DIR/engine2/env" | sed 's/DOCKER_HOST/DOCKERLUA_TEST_ENGINE2_HOST/'
    echo "export DOCKERLUA_TEST_SWARM_MANAGER_ADDR=127.0.0.1:2377"
    echo "export DOCKERLUA_TEST_SWARM_WORKER_ADDR=127.0.0.1:2378"
    cat "$ENGINE_DIR/sshd/env"
} >>"$ENGINE_DIR/env"
. "$ENGINE_DIR/env"

# Tests must leave both engines out of any swarm; this says which did not
# and takes the engine out, so that the next run starts clean.
swarm_left() {
    local host state ok=0
    for host in "$DOCKER_HOST" "$DOCKERLUA_TEST_ENGINE2_HOST"; do
        state=$(docker -H "$host" info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown)
        if [ "$state" != inactive ]; then
            echo "test: error: the tests left the engine at $host in a swarm ($state); leaving it" >&2
            docker -H "$host" swarm leave --force >/dev/null 2>&1 || true
            ok=1
        fi
    done
    return $ok
}

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
swarm_left || status=1
cargo test --no-fail-fast ${targets[@]+"${targets[@]}"} ${cargo_args[@]+"${cargo_args[@]}"} -- --include-ignored ${test_args[@]+"${test_args[@]}"} || status=$?
swarm_left || status=1
exit $status
