#!/usr/bin/env bash
# `make KERNEL=<release>`: prints a header tree (KDIR) for the Debian kernel
# RELEASE. Installed headers (/lib/modules/RELEASE/build) are used as they
# are; otherwise linux-headers-RELEASE, its -common part and linux-kbuild
# are fetched from Debian's archive (debian-archive.sh) and extracted into
# CACHE/headers/RELEASE, nothing installed. That tree runs its Kbuild with
# this machine's libc, so this is for kernels of this machine's Debian
# release, and of older ones: their compiler (gcc-N, which Kbuild calls by
# name) is extracted from their release into the same tree's usr/bin, which
# kmod.mk puts on PATH (an older release's binaries run on a newer libc).
# For a newer release's kernel it prints `root ROOT KDIR`: a build root of
# that release (debian-root.sh) with the headers installed in it, where the
# build is to run (root-make.sh).
# An arm64 kernel on an amd64 machine is cross-built: its headers
# (linux-headers-RELEASE:arm64 and -common) with this machine's amd64
# linux-kbuild of the same version, whose `scripts`/`tools` the tree's
# symlinks reach; the compiler is the cross gcc (gcc-aarch64-linux-gnu),
# which kmod.mk calls through CROSS_COMPILE.
#
# usage: debian-headers.sh CACHE RELEASE   (KO_FACTS: see debian-archive.sh)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$1 release=$2
die() { echo "make KERNEL=$release: $*" >&2; exit 1; }
[[ $release =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "not a kernel release (e.g. 6.1.0-57-amd64; see make kernels)"

if [ -f "/lib/modules/$release/build/include/generated/utsrelease.h" ]; then
    echo "/lib/modules/$release/build"
    exit 0
fi
dest=$cache/headers/$release
kdir=$dest/usr/src/linux-headers-$release
if [ -f "$dest/.complete" ]; then
    echo "$kdir"
    exit 0
fi

archive() { bash "$here/debian-archive.sh" "$cache" "$@"; }
suite=$(archive suite "$release" 2>&1) || die "${suite#debian-archive: }"
codename=${suite%%-*}
host=$(. /etc/os-release && echo "${VERSION_CODENAME:-unknown}")
arch=$(archive arch "$release")
host_arch=$(dpkg --print-architecture)
# Debian releases oldest first, as debian-suites.txt lists them.
order=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/debian-suites.txt" | awk '{ sub(/-.*/, "", $1); if (!seen[$1]++) print $1 }')
older=$(awk -v c="$codename" -v h="$host" '$1 == c { print "yes"; exit } $1 == h { print "no"; exit }' <<<"$order")
cross=
if [ "$arch" != "$host_arch" ]; then
    [ "$host_arch" = amd64 ] || die "a $arch kernel is cross-built on amd64 machines only, not $host_arch"
    # Kbuild's host tools and the cross compiler come from this machine's
    # release; a newer release's from a build root of it.
    if [ "$codename" != "$host" ] && [ "$older" != yes ]; then
        root=$(bash "$here/debian-cross-root.sh" "$cache" "$codename" "$release" "$arch" 2>&1) ||
            die "an $arch kernel of Debian $codename ($suite), cross-built in a Debian $codename root: ${root#debian-*: }"
        echo "root $root /lib/modules/$release/build"
        exit 0
    fi
    [ "$codename" = "$host" ] ||
        die "an $arch kernel of an older Debian release ($codename, $suite) cannot be cross-built here yet; take one of Debian $host or newer (see make kernels ARCH=$arch)"
    cross=$arch
elif [ "$codename" != "$host" ] && [ "$older" != yes ]; then
    # Its Kbuild needs that release's compiler and libc: a build root of it,
    # with the headers installed there ("root ROOT KDIR").
    root=$(bash "$here/debian-root.sh" "$cache" "$codename" "linux-headers-$release" 2>&1) ||
        die "a Debian $codename kernel ($suite), built in a Debian $codename root: ${root#debian-root: }"
    echo "root $root /lib/modules/$release/build"
    exit 0
fi

# linux-headers-RELEASE, and what it takes from its -common and kbuild
# packages; for this machine's release the compiler is this machine's gcc,
# for an older release's kernel its own, gcc-N (named by the headers'
# linux-compiler-gcc-N-ARCH), with its parts (cpp-N, libgcc-N-dev, ...).
packages=("linux-headers-$release${cross:+:$cross}")
compiler=
for dep in $(archive depends "${packages[0]}"); do
    case $dep in
        linux-headers-*) packages+=("$dep") ;;
        # Cross: the host's kbuild, of exactly the headers' version (the
        # tree's scripts/ must match its Makefiles).
        linux-kbuild-*) packages+=("$dep${cross:+:$host_arch=$(archive version "${packages[0]}")}") ;;
        linux-compiler-gcc-*) compiler=$(sed -n 's/^linux-compiler-\(gcc-[0-9]*\)-.*/\1/p' <<<"$dep") ;;
    esac
done
if [ -n "$cross" ]; then
    [ ${#packages[@]} -eq 3 ] || die "linux-headers-$release:$cross: expected a -common and a linux-kbuild dependency, found: ${packages[*]:1}"
elif [ "$codename" != "$host" ]; then
    [ -n "$compiler" ] || die "linux-headers-$release names no compiler package"
    packages+=("$compiler")
    for dep in $(archive depends "$compiler"); do
        case $dep in *-"${compiler#gcc-}" | *-"${compiler#gcc-}"-*) packages+=("$dep") ;; esac
    done
fi
tmp=$(mktemp -d "$cache/headers/.$release.XXXXXX" 2>/dev/null) ||
    { mkdir -p "$cache/headers" && tmp=$(mktemp -d "$cache/headers/.$release.XXXXXX"); }
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/debs"
chmod 755 "$tmp" "$tmp/debs"
archive download "$tmp/debs" "${packages[@]}"
for deb in "$tmp"/debs/*.deb; do
    dpkg-deb -x "$deb" "$tmp/tree" || die "cannot extract $(basename "$deb")"
done
rm -rf "$tmp/debs"
# Debian's tree includes its -common part by absolute path: point it here.
top=$tmp/tree/usr/src/linux-headers-$release/Makefile
[ -f "$top" ] || die "linux-headers-$release has no usr/src/linux-headers-$release/Makefile"
sed -i "s|^include /usr/src/|include $dest/usr/src/|" "$top"
touch "$tmp/tree/.complete"
rm -rf "$dest"
mv "$tmp/tree" "$dest"
echo "$kdir"
