#!/bin/bash
# Usage: scripts/busybox.sh ARCH
# Prints the path of a static busybox for a VM's initramfs of Debian
# architecture ARCH (amd64, arm64). This machine's arch: the installed
# /bin/busybox (busybox-static). Another arch: busybox-static:ARCH from
# Debian's archive, extracted into the cache (no multiarch setup, nothing
# installed).
set -euo pipefail

me=${0##*/}
die() { echo "$me: $*" >&2; exit 1; }
[ $# -eq 1 ] || { echo "usage: $me ARCH" >&2; exit 2; }
arch=$1
[[ $arch =~ ^[a-z0-9]+$ ]] || die "invalid architecture '$arch'"

if [ "$arch" = "$(dpkg --print-architecture)" ]; then
    [ -x /bin/busybox ] || die "/bin/busybox not found; install the Debian package busybox-static"
    # Package `busybox` also provides /bin/busybox, but linked against libc,
    # which is not in the initramfs.
    if ldd /bin/busybox >/dev/null 2>&1; then
        die "/bin/busybox is dynamically linked; install the Debian package busybox-static"
    fi
    echo /bin/busybox
    exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${RUST_KO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-ko}
dest=$cache_root/busybox/$arch/busybox
if [ -x "$dest" ]; then
    echo "$dest"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# _apt (apt's download sandbox user) must be able to write here.
chmod 755 "$tmp"
bash "$here/../bindings/mk/debian-archive.sh" "$cache_root" download "$tmp" "busybox-static:$arch" ||
    die "cannot download busybox-static:$arch (message above)"
deb=$(find "$tmp" -maxdepth 1 -name '*.deb' -print -quit)
dpkg-deb -x "$deb" "$tmp/x" || die "cannot extract $(basename "$deb")"
# (bin/busybox before Debian 13, usr/bin/busybox since.)
bin=$(find "$tmp/x/bin" "$tmp/x/usr/bin" -maxdepth 1 -name busybox -type f -print -quit 2>/dev/null || true)
[ -n "$bin" ] || die "busybox-static:$arch has no bin/busybox"
mkdir -p "$(dirname "$dest")"
cp "$bin" "$dest.$$"
mv -f "$dest.$$" "$dest"
echo "$dest"
