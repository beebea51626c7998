#!/usr/bin/env bash
# Compose projects: dockerlua (`docker.compose.load(...):up{}`, `:down{}`)
# beside Debian's docker-compose 1.29 (`up -d`, `down`), on one engine,
# timed by hyperfine (median of RUNS runs, default 5). Rows: `up -d` of two
# services where the second waits for the first to be healthy; `up -d` of
# 20 independent services; `down` of each. Before each timed `up` the
# project is down, before each timed `down` it is up. Prints a Markdown
# table.
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

# The commands of each tool for project file $1 (two, twenty).
dl_up() { echo "$bin -e \"docker.compose.load{files = {'$work/$1.yaml'}, project_name = 'bench-$1-dl'}:up{}\""; }
dl_down() { echo "$bin -e \"docker.compose.load{files = {'$work/$1.yaml'}, project_name = 'bench-$1-dl'}:down{timeout = 1}\""; }
dc_up() { echo "docker-compose -f $work/$1.yaml -p bench-$1-dc up -d"; }
dc_down() { echo "docker-compose -f $work/$1.yaml -p bench-$1-dc down -t 1"; }

median() { jq -r ".results[$2].median" "$1"; }
row() { # row LABEL JSON
    local a b
    a=$(median "$2" 0)
    b=$(median "$2" 1)
    printf '| %s | %.2f s | %.2f s | %.2f× |\n' "$1" "$a" "$b" "$(echo "$b / $a" | bc -l)"
}

echo "| compose | dockerlua | docker-compose 1.29 | docker-compose / dockerlua |"
echo "|---|---:|---:|---:|"
for f in two twenty; do
    hyperfine -N --runs "$runs" --export-json "$work/up-$f.json" \
        -n dockerlua --prepare "$(dl_down "$f")" "$(dl_up "$f")" \
        -n docker-compose --prepare "$(dc_down "$f")" "$(dc_up "$f")" >&2
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
