#!/usr/bin/env bash
# dockerlua beside the docker CLI and raw curl, on one private engine.
#
#   bench/run.sh            # every row
#   bench/run.sh list logs  # only these rows (see ROWS below; archive,
#                           # build and swarm run bench/*.sh of their own)
#   DOCKERLUA_BIN=path bench/run.sh   # an already built binary
#
# Pure Lua and start-up beside the stock lua5.4 are in bench/lua.sh.
#
# Starts (or reuses) the private engine of tools/engine.sh in
# $DOCKERLUA_ENGINE_DIR (default .engine; stopped again if this started it),
# builds dockerlua in release mode, and prints a Markdown table: the median
# time of each tool (hyperfine), the ratios, and each tool's peak memory
# (GNU time's maximum resident set size of the largest process, one run).
# `curl` is the floor: the fewest requests a client can make, done by curl
# from a shell script. The README has the table and the machine it ran on.
#
# Adding a row: write `row_NAME` (set up what it needs, call `compare` with
# the three commands, clean up) and add NAME to ROWS.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"; }

ROWS=(list run logs follow parallel stop archive build swarm)

say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }
PACKAGES=(hyperfine time jq curl)
. tools/lib.sh
ensure_packages

bench_engine

if [ -n "${DOCKERLUA_BIN:-}" ]; then
    DL=$(cd "$(dirname "$DOCKERLUA_BIN")" && pwd)/$(basename "$DOCKERLUA_BIN")
else
    say "building dockerlua (release)"
    cargo build --release --quiet --bin dockerlua
    DL=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/dockerlua
