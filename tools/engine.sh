#!/usr/bin/env bash
# A private Docker Engine (and a local registry) for dockerlua's tests.
#
#   tools/engine.sh start  DIR [--registry localhost:PORT]
#                                start (or reuse) the engine whose state lives in DIR
#   tools/engine.sh stop   DIR   stop it, its containers, its registry, and the
#                                second engine and sshd tools/test.sh started in
#                                DIR/engine2 and DIR/sshd
#   tools/engine.sh env    DIR   print the export lines (also in DIR/env)
#   tools/engine.sh status DIR   exit 0 if the engine answers
#   tools/engine.sh restart DIR  stop dockerd (by its pid file) and start it
#                                again on the same state, as a host reboot of
#                                the engine would (containers stop)
#
# `start` installs what is missing (Debian 12, as root), starts dockerd on
# DIR/docker.sock with its own bridge, no iptables and no ip_forward changes
# of its own, so that it never touches /var/run/docker.sock or a system
# engine; all its networks (default bridge, docker_gwbridge, user networks)
# lie in one /16 of its own, 10.N.0.0/16, for which one marked rule accepts
# forwarded traffic (see "beside a system engine" below); starts `docker-registry` on 127.0.0.1:PORT; imports busybox-based
# test images (alpine:latest, busybox:latest); pushes
# localhost:PORT/dockerlua/pulltest:latest (with a marker layer of its own, so
# a pull really downloads) and removes the local copy. The engine also listens
# on 127.0.0.1:TLSPORT with TLS and client certificates (--tlsverify), made
# with openssl in DIR/tls: ca.pem, cert.pem, key.pem (a client's, as the
# docker CLI names them in DOCKER_CERT_PATH) and server-*.pem. Then it writes
# DIR/env:
#
#   export DOCKER_HOST=unix://DIR/docker.sock
#   export DOCKERLUA_TEST_REGISTRY=localhost:PORT
#   export DOCKERLUA_TEST_PULL_IMAGE=localhost:PORT/dockerlua/pulltest:latest
#   export DOCKERLUA_TEST_TLS_HOST=tcp://127.0.0.1:TLSPORT
#   export DOCKERLUA_TEST_TLS_CERTS=DIR/tls
#   export DOCKERLUA_TEST_SUBNET=10.N.200.0/24   # free for a test's own network
#
# Beside a system engine: a Docker engine started the usual way (iptables
# on) sets the FORWARD policy to DROP and turns br_netfilter on, so bridged
# traffic between containers passes FORWARD and is dropped, also on this
# engine's bridges (it runs with --iptables=false). `start` therefore inserts
#   iptables -I FORWARD -s 10.N.0.0/16 -d 10.N.0.0/16 -j ACCEPT
#     -m comment --comment "dockerlua-test-engine BRIDGE"
# (traffic among this engine's own containers only; the system engine's
# rules and policy are left as they are) and `stop` removes the rules so
# marked. Its user networks come from --default-address-pool 10.N.0.0/17.
#
# With `--registry localhost:PORT` (another test engine's registry) no
# registry is started: this engine uses that one (dockerd trusts plain http on
# 127.0.0.0/8), e.g. for the second node of a test swarm (tools/test.sh).
#
# An engine that already answers is reused; one that is not running starts
# from a fresh state (containers, images and registry content are wiped).
set -euo pipefail
# Helpers shared with the other test engine: processes, packages, the test image.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'echo "engine: error: command failed at $0 line $LINENO: $BASH_COMMAND" >&2' ERR

PACKAGES=(docker.io busybox-static docker-registry curl iproute2 tar openssl iptables)
# tests/lua_compat.rs: C modules, a pure-Lua rock, flags compared with lua5.4;
# tests/progress.rs: pull progress in a terminal of a chosen width.
PACKAGES+=(lua5.4 lua-lpeg lua-cjson tmux man-db binutils)
# tests/busted.rs: specs run with `busted --lua=dockerlua` (docs/testing.md);
# tests/release.rs: the .deb installed, the image's base made by debootstrap.
PACKAGES+=(lua-busted debootstrap)
# tests/compose.rs, bench/compose.sh: projects beside Debian's docker-compose 1.29.
PACKAGES+=(docker-compose)
READY_TIMEOUT=${DOCKERLUA_ENGINE_TIMEOUT:-60}   # seconds, for each readiness poll
DOCKER_CLI=${DOCKER_CLI:-docker}

