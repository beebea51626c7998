#!/usr/bin/env bash
# dockerlua beside the stock interpreter (Debian's lua5.4) on pure Lua and
# on start-up; no engine needed.
#
#   bench/lua.sh              # every row, 5 runs each
#   RUNS=10 bench/lua.sh
#   DOCKERLUA_BIN=path bench/lua.sh   # an already built binary
#
# Times are hyperfine's (no shell around the commands), compared within one
# run of this script: the median, and the spread (fastest-slowest) over the
# runs (for start-up, over rounds in which the two alternate). The machine
# is noisy, so each row also gives callgrind's instruction count (Ir) of a
# smaller run of the same code, which does not vary.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"; }

say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }
PACKAGES=(hyperfine jq lua5.4 valgrind)
. tools/lib.sh
ensure_packages

RUNS=${RUNS:-5}
[ "$RUNS" -ge 3 ] || die "RUNS must be 3 or more (a median and a spread)"
DL=$(release_binary)
LUA=$(command -v lua5.4)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The rows: a name and Lua code where N is the size (timed with N, counted
# by callgrind with N / 20).
ROWS=(
    "arithmetic loop|local s = 0 for i = 1, N do s = (s + i * 3) % 1000003 end print(s)"
    "function calls|local function f(x, y) return x + y end local s = 0 for i = 1, N do s = f(s, i) end print(s)"
    "string building|local t = {} for i = 1, N // 40 do t[#t + 1] = tostring(i) .. ',' end print(#table.concat(t))"
)
N=20000000

# Ir of a command: callgrind's total instruction count.
instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

TABLE=()
# row NAME DOCKERLUA-ARGS... -- LUA-ARGS...: times both, counts both.
row() {
    local name=$1 json=$WORK/row.json
    shift
    local -a dl=() lua=()
    while [ "$1" != -- ]; do dl+=("$1"); shift; done
    shift
    lua=("$@")
    say "row $name: $RUNS runs each"
    hyperfine --style basic --shell=none --warmup 1 --runs "$RUNS" --export-json "$json" \
        -n dockerlua "$DL ${dl[*]}" -n lua5.4 "$LUA ${lua[*]}" >&2
    local stats
    stats=$(jq -r '.results | map(.median * 1000, .min * 1000, .max * 1000) | @tsv' "$json")
    local dl_ir lua_ir
    dl_ir=$(instructions "$DL" "${dl_small[@]}")
    lua_ir=$(instructions "$LUA" "${lua_small[@]}")
    TABLE+=("$(awk -v n="$name" -v s="$stats" -v di="$dl_ir" -v li="$lua_ir" 'BEGIN {
        split(s, t, "\t")
        printf "| %s | %.1f ms (%.1f–%.1f) | %.1f ms (%.1f–%.1f) | %.2f× | %.1f M | %.1f M | %.3f× |\n",
            n, t[1], t[2], t[3], t[4], t[5], t[6], t[1] / t[4], di / 1e6, li / 1e6, di / li }')")
}

for r in "${ROWS[@]}"; do
    name=${r%%|*}
    code=${r#*|}
    file=$WORK/${name// /_}.lua
    small=$WORK/${name// /_}.small.lua
    echo "${code//N/$N}" >"$file"
    echo "${code//N/$((N / 20))}" >"$small"
    [ "$("$DL" "$file")" = "$("$LUA" "$file")" ] || die "$name: dockerlua and lua5.4 disagree"
    dl_small=("$small") lua_small=("$small")
    row "$name" "$file" -- "$file"
done

# Start-up: an empty chunk. Each run is a millisecond or two and the machine
# drifts over seconds, so the two alternate: RUNS rounds of 100 runs each
# (after 20 warm-up runs), the ratio taken within each round; the row gives
# the medians of the rounds' medians, and the median and spread of the
# rounds' ratios.
startup_row() {
    local json=$WORK/startup.json round medians=""
    say "row start-up: $RUNS rounds of 100 runs each"
    for round in $(seq "$RUNS"); do
        hyperfine --style none --shell=none --warmup 20 --runs 100 --export-json "$json" \
            -n dockerlua "$DL -e ''" -n lua5.4 "$LUA -e ''" >&2
        medians+="$(jq -r '.results | map(.median * 1000) | @tsv' "$json")"$'\n'
    done
    local dl_ir lua_ir
    dl_ir=$(instructions "$DL" -e '')
    lua_ir=$(instructions "$LUA" -e '')
    TABLE+=("$(printf '%s' "$medians" | awk -F'\t' -v di="$dl_ir" -v li="$lua_ir" '
        { d[NR] = $1; l[NR] = $2; r[NR] = $1 / $2 }
        function median(a, n,   i, j, t, b) {
            for (i = 1; i <= n; i++) b[i] = a[i]
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
            return n % 2 ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
        }
        function lo(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] < m) m = a[i]; return m }
        function hi(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] > m) m = a[i]; return m }
        END {
            printf "| start-up (-e \x27\x27) | %.2f ms (%.2f–%.2f) | %.2f ms (%.2f–%.2f) | %.2f× (%.2f–%.2f) | %.2f M | %.2f M | %.3f× |\n",
                median(d, NR), lo(d, NR), hi(d, NR), median(l, NR), lo(l, NR), hi(l, NR),
                median(r, NR), lo(r, NR), hi(r, NR), di / 1e6, li / 1e6, di / li
        }')")
}
startup_row

echo "$("$DL" --version) ($(git rev-parse --short HEAD 2>/dev/null || echo '?')); $("$LUA" -v 2>&1 | cut -d' ' -f1,2); $(nproc) cores"
echo
echo "| | dockerlua | lua5.4 | dockerlua / lua5.4 | dockerlua Ir | lua5.4 Ir | Ir ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${TABLE[@]}"
