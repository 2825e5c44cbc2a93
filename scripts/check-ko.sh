#!/usr/bin/env bash
# Static checks on a built module: kernel-safe code generation, proven from
# the .ko itself rather than from "it loaded in QEMU" (QEMU's TCG does not
# enforce IBT, and FPU misuse only corrupts user state).
#
# usage: check-ko.sh KO KDIR [BUILD_LOG]
#   BUILD_LOG: the Kbuild output of that build; objtool warnings there fail.
set -euo pipefail

ko=$1 kdir=$2 log=${3:-}
# arm64 modules have checks of their own (BTI, pointer auth, arm64 relocations).
if readelf -h "$ko" 2>/dev/null | grep -q 'Machine: *AArch64'; then
    exec "$(dirname "$0")/check-ko-arm64.sh" "$ko" "$kdir"
fi
name=$(basename "$ko")
fail=0
bad() { echo "check-ko: $name: $*" >&2; fail=1; }

disasm=$(objdump -d --no-show-raw-insn "$ko")

# 1. objtool is quiet. (It only sees Rust code in IBT builds; see README.)
if [ -n "$log" ]; then
    warnings=$(grep -c 'warning: objtool' "$log" || true)
    [ "$warnings" -eq 0 ] || bad "objtool: $warnings warning(s):$(grep 'warning: objtool' "$log" | sed 's/^/\n  /')"
fi

# 2. No FPU/SIMD state touched: no x87/MMX/SSE/AVX register and no x87 or
# SIMD-control instruction in any code section.
fpu=$(grep -E '%([xyz]mm[0-9]|mm[0-9]|st\b|st\()|^\s+[0-9a-f]+:\s+(f[a-z0-9]+|emms|femms|ldmxcsr|stmxcsr|vldmxcsr|vstmxcsr|xsave[a-z0-9]*|xrstor[a-z0-9]*)\b' <<<"$disasm" || true)
[ -z "$fpu" ] || bad "FPU/SIMD code:$(printf '%s\n' "$fpu" | head -5 | sed 's/^/\n  /')"

# 3. No GOT-relative relocations (the module loader rejects them).
got=$(readelf -rW "$ko" | grep -E 'R_X86_64_[A-Z_]*GOT' || true)
[ -z "$got" ] || bad "GOT relocations:$(printf '%s\n' "$got" | head -5 | sed 's/^/\n  /')"

# 4. With IBT, the entry points start with ENDBR and objtool did not seal
# them (they are called indirectly by the module loader).
if grep -q '^CONFIG_X86_KERNEL_IBT=y' "$kdir/.config"; then
    for fn in init_module cleanup_module; do
        # (awk exits early: no pipe into it, or pipefail reports SIGPIPE.)
        first=$(awk -v fn="<$fn>:" '$2 == fn { getline; print $2; exit }' <<<"$disasm")
        [ "$first" = endbr64 ] || bad "$fn starts with '${first:-nothing}', not endbr64"
    done
    # objtool lists the ENDBRs to seal as relocations against "section + offset".
    sealed=$(readelf -rW "$ko" | awk '/^Relocation section/ { on = index($0, "'"'"'.rela.ibt_endbr_seal'"'"'") > 0; next }
        on && NF >= 7 { print $5, $7 }')
    for fn in init_module cleanup_module; do
        read -r value ndx < <(readelf -sW "$ko" | awk -v fn="$fn" '$8 == fn { print $2, $7 }')
        section=$(readelf -SW "$ko" | sed -n "s/^ *\[ *$ndx\] \([^ ]*\) .*/\1/p")
        while read -r sym addend; do
            [ -n "$sym" ] || continue
            if [ "$sym" = "$fn" ] || { [ "$sym" = "$section" ] && [ $((16#$addend)) -eq $((16#$value)) ]; }; then
                bad "objtool sealed the ENDBR of $fn: the kernel's indirect call to it would fault"
            fi
        done <<<"$sealed"
    done
fi

[ "$fail" -eq 0 ] || exit 1
checked="no FPU/SIMD, no GOT relocations"
[ -z "$log" ] || checked="objtool quiet, $checked"
! grep -q '^CONFIG_X86_KERNEL_IBT=y' "$kdir/.config" || checked="$checked, ENDBR on unsealed entry points"
echo "check-ko: $name: $checked"
