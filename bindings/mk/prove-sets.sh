#!/bin/sh
# Picks among a set's layout variants (see sets/README.md) for a kernel by
# the proof itself: compiles each candidate's layout.c with the kernel's
# Kbuild (as module objects, like module.kbuild's ko_layout.o) and prints
# the name of the first, in the order given, whose values all match its
# layout.txt (check-layout.sh); `none` if no candidate fits.
#
# usage: prove-sets.sh FACTS KDIR WORK SET_DIR...
#   FACTS: ko-facts' make output for KDIR (its Kbuild ARCH, cross prefix,
#   release and shim directory); WORK: a scratch directory, emptied first.
set -eu
facts=$1 kdir=$2 work=$3
shift 3
here=$(dirname "$0")
fact() { sed -n "s/^$1 := //p" "$facts"; }
arch=$(fact KO_KBUILD_ARCH) release=$(fact KO_RELEASE) shim=$(fact KO_SHIM_DIR)
cross=${CROSS_COMPILE:-$(fact KO_CROSS_COMPILE)}

rm -rf "$work"
mkdir -p "$work"
echo "ccflags-y += -I$shim" >"$work/Kbuild"
i=0
for dir in "$@"; do
    i=$((i + 1))
    echo "#include \"$dir/layout.c\"" >"$work/set$i.c"
    printf 'obj-m += set%d.o\nCFLAGS_set%d.o := -g0\n' "$i" "$i" >>"$work/Kbuild"
done
# Nearest first, as many at a time as there are cores: the first batch
# nearly always holds the one that fits. -k: a candidate naming items these
# headers lack fails to compile, the others of its batch still do (their
# errors are the proof's to report, for the one the build goes on with).
jobs=$(nproc 2>/dev/null || echo 2)
first=1
while [ "$first" -le $# ]; do
    last=$((first + jobs - 1))
    [ "$last" -le $# ] || last=$#
    objects=$(seq "$first" "$last" | sed 's/.*/set&.o/')
    # shellcheck disable=SC2086 # one word per object
    make --no-print-directory -k -j"$jobs" -C "$kdir" M="$work" \
        ARCH="$arch" CROSS_COMPILE="$cross" $objects >>"$work/kbuild.log" 2>&1 || true
    i=0
    for dir in "$@"; do
        i=$((i + 1))
        if [ "$i" -lt "$first" ] || [ "$i" -gt "$last" ]; then continue; fi
        if [ -f "$work/set$i.o" ] && OBJCOPY="${cross}objcopy" \
            sh "$here/check-layout.sh" "$work/set$i.o" "$dir/layout.txt" "$kdir" "$release" >/dev/null 2>&1; then
            basename "$dir"
            exit 0
        fi
    done
    first=$((last + 1))
done
echo none
