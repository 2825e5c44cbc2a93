#!/usr/bin/env bash
# `make test`: builds hello.ko for every supported kernel from scratch
# (toolchain cache aside), checks each .ko statically, boots each kernel in
# QEMU and loads the module. Ends with "N passed, N failed".
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$repo" || exit 1

out=build/test
rm -rf "$out"
mkdir -p "$out"
passed=0 failed=0

# run NAME COMMAND...: one test; its output goes to $out/NAME.log and is
# shown when it fails.
run() {
    local name=$1 log="$out/$1.log"
    shift
    mkdir -p "$(dirname "$log")"
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        case $name in
            static/* | vm/*) echo "ok    $name: $(tail -n1 "$log")" ;;
            *) echo "ok    $name" ;;
        esac
    else
        failed=$((failed + 1))
        echo "FAIL  $name (log: $log)"
        tail -40 "$log" | sed 's/^/      /'
    fi
}

run check-ko-selftest tests/check-ko-selftest.sh
run make-errors tests/make-errors.sh

for rel in $(supported_releases); do
    kdir=/lib/modules/$rel/build
    # A fresh build directory: objtool only speaks when the module is linked.
    build=$out/$rel
    ko=$build/$rel/kernel/kbuild/hello.ko
    run "build/$rel" make --no-print-directory KDIR="$kdir" KMOD_BUILD="$build" KMOD_OUT="$build"
    run "static/$rel" scripts/check-ko.sh "$ko" "$kdir" "$out/build/$rel.log"
    echo 'insmod hello.ko && rmmod hello' >"$build/load.sh"
    run "vm/$rel" sh -c "scripts/vm-run.sh '$rel' '$build/load.sh' '$ko' >'$build/vm.log' &&
        scripts/vm-check-log.sh '$build/vm.log' 'hello: init' 'hello from rust' 'hello: exit'"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
