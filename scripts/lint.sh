#!/usr/bin/env bash
# The lint gate: rustfmt --check (the workspace and the out-of-tree
# template), clippy for the host crates, and clippy for the kernel target
# (`make clippy`: every crate of a module build, kernel-only modules
# included) once per supported kernel series, so that the
# `cfg(kernel_at_least = ...)` branches of each are checked. clippy runs with
# `-D warnings` and the workspace's lints (root Cargo.toml): among them
# `unsafe_op_in_unsafe_fn` and `clippy::undocumented_unsafe_blocks`.
# Ends with "lint: N passed, N failed".
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$repo" || exit 1

out=build/lint
rm -rf "$out"
mkdir -p "$out"
passed=0 failed=0

summaries=()
check() { step "$@"; }

# Host side: the rustup toolchain on PATH, as `make test`'s host tests.
check fmt cargo fmt --all --check -- --color never
# (Its own workspace: only the template's crate, not the path dependencies.)
check fmt/out-of-tree cargo fmt --check --manifest-path examples/out-of-tree/Cargo.toml -- --color never
check clippy/host cargo clippy -p gen -p kernel-tree -p kernel --all-targets -- -D warnings

# Kernel side: RUST_ROOT's toolchain and clippy (see the Makefile's
# `clippy` goal), one header tree per kernel series (the first listed in
# kernels.txt: the series' cfgs are the same for every flavor).
series_seen=" "
for rel in $(supported_releases); do
    series=$(ko_facts get series "/lib/modules/$rel/build")
    case $series_seen in *" $series "*) continue ;; esac
    series_seen="$series_seen$series "
    check "clippy/kernel/$rel" make --no-print-directory clippy KDIR="/lib/modules/$rel/build"
done
# The matrix kernels built on this host (an older Debian release's, with
# its own compiler; not those in build roots, whose clippy is the root's):
# every flavor, for the flavor cfgs of their series (5.10's RT locking).
while read -r rel _; do
    case $(kernel_tree "$rel") in "$(ko_cache)"/roots/*) continue ;; esac
    check "clippy/kernel/$rel" make --no-print-directory clippy KERNEL="$rel"
done < <(matrix_releases)
if [ "$series_seen" = " " ]; then
    failed=$((failed + 1))
    echo "FAIL  clippy/kernel: no supported kernel headers installed (make setup)"
fi

echo "lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
