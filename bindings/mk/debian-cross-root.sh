#!/usr/bin/env bash
# An arm64 kernel of a newer Debian release than this machine's, for
# debian-headers.sh: its Kbuild needs that release's libc and compiler, so
# it is cross-built in a build root of that release (debian-root.sh), which
# gets the amd64 parts installed (its linux-kbuild, the cross gcc-N named by
# the headers' gcc-N-for-host dependency) and the arm64 headers
# (linux-headers-RELEASE:ARCH and its -common) extracted, not installed:
# apt in an amd64 root cannot install arm64 headers without arm64 copies of
# their dependencies. Prints the root.
#
# usage: debian-cross-root.sh CACHE CODENAME RELEASE ARCH
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$1 codename=$2 release=$3 arch=$4
die() { echo "debian-cross-root: $*" >&2; exit 1; }
archive() { bash "$here/debian-archive.sh" "$cache" "$@"; }

headers=linux-headers-$release:$arch
native=() extract=("$headers")
for dep in $(archive depends "$headers"); do
    case $dep in
        linux-headers-*-common*) extract+=("$dep") ;;
        linux-kbuild-*) native+=("$dep") ;;
        gcc-*-for-host | gcc-[0-9]*)
            version=${dep#gcc-}
            native+=("gcc-${version%%[!0-9]*}-aarch64-linux-gnu")
            ;;
    esac
done
if [ ${#extract[@]} -ne 2 ] || [ ${#native[@]} -ne 2 ]; then
    die "$headers: expected -common, linux-kbuild and gcc dependencies, found: ${extract[*]:1} ${native[*]}"
fi
root=$(bash "$here/debian-root.sh" "$cache" "$codename" "${native[@]}" 2>&1) || die "${root#debian-root: }"
if [ ! -f "$root/lib/modules/$release/build/include/generated/utsrelease.h" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    chmod 755 "$tmp"
    archive download "$tmp" "${extract[@]}"
    for deb in "$tmp"/*.deb; do
        dpkg-deb -x "$deb" "$root" || die "cannot extract $(basename "$deb") into $root"
    done
fi
echo "$root"
