#!/usr/bin/env bash
# The CPU of `stop 30` (30 running containers stopped at once) against its
# floor: dockerlua (scripts/stop_all.lua), `docker stop`, and bench/floor, a
# minimal Rust client on hyper that sends just the contract's requests (a
# stop, then an inspect, of each) with no Lua, no list and no parsing.
#
#   bench/stop_floor.sh            # 9 rounds
#   ROUNDS=15 DOCKERLUA_BIN=path bench/stop_floor.sh
#
# Each round sets up 30 containers before each of the three commands, which
# run in turn (so that the machine's drift touches all three alike); the
# table has the median and the spread of each one's CPU (user + system,
# children included, from the shell's `times`) and its ratio to the CLI's.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"; }

say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }
. tools/lib.sh

ROUNDS=${ROUNDS:-9}
bench_engine
SOCK=${DOCKER_HOST#unix://}

DL=$(release_binary)
say "building bench/floor (release)"
cargo build --release --quiet --manifest-path bench/floor/Cargo.toml --target-dir "${CARGO_TARGET_DIR:-target}/floor"
FLOOR=$(cd "${CARGO_TARGET_DIR:-target}/floor/release" && pwd)/stop-floor

prepare() {
    local ids
    ids=$(docker ps -aq --filter "label=$LABEL")
    [ -z "$ids" ] || docker rm -f $ids >/dev/null
    seq 30 | xargs -P10 -I{} docker run -d --init --label "$LABEL" alpine sleep 300 >/dev/null 2>&1
}

# cpu_ms COMMAND...: the CPU in ms (user + system) the command and its
# children used, from the change in the shell's `times` for children.
cpu_ms() {
    local before after
    # `times` in this shell (a command substitution would be another one).
    times >"$WORK/times"
    before=$(tail -1 "$WORK/times")
    "$@" >/dev/null
    times >"$WORK/times"
    after=$(tail -1 "$WORK/times")
    [ -z "$(docker ps -q --filter "label=$LABEL")" ] || die "$1 left containers running"
    awk -v b="$before" -v a="$after" 'function ms(t,  m, s) {
            m = t; sub(/m.*/, "", m); s = t; sub(/^[0-9]+m/, "", s); sub(/s$/, "", s)
            return (m * 60 + s) * 1000 }
        BEGIN { split(b, x, " "); split(a, y, " ")
            printf "%.1f\n", ms(y[1]) + ms(y[2]) - ms(x[1]) - ms(x[2]) }'
}

cli() { docker stop $(docker ps -q --filter "label=$LABEL"); }
# The ids are found before it is timed: the floor lists nothing.
floor() { "$FLOOR" "$SOCK" $IDS; }

say "$ROUNDS rounds of: dockerlua, docker stop, bench/floor"
for round in $(seq "$ROUNDS"); do
    prepare; cpu_ms "$DL" scripts/stop_all.lua "$LABEL" >>"$WORK/dockerlua"
    prepare; cpu_ms cli >>"$WORK/cli"
    prepare; IDS=$(docker ps -q --filter "label=$LABEL"); cpu_ms floor >>"$WORK/floor"
    say "round $round: dockerlua $(tail -1 "$WORK/dockerlua") ms, cli $(tail -1 "$WORK/cli") ms, floor $(tail -1 "$WORK/floor") ms"
done

median() { sort -n "$1" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
spread() { sort -n "$1" | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "–" hi}'; }
cli_median=$(median "$WORK/cli")
echo "| stop 30: CPU | median | spread | / CLI |"
echo "|---|---:|---:|---:|"
for tool in dockerlua cli floor; do
    m=$(median "$WORK/$tool")
    echo "| $tool | $m ms | $(spread "$WORK/$tool") ms | $(awk -v m="$m" -v c="$cli_median" 'BEGIN {printf "%.2f", m / c}') |"
done