say() { echo "engine: $*" >&2; }
die() { echo "engine: error: $*" >&2; exit 1; }

usage() {
    sed -n '2,13s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

# --- paths ------------------------------------------------------------------

setup_paths() {
    [ -n "${1:-}" ] || usage
    if [ "$CMD" = start ]; then mkdir -p "$1"; elif ! [ -d "$1" ]; then
        say "no engine in $1"
        [ "$CMD" = stop ] && exit 0 || exit 1
    fi
    DIR=$(cd "$1" && pwd -P)
    HASH=$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)
    HEX=$(printf '%08x' "$HASH")
    # Unix socket paths are limited to 108 bytes; the deepest one dockerd makes
    # is EXEC/containerd/containerd.sock.ttrpc. A long DIR gets a short twin.
    if [ ${#DIR} -le 60 ]; then RUN=$DIR; else RUN=/tmp/dockerlua-$HEX; fi
    SOCK=$RUN/docker.sock
    EXEC=$RUN/exec
    DATA=$DIR/root
    PIDFILE=$DIR/docker.pid
    LOG=$DIR/dockerd.log
    REG_PIDFILE=$DIR/registry.pid
    REG_LOG=$DIR/registry.log
    REG_PORTFILE=$DIR/registry.port
    REG_DATA=$DIR/registry
    TLS=$DIR/tls
    TLS_PORTFILE=$DIR/tls.port
    BRIDGE=dl$HEX                     # at most 15 characters
    GWBRIDGE=dg$HEX                   # this engine's docker_gwbridge (swarm)
    RANGEFILE=$DIR/range              # N of this engine's 10.N.0.0/16
    RULE_MARK="dockerlua-test-engine $BRIDGE"
    NAMESPACE=dockerlua-$HEX          # containerd namespace
    CGROUP=dockerlua-$HEX             # parent cgroup of the containers
    export DOCKER_HOST=unix://$SOCK
    unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
}

# --- processes --------------------------------------------------------------





# stop_pid PID COMM WHAT: TERM, wait up to 20 s, then KILL.
stop_pid() {
    local pid=$1 comm=$2 what=$3 i
    alive "$pid" "$comm" || return 0
    say "stopping $what (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 200); do
        alive "$pid" "$comm" || return 0
        sleep 0.1
    done
    say "$what did not exit after 20 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 50); do
        alive "$pid" "$comm" || return 0
        sleep 0.1
    done
    die "$what (pid $pid) does not die"
}

ping_engine() { curl -sf --max-time 2 --unix-socket "$SOCK" http://engine/_ping 2>/dev/null | grep -qx OK; }
ping_registry() { curl -sf --max-time 2 "http://127.0.0.1:$1/v2/" >/dev/null 2>&1; }

dockercli() { "$DOCKER_CLI" "$@"; }

# --- packages ---------------------------------------------------------------


# --- dockerd ----------------------------------------------------------------

# free_range: an N whose 10.N.0.0/16 no address, route or other running
# engine's address pool uses (a private dockerd names its pool on its
# command line), starting from one derived from DIR.
free_range() {
    local n=$((100 + HASH % 100)) i used
    used=$(ip -4 -o addr show; ip -4 route show
        for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' 2>/dev/null <"$f" | grep -o 'default-address-pool base=[0-9.]*' || true; done)
    for i in $(seq 100); do
        grep -qE "(^|[^0-9])10\.$n\." <<<"$used" || { echo "$n"; return 0; }
        n=$((100 + (n - 99) % 100))
    done
    die "no free 10.N.0.0/16 for the engine's networks"
}

# This engine's 10.N.0.0/16, chosen at a fresh start and kept in RANGEFILE.
range() { pid_of "$RANGEFILE"; }

# The bridge for the default network: named after DIR, 10.N.255.0/24.
ensure_bridge() {
    ip link show "$BRIDGE" >/dev/null 2>&1 && return 0
    ip link add "$BRIDGE" type bridge || die "cannot create bridge $BRIDGE (are you root?)"
    ip addr add "10.$(range).255.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
}

# The rule that lets this engine's containers reach each other when a system
# engine made the FORWARD policy DROP (see the top). Idempotent.
ensure_forward_rule() {
    local n spec
    n=$(range)
    [ -n "$n" ] || return 0
    command -v iptables >/dev/null || { say "warning: no iptables: containers may not reach each other beside a system engine"; return 0; }
    spec=(-s "10.$n.0.0/16" -d "10.$n.0.0/16" -m comment --comment "$RULE_MARK" -j ACCEPT)
    iptables -w -C FORWARD "${spec[@]}" 2>/dev/null && return 0
    iptables -w -I FORWARD 1 "${spec[@]}" ||
        say "warning: cannot add the FORWARD rule for 10.$n.0.0/16: containers may not reach each other beside a system engine"
}

# Removes every rule marked as this engine's (whatever its range).
remove_forward_rules() {
    local rule
    command -v iptables >/dev/null || return 0
    { iptables -w -S FORWARD 2>/dev/null || true; } | { grep -F -- "--comment \"$RULE_MARK\"" || true; } |
        sed 's/^-A /-D /' | while read -r rule; do
            eval "iptables -w $rule" || say "warning: cannot remove the FORWARD rule: $rule"
        done
}

# Swarm mode connects tasks to a `docker_gwbridge` network whose host bridge
# is called docker_gwbridge (172.17.0.0/16) unless that network exists
# already: made here, under a name and a /24 of this engine's own, so that
# several test engines on one host never share it.
ensure_gwbridge() {
    dockercli network inspect docker_gwbridge >/dev/null 2>&1 && return 0
    [ -n "$(range)" ] || die "no network range in $RANGEFILE; restart the engine: $0 stop $DIR"
    dockercli network create --driver bridge --subnet "10.$(range).254.0/24" \
        --opt com.docker.network.bridge.name="$GWBRIDGE" \
        --opt com.docker.network.bridge.enable_icc=false \
        --opt com.docker.network.bridge.enable_ip_masquerade=false \
        docker_gwbridge >/dev/null || die "cannot create the docker_gwbridge network"
}

# Unmount whatever a dead engine left mounted under a folder (deepest first).
unmount_under() {
    local root=$1 m
    awk -v r="$root/" 'index($5 "/", r) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

fail_dockerd() {
    echo "engine: error: $1; the end of $LOG:" >&2
    tail -n 30 "$LOG" >&2 || true
    exit 1
}

# --- tls ----------------------------------------------------------------------

# A CA, a server certificate for 127.0.0.1 and a client certificate, in $TLS.
make_tls_certs() {
    rm -rf "$TLS" && mkdir -p "$TLS"
    (
        cd "$TLS"
        key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
        key ca-key.pem
        openssl req -x509 -new -key ca-key.pem -out ca.pem -days 3650 -subj /CN=dockerlua-test-ca \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        # sign NAME CN EXTENSIONS: NAME-key.pem and NAME.pem, signed by the CA.
        sign() {
            key "$1-key.pem"
            printf '%s\n' "$3" >ext.cnf
            openssl req -new -key "$1-key.pem" -subj "/CN=$2" |
                openssl x509 -req -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
                    -extfile ext.cnf -out "$1.pem" 2>/dev/null
        }
        sign server 127.0.0.1 'subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth'
        sign cert dockerlua-test-client 'extendedKeyUsage=clientAuth'
        mv cert-key.pem key.pem
        rm -f ext.cnf ca.srl
    ) || die "cannot make the TLS certificates in $TLS"
}

tls_port() {
    local p=$((6100 + HASH % 800)) i
    for i in $(seq 100); do
        ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
        p=$((p + 1))
    done
    die "no free port for the TLS listener"
}

# --- dockerd (continued) ------------------------------------------------------

ensure_dockerd() {
    local pid i t0
    pid=$(pid_of "$PIDFILE")
    if alive "$pid" dockerd; then
        for i in $(seq $((READY_TIMEOUT * 10))); do
            if ping_engine; then
                say "reusing the running engine (pid $pid) on $SOCK"
                TLS_PORT=$(pid_of "$TLS_PORTFILE")
                ensure_forward_rule
                return 0
            fi
            sleep 0.1
        done
        fail_dockerd "dockerd (pid $pid) is running but does not answer on $SOCK; try: $0 stop $DIR"
    fi
    ping_engine && die "something else answers on $SOCK; not starting a second engine"

    # A fresh start: wipe what a previous engine left.
    cleanup_leftovers
    rm -rf "$DATA" "$EXEC" "$REG_DATA" "$DIR/images" "$SOCK" "$PIDFILE"
    mkdir -p "$DATA" "$EXEC"
    echo '{}' >"$DIR/daemon.json"     # so that /etc/docker/daemon.json does not apply
    remove_forward_rules
    # A dead engine's bridges hold its old range: made again below.
    ip link del "$BRIDGE" 2>/dev/null || true
    ip link del "$GWBRIDGE" 2>/dev/null || true
    free_range >"$RANGEFILE"
    ensure_bridge
    ensure_forward_rule
    make_tls_certs
    TLS_PORT=$(tls_port)
    echo "$TLS_PORT" >"$TLS_PORTFILE"
    launch_dockerd
}

# Starts dockerd on the state in DIR (kept as it is) and waits until it answers.
launch_dockerd() {
    local pid i t0
    say "starting dockerd on $SOCK"
    t0=$(now_ms)
    : >"$LOG"
    setsid dockerd \
        --config-file "$DIR/daemon.json" \
        --host "unix://$SOCK" \
        --host "tcp://127.0.0.1:$TLS_PORT" \
        --tlsverify --tlscacert "$TLS/ca.pem" --tlscert "$TLS/server.pem" --tlskey "$TLS/server-key.pem" \
        --data-root "$DATA" \
        --exec-root "$EXEC" \
        --pidfile "$PIDFILE" \
        --bridge "$BRIDGE" \
        --iptables=false --ip-forward=false --ip-masq=false --ip6tables=false \
        --default-address-pool "base=10.$(range).0.0/17,size=24" \
        --containerd-namespace "$NAMESPACE" \
        --containerd-plugins-namespace "$NAMESPACE-plugins" \
        --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$CGROUP" \
        --shutdown-timeout 3 \
        </dev/null >>"$LOG" 2>&1 &
    pid=$!
    for i in $(seq $((READY_TIMEOUT * 20))); do
        if ping_engine; then
            say "dockerd ready in $(since "$t0") s"
            return 0
        fi
        running "$pid" || fail_dockerd "dockerd exited while starting"
        sleep 0.05
    done
    fail_dockerd "dockerd did not answer on $SOCK within $READY_TIMEOUT s"
}

# --- registry ---------------------------------------------------------------

free_port() {
    local p=$((5100 + HASH % 800)) i
    for i in $(seq 100); do
        ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
        p=$((p + 1))
    done
    die "no free port for the registry"
}

ensure_registry() {
    local pid port i
    pid=$(pid_of "$REG_PIDFILE")
    port=$(pid_of "$REG_PORTFILE")
    if alive "$pid" docker-registry && [ -n "$port" ] && ping_registry "$port"; then
        PORT=$port
        return 0
    fi
    stop_pid "$pid" docker-registry registry
    PORT=$(free_port)
    mkdir -p "$REG_DATA"
    cat >"$DIR/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REG_DATA
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
EOF
    : >"$REG_LOG"
    # The registry reads REGISTRY_* variables as overrides of its configuration.
    env $(env | sed -n 's/^\(REGISTRY_[A-Za-z0-9_]*\)=.*/-u \1/p') \
        setsid docker-registry serve "$DIR/registry.yml" </dev/null >>"$REG_LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$REG_PIDFILE"
    echo "$PORT" >"$REG_PORTFILE"
    for i in $(seq $((READY_TIMEOUT * 20))); do
        ping_registry "$PORT" && { say "registry ready on 127.0.0.1:$PORT"; return 0; }
        if ! running "$pid"; then
            echo "engine: error: docker-registry exited while starting; the end of $REG_LOG:" >&2
            tail -n 20 "$REG_LOG" >&2
            exit 1
        fi
        sleep 0.05
    done
    die "the registry did not answer on 127.0.0.1:$PORT within $READY_TIMEOUT s (see $REG_LOG)"
}

# --- images -----------------------------------------------------------------


import_rootfs() {
    local root=$1 ref=$2
    tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
        dockercli import \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["/bin/sh"]' \
            - "$ref" >/dev/null || die "docker import $ref failed"
}

ensure_images() {
    local work=$DIR/images have_base=1
    PULL_IMAGE=localhost:$PORT/dockerlua/pulltest:latest
    dockercli image inspect alpine:latest >/dev/null 2>&1 || have_base=0
    if [ $have_base = 0 ]; then
        make_rootfs "$work/base"
        import_rootfs "$work/base" alpine:latest
        say "imported alpine:latest"
    fi
    dockercli image inspect busybox:latest >/dev/null 2>&1 || dockercli tag alpine:latest busybox:latest

    # The pull-test image: its own layer (base + /marker), only in the registry.
    if ! curl -sf -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "http://127.0.0.1:$PORT/v2/dockerlua/pulltest/manifests/latest"; then
        [ -d "$work/base" ] || make_rootfs "$work/base"
        rm -rf "$work/pull" && cp -a "$work/base" "$work/pull"
        echo "dockerlua pull test $(date +%s.%N) $$" >"$work/pull/marker"
        import_rootfs "$work/pull" "$PULL_IMAGE"
        dockercli push "$PULL_IMAGE" >"$DIR/push.log" 2>&1 || {
            echo "engine: error: docker push $PULL_IMAGE failed:" >&2
            tail -n 20 "$DIR/push.log" >&2
            exit 1
        }
        dockercli rmi "$PULL_IMAGE" >/dev/null
        say "pushed $PULL_IMAGE"
    fi
    rm -rf "$work"
}

write_env() {
    cat >"$DIR/env.tmp" <<EOF
export DOCKER_HOST=unix://$SOCK
export DOCKERLUA_TEST_REGISTRY=localhost:$PORT
export DOCKERLUA_TEST_PULL_IMAGE=$PULL_IMAGE
EOF
    # An engine started by an older engine.sh has no TLS listener.
    [ -z "${TLS_PORT:-}" ] || cat >>"$DIR/env.tmp" <<EOF
export DOCKERLUA_TEST_TLS_HOST=tcp://127.0.0.1:$TLS_PORT
export DOCKERLUA_TEST_TLS_CERTS=$TLS
EOF
    # An engine started by an older engine.sh has no range of its own.
    [ -z "$(range)" ] || echo "export DOCKERLUA_TEST_SUBNET=10.$(range).200.0/24" >>"$DIR/env.tmp"
    mv "$DIR/env.tmp" "$DIR/env"
}

# --- stop -------------------------------------------------------------------

# Processes left by a dead engine: its containerd; the containers' processes,
# found by their cgroup; shims and port proxies, found by the namespace,
# socket or bridge address on their command line (never by name alone).
cleanup_leftovers() {
    local pid cmd f net
    stop_pid "$(pid_of "$EXEC/containerd/containerd.pid")" containerd containerd
    for f in $(find /sys/fs/cgroup -path "*/$CGROUP/*" -name cgroup.procs 2>/dev/null); do
        for pid in $(cat "$f" 2>/dev/null); do
            say "killing leftover container process $pid"
            kill -KILL "$pid" 2>/dev/null || true
        done
    done
    net=$(ip -4 -o addr show dev "$BRIDGE" 2>/dev/null | awk '{ sub(/\.[0-9]+\/.*/, ".", $4); print $4 }' || true)
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
        case "$cmd" in
        *containerd-shim*" -namespace $NAMESPACE "* | containerd-shim*" -address $EXEC/containerd/containerd.sock"*)
            say "killing leftover shim $pid"
            kill -KILL "$pid" 2>/dev/null || true
            ;;
        *docker-proxy*" -container-ip $net"*)
            [ -z "$net" ] || { say "killing leftover docker-proxy $pid"; kill -KILL "$pid" 2>/dev/null || true; }
            ;;
        esac
    done
    # Empty cgroups, deepest first (a cgroup is removed with rmdir).
    find /sys/fs/cgroup -depth -type d -path "*/$CGROUP*" 2>/dev/null |
        while read -r f; do rmdir "$f" 2>/dev/null || true; done
    unmount_under "$DATA"
    unmount_under "$EXEC"
}

cmd_stop() {
    local pid ids
    # What tools/test.sh starts next to this engine (each stops by its pid file).
    [ ! -d "$DIR/sshd" ] || "$(dirname "$0")/sshd.sh" stop "$DIR/sshd"
    [ ! -d "$DIR/engine2" ] || "$0" stop "$DIR/engine2"
    pid=$(pid_of "$PIDFILE")
    if alive "$pid" dockerd; then
        # Containers first: `sleep` as PID 1 ignores SIGTERM and would make
        # dockerd wait for each of them.
        if ping_engine; then
            ids=$(timeout 20 "$DOCKER_CLI" ps -aq 2>/dev/null || true)
            [ -z "$ids" ] || timeout 60 "$DOCKER_CLI" rm -f $ids >/dev/null 2>&1 || true
        fi
        stop_pid "$pid" dockerd dockerd
    fi
    stop_pid "$(pid_of "$REG_PIDFILE")" docker-registry registry
    cleanup_leftovers
    remove_forward_rules
    ip link del "$BRIDGE" 2>/dev/null || true
    ip link del "$GWBRIDGE" 2>/dev/null || true
    rm -f "$PIDFILE" "$REG_PIDFILE" "$SOCK" "$DIR/env" "$TLS_PORTFILE" "$RANGEFILE"
    [ "$RUN" = "$DIR" ] || rm -rf "$RUN"
    say "stopped"
}

cmd_start() {
    local t0
    t0=$(now_ms)
    ensure_packages
    ensure_dockerd
    ensure_gwbridge
    if [ -n "${REGISTRY:-}" ]; then
        PORT=${REGISTRY##*:}
        ping_registry "$PORT" || die "no registry answers at $REGISTRY"
    else
        ensure_registry
    fi
    ensure_images
    write_env
    say "ready in $(since "$t0") s; to use it: . $DIR/env"
}

CMD=${1:-}
case "$CMD" in
start)
    setup_paths "${2:-}"
    case "${3:-}" in
    --registry) REGISTRY=${4:?--registry needs localhost:PORT} ;;
    "") ;;
    *) usage ;;
    esac
    cmd_start
    ;;
stop) setup_paths "${2:-}"; cmd_stop ;;
env)
    setup_paths "${2:-}"
    [ -f "$DIR/env" ] && ping_engine || die "no engine running in $DIR; run: $0 start $DIR"
    cat "$DIR/env"
    ;;
restart)
    setup_paths "${2:-}"
    [ -f "$TLS_PORTFILE" ] || die "no engine was started in $DIR; run: $0 start $DIR"
    stop_pid "$(pid_of "$PIDFILE")" dockerd dockerd
    TLS_PORT=$(pid_of "$TLS_PORTFILE")
    launch_dockerd
    ;;
status)
    setup_paths "${2:-}"
    if ping_engine; then echo "engine: running on $SOCK" >&2; else echo "engine: not running" >&2; exit 1; fi
    ;;
*) usage ;;
esac
