#!/usr/bin/env bash
# Events per second through `docker.events` beside `docker events` (the
# CLI), on the same burst, two ways:
#
# - flood: an engine stand-in (bench/events_feed.py) answers /events with
#   N recorded-looking events as fast as the socket takes them; each client
#   reads all of them and exits. This is the clients' own throughput.
# - live: both follow the private engine while a burst of volume
#   creations and removals makes LIVE events; both must get every one
#   (the engine drops a listener that lags 100 ms).
#
# Prints a Markdown table: events, wall time (best of RUNS, default 3),
# events/s, CPU time and peak RSS (GNU time) of each client, then the live
# burst's rate and what each client got of it.
#
#   bench/events.sh                 N=200000 LIVE=4000 by default
#   N=50000 LIVE=2000 bench/events.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"; }
PACKAGES=(time python3)
say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }
. tools/lib.sh
ensure_packages

N=${N:-200000}
LIVE=${LIVE:-4000}
docker=${DOCKER_CLI:-docker}
bin=${DOCKERLUA_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet --bin dockerlua
    bin=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/dockerlua
fi
work=$(mktemp -d)
feed_pid=
cleanup() {
    [ -z "$feed_pid" ] || kill "$feed_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# "wall user sys peak_kb" of a command (GNU time).
measure() {
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" ||
        die "$* failed: $(cat "$work/err")"
    cat "$work/time"
}

row() { # NAME EVENTS "wall user sys kb"
    local name=$1 n=$2 wall user sys kb
    read -r wall user sys kb <<<"$3"
    awk -v name="$name" -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v kb="$kb" 'BEGIN {
        printf "| %s | %d | %.2f s | %.0f | %.2f s | %.1f MB |\n", name, n, w, (w > 0 ? n / w : 0), u + s, kb / 1024 }'
}

echo "| client | events | wall | events/s | CPU | peak RSS |"
echo "|---|---:|---:|---:|---:|---:|"

# --- flood: the same bytes for both, as fast as they read ---------------------
sock=$work/feed.sock
python3 bench/events_feed.py "$sock" "$N" &
feed_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || die "the feed did not start"
# best NAME CMD...: the run with the shortest wall time of $RUNS (default 3),
# each checked to have read all N events.
best() {
    local name=$1 r top=""
    shift
    for _ in $(seq "${RUNS:-3}"); do
        r=$(DOCKER_HOST=unix://$sock measure "$@")
        [ "$(cat "$work/out")" = "$N" ] || die "$name read $(cat "$work/out") of $N events"
        if [ -z "$top" ] || awk -v a="${r%% *}" -v b="${top%% *}" 'BEGIN { exit !(a < b) }'; then top=$r; fi
    done
    row "$name, flood" "$N" "$top"
}
best dockerlua "$bin" -e "local n = 0 for e in docker.events() do n = n + 1 end print(n)"
best "docker events" sh -c "'$docker' events --format '{{.Action}}' | wc -l"
kill "$feed_pid" 2>/dev/null || true
feed_pid=

# --- live: a burst on the private engine, both following ------------------------
if [ -z "${DOCKER_HOST:-}" ]; then
    tools/engine.sh start "$PWD/.engine" >&2
    . "$PWD/.engine/env"
fi
prefix=bench-ev-$$
since=$(date +%s)
# dockerlua reads until it has them all (or nothing more came for 10 s).
"$bin" -e "
local n, want = 0, $LIVE
local s = docker.events{filters = {type = 'volume'}, reconnect = true}
io.open('$work/lua.ready', 'w'):close()
docker.spawn(function()
  local before = -1
  while n < want do
    docker.sleep(10)
    if n == before then s:close() return end
    before = n
  end
end)
for e in s do
  if e.Actor and e.Actor.ID:sub(1, #'$prefix') == '$prefix' then n = n + 1 end
  if n == want then break end
end
print(n)" >"$work/lua.n" 2>"$work/lua.err" &
lua_pid=$!
"$docker" events --filter type=volume --format '{{.Action}} {{.Actor.ID}}' >"$work/cli.events" 2>/dev/null &
cli_pid=$!
for _ in $(seq 200); do [ -f "$work/lua.ready" ] && break; sleep 0.05; done
sleep 1   # the CLI says nothing when it has subscribed
start=$(date +%s.%N)
"$bin" -e "
docker.parallel({1, 2, 3, 4, 5, 6, 7, 8}, function(w)
  for i = w - 1, $((LIVE / 2 - 1)), 8 do
    local name = '$prefix-' .. i
    docker.api{method = 'POST', path = '/volumes/create', body = {Name = name}}
    docker.api{method = 'DELETE', path = '/volumes/' .. name}
  end
end)" || die "the burst failed"
end=$(date +%s.%N)
wait "$lua_pid" || die "dockerlua: $(cat "$work/lua.err")"
for _ in $(seq 200); do
    [ "$(grep -c " $prefix-" "$work/cli.events" || true)" -ge "$LIVE" ] && break
    sleep 0.05
done
kill "$cli_pid" 2>/dev/null || true
lua_n=$(cat "$work/lua.n")
cli_n=$(grep -c " $prefix-" "$work/cli.events" || true)
burst=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
echo
echo "live burst: $LIVE volume events in $burst s ($(awk -v n="$LIVE" -v t="$burst" 'BEGIN { printf "%.0f", n / t }')/s): dockerlua got $lua_n, docker events got $cli_n"
[ "$lua_n" = "$LIVE" ] || die "dockerlua missed events in the live burst"
