# Sourced by tools/engine.sh and tools/podman.sh (they define `die`).
#
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
