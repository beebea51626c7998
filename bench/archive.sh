#!/usr/bin/env bash
# Archives of 400 MB: dockerlua's c:get_archive(path, {to = file}) and
# c:put_archive(path, {from = file}) beside `docker cp` (tar to stdout and
# from stdin, the same work) on the same engine and data. Prints one table
# row per direction: wall time (best of RUNS) and peak RSS (GNU time).
#
#   bench/archive.sh            (starts the engine in .engine unless DOCKER_HOST is set)
#   SIZE_MB=100 RUNS=5 bench/archive.sh
#
# Target (issue 10): no slower than docker cp, under 32 MB peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DOCKER_HOST:-}" ]; then
    tools/engine.sh start "$PWD/.engine" >&2
    . "$PWD/.engine/env"
fi
size=${SIZE_MB:-400}
bin=${DOCKERLUA_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet --bin dockerlua
    bin=${CARGO_TARGET_DIR:-target}/release/dockerlua
fi
docker=${DOCKER_CLI:-docker}
work=$(mktemp -d)
name=dockerlua-bench-archive-$$
trap '"$docker" rm -f "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT

# 400 MB in 40 files of random data, so nothing compresses or dedups.
"$docker" run -d --init --name "$name" busybox sleep 3600 >/dev/null
"$docker" exec "$name" sh -c "mkdir /data /in1 /in2 && for i in \$(seq $((size / 10))); do head -c 10485760 /dev/urandom > /data/f\$i; done"

# "seconds peak_kb" of a command, from GNU time: the best time of $RUNS
# runs (default 3) and the highest peak.
measure() {
    local best="" peak=0 s kb
    for _ in $(seq "${RUNS:-3}"); do
        /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null
        read -r s kb < "$work/time"
        if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
        [ "$kb" -gt "$peak" ] && peak=$kb
    done
    echo "$best $peak"
}

read -r lua_get_s lua_get_kb < <(measure "$bin" -e "docker.containers.get('$name'):get_archive('/data', {to = '$work/lua.tar'})")
read -r cli_get_s cli_get_kb < <(measure sh -c "'$docker' cp '$name':/data - > '$work/cli.tar'")
read -r lua_put_s lua_put_kb < <(measure "$bin" -e "docker.containers.get('$name'):put_archive('/in1', {from = '$work/cli.tar'})")
read -r cli_put_s cli_put_kb < <(measure sh -c "'$docker' cp - '$name':/in2 < '$work/lua.tar'")

# Both copies arrived whole.
[ "$(stat -c %s "$work/lua.tar")" -ge $((size * 1048576)) ] || { echo "bench: short tar from dockerlua" >&2; exit 1; }
"$docker" exec "$name" sh -c 'cd /data && for f in *; do cmp -s "$f" /in1/data/"$f" && cmp -s "$f" /in2/data/"$f" || exit 1; done' \
    || { echo "bench: the copies differ" >&2; exit 1; }

mb() { echo $(( $1 / 1024 )); }
echo "| archive ${size} MB | dockerlua | docker cp |"
echo "| --- | --- | --- |"
echo "| get_archive to file | ${lua_get_s} s, $(mb "$lua_get_kb") MB peak | ${cli_get_s} s, $(mb "$cli_get_kb") MB peak |"
echo "| put_archive from file | ${lua_put_s} s, $(mb "$lua_put_kb") MB peak | ${cli_put_s} s, $(mb "$cli_put_kb") MB peak |"
