#!/usr/bin/env bash
# A private Podman service (Docker-compatible API) for dockerlua's tests.
#
#   tools/podman.sh start DIR   start (or reuse) the service whose state lives in DIR
#   tools/podman.sh stop  DIR   stop it and its containers
#
# `start` installs podman if missing (Debian 12, as root) and runs
# `podman system service` on DIR/podman.sock with its own storage, run, tmp,
# volume and network folders and its own containers.conf, registries.conf and
# storage.conf (passed by environment, so nothing under /etc/containers is
# read or changed). Containers get a bridge of their own with no gateway, no
# masquerading and no firewall rules, so the host's network is left alone.
# It imports a busybox-static image as alpine:latest and busybox:latest, and
# writes DIR/env:
#
#   export DOCKER_HOST=unix://DIR/podman.sock
#   export DOCKERLUA_TEST_PODMAN_HOST=unix://DIR/podman.sock
#
# With DOCKERLUA_TEST_REGISTRY (e.g. from tools/engine.sh's env) set at start,
# that registry is marked insecure (plain http) and DIR/env also exports it
# and DOCKERLUA_TEST_PULL_IMAGE.
set -euo pipefail
# Helpers shared with the other test engine: processes, packages, the test image.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'echo "podman: error: command failed at $0 line $LINENO: $BASH_COMMAND" >&2' ERR

PACKAGES=(podman catatonit busybox-static curl tar iproute2)
READY_TIMEOUT=${DOCKERLUA_ENGINE_TIMEOUT:-60}

say() { echo "podman: $*" >&2; }
die() { echo "podman: error: $*" >&2; exit 1; }
usage() { sed -n '2,5s/^# \{0,1\}//p' "$0" >&2; exit 2; }


setup_paths() {
    [ -n "${1:-}" ] || usage
    if [ "$CMD" = start ]; then mkdir -p "$1"; elif ! [ -d "$1" ]; then
        say "no service in $1"
        exit 0
    fi
    DIR=$(cd "$1" && pwd -P)
    HASH=$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)
    HEX=$(printf '%08x' "$HASH")
    # Unix socket paths are limited to 108 bytes (conmon adds its own below RUN).
    if [ ${#DIR} -le 50 ]; then RUN=$DIR/run; else RUN=/tmp/dockerlua-podman-$HEX; fi
    SOCK=$DIR/podman.sock
    [ ${#DIR} -le 90 ] || SOCK=$RUN.sock
    PIDFILE=$DIR/podman.pid
    LOG=$DIR/podman.log
    BRIDGE=dp$HEX
    export CONTAINERS_CONF=$DIR/containers.conf
    export CONTAINERS_REGISTRIES_CONF=$DIR/registries.conf
    export CONTAINERS_STORAGE_CONF=$DIR/storage.conf
    export TMPDIR=$DIR/tmp
}

api() { curl -sf --max-time 60 --unix-socket "$SOCK" "$@"; }
ping_service() { curl -sf --max-time 2 --unix-socket "$SOCK" http://podman/_ping 2>/dev/null | grep -qx OK; }


write_config() {
    local n=$((HASH % 250))
    mkdir -p "$DIR"/{root,tmp,volumes,cni,cni-ipam} "$RUN"
    # cgroupfs and file events: no systemd here. Empty default_ulimits: the
    # defaults exceed this machine's hard limits and every start would fail.
    cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "cni"
network_config_dir = "$DIR/cni"
default_network = "podman"
EOF
    cat >"$CONTAINERS_STORAGE_CONF" <<EOF
[storage]
driver = "overlay"
graphroot = "$DIR/root"
runroot = "$RUN/storage"
EOF
    # Short names stay local: Docker Hub is out of reach.
    echo 'unqualified-search-registries = []' >"$CONTAINERS_REGISTRIES_CONF"
    if [ -n "${DOCKERLUA_TEST_REGISTRY:-}" ]; then
        printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$DOCKERLUA_TEST_REGISTRY" >>"$CONTAINERS_REGISTRIES_CONF"
    fi
    # The default network, replacing Podman's built-in one (which adds
    # firewall rules and turns on ip_forward): a bridge with no gateway.
    cat >"$DIR/cni/podman.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "podman",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$DIR/cni-ipam",
        "ranges": [[{ "subnet": "10.214.$n.0/24" }]]
      }
    }
  ]
}
EOF
}

fail_service() {
    echo "podman: error: $1; the end of $LOG:" >&2
    tail -n 30 "$LOG" >&2 || true
    exit 1
}

