#!/bin/bash
# Usage: scripts/kernel-image.sh RELEASE
# Prints the path of a vmlinuz for the Debian kernel RELEASE (as in /lib/modules,
# e.g. the output of `uname -r`), downloading linux-image-RELEASE into a cache on a miss.
# Only `apt-get download` + extraction: /boot, dpkg -i and initramfs hooks are never used.
set -euo pipefail

me=${0##*/}
die() { echo "$me: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $me RELEASE" >&2; exit 2; }
release=$1
# The release becomes part of a package name and a path: refuse anything odd.
[[ $release =~ ^[A-Za-z0-9][A-Za-z0-9.+_~-]*$ ]] || die "invalid kernel release '$release'"

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${RUST_KO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-ko}
cache=$cache_root/kernels/$release
image=$cache/vmlinuz
if [ -s "$image" ]; then
    echo "$image"
    exit 0
fi

for tool in apt-get dpkg-deb tar; do
    command -v "$tool" >/dev/null || die "$tool not found (this needs a Debian system with apt)"
done

part=
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -z "$part" ] || rm -f "$part"' EXIT
# _apt (apt's download sandbox user) must be able to write here, or apt warns.
chmod 755 "$tmp"

# What apt says when no suite has a package of that name.
not_found="Unable to locate package|Can't select candidate|Can't find a source"

# Debian ships the image as linux-image-R (signed) and/or linux-image-R-unsigned;
# either holds boot/vmlinuz-R; from 7.x it is in linux-binary-R, at
# usr/lib/modules/R/vmlinuz (linux-image-R only depends on it). They come from Debian's archive as the build's
# `make KERNEL=` sees it (every suite of bindings/mk/debian-suites.txt, an apt
# configuration of its own: any Debian kernel, not only the host's suites).
# Sets pkg; the messages are in $tmp/apt.log.
# An arm64 kernel's packages are arm64 ones (`:arm64`), also on an amd64 machine.
arch=$(bash "$here/../bindings/mk/debian-archive.sh" "$cache_root" arch "$release")
fetch() {
    for pkg in "linux-binary-$release" "linux-image-$release" "linux-image-$release-unsigned"; do
        bash "$here/../bindings/mk/debian-archive.sh" "$cache_root" download "$tmp" "$pkg:$arch" 2>"$tmp/apt.log" && return 0
        # Fall back to -unsigned only if this name is unknown, not on network errors.
        grep -qE "$not_found" "$tmp/apt.log" || return 1
    done
    return 1
}

fetch || die "cannot download linux-image-$release(-unsigned): $(cat "$tmp/apt.log")"

deb=$(find "$tmp" -maxdepth 1 -name '*.deb' -print -quit)
[ -n "$deb" ] || die "apt-get download $pkg produced no .deb"

# Same result as `dpkg -x`, but only the one file we need is written to disk
# (the package also holds several hundred MB of modules).
inside=./boot/vmlinuz-$release
[ "$pkg" != "linux-binary-$release" ] || inside=./usr/lib/modules/$release/vmlinuz
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "$inside" \
    || die "$pkg does not contain ${inside#./}"

# Atomic publish: a concurrent or interrupted run never sees a partial image.
mkdir -p "$cache"
part=$(mktemp "$cache/.vmlinuz.XXXXXX")
cp "$tmp/$inside" "$part"
chmod 644 "$part"
mv -f "$part" "$image"
echo "$image"
