#!/usr/bin/env bash
# `make kernels`: every Debian kernel (amd64 flavors; `make kernels
# ARCH=arm64`: arm64 ones) whose headers Debian's
# archive has, the suite it comes from, and the committed set that would
# serve it: chosen for real (ko-facts choose) when its headers are
# installed; else the set or layout variant made from that very release, or
# its series and flavor's set and variants (every build proves the layouts,
# and picks among variants by that proof).
#
# usage: kernels.sh CACHE KO_FACTS SETS_DIR [ARCH]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$1 facts=$2 sets=$3
arch=$(case ${4:-} in arm64 | aarch64) echo arm64 ;; *) echo amd64 ;; esac)
list=$(bash "$here/debian-archive.sh" "$cache" kernels "$arch")
printf '%-30s %-20s %s\n' RELEASE SUITE SET
# What serves a release whose headers are not here: the set or variant made
# from it, else its series' set and variants (ko-facts served).
served=$(awk '{ print $1 }' <<<"$list" | "$facts" served "$sets")
while read -r release suite; do
    tree=/lib/modules/$release/build
    if [ -d "$tree" ]; then
        # (No fitting set is an answer too, not an error.)
        what="$({ "$facts" choose "$tree" "$sets" 2>&1 || true; } | sed 's/^ko-facts: //') [installed]"
    else
        what=$(awk -v r="$release" '$1 == r { sub(/^[^ ]* /, ""); print; exit }' <<<"$served")
    fi
    printf '%-30s %-20s %s\n' "$release" "$suite" "$what"
done < <(awk '{ print $1, $2 }' <<<"$list")
