#!/usr/bin/env bash
# Runs COMMAND inside the build root ROOT, in a mount namespace of its own
# where each DIR (the project, its build and output directories, the crates
# it uses, cargo's download cache) is bind-mounted at the same path, so
# every absolute path of the build means the same inside. Cargo runs offline
# (the crates come from this machine's cargo cache), with the root's own
# toolchain and a cache (HOME, a directory of the build's own in the root:
# the rust-ko cache of builds in it lives there).
#
# usage: root-make.sh ROOT DIR... -- COMMAND...
set -euo pipefail
root=$1
shift
dirs=()
while [ "$1" != -- ]; do
    dirs+=("$(realpath -m "$1")")
    shift
done
shift
# shellcheck disable=SC2016 # expanded by the inner sh
script='set -e; root=$1; shift; n=$1; shift
for i in $(seq "$n"); do
    mkdir -p "$1" "$root$1"; mount --bind "$1" "$root$1"; shift
done
mount -t proc proc "$root/proc"; mount --rbind /dev "$root/dev"
mkdir -p "$root$home"
exec chroot "$root" env HOME="$home" CARGO_NET_OFFLINE=true "$@"'
home=/var/lib/rust-ko
exec unshare -m env home="$home" sh -c "$script" root-make "$root" "${#dirs[@]}" "${dirs[@]}" "$@"
