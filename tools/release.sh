#!/usr/bin/env bash
# Release artefacts for machines without Rust, in dist/ (or $DIST):
#
#   dockerlua-VERSION-ARCH-linux-gnu.tar.gz   bin/dockerlua, man/man1/dockerlua.1,
#                                             completions/ (bash, zsh, fish),
#                                             types/ (LuaLS), LICENSE-*, README.md
#   dockerlua_VERSION_DEBARCH.deb             `apt install ./dockerlua_*.deb`: the
#                                             binary, man page and completions in
#                                             their Debian places
#   image/                                    the OCI image's build context
#                                             (tools/image/Dockerfile; tools/image.sh)
#   SHA256SUMS                                `sha256sum -c SHA256SUMS`
#
# It prints the oldest glibc the binary needs (the highest GLIBC_ symbol
# version it uses), which the .deb also depends on.
#
#   tools/release.sh                     # cargo build --release (fat LTO:
#                                        # ~3.5 min here), then package
#   DOCKERLUA_RELEASE_BIN=target/debug/dockerlua tools/release.sh
#                                        # package that binary instead (tests)
#
# Needs: cargo (unless DOCKERLUA_RELEASE_BIN), git, binutils (objdump,
# strip), dpkg-deb, gzip, sha256sum.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${DIST:-$PWD/dist}
command -v cargo >/dev/null || { [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"; } || true

die() { echo "release: error: $*" >&2; exit 1; }
for tool in objdump strip dpkg-deb gzip sha256sum; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install binutils dpkg coreutils gzip)"
done

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || die "no version in Cargo.toml"
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "${DOCKERLUA_RELEASE_BIN:-}" ]; then
    bin=$DOCKERLUA_RELEASE_BIN
else
    # The commit goes in by name too, for builds where git cannot be asked.
    DOCKERLUA_COMMIT="$commit $(git show -s --format=%cs HEAD 2>/dev/null)" \
        cargo build --release --locked
    bin=target/release/dockerlua
fi
[ -x "$bin" ] || die "no binary at $bin"

arch=$(uname -m)
deb_arch=$(dpkg --print-architecture)
glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
[ -n "$glibc" ] || die "cannot read the glibc versions $bin needs"

mkdir -p "$DIST"
name=dockerlua-$version-$arch-linux-gnu
stage=$DIST/$name
rm -rf "$stage" "$DIST/image" "$DIST/deb"
mkdir -p "$stage/bin" "$stage/man/man1" "$stage/completions"
# Debug sections only: the Lua C API stays exported (.dynsym is kept).
strip --strip-debug -o "$stage/bin/dockerlua" "$bin"
dl=$stage/bin/dockerlua
"$dl" --man > "$stage/man/man1/dockerlua.1"
"$dl" --completions bash > "$stage/completions/dockerlua.bash"
"$dl" --completions zsh > "$stage/completions/_dockerlua"
"$dl" --completions fish > "$stage/completions/dockerlua.fish"
"$dl" --write-types "$stage/types"
cp README.md LICENSE-MIT LICENSE-APACHE "$stage/"
tar -C "$DIST" -czf "$DIST/$name.tar.gz" "$name"

# The Debian package: the same files in their places.
deb=$DIST/deb
mkdir -p "$deb/DEBIAN" "$deb/usr/bin" "$deb/usr/share/man/man1" \
    "$deb/usr/share/bash-completion/completions" "$deb/usr/share/zsh/vendor-completions" \
    "$deb/usr/share/fish/vendor_completions.d" "$deb/usr/share/doc/dockerlua" \
    "$deb/usr/share/dockerlua"
install -m 0755 "$dl" "$deb/usr/bin/dockerlua"
gzip -9n < "$stage/man/man1/dockerlua.1" > "$deb/usr/share/man/man1/dockerlua.1.gz"
install -m 0644 "$stage/completions/dockerlua.bash" "$deb/usr/share/bash-completion/completions/dockerlua"
install -m 0644 "$stage/completions/_dockerlua" "$deb/usr/share/zsh/vendor-completions/_dockerlua"
install -m 0644 "$stage/completions/dockerlua.fish" "$deb/usr/share/fish/vendor_completions.d/dockerlua.fish"
cp -r "$stage/types" "$deb/usr/share/dockerlua/types"
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: dockerlua"
    echo
    echo "Files: *"
    echo "Copyright: The dockerlua authors"
    echo "License: MIT or Apache-2.0"
    echo " See /usr/share/common-licenses/Apache-2.0 for the Apache licence; the MIT licence:"
    echo " ."
    sed -e 's/^$/./' -e 's/^/ /' LICENSE-MIT
} > "$deb/usr/share/doc/dockerlua/copyright"
installed_kb=$(du -sk "$deb/usr" | cut -f1)
cat > "$deb/DEBIAN/control" <<CONTROL
Package: dockerlua
Version: $version
Architecture: $deb_arch
Maintainer: The dockerlua authors <dockerlua@localhost>
Depends: libc6 (>= $glibc), libgcc-s1
Installed-Size: $installed_kb
Section: admin
Priority: optional
Description: Script the Docker Engine API in Lua
 One binary that runs Lua 5.4 scripts against Docker (and Podman) engines:
 containers, images, networks, volumes, swarm services, with the docker
 CLI's connection flags, a REPL, --dry-run and --read-only.
 Built from commit $commit.
CONTROL
debfile=$DIST/dockerlua_${version}_$deb_arch.deb
dpkg-deb -Zgzip --root-owner-group --build "$deb" "$debfile" >/dev/null
rm -rf "$deb"

# The image's build context (tools/image.sh builds it).
mkdir -p "$DIST/image"
cp tools/image/Dockerfile "$DIST/image/"
cp "$dl" "$DIST/image/dockerlua"
cp -r "$stage/types" "$DIST/image/types"

(cd "$DIST" && sha256sum "$name.tar.gz" "$(basename "$debfile")" > SHA256SUMS)
rm -rf "$stage"
echo "release: dockerlua $version (commit $commit) in $DIST:"
sed 's/^/  /' "$DIST/SHA256SUMS"
echo "release: the binary needs glibc >= $glibc"
