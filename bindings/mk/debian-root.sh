#!/usr/bin/env bash
# A build root of a Debian release, for kernels whose Kbuild needs that
# release's own compiler and libc (`make KERNEL=` of another release than
# this machine's): CACHE/roots/CODENAME, made once with mmdebstrap from the
# suites of debian-suites.txt with the packages of debian-roots.txt, then
# reused; PACKAGE... (the kernel's headers) are installed into it when
# missing. Prints the root. Made under a temporary name and renamed when
# complete, so an interrupted run leaves nothing a later one would trust.
# Needs root (mmdebstrap, chroot).
#
# usage: debian-root.sh CACHE CODENAME [PACKAGE...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$1 codename=$2
shift 2
die() { echo "debian-root: $*" >&2; exit 1; }
list() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/$1"; }

[ "$(id -u)" -eq 0 ] || die "a Debian $codename build root needs root (mmdebstrap, chroot): run as root, or build on Debian $codename"
command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed: sudo apt-get install mmdebstrap"
packages=$(list debian-roots.txt | awk -v c="$codename" '$1 == c { $1 = ""; print }')
[ -n "$packages" ] || die "no build root is described for Debian $codename in debian-roots.txt"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org}
root=$cache/roots/$codename
# One run per root at a time: creating it, or apt inside it.
mkdir -p "$cache/roots"
exec 9>"$cache/roots/.$codename.lock"
flock 9

if [ ! -f "$root/.complete" ]; then
    # (make reads stdout and stderr; a terminal, if any, hears of the wait.)
    { echo "  ROOT    creating a Debian $codename build root in $root (once, about two minutes)" >/dev/tty; } 2>/dev/null || true
    mkdir -p "$cache/roots"
    rm -rf "$root" "$root".tmp.*
    tmp=$root.tmp.$$
    trap 'rm -rf "$tmp"' EXIT
    sources=()
    while read -r suite archive; do
        case $suite in "$codename" | "$codename"-*) sources+=("deb $mirror/$archive $suite main") ;; esac
    done < <(list debian-suites.txt)
    # shellcheck disable=SC2086 # one word per package
    # Check-Valid-Until: a mirror that lags Debian (a snapshot, a frozen
    # mirror) serves sid's Release past its one-week validity; signatures
    # are still checked.
    mmdebstrap --variant=apt --mode=root --include="$(echo $packages | tr ' ' ,)" \
        --aptopt='Acquire::Check-Valid-Until "false"' \
        "$codename" "$tmp" "${sources[@]}" >"$cache/roots/$codename.log" 2>&1 ||
        die "mmdebstrap of Debian $codename failed: $(grep -m1 -E '^E:' "$cache/roots/$codename.log" || tail -n1 "$cache/roots/$codename.log") (log: $cache/roots/$codename.log); nothing of it was kept: check the network (or set DEBIAN_MIRROR) and run the same command again"
    touch "$tmp/.complete"
    mv "$tmp" "$root"
    trap - EXIT
fi
missing=()
for pkg in "$@"; do
    # shellcheck disable=SC2016 # dpkg-query's own format
    chroot "$root" dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    { chroot "$root" apt-get -q update && DEBIAN_FRONTEND=noninteractive chroot "$root" \
        apt-get -q install -y --no-install-recommends "${missing[@]}"; } >"$root.install.log" 2>&1 ||
        die "cannot install ${missing[*]} into the Debian $codename root: $(grep -m1 '^E:' "$root.install.log" || tail -n1 "$root.install.log") (log: $root.install.log); the root is kept (apt resumes where it stopped): run the same command again, or rm -rf $root to make it anew"
fi
echo "$root"
