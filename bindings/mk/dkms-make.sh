#!/bin/sh
# DKMS's build of a module (dkms.conf's MAKE[0], written by dkms.sh): the
# package's dkms.mk for the kernel at KDIR. When no committed binding set
# fits that kernel (none of its series and flavor, or the layout proof
# refuses the set and every variant), the set is generated at build time
# instead (REGEN=1, offline, from the vendored generator) if libclang is
# installed, and the log says so in one line; without libclang, one line
# names the package to install. Other failures are the build's own.
#
# usage: dkms-make.sh KDIR RELEASE   (in the package's source tree)
set -u
kdir=$1 release=$2
log=build/dkms-first.log
mkdir -p build
if make --no-print-directory -f dkms.mk KDIR="$kdir" >"$log" 2>&1; then
    cat "$log"
    exit 0
fi
why=$(grep -Eo '(no committed binding set for kernel [^;]*|[0-9]+ (of [0-9]+ layout )?items of set [^ ]+ (do not exist in|differ from) kernel [^;]*)' "$log" | head -n1)
if [ -z "$why" ] || [ "${REGEN:-}" = 1 ]; then
    cat "$log"
    exit 1
fi
# Where bindgen's clang-sys looks for libclang: LIBCLANG_PATH if set, else
# the library path and LLVM's directories.
if [ -n "${LIBCLANG_PATH:-}" ]; then
    found=$(ls "$LIBCLANG_PATH"/libclang*.so* 2>/dev/null)
else
    found=$(ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/*/libclang*.so* 2>/dev/null)
fi
if [ -z "$found" ]; then
    echo "dkms: no committed binding set fits kernel $release ($why), and generating one needs libclang: sudo apt-get install libclang-dev, then dkms install again"
    exit 1
fi
echo "dkms: no committed binding set fits kernel $release ($why): generating one at build time (REGEN=1, libclang)"
exec make --no-print-directory -f dkms.mk KDIR="$kdir" REGEN=1
