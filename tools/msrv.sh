#!/usr/bin/env bash
# Checks that Cargo.toml's `rust-version` is true: no dependency in Cargo.lock
# (for this machine's target) declares a newer `rust-version`. Run by
# .ci/run. Our own code is checked by clippy's `incompatible_msrv` lint
# (denied in Cargo.toml's [lints]), which flags std APIs newer than
# rust-version. Building with that old toolchain would be the full check, but
# CI has one toolchain and no network for another.
#
#   tools/msrv.sh      # prints the MSRV and the dependencies that set it
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"; }

say() { echo "msrv: $*" >&2; }
die() { echo "msrv: error: $*" >&2; exit 1; }
PACKAGES=(jq)
. tools/lib.sh
ensure_packages

host=$(rustc -vV | sed -n 's/^host: //p')
# Every resolved package for this target: "RUST_VERSION NAME VERSION" (ours first).
rows=$(cargo metadata --format-version 1 --locked --filter-platform "$host" | jq -r '
    (.packages | map({key: .id, value: .}) | from_entries) as $p
    | .resolve.root as $root
    | ([$root] + [.resolve.nodes[].id | select(. != $root)])
    | map($p[.] | "\(.rust_version // "0") \(.name) \(.version)") | .[]')
ours=$(head -n1 <<<"$rows" | cut -d' ' -f1)
[ "$ours" != 0 ] || die "Cargo.toml has no rust-version"

# Versions compared as versions (1.9 < 1.10); "1.88" and "1.88.0" are equal.
norm() { awk -F. '{ printf "%d.%d.%d\n", $1, $2, $3 }' <<<"$1"; }
needed=$(tail -n +2 <<<"$rows" | cut -d' ' -f1 | while read -r v; do norm "$v"; done | sort -V | tail -n1)
say "rust-version = $ours; the dependencies need $needed:"
tail -n +2 <<<"$rows" | while read -r v n ver; do
    if [ "$(norm "$v")" = "$needed" ]; then echo "  $n $ver (rust-version $v)" >&2; fi
done
if [ "$(printf '%s\n%s\n' "$(norm "$ours")" "$needed" | sort -V | tail -n1)" != "$(norm "$ours")" ]; then
    die "rust-version = $ours in Cargo.toml is below $needed, which the dependencies above need"
fi
say "ok"
