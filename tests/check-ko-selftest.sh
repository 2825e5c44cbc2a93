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
echo "check-ko selftest: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
