#!/usr/bin/env bash
# A private sshd for dockerlua's ssh:// engine tests.
#
#   tools/sshd.sh start DIR DOCKER_HOST   start (or reuse) the sshd whose state lives in DIR
#   tools/sshd.sh stop  DIR               stop it (by its pid file)
#
# `start` installs Debian's openssh-server if missing and runs /usr/sbin/sshd
# on 127.0.0.1:PORT (a spare port) with a host key, a client key
# (DIR/id_ed25519) and an authorized_keys file made for the test; only that
# key logs in, as root. Its config has `SetEnv DOCKER_HOST=...`, so a remote
# `docker system dial-stdio` (what `docker -H ssh://...` runs) reaches the
# given private engine, never the system one. Nothing in ~/.ssh or /etc/ssh
# is read or changed: the client side is DIR/ssh_config (key, known host,
# batch mode), and DIR/bin/ssh is `ssh -F DIR/ssh_config`, so a program that
# runs `ssh` from PATH (the docker CLI, dockerlua) reaches the test sshd when
# DIR/bin comes first in PATH. OpenSSH reads the config of the passwd home,
# not $HOME: a test that needs an entry there writes a marked block into
# it and removes it afterwards. DIR/env:
#
#   export DOCKERLUA_TEST_SSH_HOST=ssh://root@127.0.0.1:PORT
#   export DOCKERLUA_TEST_SSH_KEY=DIR/id_ed25519
#   export DOCKERLUA_TEST_SSH_CONFIG=DIR/ssh_config    # for ssh -F
#   export DOCKERLUA_TEST_SSH_PATH=DIR/bin             # prepend to PATH
#
# Checked by hand:
#   PATH=$DOCKERLUA_TEST_SSH_PATH:$PATH docker -H $DOCKERLUA_TEST_SSH_HOST ps
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'echo "sshd: error: command failed at $0 line $LINENO: $BASH_COMMAND" >&2' ERR

PACKAGES=(openssh-server openssh-client docker.io)
READY_TIMEOUT=${DOCKERLUA_ENGINE_TIMEOUT:-60}

say() { echo "sshd: $*" >&2; }
die() { echo "sshd: error: $*" >&2; exit 1; }
usage() { sed -n '2,5s/^# \{0,1\}//p' "$0" >&2; exit 2; }

setup_paths() {
    [ -n "${1:-}" ] || usage
    if [ "$CMD" = start ]; then mkdir -p "$1"; elif ! [ -d "$1" ]; then exit 0; fi
    DIR=$(cd "$1" && pwd -P)
    HASH=$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)
    PIDFILE=$DIR/sshd.pid
    PORTFILE=$DIR/sshd.port
    LOG=$DIR/sshd.log
    CONFIG=$DIR/sshd_config
    KEY=$DIR/id_ed25519
}

free_port() {
    local p=$((22100 + HASH % 800)) i
    for i in $(seq 100); do
        ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
        p=$((p + 1))
    done
    die "no free port for sshd"
}

# Does the test sshd let the test key in and run a command there?
answers() {
    ssh -F "$DIR/ssh_config" -p "$1" -o ConnectTimeout=5 root@127.0.0.1 true 2>/dev/null
}

cmd_start() {
    local target=${1:-} pid port i
    [ -n "$target" ] || usage
    case "$target" in unix://*) ;; *) die "the engine must be a unix:// DOCKER_HOST, not $target" ;; esac
    pid=$(pid_of "$PIDFILE")
    port=$(pid_of "$PORTFILE")
    if alive "$pid" sshd && [ -n "$port" ] && grep -qxF "SetEnv DOCKER_HOST=$target" "$CONFIG" && answers "$port"; then
        say "reusing the running sshd (pid $pid) on 127.0.0.1:$port"
        return 0
    fi
    cmd_stop
    ensure_packages
    mkdir -p /run/sshd    # sshd's privilege separation directory
    port=$(free_port)
    rm -f "$DIR"/host_key* "$KEY" "$KEY.pub"
    ssh-keygen -q -t ed25519 -N '' -C dockerlua-test-host -f "$DIR/host_key"
    ssh-keygen -q -t ed25519 -N '' -C dockerlua-test-client -f "$KEY"
    cp "$KEY.pub" "$DIR/authorized_keys"
    echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$DIR/host_key.pub")" >"$DIR/known_hosts"
    cat >"$CONFIG" <<EOF
ListenAddress 127.0.0.1:$port
HostKey $DIR/host_key
PidFile none
AuthorizedKeysFile $DIR/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
AllowTcpForwarding no
X11Forwarding no
SetEnv DOCKER_HOST=$target
EOF
    cat >"$DIR/ssh_config" <<EOF
Host *
    IdentityFile $KEY
    IdentitiesOnly yes
    UserKnownHostsFile $DIR/known_hosts
    StrictHostKeyChecking yes
    BatchMode yes
    LogLevel ERROR
EOF
    mkdir -p "$DIR/bin"
    printf '#!/bin/sh\n# ssh with the test sshd'"'"'s client config (tools/sshd.sh)\nexec /usr/bin/ssh -F %s "$@"\n' \
        "$DIR/ssh_config" >"$DIR/bin/ssh"
    chmod +x "$DIR/bin/ssh"

    : >"$LOG"
    # -D: stay in the foreground, so that $! is sshd's pid.
    setsid /usr/sbin/sshd -D -f "$CONFIG" -E "$LOG" </dev/null >>"$LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$port" >"$PORTFILE"
    for i in $(seq $((READY_TIMEOUT * 10))); do
        if answers "$port"; then
            say "ready on 127.0.0.1:$port (engine $target)"
            cat >"$DIR/env" <<EOF
export DOCKERLUA_TEST_SSH_HOST=ssh://root@127.0.0.1:$port
export DOCKERLUA_TEST_SSH_KEY=$KEY
export DOCKERLUA_TEST_SSH_CONFIG=$DIR/ssh_config
export DOCKERLUA_TEST_SSH_PATH=$DIR/bin
EOF
            return 0
        fi
        running "$pid" || { tail -n 20 "$LOG" >&2; die "sshd exited while starting"; }
        sleep 0.1
    done
    tail -n 20 "$LOG" >&2
    die "sshd did not let the test key in on 127.0.0.1:$port within $READY_TIMEOUT s"
}

cmd_stop() {
    local pid i
    pid=$(pid_of "$PIDFILE")
    if alive "$pid" sshd; then
        say "stopping sshd (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 50); do
            alive "$pid" sshd || break
            sleep 0.1
        done
        ! alive "$pid" sshd || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE" "$PORTFILE" "$DIR/env"
}

CMD=${1:-}
case "$CMD" in
start) setup_paths "${2:-}"; cmd_start "${3:-}" ;;
stop) setup_paths "${2:-}"; cmd_stop ;;
*) usage ;;
esac
