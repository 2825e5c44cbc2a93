#!/usr/bin/env bash
# `make gen KERNEL=<release> [GEN='...']`: gen for a Debian kernel of any
# Debian release, run where that kernel builds (as `make KERNEL=` builds
# it): from here when its headers are installed, or are fetched for this
# machine's Debian release or an older one (with that release's gcc-N in
# the fetched tree, on PATH); inside a build root of a newer Debian release
# (bindings/mk/debian-root.sh), with its headers and libclang installed
# there. The sets are written into this checkout (mounted in the root).
#
# usage: gen-root.sh RELEASE [GEN-ARGS...]   (default GEN-ARGS: RELEASE)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
release=${1:?usage: make gen KERNEL=<release> (see make kernels)}
shift
[ $# -gt 0 ] || set -- "$release"
mk=$repo/bindings/mk
cache=$(ko_cache)
die() { echo "make gen KERNEL=$release: $*" >&2; exit 1; }

if [ -f "/lib/modules/$release/build/include/generated/utsrelease.h" ]; then
    exec cargo run --quiet --manifest-path "$repo/Cargo.toml" -p gen -- "$@"
fi
# Fetched headers (debian-headers.sh): of this machine's Debian release,
# or of an older one with its compiler in the tree's usr/bin; or, for a
# newer release, `root ROOT KDIR`.
kdir=$(KO_FACTS=$(ko_facts_tool) bash "$mk/debian-headers.sh" "$cache" "$release" 2>&1) ||
    die "${kdir#make KERNEL="$release": }"
if [ "${kdir%% *}" != root ]; then
    PATH=$kdir/../../bin:$PATH exec cargo run --quiet --manifest-path "$repo/Cargo.toml" -p gen -- \
        "$@" --search "$(dirname "$kdir")"
fi
read -r _ root _ <<<"$kdir"
# gen loads libclang at run time; bindgen's clang is the root's.
# (The headers are there: debian-headers.sh put them in, installed or,
# for a cross-built kernel, extracted.)
root=$(bash "$mk/debian-root.sh" "$cache" "$(basename "$root")" libclang-dev 2>&1) ||
    die "${root#debian-root: }"
# This machine's gen runs in the root: built once here (gen-check's build
# is reused), it loads the root's libclang and calls the root's compiler,
# and the root's Debian release is newer than this one, so its libc runs
# it. (Compiling gen with the root's cargo cost 200 s of CPU per root.)
cargo build --quiet --manifest-path "$repo/Cargo.toml" -p gen || die "cannot build gen (cargo build -p gen)"
target=$(cargo metadata --quiet --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[ -x "$target/debug/gen" ] || die "cargo build -p gen left no $target/debug/gen"
bash "$mk/root-make.sh" "$root" "$repo" "$target/debug" -- "$target/debug/gen" "$@"