ensure_service() {
    local pid i t0
    pid=$(pid_of "$PIDFILE")
    if alive "$pid" podman && ping_service; then
        say "reusing the running service (pid $pid) on $SOCK"
        return 0
    fi
    ping_service && die "something else answers on $SOCK; not starting a second service"
    cleanup_leftovers
    rm -rf "$DIR/root" "$RUN" "$DIR/volumes" "$DIR/cni-ipam" "$SOCK"
    write_config
    say "starting podman on $SOCK"
    t0=$(now_ms)
    : >"$LOG"
    setsid podman --root "$DIR/root" --runroot "$RUN/storage" --tmpdir "$RUN/libpod" \
        --volumepath "$DIR/volumes" --network-config-dir "$DIR/cni" \
        --cgroup-manager cgroupfs --events-backend file --log-level info \
        system service --time=0 "unix://$SOCK" </dev/null >>"$LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDFILE"
    for i in $(seq $((READY_TIMEOUT * 20))); do
        if ping_service; then
            say "podman ready in $(since "$t0") s"
            return 0
        fi
        running "$pid" || fail_service "podman exited while starting"
        sleep 0.05
    done
    fail_service "podman did not answer on $SOCK within $READY_TIMEOUT s"
}


ensure_images() {
    local work=$DIR/images
    api -o /dev/null http://podman/v1.41/images/alpine:latest/json && return 0
    make_rootfs "$work"
    # The compat API's import, as `docker import --change ...` sends it.
    tar -C "$work" --numeric-owner --owner=0 --group=0 -c . |
        api -X POST -H 'Content-Type: application/x-tar' --data-binary @- \
            'http://podman/v1.41/images/create?fromSrc=-&repo=alpine&tag=latest&changes=ENV%20PATH%3D%2Fusr%2Flocal%2Fsbin%3A%2Fusr%2Flocal%2Fbin%3A%2Fusr%2Fsbin%3A%2Fusr%2Fbin%3A%2Fsbin%3A%2Fbin&changes=CMD%20%5B%22%2Fbin%2Fsh%22%5D' \
            >"$DIR/import.log" || die "importing alpine:latest failed (see $DIR/import.log)"
    api -X POST -o /dev/null 'http://podman/v1.41/images/alpine:latest/tag?repo=busybox&tag=latest' ||
        die "tagging busybox:latest failed"
    rm -rf "$work"
    say "imported alpine:latest and busybox:latest"
}

write_env() {
    {
        echo "export DOCKER_HOST=unix://$SOCK"
        echo "export DOCKERLUA_TEST_PODMAN_HOST=unix://$SOCK"
        if [ -n "${DOCKERLUA_TEST_REGISTRY:-}" ]; then
            echo "export DOCKERLUA_TEST_REGISTRY=$DOCKERLUA_TEST_REGISTRY"
            echo "export DOCKERLUA_TEST_PULL_IMAGE=$DOCKERLUA_TEST_REGISTRY/dockerlua/pulltest:latest"
        fi
    } >"$DIR/env.tmp"
    mv "$DIR/env.tmp" "$DIR/env"
}

# conmon (one per container) outlives the service; find it by our run folder.
cleanup_leftovers() {
    local pid cmd m
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
        case "$cmd" in
        *conmon*" $RUN/"*)
            say "killing leftover conmon $pid"
            kill -KILL "$pid" 2>/dev/null || true
            ;;
        esac
    done
    awk -v d="$DIR/" -v r="$RUN/" 'index($5 "/", d) == 1 || index($5 "/", r) == 1 { print $5 }' \
        /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    ip link del "$BRIDGE" 2>/dev/null || true
}

cmd_stop() {
    local pid ids id
    pid=$(pid_of "$PIDFILE")
    if alive "$pid" podman; then
        if ping_service; then
            ids=$(api 'http://podman/v1.41/containers/json?all=1' | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4 || true)
            for id in $ids; do api -X DELETE -o /dev/null "http://podman/v1.41/containers/$id?force=1&v=1" || true; done
        fi
        say "stopping podman (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do alive "$pid" podman || break; sleep 0.1; done
        alive "$pid" podman && kill -KILL "$pid" 2>/dev/null || true
    fi
    cleanup_leftovers
    rm -f "$PIDFILE" "$SOCK" "$DIR/env"
    say "stopped"
}

cmd_start() {
    local t0
    t0=$(now_ms)
    ensure_packages
    ensure_service
    ensure_images
    write_env
    say "ready in $(since "$t0") s; to use it: . $DIR/env"
}

CMD=${1:-}
case "$CMD" in
start) setup_paths "${2:-}"; cmd_start ;;
stop) setup_paths "${2:-}"; cmd_stop ;;
*) usage ;;
esac
