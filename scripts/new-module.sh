#!/usr/bin/env bash
# `make new NAME=foo [DIR=../foo]`: a module project of your own, outside
# this repository, from examples/out-of-tree: NAME's crate, its Makefile
# and a path dependency on this checkout's kernel crate. Then: cd DIR && make.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

die() { echo "make new: $*" >&2; exit 1; }

name=${1:-}
dir=${2:-}
[ -n "$name" ] || die "no module name: make new NAME=mymodule [DIR=../mymodule]"
[[ $name =~ ^[a-z][a-z0-9_]*$ ]] ||
    die "NAME=$name is not a module name (lower-case letters, digits and _, starting with a letter): make new NAME=my_module"
dir=${dir:-$repo/../$name}
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    die "DIR=$dir exists and is not empty: choose another, e.g. make new NAME=$name DIR=../$name-module"
fi

template=$repo/examples/out-of-tree
# Built beside DIR and moved into place when complete; mkdir (not mktemp,
# whose 0700 would stay) gives the project the user's normal permissions.
tmp=$(dirname "$dir")/.new-$name.$$
mkdir "$tmp" || die "cannot create $tmp: is $(dirname "$dir") writable?"
trap 'rm -rf "$tmp"' EXIT
# Only the template's sources, not what building it in place left behind.
(cd "$template" && tar -cf - Makefile Cargo.toml .gitignore src) | tar -xf - -C "$tmp"
# The crate versions this repository is tested with (cargo drops what the
# project does not use): the first build needs no index update and picks no
# untested release.
cp "$repo/Cargo.lock" "$tmp/Cargo.lock"
kernel_crate=$(cd "$repo/kernel" && pwd)
sed -i "s/mymod/$name/g" "$tmp/Makefile" "$tmp/Cargo.toml" "$tmp/src/lib.rs"
sed -i "s|^kernel = { path = \"../../kernel\" }|kernel = { path = \"$kernel_crate\" }|" "$tmp/Cargo.toml"
grep -q "^kernel = { path = \"$kernel_crate\" }" "$tmp/Cargo.toml" ||
    die "examples/out-of-tree/Cargo.toml has no 'kernel = { path = \"../../kernel\" }' line to point at this checkout"
rmdir "$dir" 2>/dev/null || true
mv "$tmp" "$dir"
trap - EXIT
echo "created $dir ($name.ko; depends on $kernel_crate): cd $dir && make"
