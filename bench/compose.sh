#!/usr/bin/env bash
# Compose projects: dockerlua (`docker.compose.load(...):up{}`, `:down{}`)
# beside Debian's docker-compose 1.29 (`up -d`, `down`), on one engine,
# timed by hyperfine (median of RUNS runs, default 5). Rows: `up -d` of two
# services where the second waits for the first to be healthy; `up -d` of
# 20 independent services; `down` of each. Before each timed `up` the
# project is down, before each timed `down` it is up. The 20-service `up`
# also gets the engine's floor: the same network, creates and starts sent
# bare (dockerlua without compose, each start as soon as its create
# answers, all at once), which no client can beat. Prints a Markdown table.
#
#   bench/compose.sh   (starts the engine in .engine unless DOCKER_HOST is set)
#
# Environment: DOCKERLUA_BIN (a dockerlua binary; default: a release build), RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || apt-get install -y -qq --no-install-recommends hyperfine >&2
command -v docker-compose >/dev/null || apt-get install -y -qq --no-install-recommends docker-compose >&2
command -v jq >/dev/null || apt-get install -y -qq --no-install-recommends jq >&2
if [ -z "${DOCKER_HOST:-}" ]; then
    tools/engine.sh start "$PWD/.engine" >&2
    . "$PWD/.engine/env"
fi
runs=${RUNS:-5}
if [ -n "${DOCKERLUA_BIN:-}" ]; then
    bin=$DOCKERLUA_BIN
else
    cargo build --release --quiet --bin dockerlua
    bin=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/dockerlua
fi
work=$(mktemp -d)
finish() {
    for f in two twenty; do
        for p in dl dc; do
            docker-compose -f "$work/$f.yaml" -p "bench-$f-$p" down -t 1 >/dev/null 2>&1 || true
        done
    done
    "$bin" "$work/bare.lua" down bench-twenty-bare >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap finish EXIT

cat >"$work/two.yaml" <<'EOF'
services:
  db:
    image: busybox:latest
    command: sh -c "touch /tmp/ready; exec sleep 600"
    init: true
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 500ms}
  web:
    image: busybox:latest
    command: sleep 600
    init: true
    depends_on:
      db: {condition: service_healthy}
EOF
{
    echo "services:"
    for i in $(seq 20); do
        printf '  s%02d:\n    image: busybox:latest\n    command: sleep 600\n    init: true\n' "$i"
    done
} >"$work/twenty.yaml"

cat >"$work/bare.lua" <<'EOF'
-- bare.lua up|down PROJECT: what `up -d` of twenty.yaml asks of the engine,
-- without compose: one network, 20 creates, each started once created.
local verb, p = arg[1], arg[2]
local label = "com.docker.compose.project=" .. p
if verb == "down" then
  for _, c in ipairs(docker.containers.list{all = true, filters = {label = label}}) do
    c:remove{force = true}
  end
  for _, n in ipairs(docker.networks.list{filters = {name = p .. "_default"}}) do n:remove() end
  return
end
docker.networks.create(p .. "_default")
local names = {}
for i = 1, 20 do names[i] = string.format("%s_s%02d_1", p, i) end
docker.parallel(names, function(name)
  docker.containers.create("busybox:latest", {"sleep", "600"}, {name = name, init = true,
    network = p .. "_default", labels = {["com.docker.compose.project"] = p}}):start()
end, {limit = 50})
EOF

# The commands of each tool for project file $1 (two, twenty).
dl_up() { echo "$bin -e \"docker.compose.load{files = {'$work/$1.yaml'}, project_name = 'bench-$1-dl'}:up{}\""; }
dl_down() { echo "$bin -e \"docker.compose.load{files = {'$work/$1.yaml'}, project_name = 'bench-$1-dl'}:down{timeout = 1}\""; }
dc_up() { echo "docker-compose -f $work/$1.yaml -p bench-$1-dc up -d"; }
dc_down() { echo "docker-compose -f $work/$1.yaml -p bench-$1-dc down -t 1"; }

median() { jq -r ".results[$2].median" "$1"; }
row() { # row LABEL JSON: the floor too when the JSON has a third result
    local a b floor="—"
    a=$(median "$2" 0)
    b=$(median "$2" 1)
    [ "$(jq '.results | length' "$2")" -lt 3 ] || floor=$(printf '%.2f s' "$(median "$2" 2)")
    printf '| %s | %.2f s | %.2f s | %.2f× | %s |\n' "$1" "$a" "$b" "$(echo "$b / $a" | bc -l)" "$floor"
}

echo "| compose | dockerlua | docker-compose 1.29 | docker-compose / dockerlua | engine floor (bare creates + starts) |"
echo "|---|---:|---:|---:|---:|"
for f in two twenty; do
    floor=()
    [ "$f" = twenty ] && floor=(-n floor --prepare "$bin $work/bare.lua down bench-twenty-bare"
        "$bin $work/bare.lua up bench-twenty-bare")
    hyperfine -N --runs "$runs" --export-json "$work/up-$f.json" \
        -n dockerlua --prepare "$(dl_down "$f")" "$(dl_up "$f")" \
        -n docker-compose --prepare "$(dc_down "$f")" "$(dc_up "$f")" "${floor[@]}" >&2
    hyperfine -N --runs "$runs" --export-json "$work/down-$f.json" \
        -n dockerlua --prepare "$(dl_up "$f")" "$(dl_down "$f")" \
        -n docker-compose --prepare "$(dc_up "$f")" "$(dc_down "$f")" >&2
    case $f in
        two) what="two services, a healthy dependency" ;;
        twenty) what="20 independent services" ;;
    esac
    row "up -d: $what" "$work/up-$f.json"
    row "down: $what" "$work/down-$f.json"
done
