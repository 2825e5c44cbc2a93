#!/bin/sh
# Prints the path of the ko-facts tool (kernel-tree/tool/ko-facts.rs),
# compiling it with RUSTC into CACHE/tools first when that toolchain has not
# compiled these sources yet. The kernel-tree crate has no dependencies, so
# plain rustc builds it (about a second, once).
#
# usage: ko-facts.sh RUSTC KERNEL_TREE_CRATE CACHE
set -eu
rustc=$1 crate=$2 cache=$3
# shellcheck disable=SC2046 # one word per source file
key=$({ "$rustc" -vV && cat $(echo "$crate"/tool/*.rs "$crate"/src/*.rs); } | sha256sum | cut -c1-16)
tool=$cache/tools/ko-facts-$key
if [ ! -x "$tool" ]; then
    mkdir -p "$cache/tools"
    "$rustc" --edition 2021 -O --crate-name ko_facts -o "$tool.$$" "$crate/tool/ko-facts.rs"
    mv "$tool.$$" "$tool"
fi
echo "$tool"
