#!/usr/bin/env bash
# Keeps OUT, the make fragment's facts about a kernel tree and its set, up to
# date: rewritten by ko-facts (kernel-tree/tool/ko-facts.rs, compiled by
# ko-facts.sh once per toolchain and source into CACHE/tools) when it is
# missing or older than a file it was made from (its KO_FACTS_INPUTS line)
# or than the tool's sources. Otherwise it runs nothing, so a no-op make
# stays fast. When the set has layout variants to pick from
# (KO_SET_CANDIDATES), their layout proofs pick (prove-sets.sh, once per
# kernel tree and sets), and ko-facts writes the facts with that set.
#
# usage: facts.sh OUT RUSTC KERNEL_TREE_CRATE CACHE ko-facts-make-args...
set -eu
out=$1 rustc=$2 crate=$3 cache=$4
shift 4
sources=$(echo "$crate"/tool/*.rs "$crate"/src/*.rs)
if [ -f "$out" ]; then
    fresh=1
    # shellcheck disable=SC2046 # paths without spaces, one word each
    for f in $sources $(sed -n 's/^KO_FACTS_INPUTS := //p' "$out"); do
        if [ ! -e "$f" ] || [ "$f" -nt "$out" ]; then
            fresh=
            break
        fi
    done
    [ -z "$fresh" ] || exit 0
fi
tool=$(sh "$(dirname "$0")/ko-facts.sh" "$rustc" "$crate" "$cache")
mkdir -p "$(dirname "$out")"
"$tool" make "$@" >"$out.$$"
candidates=$(sed -n 's/^KO_SET_CANDIDATES := //p' "$out.$$")
if [ -n "$candidates" ]; then
    # shellcheck disable=SC2086 # one word per set directory
    proven=$(sh "$(dirname "$0")/prove-sets.sh" "$out.$$" "$1" "$out.prove" $candidates)
    "$tool" make "$@" --proven "$proven" >"$out.$$"
    rm -rf "$out.prove"
fi
mv "$out.$$" "$out"
