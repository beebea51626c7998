#!/usr/bin/env bash
# Building from a context larger than 200 MB: dockerlua's images.build beside
# the docker CLI's classic builder (`DOCKER_BUILDKIT=0 docker build`), on the
# same folder and the same private engine. Prints one markdown table row:
#
#   | build, 221 MB context | dockerlua 3.1 s, 9 MB | docker build 3.4 s, 41 MB |
#
# (median wall time of RUNS builds each, and the largest peak RSS seen).
#
#   bench/build.sh              (starts the engine in .engine unless DOCKER_HOST is set)
#   DOCKERLUA_BIN=path bench/build.sh   use that binary instead of a release build
#   RUNS=5 CONTEXT_MB=300 bench/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
CONTEXT_MB=${CONTEXT_MB:-220}
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
docker=${DOCKER_CLI:-docker}
label=dockerlua.bench=build-$$
ctx=$(mktemp -d /tmp/dockerlua-bench-build.XXXXXX)
cleanup() {
    rm -rf "$ctx" "$ctx.time"
    ids=$("$docker" images -q --filter "label=$label")
    [ -z "$ids" ] || "$docker" rmi -f $ids >/dev/null
}
trap cleanup EXIT

# The context: 10 MB files of random bytes (nothing compresses), 2000 small
# files in nested folders, and an ignored folder that must not be sent.
for i in $(seq "$((CONTEXT_MB / 10))"); do
    head -c 10M /dev/urandom >"$ctx/blob$i.bin"
done
for d in $(seq 20); do
    mkdir -p "$ctx/src/dir$d"
    for f in $(seq 100); do echo "file $d/$f" >"$ctx/src/dir$d/f$f.txt"; done
done
mkdir -p "$ctx/ignored" && head -c 50M /dev/zero >"$ctx/ignored/big"
printf 'ignored\n*.tmp\n' >"$ctx/.dockerignore"
# The engine unpacks the whole context either way; no COPY, so that the
# engine's layer work does not drown the clients' difference.
printf 'FROM busybox\nLABEL bench=build\n' >"$ctx/Dockerfile"
size=$(du -sm --exclude=ignored "$ctx" | cut -f1)

lua="docker.images.build{path = '$ctx', nocache = true, labels = {['${label%%=*}'] = '${label#*=}'}}"
measure() { # prints "seconds rss_kb" of one run of the command
    /usr/bin/time -o "$ctx.time" -f '%e %M' "$@" >/dev/null 2>&1 ||
        { echo "bench: failed: $*" >&2; exit 1; }
    cat "$ctx.time"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a ours theirs
for _ in $(seq "$RUNS"); do
    ours+=("$(measure "$bin" -e "$lua")")
    theirs+=("$(measure env DOCKER_BUILDKIT=0 "$docker" build -q --no-cache --label "$label" "$ctx")")
done
# A failed build would time nothing: check both produced an image.
[ "$("$docker" images -q --filter "label=$label" | sort -u | wc -l)" -ge 2 ] ||
    { echo "bench: a build failed" >&2; exit 1; }

row() { # name, results...
    local name=$1; shift
    local t rss
    t=$(printf '%s\n' "$@" | cut -d' ' -f1 | median)
    rss=$(printf '%s\n' "$@" | cut -d' ' -f2 | sort -n | tail -1)
    printf '%s %s s, %d MB' "$name" "$t" "$((rss / 1024))"
}
printf '| build, %s MB context | %s | %s |\n' "$size" \
    "$(row dockerlua "${ours[@]}")" "$(row 'docker build' "${theirs[@]}")"
