#!/usr/bin/env bash
# `make kernels` and `make KERNEL=<release>`: Debian's archive as the build
# sees it. Every Debian release has kernels listed and the installed one is
# served by its set; an unknown release names the nearest; a kernel of
# another Debian release says what it needs; and an older point release of
# the installed 6.1 amd64 kernel (whichever the archive still has: the
# newest one older than the installed one) is built from headers fetched
# from the archive, with the series' set, then either passes the layout
# proof and loads in that very kernel in QEMU, or is refused by the proof.
# Needs the network (Debian's archive); nothing here names an ABI number.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"
cd "$repo" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
ok() { echo "ok    $1: $2"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1: $2"; failed=$((failed + 1)); }
m() { make --no-print-directory KMOD_BUILD="$work/build" KMOD_OUT="$work" "$@"; }

# 1. The list: every Debian release of debian-suites.txt has kernels.
if m kernels >"$work/kernels" 2>&1; then
    for codename in bullseye bookworm trixie sid; do
        n=$(awk -v c="$codename" '$2 == c || index($2, c "-") == 1' "$work/kernels" | wc -l)
        if [ "$n" -gt 0 ]; then ok "list/$codename" "$n kernels"; else bad "list/$codename" "none listed"; fi
    done
else
    bad list "make kernels failed: $(tail -n1 "$work/kernels")"
fi
installed=$(release_of linux-headers-amd64)
line=$(awk -v r="$installed" '$1 == r' "$work/kernels")
case $line in
    *"6.1-amd64: identical kernel config"*"[installed]") ok "list/installed" "$line" ;;
    *) bad "list/installed" "expected $installed served by 6.1-amd64, got: ${line:-nothing}" ;;
esac

# expect_error NAME PATTERN MAKE-ARGS...: one *** line saying PATTERN, nothing built.
expect_error() {
    local name=$1 pattern=$2 out
    shift 2
    if out=$(m "$@" 2>&1); then
        bad "$name" "make succeeded"
    elif [ "$(grep -c '\*\*\*' <<<"$out")" -eq 1 ] && grep -q -- "$pattern" <<<"$out" && [ ! -e "$work/hello.ko" ]; then
        ok "$name" "$(grep -m1 -- "$pattern" <<<"$out" | cut -c1-150)"
    else
        bad "$name" "expected one error line with '$pattern', got: $out"
    fi
}

# 2. Bad input.
flavorless=${installed%-amd64}
expect_error unknown "no Debian kernel ${flavorless%-*}-9999-amd64 .*nearest: " KERNEL="${flavorless%-*}-9999-amd64"
other=$(awk '$2 ~ /^trixie/ { print $1; exit }' "$work/kernels")
expect_error other-release "a Debian trixie kernel" KERNEL="$other"
expect_error both "not both" KERNEL="$installed" KDIR=/nonexistent

# 3. An older point release of the installed kernel, from the archive.
older=$(awk '{ print $1 }' "$work/kernels" | grep -E '^6\.1\.[0-9]+-[0-9]+-amd64$' | sort -V |
    awk -v r="$installed" '$1 == r { print prev; exit } { prev = $1 }')
if [ -z "$older" ]; then
    ok older "skipped: the archive has no 6.1 amd64 release older than $installed"
elif m KERNEL="$older" KO_TARGET="$work/target" >"$work/older.log" 2>&1; then
    if grep -q "BINDINGS 6.1-amd64: " "$work/older.log" && grep -q "LAYOUT .* match kernel $older" "$work/older.log"; then
        ok "older/$older/build" "$(grep LAYOUT "$work/older.log" | sed 's/^ *//')"
        printf 'insmod hello.ko && rmmod hello\n' >"$work/load.sh"
        if scripts/vm-run.sh "$older" "$work/load.sh" "$work/hello.ko" >"$work/vm.log" 2>&1 &&
            scripts/vm-check-log.sh "$work/vm.log" 'hello: init' 'hello from rust' 'hello: exit' >"$work/check.log" 2>&1; then
            ok "older/$older/vm" "hello loaded and unloaded in $older"
        else
            bad "older/$older/vm" "$(tail -n3 "$work/check.log" "$work/vm.log" | paste -sd' ')"
        fi
    else
        bad "older/$older/build" "built without the 6.1-amd64 set's proof: $(grep -E 'BINDINGS|LAYOUT' "$work/older.log" | paste -sd' ')"
    fi
elif grep -qE "layout mismatch|do not exist in kernel $older" "$work/older.log" && [ ! -e "$work/hello.ko" ]; then
    ok "older/$older/refused" "$(grep -m1 -E "^error: [0-9]+ " "$work/older.log" | cut -c1-150)"
else
    bad "older/$older" "neither built nor refused by the layout proof: $(tail -n3 "$work/older.log" | paste -sd' ')"
fi

echo "kernels: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
