#!/usr/bin/env bash
# Creating a 10-replica swarm service and waiting until every replica runs:
# dockerlua (`services.create` then `s:wait()`) beside `docker service
# create` (which waits for convergence by default, then watches the tasks
# 5 s more to verify they are stable), timed by hyperfine. dockerlua is also
# timed with `s:wait{stable = 5}`, the CLI's check. Prints one table row:
#
#   | swarm: create + converge 10 replicas | dockerlua MEAN s (MEAN s with stable = 5) | docker service create MEAN s | RATIO |
#
#   bench/swarm.sh   (starts the engine in .engine unless DOCKER_HOST is set)
#
# Environment: DOCKERLUA_BIN (a dockerlua binary; default: a release build),
# DOCKERLUA_TEST_ENGINE2_HOST (a second engine that joins as a worker, as in
# the tests), RUNS (default 5). An engine already in a swarm is used as it
# is; otherwise the script makes a swarm (127.0.0.1:2377, worker on 2378)
# and leaves it at the end. Before each timed run the service is removed and
# its containers are gone, so runs do not overlap.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || apt-get install -y -qq --no-install-recommends hyperfine >&2
if [ -z "${DOCKER_HOST:-}" ]; then
    tools/engine.sh start "$PWD/.engine" >&2
    . "$PWD/.engine/env"
fi
: "${DOCKERLUA_TEST_REGISTRY:?set DOCKERLUA_TEST_REGISTRY (from the engine env file)}"
docker=${DOCKER_CLI:-docker}
runs=${RUNS:-5}
if [ -n "${DOCKERLUA_BIN:-}" ]; then
    bin=$DOCKERLUA_BIN
else
    cargo build --release --quiet --bin dockerlua
    bin=${CARGO_TARGET_DIR:-target}/release/dockerlua
fi
worker=${DOCKERLUA_TEST_ENGINE2_HOST:-}
image=$DOCKERLUA_TEST_REGISTRY/dockerlua/bench-swarm:1
"$docker" tag alpine:latest "$image" && "$docker" push -q "$image" >/dev/null

made_swarm=0
if [ "$("$docker" info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    made_swarm=1
    "$docker" swarm init --advertise-addr 127.0.0.1:2377 --listen-addr 127.0.0.1:2377 >/dev/null
    if [ -n "$worker" ]; then
        DOCKER_HOST=$worker "$docker" swarm join --token "$("$docker" swarm join-token -q worker)" \
            --listen-addr 127.0.0.1:2378 --advertise-addr 127.0.0.1:2378 127.0.0.1:2377 >/dev/null
    fi
fi
finish() {
    "$docker" service rm bench-dockerlua bench-cli >/dev/null 2>&1 || true
    if [ $made_swarm = 1 ]; then
        [ -z "$worker" ] || DOCKER_HOST=$worker "$docker" swarm leave --force >/dev/null 2>&1 || true
        "$docker" swarm leave --force >/dev/null 2>&1 || true
    fi
}
trap finish EXIT

# Removes service $1 and waits (at most 60 s) until its containers are gone,
# on every node that answers here.
cat >/tmp/dockerlua-bench-swarm-reset.sh <<EOF
#!/usr/bin/env bash
"$docker" service rm "\$1" >/dev/null 2>&1 || true
for i in \$(seq 600); do
    left=\$("$docker" ps -aq --filter label=com.docker.swarm.service.name="\$1")
    [ -z "$worker" ] || left=\$left\$(DOCKER_HOST=$worker "$docker" ps -aq --filter label=com.docker.swarm.service.name="\$1")
    [ -z "\$left" ] && exit 0
    sleep 0.1
done
echo "bench: the containers of \$1 are still there after 60 s" >&2
exit 1
EOF
chmod +x /tmp/dockerlua-bench-swarm-reset.sh
reset=/tmp/dockerlua-bench-swarm-reset.sh

lua="local s = docker.services.create('$image', 'sleep 600', {name = 'bench-dockerlua', replicas = 10, stop_grace_period = 0}) s:wait"
hyperfine --runs "$runs" -N --export-json /tmp/dockerlua-bench-swarm.json \
    -n dockerlua --prepare "$reset bench-dockerlua" "$bin -e \"$lua()\"" \
    -n "dockerlua stable" --prepare "$reset bench-dockerlua" "$bin -e \"$lua{stable = 5}\"" \
    -n "docker service create" --prepare "$reset bench-cli" \
    "$docker service create -q --name bench-cli --replicas 10 --stop-grace-period 0s $image sleep 600" \
    >&2
"$reset" bench-dockerlua
"$reset" bench-cli

python3 - <<'PY'
import json
r = {x["command"]: x["mean"] for x in json.load(open("/tmp/dockerlua-bench-swarm.json"))["results"]}
d, s, c = r["dockerlua"], r["dockerlua stable"], r["docker service create"]
print(f"| swarm: create + converge 10 replicas | dockerlua {d:.2f} s ({s:.2f} s with stable = 5) | docker service create {c:.2f} s | {c/d:.1f}x |")
PY
