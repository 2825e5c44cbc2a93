#!/bin/sh
# Proves a binding set's layouts and constants against the target kernel:
# compares the values the kernel's own compiler computed (the .ko_layout
# array of OBJECT, compiled from the set's layout.c with the kernel's flags)
# with the values the set was generated with (layout.txt, same order).
#
# usage: check-layout.sh OBJECT LAYOUT_TXT KDIR RELEASE
#        check-layout.sh --compile-errors ERRORS LAYOUT_TXT KDIR RELEASE
#   The second form explains why layout.c did not compile: the set names
#   types, fields or constants these kernel headers do not have.
set -eu
mode=values
if [ "$1" = --compile-errors ]; then
    mode=errors
    shift
fi
object=$1 expected=$2 kdir=$3 release=$4
set_name=$(basename "$(dirname "$expected")")
fix="generate a set for this kernel: cargo run -p gen -- --kdir $kdir (or build with REGEN=1)"

if [ "$mode" = errors ]; then
    # gcc: "layout.c:123:5: error: 'struct task_struct' has no member named 'foo'"
    errors=$(sed -n 's/^.*layout\.c:[0-9:]* error: //p' "$object" | sort -u)
    if [ -z "$errors" ]; then
        cat "$object" >&2
        echo "error: layout check of set $set_name did not compile (compiler output above)" >&2
        exit 1
    fi
    printf '%s\n' "$errors" | head -20 | while IFS= read -r line; do
        echo "error: layout mismatch: set $set_name vs kernel $release: $line" >&2
    done
    echo "error: $(printf '%s\n' "$errors" | wc -l) items of set $set_name do not exist in kernel $release; $fix" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# OBJCOPY: Kbuild's, of the kernel's arch (a cross build's host objcopy
# may not read the object).
"${OBJCOPY:-objcopy}" -O binary --only-section=.ko_layout "$object" "$tmp/actual.bin"
od -An -v -tu8 -w8 "$tmp/actual.bin" | tr -d ' ' >"$tmp/actual"
grep -v '^#' "$expected" >"$tmp/expected"

have=$(wc -l <"$tmp/actual")
want=$(wc -l <"$tmp/expected")
if [ "$have" -ne "$want" ]; then
    echo "error: layout check of set $set_name: $want items expected, the compiled check has $have; $fix" >&2
    exit 1
fi

paste -d ' ' "$tmp/actual" "$tmp/expected" | awk -v set="$set_name" -v rel="$release" -v fix="$fix" '
    $1 != $2 {
        what = $4; for (i = 5; i <= NF; i++) what = what " " $i
        if (++bad <= 20)
            printf "error: layout mismatch: %s of %s: set %s says %s, kernel %s has %s\n", $3, what, set, $2, rel, $1 > "/dev/stderr"
    }
    END {
        if (bad) {
            printf "error: %d of %d layout items of set %s differ from kernel %s; %s\n", bad, NR, set, rel, fix > "/dev/stderr"
            exit 1
        }
        printf "  %-7s %d sizes, offsets and constants of set %s match kernel %s\n", "LAYOUT", NR, set, rel
    }'
