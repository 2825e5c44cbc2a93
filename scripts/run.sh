#!/usr/bin/env bash
# `make run`: builds hello.ko for Debian's default kernel (or KDIR, or any
# Debian kernel with KERNEL=<release>), boots
# that kernel in QEMU, loads and unloads the module, shows the kernel log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$repo"

if [ -n "${KERNEL:-}" ]; then
    # Any Debian kernel: its headers are fetched (or a build root made) by
    # the build, its image by vm-run.sh.
    rel=$KERNEL
    make --no-print-directory KERNEL="$KERNEL"
else
    if [ -n "${KDIR:-}" ]; then
        rel=$(tree_release "$KDIR" || true)
        [ -n "$rel" ] || { echo "run: KDIR=$KDIR is not a kernel header tree" >&2; exit 1; }
    else
        rel=$(release_of linux-headers-amd64)
        [ -n "$rel" ] || { echo "run: linux-headers-amd64 is not installed: make setup" >&2; exit 1; }
        KDIR=/lib/modules/$rel/build
    fi
    make --no-print-directory KDIR="$KDIR"
fi
ko=hello.ko
log=build/run-vm.log
printf 'insmod %s && rmmod hello\n' "$ko" >build/run-load.sh
echo "  QEMU    $rel: insmod hello.ko; rmmod hello"
scripts/vm-run.sh "$rel" build/run-load.sh "$ko" >"$log"
sed -n '/==== kernel log begin ====/,/==== kernel log end ====/p' "$log" | sed '1d;$d'
scripts/vm-check-log.sh "$log" 'hello: init' 'hello from rust' 'hello: exit'
