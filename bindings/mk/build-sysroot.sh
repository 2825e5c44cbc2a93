#!/usr/bin/env bash
# Builds `core`, `alloc` and `compiler_builtins` from the toolchain's rust-src
# with the kernel module's codegen flags, into a sysroot directory that
# `rustc --sysroot` accepts. Called by mk/kmod.mk when DEST is missing.
#
# usage: build-sysroot.sh RUSTC CARGO DEST TARGET [RUSTFLAG...]
#   TARGET: x86_64-unknown-none, aarch64-unknown-none-softfloat
#   OBJCOPY (env): objcopy for TARGET's objects (default objcopy)
set -euo pipefail

rustc=$1 cargo=$2 dest=$3 target=$4
shift 4

src=$("$rustc" --print sysroot)/lib/rustlib/src/rust/library
if [ ! -f "$src/core/src/lib.rs" ]; then
    echo "error: $rustc has no rust-src ($src is missing): sudo apt-get install rust-web-src, or set RUST_ROOT to a toolchain with rust-src" >&2
    exit 1
fi

mkdir -p "$(dirname "$dest")"
work=$(mktemp -d "$dest.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A throwaway crate whose only purpose is to make cargo build the standard
# library crates (-Zbuild-std) for the kernel target.
mkdir -p "$work/crate/src"
cat >"$work/crate/Cargo.toml" <<'TOML'
[package]
name = "sysroot"
version = "0.0.0"
edition = "2021"
[profile.release]
panic = "abort"
debug = 0
TOML
echo '#![no_std]' >"$work/crate/src/lib.rs"

# Offline: rust-src vendors the few crates.io dependencies of the library.
RUSTC="$rustc" RUSTC_BOOTSTRAP=1 RUSTFLAGS="$*" CARGO_TARGET_DIR="$work/target" \
    "$cargo" build --quiet --release --offline \
    --manifest-path "$work/crate/Cargo.toml" --target "$target" \
    -Zbuild-std=core,alloc,compiler_builtins -Zbuild-std-features= \
    --config 'source.crates-io.replace-with="rust-src-vendor"' \
    --config "source.rust-src-vendor.directory=\"$src/vendor\""

lib=$work/sysroot/lib/rustlib/$target/lib
mkdir -p "$lib"
for crate in core alloc compiler_builtins; do
    cp "$work/target/$target/release/deps/lib$crate"-*.rlib "$lib/"
done

# compiler_builtins always defines weak mem* functions on "-none" targets;
# hide them so modules call the kernel's exported, optimised versions.
for f in "$lib"/libcompiler_builtins-*.rlib; do
    "${OBJCOPY:-objcopy}" --localize-symbol=memcpy --localize-symbol=memmove \
        --localize-symbol=memset --localize-symbol=memcmp \
        --localize-symbol=bcmp --localize-symbol=strlen "$f"
done

printf '%s\n' "$("$rustc" -V)" "$target" "$*" >"$work/sysroot/flags"
# Atomic publish: another build may have finished the same sysroot first.
mv -T "$work/sysroot" "$dest" 2>/dev/null || [ -f "$dest/flags" ]
