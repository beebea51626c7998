#!/usr/bin/env bash
# Listing 30 containers: dockerlua beside the docker CLI and raw curl, on the
# same private engine, timed by hyperfine; prints the ratios.
#
#   bench/list.sh            (starts the engine in .engine unless DOCKER_HOST is set)
#
# It builds dockerlua in release mode, creates 30 labelled containers, runs
# each command many times, and removes the containers afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || apt-get install -y -qq --no-install-recommends hyperfine >&2
if [ -z "${DOCKER_HOST:-}" ]; then
    tools/engine.sh start "$PWD/.engine"
    . "$PWD/.engine/env"
fi
socket=${DOCKER_HOST#unix://}
cargo build --release --quiet --bin dockerlua
bin=${CARGO_TARGET_DIR:-target}/release/dockerlua
docker=${DOCKER_CLI:-docker}
label=dockerlua.bench=$$

for i in $(seq 30); do "$docker" create --label "$label" alpine true >/dev/null; done
trap '"$docker" rm -f $("$docker" ps -aq --filter label='"$label"') >/dev/null' EXIT

filter="{\"label\":[\"$label\"]}"
lua="for _, c in ipairs(docker.containers.list{all = true, filters = {label = '$label'}}) do print(c.short_id, c.image, c.status, c.name) end"
[ "$("$bin" -e "$lua" | wc -l)" = 30 ] || { echo "bench: dockerlua did not list 30 containers" >&2; exit 1; }

hyperfine --warmup 5 --runs 50 -N --export-json /tmp/dockerlua-bench.json \
    -n dockerlua "$bin -e \"$lua\"" \
    -n "docker ps" "$docker ps -a --filter label=$label" \
    -n curl "curl -s --unix-socket $socket http://engine/v1.41/containers/json?all=1&filters=$(printf %s "$filter" | jq -sRr @uri 2>/dev/null || echo "%7B%22label%22%3A%5B%22${label/=/%3D}%22%5D%7D")" \
    >&2

python3 - <<'PY'
import json
r = {x["command"]: x["mean"] for x in json.load(open("/tmp/dockerlua-bench.json"))["results"]}
d = r["dockerlua"]
print(f"mean: dockerlua {d*1000:.1f} ms, docker ps {r['docker ps']*1000:.1f} ms, curl {r['curl']*1000:.1f} ms")
print(f"docker ps / dockerlua = {r['docker ps']/d:.1f}x   dockerlua / curl = {d/r['curl']:.1f}x")
PY
