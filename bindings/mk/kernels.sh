#!/usr/bin/env bash
# `make kernels`: every Debian kernel (amd64 flavors; `make kernels
# ARCH=arm64`: arm64 ones) whose headers Debian's
# archive has, the suite it comes from, and the committed set that would
# serve it: the set of its series and flavor, chosen for real (ko-facts
# choose) when its headers are installed; every build proves the layouts.
#
# usage: kernels.sh CACHE KO_FACTS SETS_DIR [ARCH]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$1 facts=$2 sets=$3
arch=$(case ${4:-} in arm64 | aarch64) echo arm64 ;; *) echo amd64 ;; esac)
list=$(bash "$here/debian-archive.sh" "$cache" kernels "$arch")
printf '%-30s %-20s %s\n' RELEASE SUITE SET
awk '{ print $1 }' <<<"$list" | "$facts" releases | while read -r release _ _ set; do
    suite=$(awk -v r="$release" '$1 == r { print $2; exit }' <<<"$list")
    tree=/lib/modules/$release/build
    if [ -d "$tree" ]; then
        # (No fitting set is an answer too, not an error.)
        served="$({ "$facts" choose "$tree" "$sets" 2>&1 || true; } | sed 's/^ko-facts: //') [installed]"
    elif [ -f "$sets/$set/meta.toml" ]; then
        served="$set (its series' set; the build's layout proof decides)"
    else
        served="none: no committed set $set"
    fi
    printf '%-30s %-20s %s\n' "$release" "$suite" "$served"
done
