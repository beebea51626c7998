#!/usr/bin/env bash
# The OCI image of dockerlua itself, built from dist/image (tools/release.sh)
# with tools/image/Dockerfile, on the engine DOCKER_HOST names:
#
#   tools/image.sh [TAG]        # default: dockerlua:latest
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock \
#       -v "$PWD":/work dockerlua script.lua
#
# No registry may be reachable, so the base image is made here when the
# engine lacks it (BASE, default dockerlua-base:local), by `docker import`
# of a folder:
#   DOCKERLUA_IMAGE_BASE=libs (default)  the libraries the binary links
#       (glibc, libgcc_s, found with ldd), busybox-static, CA certificates:
#       a few MB, made in a second;
#   DOCKERLUA_IMAGE_BASE=debootstrap     a minimal Debian (debootstrap
#       --variant=minbase, from the Debian mirror; a few minutes).
# DIST (default dist/) is where tools/release.sh wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${DIST:-$PWD/dist}
TAG=${1:-dockerlua:latest}
BASE=${BASE:-dockerlua-base:local}
KIND=${DOCKERLUA_IMAGE_BASE:-libs}
DOCKER_CLI=${DOCKER_CLI:-docker}

die() { echo "image: error: $*" >&2; exit 1; }
[ -x "$DIST/image/dockerlua" ] || die "no $DIST/image/dockerlua: run tools/release.sh first"

make_base() {
    local root
    root=$(mktemp -d)
    trap 'rm -rf "$root"' RETURN
    case "$KIND" in
    libs)
        [ -x /bin/busybox ] || die "busybox-static is missing (apt-get install busybox-static)"
        mkdir -p "$root/bin" "$root/tmp" "$root/etc/ssl/certs" "$root/work"
        chmod 1777 "$root/tmp"
        # Every library the binary loads, at the path the loader looks in.
        ldd "$DIST/image/dockerlua" | grep -o '/[^ ]*' | while read -r lib; do
            mkdir -p "$root$(dirname "$lib")"
            cp -L "$lib" "$root$lib"
        done
        cp /bin/busybox "$root/bin/busybox"
        for tool in sh ls cat env; do ln -s busybox "$root/bin/$tool"; done
        if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
            cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
        fi
        echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
        echo "root:x:0:" > "$root/etc/group"
        ;;
    debootstrap)
        command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
        local suite
        suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-stable}")
        debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" >&2
        ;;
    *) die "DOCKERLUA_IMAGE_BASE must be libs or debootstrap, not '$KIND'" ;;
    esac
    tar -C "$root" -c . | "$DOCKER_CLI" import - "$BASE" >/dev/null
    echo "image: made the base $BASE ($KIND)" >&2
}

"$DOCKER_CLI" image inspect "$BASE" >/dev/null 2>&1 || make_base
"$DOCKER_CLI" build -q --build-arg "BASE=$BASE" -t "$TAG" "$DIST/image" >/dev/null
echo "image: built $TAG on $BASE" >&2
