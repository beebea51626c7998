#!/usr/bin/env bash
# Writes link/startup.order: the functions of the dockerlua binary that an
# empty script runs (and, with an engine reachable through DOCKER_HOST, a
# first list), in the order they first run. build.rs hands the file to the
# linker (lld's --symbol-ordering-file), which puts them first and together
# in the code, so that start-up touches a few pages of it rather than
# faulting in forty-odd scattered ones (bench/lua.sh). Names the file holds
# and a new build lacks are skipped by the linker: run this again after a
# toolchain or dependency update, or when a start-up path changes.
#
#   tools/startup-order.sh                      # a release build, then the file
#   DOCKERLUA_BIN=path tools/startup-order.sh   # from an already built binary
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"; }
PACKAGES=(valgrind)
say() { echo "startup-order: $*" >&2; }
. tools/lib.sh
ensure_packages

bin=$(release_binary)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

scripts=("")
if "$bin" -e 'docker.ping()' >/dev/null 2>&1; then
    scripts+=("docker.containers.list()")
else
    say "no engine answers: the order covers an empty script only"
fi
n=0
for code in "${scripts[@]}"; do
    n=$((n + 1))
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/$n.out" \
        "$bin" -e "$code" >/dev/null 2>&1
done

# callgrind names each object and function once, "(id) name", and by "(id)"
# after; `fn=` lines start the costs of a function of the current `ob=`.
name=$(basename "$bin")
for n in $(seq "$n"); do
    awk -v bin="$name" '
        match($0, /^c?ob=\([0-9]+\)/) {
            id = substr($0, 1, RLENGTH); sub(/^c?ob=/, "", id)
            rest = substr($0, RLENGTH + 2)
            if (rest != "") obj[id] = rest
            if ($0 ~ /^ob=/) { n = split(obj[id], parts, "/"); in_bin = (parts[n] == bin) }
            next
        }
        match($0, /^c?fn=\([0-9]+\)/) {
            id = substr($0, 1, RLENGTH); sub(/^c?fn=/, "", id)
            rest = substr($0, RLENGTH + 2)
            if (rest != "") fun[id] = rest
            if ($0 ~ /^fn=/ && in_bin) {
                f = fun[id]; sub(/\047[0-9]+$/, "", f)
                if (f !~ /^0x/ && f != "(below main)") print f
            }
        }' "$work/$n.out"
done | awk '!seen[$0]++' >"$work/order"
[ -s "$work/order" ] || { say "error: no function of $name found"; exit 1; }
mv "$work/order" link/startup.order
say "link/startup.order: $(wc -l <link/startup.order) functions"