fi
SOCK=${DOCKER_HOST#unix://}
API=http://engine/v$(curl -sf --unix-socket "$SOCK" http://engine/version | jq -r .ApiVersion)
export DL SOCK API LABEL

# A script file in $WORK: script NAME <<'EOF' ... EOF; prints its path.
script() {
    local path=$WORK/$1
    { echo '#!/usr/bin/env bash'; echo 'set -euo pipefail'; cat; } >"$path"
    chmod +x "$path"
    echo "$path"
}

# The raw API with curl: curl_api METHOD PATH [JSON BODY]
CURL=$(script curl_api <<'EOF'
if [ $# -ge 3 ]; then
    exec curl -sf --unix-socket "$SOCK" -X "$1" -H 'Content-Type: application/json' -d "$3" "$API$2"
fi
exec curl -sf --unix-socket "$SOCK" -X "$1" "$API$2"
EOF
)
export CURL

# compare NAME RUNS PREPARE DOCKERLUA CLI CURL: times the three commands
# (hyperfine: the median of RUNS runs and their spread, fastest–slowest,
# after $WARMUP unmeasured ones, without a shell if $NO_SHELL; PREPARE before
# each, "" for none), and the mean CPU time (user + system, children
# included) of dockerlua and the CLI; measures each one's peak memory once,
# and adds a row to the table.
TABLE=()
compare() {
    local name=$1 runs=$2 prepare=$3 json=$WORK/$1.json i tool
    local -a cmds=("$4" "$5" "$6") tools=(dockerlua cli curl) prep=() median=() rss=()
    [ -z "$prepare" ] || prep=(--prepare "$prepare")
    say "row $name: $runs runs each"
    hyperfine --style basic ${NO_SHELL:+--shell=none} --warmup "${WARMUP:-0}" --runs "$runs" \
        ${prep[@]+"${prep[@]}"} --export-json "$json" \
        -n dockerlua "${cmds[0]}" -n cli "${cmds[1]}" -n curl "${cmds[2]}" >&2
    local -a spread=() cpu=()
    for i in 0 1 2; do
        tool=${tools[$i]}
        median[$i]=$(jq -r --arg t "$tool" '.results[] | select(.command == $t) | .median * 1000' "$json")
        spread[$i]=$(jq -r --arg t "$tool" '.results[] | select(.command == $t) | "\(.min * 1000 | floor)–\(.max * 1000 | ceil)"' "$json")
        # Mean user + system CPU of the command (its children included).
        cpu[$i]=$(jq -r --arg t "$tool" '.results[] | select(.command == $t) | (.user + .system) * 1000' "$json")
        [ -z "$prepare" ] || bash -c "$prepare"
        rss[$i]=$(/usr/bin/time -f %M -o "$WORK/rss" bash -c "${cmds[$i]}" >/dev/null 2>&1 && cat "$WORK/rss")
    done
    TABLE+=("$(awk -v n="$name" -v d="${median[0]}" -v c="${median[1]}" -v u="${median[2]}" \
        -v ds="${spread[0]}" -v cs="${spread[1]}" -v us="${spread[2]}" \
        -v dc="${cpu[0]}" -v cc="${cpu[1]}" \
        -v dm="${rss[0]}" -v cm="${rss[1]}" -v um="${rss[2]}" 'BEGIN {
        printf "| %s | %.1f ms (%s) | %.1f ms (%s) | %.1f ms (%s) | %.2f× | %.2f× | %.1f ms | %.1f ms | %.1f MB | %.1f MB | %.1f MB |\n",
            n, d, ds, c, cs, u, us, c / d, d / u, dc, cc, dm / 1024, cm / 1024, um / 1024 }')")
}

# --- rows -------------------------------------------------------------------

# Listing 30 containers (created, not running).
row_list() {
    local i
    for i in $(seq 30); do docker create --label "$LABEL" --label "$LABEL.list=1" alpine true >/dev/null; done
    local lua="for _, c in ipairs(docker.containers.list{all = true, filters = {label = '$LABEL.list=1'}}) do print(c.short_id, c.image, c.status, c.name) end"
    [ "$("$DL" -e "$lua" | wc -l)" = 30 ] || die "dockerlua did not list 30 containers"
    local filters
    filters=$(jq -rn --arg l "$LABEL.list=1" '{label: [$l]} | tojson | @uri')
    # Milliseconds each: more runs, after a few unmeasured ones, and no shell
    # around them (whose start-up hyperfine would subtract as an estimate).
    NO_SHELL=1 WARMUP=5 compare "list 30 containers" 50 "" \
        "$DL -e \"$lua\"" \
        "docker ps -a --filter label=$LABEL.list=1" \
        "$CURL GET '/containers/json?all=1&filters=$filters'"
    docker rm -f $(docker ps -aq --filter "label=$LABEL.list=1") >/dev/null
}

# `run alpine echo hello`, output printed, container removed.
row_run() {
    local run
    run=$(script curl_run <<'EOF'
id=$("$CURL" POST /containers/create "{\"Image\":\"alpine\",\"Cmd\":[\"echo\",\"hello\"],\"Labels\":{\"${LABEL%%=*}\":\"${LABEL#*=}\"}}" | jq -r .Id)
"$CURL" POST "/containers/$id/start" >/dev/null
"$CURL" POST "/containers/$id/wait" >/dev/null
"$CURL" GET "/containers/$id/logs?stdout=1&stderr=1" | tail -c +9
"$CURL" DELETE "/containers/$id" >/dev/null
EOF
)
    compare "run echo" 20 "" \
        "$DL scripts/run.lua alpine echo hello" \
        "docker run --rm --label $LABEL alpine echo hello" \
        "$run"
}

# The logs of a container that wrote ~14 MB (200,000 lines of 70 bytes),
# read line by line by dockerlua (scripts/logs.lua: `logs{stream = true}`).
row_logs() {
    local name=bench-logs-$$
    docker run --name "$name" --label "$LABEL" alpine \
        sh -c 'yes 012345678901234567890123456789012345678901234567890123456789012345678 | head -n 200000' >/dev/null
    local bytes
    bytes=$("$DL" scripts/logs.lua "$name" | wc -c)
    [ "$bytes" = 14000000 ] || die "dockerlua printed $bytes bytes of logs, not 14000000"
    compare "logs of 14 MB, line by line" 5 "" \
        "$DL scripts/logs.lua $name >/dev/null" \
        "docker logs $name >/dev/null" \
        "$CURL GET '/containers/$name/logs?stdout=1&stderr=1' >/dev/null"
    docker rm -f "$name" >/dev/null
}

# The followed logs of 5 busy containers (each writes 100,000 lines as fast
# as it can), all at once: one dockerlua script with a task per container
# against one `docker logs -f` (or curl) per container.
row_follow() {
    local prepare
    prepare=$(script follow_prepare <<'EOF'
ids=$(docker ps -aq --filter "label=$LABEL.follow=1")
[ -z "$ids" ] || docker rm -f $ids >/dev/null
for i in 1 2 3 4 5; do
    docker run -d --label "$LABEL" --label "$LABEL.follow=1" alpine \
        sh -c 'sleep 1; yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -n 100000' >/dev/null
done
EOF
)
    local follow
    follow=$(script dockerlua_follow <<'EOF'
exec "$DL" -e "
local tasks = {}
for _, c in ipairs(docker.containers.list{all = true, filters = {label = '$LABEL.follow=1'}}) do
  tasks[#tasks + 1] = docker.spawn(function()
    local n = 0
    for _ in c:logs{follow = true} do n = n + 1 end
    return n
  end)
end
local total = 0
for _, t in ipairs(tasks) do total = total + t:join() end
-- Engine 20.10's followed json-file logs sometimes drop lines of a
-- container still writing (docker logs -f too): said, not failed.
if total ~= 500000 then io.stderr:write('followed ', total, ' of 500000 lines\\n') end"
EOF
)
    local cli
    cli=$(script cli_follow <<'EOF'
for id in $(docker ps -aq --filter "label=$LABEL.follow=1"); do
    docker logs -f "$id" >/dev/null &
done
wait
EOF
)
    local curl_follow
    curl_follow=$(script curl_follow <<'EOF'
filters=$(jq -rn --arg l "$LABEL.follow=1" '{label: [$l]} | tojson | @uri')
for id in $("$CURL" GET "/containers/json?all=1&filters=$filters" | jq -r '.[].Id'); do
    "$CURL" GET "/containers/$id/logs?stdout=1&stderr=1&follow=1" >/dev/null &
done
wait
EOF
)
    compare "followed logs of 5 busy containers" 5 "$prepare" "$follow" "$cli" "$curl_follow"
    docker rm -f $(docker ps -aq --filter "label=$LABEL.follow=1") >/dev/null
}

# 32 containers (`true`) run 16 at a time, each removed.
row_parallel() {
    local run
    run=$(script curl_run_true <<'EOF'
id=$("$CURL" POST /containers/create "{\"Image\":\"alpine\",\"Cmd\":[\"true\"],\"Labels\":{\"${LABEL%%=*}\":\"${LABEL#*=}\"}}" | jq -r .Id)
"$CURL" POST "/containers/$id/start" >/dev/null
"$CURL" POST "/containers/$id/wait" >/dev/null
"$CURL" DELETE "/containers/$id" >/dev/null
EOF
)
    local lua="local n = {} for i = 1, 32 do n[i] = i end
docker.parallel(n, function() docker.containers.run('alpine', 'true', {remove = true, labels = {['${LABEL%%=*}'] = '${LABEL#*=}'}}) end, {limit = 16})"
    compare "32 runs, 16 at a time" 3 "" \
        "$DL -e \"$lua\"" \
        "seq 32 | xargs -P16 -I{} docker run --rm --label $LABEL alpine true" \
        "seq 32 | xargs -P16 -I{} $run"
}

# 30 running containers (with an init, so SIGTERM ends them) stopped at once.
row_stop() {
    local prepare
    prepare=$(script stop_prepare <<'EOF'
ids=$(docker ps -aq --filter "label=$LABEL.stop=1")
[ -z "$ids" ] || docker rm -f $ids >/dev/null
seq 30 | xargs -P10 -I{} docker run -d --init --label "$LABEL" --label "$LABEL.stop=1" alpine sleep 300 >/dev/null
EOF
)
    local stop
    stop=$(script curl_stop <<'EOF'
filters=$(jq -rn --arg l "$LABEL.stop=1" '{label: [$l]} | tojson | @uri')
"$CURL" GET "/containers/json?filters=$filters" | jq -r '.[].Id' |
    xargs -P50 -I{} "$CURL" POST "/containers/{}/stop" >/dev/null
EOF
)
    compare "stop 30 at once" ${STOP_RUNS:-5} "$prepare" \
        "$DL scripts/stop_all.lua $LABEL.stop=1 >/dev/null" \
        "docker stop \$(docker ps -q --filter label=$LABEL.stop=1) >/dev/null" \
        "$stop"
    [ -z "$(docker ps -q --filter "label=$LABEL.stop=1")" ] || die "containers were left running"
    docker rm -f $(docker ps -aq --filter "label=$LABEL.stop=1") >/dev/null
}

# Rows measured by scripts of their own (they print their own small tables,
# with the docker CLI's counterpart): archives (`docker cp`), builds
# (`DOCKER_BUILDKIT=0 docker build`) and swarm services
# (`docker service create`).
EXTRA=()
row_archive() { EXTRA+=("$(DOCKERLUA_BIN=$DL bench/archive.sh)"); }
row_build() { EXTRA+=("$(DOCKERLUA_BIN=$DL bench/build.sh)"); }
row_swarm() { EXTRA+=("$(DOCKERLUA_BIN=$DL bench/swarm.sh)"); }

# --- main -------------------------------------------------------------------

rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=("${ROWS[@]}")
for r in "${rows[@]}"; do
    declare -F "row_$r" >/dev/null || die "no row '$r' (rows: ${ROWS[*]})"
    "row_$r"
done

echo "$("$DL" --version) ($(git rev-parse --short HEAD 2>/dev/null || echo '?')); $(docker version -f 'docker CLI {{.Client.Version}}, Engine {{.Server.Version}} (API {{.Server.APIVersion}})'); $(curl --version | head -n1 | cut -d' ' -f1,2); $(nproc) cores"
echo
echo "| | dockerlua | docker CLI | curl | CLI / dockerlua | dockerlua / curl | dockerlua CPU | CLI CPU | dockerlua peak RSS | CLI peak RSS | curl peak RSS |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${TABLE[@]}"
for extra in ${EXTRA[@]+"${EXTRA[@]}"}; do
    echo
    echo "$extra"
done
