#!/usr/bin/env bash
# `make kernels` and `make KERNEL=<release>`: Debian's archive as the build
# sees it. Every Debian release has kernels listed and the installed one is
# served by its set; an unknown release names the nearest; an older point
# release of the installed 6.1 amd64 kernel (the newest one older than the
# installed one that the archive still has) is built from headers fetched
# from the archive, and a backports kernel of a series whose set was made
# from another Debian release in a build root: each either passes the
# layout proof and loads in that very kernel in QEMU, or is refused by the
# proof. Needs the network (Debian's archive) and, for the root, root;
# nothing here names an ABI number.
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
expect_error both "not both" KERNEL="$installed" KDIR=/nonexistent

# build_and_load NAME RELEASE SET: make KERNEL=RELEASE either builds with
# SET, passes its layout proof and loads in that very kernel in QEMU, or is
# refused by the layout proof; anything else fails.
build_and_load() {
    local name=$1 rel=$2 set=$3 log=$work/$1.log
    rm -f "$work/hello.ko"
    if m KERNEL="$rel" KO_TARGET="$work/target-$name" >"$log" 2>&1; then
        if grep -q "BINDINGS $set: " "$log" && grep -q "LAYOUT .* match kernel $rel" "$log"; then
            ok "$name/$rel/build" "$(grep LAYOUT "$log" | sed 's/^ *//')"
        else
            bad "$name/$rel/build" "built without the $set set's proof: $(grep -E 'BINDINGS|LAYOUT' "$log" | paste -sd' ')"
            return
        fi
        printf 'insmod hello.ko && rmmod hello\n' >"$work/load.sh"
        if scripts/vm-run.sh "$rel" "$work/load.sh" "$work/hello.ko" >"$work/$name-vm.log" 2>&1 &&
            scripts/vm-check-log.sh "$work/$name-vm.log" 'hello: init' 'hello from rust' 'hello: exit' >"$work/$name-check.log" 2>&1; then
            ok "$name/$rel/vm" "hello loaded and unloaded in $rel"
        else
            bad "$name/$rel/vm" "$(tail -n3 "$work/$name-check.log" "$work/$name-vm.log" | paste -sd' ')"
        fi
    elif grep -qE "layout mismatch|do not exist in kernel $rel" "$log" && [ ! -e "$work/hello.ko" ]; then
        ok "$name/$rel/refused" "$(grep -m1 -E "^error: [0-9]+ " "$log" | cut -c1-150)"
    else
        bad "$name/$rel" "neither built nor refused by the layout proof: $(tail -n3 "$log" | paste -sd' ')"
    fi
}

# 3. An older point release of the installed kernel, from the archive.
older=$(awk '{ print $1 }' "$work/kernels" | grep -E '^6\.1\.[0-9]+-[0-9]+-amd64$' | sort -V |
    awk -v r="$installed" '$1 == r { print prev; exit } { prev = $1 }')
if [ -n "$older" ]; then
    build_and_load older "$older" 6.1-amd64
else
    ok older "skipped: the archive has no 6.1 amd64 release older than $installed"
fi

# 4. A kernel of a covered series from another Debian release than the one
#    its set was made from: a backports kernel (its build root) whose set is
#    committed but made from a different release, newest first (e.g.
#    trixie-backports' 7.2, served by the 7.2 set made from unstable's).
#    The matrix of make test builds each set's newest release already.
matrix=$(matrix_releases | awk '{ print $1 }')
other=$(awk '$2 ~ /-backports$/ { print $1 }' "$work/kernels" | grep -E -- '-amd64$' | grep -vxF -e "$matrix" |
    ko_facts releases | sort -V | while read -r rel _ _ set; do
        [ -f "bindings/sets/$set/meta.toml" ] && [ "$(ko_facts set release "bindings/sets/$set")" != "$rel" ] &&
            echo "$rel $set"
    done | tail -n1)
if [ -z "$other" ]; then
    ok backports "skipped: no backports kernel of a committed set's series is listed"
elif [ "$(id -u)" -ne 0 ]; then
    expect_error backports/not-root "needs root" KERNEL="${other% *}"
else
    build_and_load backports "${other% *}" "${other#* }"
fi

echo "kernels: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
