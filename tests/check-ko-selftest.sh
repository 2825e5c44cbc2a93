#!/usr/bin/env bash
# Proves scripts/check-ko.sh can fail: each fixture object breaks one rule
# and must be rejected with the matching message; a clean one must pass.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ibt" "$work/noibt"
echo 'CONFIG_X86_KERNEL_IBT=y' >"$work/ibt/.config"
echo '# CONFIG_X86_KERNEL_IBT is not set' >"$work/noibt/.config"

entry='.text
.globl init_module, cleanup_module
init_module: endbr64
.Linit: ret
cleanup_module: endbr64
ret'

fixture() { # name body
    printf '%s\n%s\n' "$entry" "$2" >"$work/$1.s"
    as -o "$work/$1.ko" "$work/$1.s"
}
fixture clean ''
fixture sse 'movaps %xmm0, %xmm1'
fixture x87 'fldz'
fixture got 'movq some_symbol@GOTPCREL(%rip), %rax'
fixture sealed '.section .ibt_endbr_seal, "a"
.long init_module - .'
# objtool's form: section + offset (cleanup_module is at .text + 5).
fixture sealed_offset '.section .ibt_endbr_seal, "a"
.long .text + 5 - .'
printf '.text\n.globl init_module, cleanup_module\ninit_module: nop\nret\ncleanup_module: endbr64\nret\n' >"$work/noendbr.s"
as -o "$work/noendbr.ko" "$work/noendbr.s"
echo 'foo.o: warning: objtool: bar(): unannotated intra-function call' >"$work/objtool.log"

# arm64 (check-ko-arm64.sh): a BTI kernel, a pointer-auth-only one, a plain one.
mkdir -p "$work/bti" "$work/pac" "$work/plain64"
printf 'CONFIG_ARM64_BTI_KERNEL=y\nCONFIG_ARM64_PTR_AUTH_KERNEL=y\n' >"$work/bti/.config"
echo 'CONFIG_ARM64_PTR_AUTH_KERNEL=y' >"$work/pac/.config"
echo '# CONFIG_ARM64_PTR_AUTH_KERNEL is not set' >"$work/plain64/.config"
fixture64() { # name init-body [more]
    printf '.text\n.globl init_module, cleanup_module\ninit_module:\n%s\nret\ncleanup_module:\nbti c\nret\n%s\n' "$2" "${3:-}" >"$work/$1.s"
    aarch64-linux-gnu-as -march=armv8.5-a -o "$work/$1.ko" "$work/$1.s"
}
fixture64 clean64 'paciasp
autiasp'
fixture64 fp64 'paciasp
fmul d0, d0, d1
autiasp'
fixture64 got64 'paciasp
adrp x0, :got:some_symbol
ldr x0, [x0, :got_lo12:some_symbol]
autiasp'
fixture64 nopad64 'nop'

passed=0 failed=0
expect() { # fixture kdir expected-message [log]
    local out
    if out=$("$here/scripts/check-ko.sh" "$work/$1.ko" "$work/$2" ${4:+"$work/$4"} 2>&1); then
        [ -z "$3" ] && { passed=$((passed + 1)); return; }
        echo "FAIL: check-ko accepted $1 (expected: $3)"
    elif [ -n "$3" ] && grep -q "$3" <<<"$out"; then
        passed=$((passed + 1)); return
    else
        echo "FAIL: $1: expected '${3:-success}', got: $out"
    fi
    failed=$((failed + 1))
}
expect clean ibt ''
expect clean noibt ''
expect sse noibt 'FPU/SIMD'
expect x87 noibt 'FPU/SIMD'
expect got noibt 'GOT relocations'
expect noendbr ibt 'init_module starts with'
expect noendbr noibt ''
expect sealed ibt 'sealed the ENDBR of init_module'
expect sealed_offset ibt 'sealed the ENDBR of cleanup_module'
expect clean noibt 'objtool: 1 warning' objtool.log
expect clean64 bti ''
expect clean64 pac ''
expect fp64 pac 'FP/SIMD'
expect got64 pac 'R_AARCH64_ADR_GOT_PAGE'
expect nopad64 bti 'init_module starts with'
expect nopad64 pac 'no paciasp'
expect nopad64 plain64 ''
echo "check-ko selftest: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
