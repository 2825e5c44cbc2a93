#!/bin/bash
# Usage: scripts/vm-check-log.sh [--allow ERE]... LOGFILE EXPECTED_LINE...
# Checks a console log written by vm-run.sh. Only the kernel log section (what the
# kernel logged after boot) counts. Passes iff the VM reached its end marker, the snippet
# exited 0, each EXPECTED_LINE is the exact text of a kernel message (timestamp
# removed), in the given order, and no message looks like a kernel warning or crash.
# --allow ERE: a message (timestamp removed) matching the extended regular expression
# ERE is not counted as a warning or crash, for tests that provoke one on purpose
# (e.g. --allow '^Call Trace:$' for a deliberate oops). Repeatable; keep it narrow.
set -euo pipefail

me=${0##*/}
allow=()
while [ $# -gt 0 ]; do
    case $1 in
        --allow) [ $# -ge 2 ] || { echo "$me: --allow needs a pattern" >&2; exit 2; }
            allow+=("$2"); shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: $me [--allow ERE]... LOGFILE EXPECTED_LINE..." >&2; exit 2; }
log=$1
shift
[ -r "$log" ] || { echo "$me: cannot read $log" >&2; exit 2; }

# Markers written by vm-run.sh's init script.
begin='==== kernel log begin ===='
end='==== kernel log end ===='
status_re='^==== vm-run: snippet exit status ([0-9]+) ====$'
done_marker='==== vm-run: end ===='

# A \r-free copy, in case the log went through something that kept them.
text=$(tr -d '\r' <"$log")

fail() {
    echo "$me: FAIL: $1" >&2
    echo "---- $2 ----" >&2
    printf '%s\n' "$3" | sed 's/^/| /' >&2
    echo "----" >&2
    exit 1
}

grep -qxF "$done_marker" <<<"$text" \
    || fail "end marker missing: the VM timed out, crashed or powered off early" \
        "last 40 lines of $log" "$(tail -n 40 <<<"$text")"

grep -qxF "$begin" <<<"$text" || fail "kernel log section missing" "last 40 lines of $log" "$(tail -n 40 <<<"$text")"
section=$(awk -v b="$begin" -v e="$end" '$0 == e { exit } on { print } $0 == b { on = 1 }' <<<"$text")

status=$(sed -nE "s/$status_re/\\1/p" <<<"$text" | tail -n 1)
if [ "$status" != 0 ]; then
    snippet_out=$(awk '/^==== vm-run: snippet end ====$/ { exit } on { print } /^==== vm-run: snippet begin ====$/ { on = 1 }' <<<"$text")
    fail "the snippet exited with status ${status:-unknown}" "snippet output, then kernel log" \
        "$snippet_out"$'\n'"$section"
fi

# Words as the kernel prints them for warnings, oopses, panics and bad module loads.
# The taint lines of unsigned out-of-tree modules match none of these.
# (arm64 words its oopses "Internal error: ...", "Call trace:", "Unable to
# handle kernel ...".)
bad='\b(WARNING|BUG|Oops)\b|Unpatched return thunk|bad vermagic|Unknown rela relocation|Call [Tt]race|general protection|[Kk]ernel panic|Internal error:|Unable to handle kernel|module: unsupported RELA relocation'
hits=$(grep -nE "$bad" <<<"$section" || true)
for ere in "${allow[@]}"; do
    # grep -n prefixes "N:"; the pattern applies to the message without its timestamp.
    hits=$(ERE=$ere awk '$0 != "" { m = $0; sub(/^[0-9]+:/, "", m); sub(/^\[ *[0-9]+\.[0-9]+\] /, "", m)
        if (m !~ ENVIRON["ERE"]) print }' <<<"$hits")
done
if [ -n "$hits" ]; then
    fail "kernel warning/error in the kernel log (line numbers within the section)" \
        "kernel log" "$hits"$'\n'"----"$'\n'"$section"
fi

# Expected lines: exact message text (after the "[   12.345678] " prefix), in order.
if [ $# -gt 0 ]; then
    if ! why=$(printf '%s\n' "$@" | awk '
        NR == FNR { want[++n] = $0; next }
        { sub(/^\[ *[0-9]+\.[0-9]+\] /, ""); seen[$0] = 1
          if (i < n && $0 == want[i + 1]) i++ }
        END {
            if (i == n) exit 0
            msg = "expected line " i + 1 "/" n " \"" want[i + 1] "\""
            if (want[i + 1] in seen) msg = msg " appears, but not after \"" want[i] "\""
            else msg = msg " not found"
            print msg; exit 1
        }' - <(printf '%s\n' "$section")); then
        fail "$why" "kernel log" "$section"
    fi
fi

echo "vm: $# expected lines found, no kernel warnings"
