#!/usr/bin/env bash
# A 200 MB context whose Dockerfile copies one small file: dockerlua's
# BuildKit build (the engine asks for that file alone through the session)
# beside its classic build (the whole context tarred and sent), on the same
# folder and the same private engine. Prints one markdown table row:
#
#   | build, 200 MB context, COPY one file | buildkit 0.66 s | classic 2.77 s |
#
# (median wall time of RUNS builds each, nocache so each one really runs;
# the row above was measured here with the debug binary on Engine 20.10).
#
#   bench/buildkit.sh              (starts the engine in .engine unless DOCKER_HOST is set)
#   DOCKERLUA_BIN=path bench/buildkit.sh   use that binary instead of a release build
#   RUNS=5 CONTEXT_MB=300 bench/buildkit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
CONTEXT_MB=${CONTEXT_MB:-200}
if [ -z "${DOCKER_HOST:-}" ]; then
    tools/engine.sh start "$PWD/.engine"
    . "$PWD/.engine/env"
fi
if [ -n "${DOCKERLUA_BIN:-}" ]; then
    bin=$DOCKERLUA_BIN
else
    cargo build --release --quiet --bin dockerlua
    bin=${CARGO_TARGET_DIR:-target}/release/dockerlua
fi
label=dockerlua.bench=buildkit-$$
ctx=$(mktemp -d /tmp/dockerlua-bench-buildkit.XXXXXX)
cleanup() {
    rm -rf "$ctx"
    ids=$(docker images -q --filter "label=$label")
    [ -z "$ids" ] || docker rmi -f $ids >/dev/null
}
trap cleanup EXIT

for i in $(seq "$((CONTEXT_MB / 10))"); do
    head -c 10M /dev/urandom >"$ctx/blob$i.bin"
done
echo small >"$ctx/small.txt"
printf 'FROM busybox:latest\nCOPY small.txt /small.txt\n' >"$ctx/Dockerfile"

lua() { # $1: true for BuildKit
    echo "docker.images.build{path = '$ctx', nocache = true, buildkit = $1, labels = {['${label%%=*}'] = '${label#*=}'}}"
}
seconds() { # wall seconds of one run
    local start end
    start=$(date +%s.%N)
    "$bin" -e "$1" >/dev/null 2>&1 || { echo "bench: failed: $1" >&2; exit 1; }
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN {print e - s}'
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'; }
kit=$(for _ in $(seq "$RUNS"); do seconds "$(lua true)"; done | median)
classic=$(for _ in $(seq "$RUNS"); do seconds "$(lua false)"; done | median)
echo "| build, $CONTEXT_MB MB context, COPY one file | buildkit $kit s | classic $classic s |"
