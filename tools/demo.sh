#!/usr/bin/env bash
# Quick start: builds dockerlua and runs scripts/hello.lua against a Docker
# Engine: the one DOCKER_HOST or /var/run/docker.sock names if it answers,
# otherwise a private one started in .engine (left running for more tries).
#
#   tools/demo.sh [--release] [SCRIPT [ARGS...]]   (default: scripts/hello.lua)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"; }

profile=debug
build=(cargo build --quiet --bin dockerlua)
if [ "${1:-}" = --release ]; then
    profile=release
    build+=(--release)
    shift
fi
echo "demo: building dockerlua ($profile)" >&2
"${build[@]}"
bin=${CARGO_TARGET_DIR:-target}/$profile/dockerlua

# Does an engine answer at this DOCKER_HOST-style address?
answers() {
    case "$1" in
    unix://*) curl -sf --max-time 3 --unix-socket "${1#unix://}" http://engine/_ping 2>/dev/null | grep -qx OK ;;
    tcp://*) curl -sf --max-time 3 "http://${1#tcp://}/_ping" 2>/dev/null | grep -qx OK ;;
    *) return 1 ;;
    esac
}

if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then
    echo "demo: using the engine at DOCKER_HOST=$DOCKER_HOST" >&2
elif [ -z "${DOCKER_HOST:-}" ] && answers unix:///var/run/docker.sock; then
    echo "demo: using the engine at /var/run/docker.sock" >&2
else
    echo "demo: no engine answers${DOCKER_HOST:+ at $DOCKER_HOST}; starting a private one in .engine" >&2
    tools/engine.sh start "$PWD/.engine"
    . "$PWD/.engine/env"
    echo "demo: it keeps running. Use it with:  . $PWD/.engine/env" >&2
    echo "demo: stop it with:                   $PWD/tools/engine.sh stop $PWD/.engine" >&2
fi

if [ $# -eq 0 ]; then set -- scripts/hello.lua; fi
echo "demo: $bin $*" >&2
exec "$bin" "$@"
