#!/usr/bin/env bash
# Issue "selection and proof": a binding set that does not fit the target
# kernel can never build silently. Each case builds hello.ko against a
# doctored copy of the committed sets (KO_SETS_DIR) and expects a failure
# that names the problem.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"
cd "$repo" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sets=bindings/sets

release_with_flavor() { # the installed 6.1 release of a flavor
    supported_releases 2>/dev/null | grep -E "^6\.1\.[0-9]+-[0-9]+-$1\$" | head -1
}
amd64=$(release_with_flavor amd64)
rt=$(release_with_flavor rt-amd64)
cloud=$(release_with_flavor cloud-amd64)

passed=0 failed=0
# expect NAME RELEASE SETS_DIR PATTERN: the build fails and says PATTERN.
expect() {
    local name=$1 rel=$2 dir=$3 pattern=$4 log="$work/$1.log"
    # A cargo target directory of the test's own, so doctored sets never
    # reach the shared cache; one for all cases, so the build script's
    # host crates compile once (each case's KO_SETS_DIR reruns it anyway).
    if make --no-print-directory KDIR="/lib/modules/$rel/build" KO_SETS_DIR="$dir" \
        KMOD_BUILD="$work/build-$name" KO_TARGET="$work/target" KMOD_OUT="$work" >"$log" 2>&1; then
        echo "FAIL  $name: the build succeeded"
    elif grep -q -- "$pattern" "$log"; then
        echo "ok    $name: $(grep -m1 -- "$pattern" "$log" | cut -c1-160)"
        passed=$((passed + 1)); return
    else
        echo "FAIL  $name: expected '$pattern'; got:"; tail -5 "$log"
    fi
    failed=$((failed + 1))
}

# copy SET NEW_NAME: a copy of a committed set under another name.
copy() { mkdir -p "$work/$2" && cp -r "$sets/$1" "$work/$2/$2"; echo "$work/$2"; }

# 1. The 6.1 amd64 set, mislabelled as the rt (or cloud) flavor so that the
#    selection takes it: the layout proof must stop the build.
for flavor in rt-amd64 cloud-amd64; do
    rel=$rt; [ "$flavor" = cloud-amd64 ] && rel=$cloud
    dir=$(copy 6.1-amd64 "6.1-$flavor")
    sed -i "s/^flavor = .*/flavor = \"$flavor\"/" "$dir/6.1-$flavor/meta.toml"
    expect "amd64-set-on-$flavor" "$rel" "$dir" 'layout mismatch: '
done

# 2. One field offset changed in the set's C expectations ...
dir=$(copy 6.1-amd64 altered-c)
awk '!done && $2 == "offset" && $3 == "struct" && $4 == "list_head.prev" { $1 += 8; done = 1 } { print }' \
    "$sets/6.1-amd64/layout.txt" >"$dir/altered-c/layout.txt"
expect altered-offset-c "$amd64" "$dir" 'layout mismatch: offset of struct list_head.prev'
# ... and in the Rust layout assertions, which a build compiles when asked
# to (RUST_LAYOUT_ASSERTS=1, as make test's kernel builds do).
dir=$(copy 6.1-amd64 altered-rust)
sed -i 's/offset_of!(list_head, prev) - 8usize/offset_of!(list_head, prev) - 16usize/' "$dir/altered-rust/bindings.rs"
RUST_LAYOUT_ASSERTS=1 expect altered-offset-rust "$amd64" "$dir" 'offset_of!(list_head, prev)'

# 3. A set for another version is never chosen.
dir=$(copy 6.1-amd64 6.2-amd64)
sed -i 's/^version = .*/version = "6.2.0"/' "$dir/6.2-amd64/meta.toml"
expect other-version "$amd64" "$dir" 'no committed binding set for kernel'

# 4. A set of another arch: 6.1-arm64 under the amd64 name is never chosen
#    for the amd64 kernel; relabelled x86_64 as well, the proof stops it.
dir=$(copy 6.1-arm64 6.1-amd64)
sed -i -e 's/^set = .*/set = "6.1-amd64"/' -e 's/^flavor = .*/flavor = "amd64"/' "$dir/6.1-amd64/meta.toml"
expect arm64-set-by-name "$amd64" "$dir" 'committed sets: 6.1-amd64 (for arm64)'
sed -i 's/^arch = .*/arch = "x86_64"/' "$dir/6.1-amd64/meta.toml"
expect arm64-set-as-x86 "$amd64" "$dir" 'layout mismatch: '

echo "selection: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
