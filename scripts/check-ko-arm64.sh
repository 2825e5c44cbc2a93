#!/usr/bin/env bash
# check-ko.sh for arm64 modules: kernel-safe code generation, proven from
# the .ko itself (QEMU would also run code a real CPU's BTI or a kernel
# with live FP state punishes later).
#
# usage: check-ko-arm64.sh KO KDIR
#   OBJDUMP, READELF (env): binutils for aarch64 (default aarch64-linux-gnu-*)
set -euo pipefail

ko=$1 kdir=$2
name=$(basename "$ko")
objdump=${OBJDUMP:-aarch64-linux-gnu-objdump}
readelf=${READELF:-aarch64-linux-gnu-readelf}
command -v "$objdump" >/dev/null ||
    { echo "check-ko: $objdump not found: sudo apt-get install binutils-aarch64-linux-gnu" >&2; exit 1; }
fail=0
bad() { echo "check-ko: $name: $*" >&2; fail=1; }
config() { grep -q "^$1=y" "$kdir/.config"; }

# Instructions only (symbol names in <...> dropped: they may look like registers).
disasm=$("$objdump" -d --no-show-raw-insn "$ko")
insns=$(sed -n 's/<[^>]*>//g; s/^ *[0-9a-f]*:\t//p' <<<"$disasm")

# 1. No FP/SIMD: kernel code runs with the user's FP state live, so no
# v/q/d/s/h/b register, and no FP control register access.
fpu=$(grep -E '(^|[ ,{\[])[vqdshb][0-9]{1,2}([ ,.}\]]|$)|\bfp(cr|sr)\b' <<<"$insns" || true)
[ -z "$fpu" ] || bad "FP/SIMD code:$(printf '%s\n' "$fpu" | head -5 | sed 's/^/\n  /')"

# 2. Only relocations the arm64 module loader applies (apply_relocate_add):
# no GOT (ADR_GOT_PAGE, LD64_GOT_LO12_NC), TLS or dynamic ones. Debug
# sections are not loaded.
ok='ABS(64|32|16)|PREL(64|32|16)|MOVW_(UABS|SABS|PREL)_G[0-3](_NC)?|LD_PREL_LO19|ADR_PREL_LO21|ADR_PREL_PG_HI21(_NC)?|ADD_ABS_LO12_NC|LDST(8|16|32|64|128)_ABS_LO12_NC|TSTBR14|CONDBR19|JUMP26|CALL26|NONE'
relocs=$("$readelf" -rW "$ko" | awk '/^Relocation section/ { on = $3 !~ /debug/; next } on && $3 ~ /^R_AARCH64_/ { print $3, $5 }')
rejected=$(grep -Ev "^R_AARCH64_($ok) " <<<"$relocs" || true)
[ -z "$rejected" ] || bad "relocations the module loader rejects: $(awk '{ print $1 }' <<<"$rejected" | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }') (e.g. against $(awk '{ print $2; exit }' <<<"$rejected"))"

# 3. The entry points, called indirectly by the module loader: with BTI
# they must start with a landing pad (`bti c`, or paciasp, which is one);
# with kernel pointer authentication they sign their return address.
first_of() { awk -v fn="<$1>:" '$2 == fn { getline; sub(/^ *[0-9a-f]+:\t/, ""); print; exit }' <<<"$disasm"; }
for fn in init_module cleanup_module; do
    first=$(first_of "$fn")
    [ -n "$first" ] || { bad "no $fn"; continue; }
    if config CONFIG_ARM64_BTI_KERNEL; then
        [[ $first =~ ^(bti[[:space:]]+j?c|paciasp) ]] || bad "$fn starts with '$first', not a BTI landing pad (bti c, paciasp)"
    fi
done
if config CONFIG_ARM64_PTR_AUTH_KERNEL; then
    signed=$(grep -cE '^(paciasp|pacibsp)' <<<"$insns" || true)
    [ "$signed" -gt 0 ] || bad "no paciasp: the kernel signs return addresses (ARM64_PTR_AUTH_KERNEL), this module does not"
fi

[ "$fail" -eq 0 ] || exit 1
checked="no FP/SIMD, only relocations the module loader applies"
! config CONFIG_ARM64_BTI_KERNEL || checked="$checked, BTI landing pads at the entry points"
! config CONFIG_ARM64_PTR_AUTH_KERNEL || checked="$checked, return addresses signed ($signed paciasp)"
echo "check-ko: $name: $checked"
