#!/usr/bin/env bash
# Bad input to `make` stops at once with one line naming the problem and
# the fix, and builds nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
real_kdir=/lib/modules/$(. "$here/scripts/lib.sh"; release_of linux-headers-amd64)/build

# A header tree configured for an architecture without support (x86_64
# and arm64 have it): riscv.
mkdir -p "$work/riscv/include/generated" "$work/riscv/include/config"
echo '#define UTS_RELEASE "6.1.0-99-riscv64"' >"$work/riscv/include/generated/utsrelease.h"
printf 'CONFIG_RISCV=y\nCONFIG_64BIT=y\n' | tee "$work/riscv/.config" >"$work/riscv/include/config/auto.conf"
mkdir -p "$work/riscv/include/generated/uapi/linux"
echo '#define LINUX_VERSION_CODE 393472' >"$work/riscv/include/generated/uapi/linux/version.h"
# An arm64 header tree whose cross compiler (gcc-99) is not installed.
mkdir -p "$work/arm64/include/generated/uapi/linux" "$work/arm64/include/config"
echo '#define UTS_RELEASE "6.1.0-99-arm64"' >"$work/arm64/include/generated/utsrelease.h"
printf 'CONFIG_ARM64=y\nCONFIG_64BIT=y\n' | tee "$work/arm64/.config" >"$work/arm64/include/config/auto.conf"
echo '#define LINUX_VERSION_CODE 393472' >"$work/arm64/include/generated/uapi/linux/version.h"
# shellcheck disable=SC2016 # make's variable, as Debian's trees write it
echo 'CC = $(CROSS_COMPILE)gcc-99' >"$work/arm64/.kernelvariables"
# A toolchain without rust-src.
mkdir -p "$work/rust/bin" "$work/rust/sysroot"
# shellcheck disable=SC2016 # the fake rustc expands $1 itself
printf '#!/bin/sh\n[ "$1" = --print ] && echo %s/rust/sysroot\n' "$work" >"$work/rust/bin/rustc"
cp "$work/rust/bin/rustc" "$work/rust/bin/cargo"
chmod +x "$work/rust/bin/"*
# A real header tree whose compiler, gcc-10, is not installed: a copy of the
# arch-specific directory (its Makefile includes the -common tree by absolute
# path) with its relative scripts/tools links made absolute.
cp -a "$(readlink -f "$real_kdir")" "$work/nocc"
for link in scripts tools; do
    if [ -L "$work/nocc/$link" ]; then ln -sfn "$(readlink -f "$real_kdir/$link")" "$work/nocc/$link"; fi
done
sed -i '/^CC\b/s/gcc-[0-9]*/gcc-10/' "$work/nocc/.kernelvariables"

passed=0 failed=0
expect() { # description expected-text make-args...
    local what=$1 want=$2 out
    shift 2
    if out=$(make -C "$here" --no-print-directory KMOD_BUILD="$work/build" KMOD_OUT="$work" "$@" 2>&1); then
        echo "FAIL: $what: make succeeded"; failed=$((failed + 1)); return
    fi
    if [ "$(grep -c '\*\*\*' <<<"$out")" -ne 1 ] || ! grep -qF -- "$want" <<<"$out"; then
        echo "FAIL: $what: expected one error line with '$want', got:"; echo "$out"
        failed=$((failed + 1)); return
    fi
    if [ -e "$work/build" ] || [ -e "$work/hello.ko" ]; then
        echo "FAIL: $what: left output behind"; failed=$((failed + 1)); return
    fi
    passed=$((passed + 1))
}
expect "missing KDIR" "sudo apt-get install linux-headers-0.0.0-none" KDIR=/lib/modules/0.0.0-none/build
expect "not a header tree" "is not a prepared kernel header tree" KDIR="$work"
expect "other arch" "is for riscv (6.1.0-99-riscv64); only x86_64 and arm64" KDIR="$work/riscv"
expect "no cross compiler" "aarch64-linux-gnu-gcc-99, which is not installed: sudo apt-get install gcc-99-aarch64-linux-gnu" \
    KDIR="$work/arm64"
expect "ARCH vs arm64 tree" "ARCH=x86 does not match KDIR=$work/arm64, an arm64 tree (6.1.0-99-arm64): make ARCH=arm64" \
    KDIR="$work/arm64" ARCH=x86
expect "ARCH vs x86 tree" "ARCH=arm64 does not match KDIR=$real_kdir, an x86 tree" KDIR="$real_kdir" ARCH=arm64
expect "no rustc" "no rustc at RUST_ROOT=$work/none" KDIR="$real_kdir" RUST_ROOT="$work/none"
expect "no rust-src" "has no rust-src" KDIR="$real_kdir" RUST_ROOT="$work/rust"
if command -v gcc-10 >/dev/null; then
    echo "skipped: compiler not installed (gcc-10 is installed)"
else
    expect "compiler not installed" "gcc-10: not found): sudo apt-get install gcc-10" KDIR="$work/nocc"
fi
echo "make errors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
