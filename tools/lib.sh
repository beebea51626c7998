# Sourced by tools/engine.sh and tools/podman.sh, which define `say`, `die`
# and PACKAGES: what their two test engines share.

# running PID: the process exists and is not a zombie.
running() {
    local state
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# alive PID COMM: running, and named COMM (not a recycled pid).
alive() { running "$1" && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }

now_ms() { date +%s%3N; }

since() { local d=$(($(now_ms) - $1)); printf '%d.%01d' $((d / 1000)) $((d % 1000 / 100)); }

pid_of() { [ -f "$1" ] && tr -dc 0-9 <"$1" || true; }

ensure_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); install them as root: apt-get install ${missing[*]}"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

# make_rootfs DIR: a tiny alpine-like root file system made of busybox-static,
# for the test images (Docker Hub is not reachable from the test machines).
make_rootfs() {
    local root=$1 bb a
    bb=$(command -v busybox) || die "busybox not found"
    rm -rf "$root"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,home,proc,sys,dev}
    cp "$bb" "$root/bin/busybox"
    for a in $("$root/bin/busybox" --list-full); do
        [ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
    done
    chmod 1777 "$root/tmp" "$root/var/tmp"
    chmod 700 "$root/root"
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
    printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
    echo 'dockerlua test image (busybox-static)' >"$root/etc/dockerlua-test-image"
}

# The dockerlua binary to measure: $DOCKERLUA_BIN, or a release build made now.
# bench_engine: starts (or reuses) the private engine of tools/engine.sh in
# $DOCKERLUA_ENGINE_DIR (default .engine) and loads its env; sets WORK (a
# scratch folder) and LABEL (for every container a bench makes). On exit
# those containers and WORK go, and the engine stops if this started it.
bench_engine() {
    ENGINE_DIR=${DOCKERLUA_ENGINE_DIR:-$PWD/.engine}
    bench_started_engine=1
    ! tools/engine.sh status "$ENGINE_DIR" 2>/dev/null || bench_started_engine=0
    tools/engine.sh start "$ENGINE_DIR"
    . "$ENGINE_DIR/env"
    WORK=$(mktemp -d)
    LABEL=dockerlua.bench=$$
    trap bench_finish EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_finish() {
    local ids
    ids=$(docker ps -aq --filter "label=$LABEL" 2>/dev/null || true)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
    rm -rf "$WORK"
    [ "$bench_started_engine" = 0 ] || tools/engine.sh stop "$ENGINE_DIR"
}

release_binary() {
    if [ -n "${DOCKERLUA_BIN:-}" ]; then
        echo "$DOCKERLUA_BIN"
        return
    fi
    echo "building dockerlua (release)" >&2
    cargo build --release --quiet --bin dockerlua >&2
    echo "$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/dockerlua"
}
