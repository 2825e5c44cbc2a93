#!/usr/bin/env bash
# `make test`: host tests, gen's determinism check, the selection/proof
# tests, then for every supported kernel: builds hello and the examples from
# scratch (toolchain cache aside), checks each .ko statically, boots the
# kernel in QEMU and runs them. Ends with "N passed, N failed".
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$repo" || exit 1

out=build/test
rm -rf "$out"
mkdir -p "$out"
passed=0 failed=0

# Tests whose ok line shows their summary (see `step` in lib.sh).
summaries=('static/*' 'vm/*' selection drift lint kernels package 'downstream/*' dkms)
run() { step "$@"; }

run check-ko-selftest tests/check-ko-selftest.sh
run make-errors tests/make-errors.sh
# Host-side unit and integration tests (gen's include its bad-input cases).
run cargo-test cargo test --quiet -p gen -p kernel-tree -p kernel
# rustfmt, clippy on the host crates and, for each kernel series, on every
# crate of a module build for the kernel target (scripts/lint.sh).
run lint scripts/lint.sh
# Every committed set of an installed header tree regenerates byte-identical
# (or, if Debian has moved on, is reported stale). One gen per core at a
# time: each is mostly one compiler or libclang process (373 s one after
# the other for six sets, 195 s two at a time). The debug build reuses what
# cargo-test compiled.
gen_check() {
    cargo build --quiet -p gen || return
    installed_sets | while read -r set; do
        [ ! -f "bindings/sets/$set/meta.toml" ] || echo "$set"
    done | xargs -P "$(nproc)" -I{} target/debug/gen --check {}
}
run gen-check gen_check
# The kernel matrix beyond the installed kernels, resolved once per run.
matrix=$(matrix_releases) || { echo "FAIL  matrix: cannot read Debian's archive"; failed=$((failed + 1)); }
# The sets made from kernels not installed here (another Debian release's),
# checked the same way where they were made: make gen KERNEL= (its headers
# fetched with their release's compiler, or in a build root), two at a time.
gen_check_matrix() {
    local rel set host_sets
    host_sets=$(installed_sets)
    # shellcheck disable=SC2016 # expanded by the inner sh
    while read -r rel set; do
        [ -n "$rel" ] || continue
        grep -qxF "$set" <<<"$host_sets" || echo "$rel $set"
    done <<<"$matrix" | xargs -P 2 -L 1 sh -c 'scripts/gen-root.sh "$0" --check "$1"'
}
run gen-check/matrix gen_check_matrix
run selection tests/selection.sh
run drift tests/drift.sh
# Debian's archive: make kernels, make KERNEL= (an older point release from
# the archive, built, proven and loaded in its own kernel), bad releases.
run kernels tests/kernels.sh

releases=$(supported_releases)
for rel in $releases; do
    kdir=/lib/modules/$rel/build
    # A fresh build directory per kernel: objtool only speaks when a module
    # is linked, so each build log shows what objtool thinks of it.
    dir=$out/$rel
    run "build/$rel" make --no-print-directory KDIR="$kdir" KMOD_BUILD="$dir/build" KMOD_OUT="$dir"
    run "set/$rel" grep -q "BINDINGS $(expected_set "$kdir"): " "$out/build/$rel.log"
    run "layout/$rel" grep -q "LAYOUT .* match kernel $rel" "$out/build/$rel.log"
    run "static/$rel/hello" scripts/check-ko.sh "$dir/hello.ko" "$kdir" "$out/build/$rel.log"
    # hello (already built), params, echo, panic: built, then loaded in one VM.
    run "vm/$rel" tests/vm-examples.sh "$rel" "$dir"
    for example in params echo panic; do
        run "static/$rel/$example" scripts/check-ko.sh "$dir/$example.ko" "$kdir" "$dir/build-$example.log"
    done
done

# The rest of the kernel matrix (scripts/lib.sh matrix_releases): the newest
# release of every committed set's series and flavor in Debian's archive,
# built with make KERNEL= (headers fetched, with an older Debian release's
# own compiler, or in a build root of a newer one), checked and loaded in
# its own kernel. A kernel whose image the mirror lists but does not serve
# (404) has hello and the examples built and checked but not booted, and
# counts as skipped.
skipped=0
while read -r rel set; do
    [ -n "$rel" ] || continue
    dir=$out/$rel
    run "build/$rel" make --no-print-directory KERNEL="$rel" KMOD_BUILD="$dir/build" KMOD_OUT="$dir"
    run "set/$rel" grep -q "BINDINGS $set: " "$out/build/$rel.log"
    run "layout/$rel" grep -q "LAYOUT .* match kernel $rel" "$out/build/$rel.log"
    kdir=$(kernel_tree "$rel")
    run "static/$rel/hello" scripts/check-ko.sh "$dir/hello.ko" "$kdir" "$out/build/$rel.log"
    image=$(scripts/kernel-image.sh "$rel" 2>&1)
    if [[ $image != *" 404 Not Found"* ]]; then
        run "vm/$rel" tests/vm-examples.sh "$rel" "$dir"
        for example in params echo panic; do
            run "static/$rel/$example" scripts/check-ko.sh "$dir/$example.ko" "$kdir" "$dir/build-$example.log"
        done
    else
        skipped=$((skipped + 1))
        echo "skip  vm/$rel: ${image#kernel-image.sh: }"
        # Not booted, still built and checked.
        for example in params echo panic; do
            run "build/$rel/$example" make --no-print-directory KERNEL="$rel" KMOD_CRATE="$example" \
                KMOD_BUILD="$dir/build" KMOD_OUT="$dir"
            run "static/$rel/$example" scripts/check-ko.sh "$dir/$example.ko" "$kdir" "$out/build/$rel/$example.log"
        done
    fi
done <<<"$matrix"

# Module projects of a user's own, outside the repository, from the template
# (`make new`): on the crates by path, and through `cargo vendor` output
# (built with no network). Each is built for every kernel and loaded.
run package tests/downstream.sh package
run dkms tests/dkms.sh
downstream=$(mktemp -d)
trap 'rm -rf "$downstream"' EXIT
run downstream/create/path tests/downstream.sh create path "$downstream" oot_path
run downstream/create/vendor tests/downstream.sh create vendor "$downstream" oot_vendor
for rel in $releases; do
    for name in oot_path oot_vendor; do
        run "downstream/build/$rel/$name" tests/downstream.sh build "$downstream/$name" "$rel" "$out/downstream/$rel"
    done
    run "downstream/vm/$rel" tests/downstream.sh vm "$rel" "$out/downstream/$rel" oot_path oot_vendor
done
# The matrix kernels: the path project (the vendored one differs only in
# where the crates come from), built with make KERNEL= and loaded.
while read -r rel _; do
    [ -n "$rel" ] || continue
    run "downstream/build/$rel/oot_path" tests/downstream.sh build "$downstream/oot_path" "$rel" "$out/downstream/$rel"
    image=$(scripts/kernel-image.sh "$rel" 2>&1)
    if [[ $image != *" 404 Not Found"* ]]; then
        run "downstream/vm/$rel" tests/downstream.sh vm "$rel" "$out/downstream/$rel" oot_path
    else
        skipped=$((skipped + 1))
        echo "skip  downstream/vm/$rel: ${image#kernel-image.sh: }"
    fi
done <<<"$matrix"
# REGEN=1 from vendored crates, offline: the generator and bindgen come from
# vendor/ too. One kernel (it compiles bindgen and runs gen: ~75 s).
rel=${releases%%$'\n'*}
if [ -n "$rel" ]; then
    run "downstream/build/$rel/oot_vendor-regen" tests/downstream.sh build "$downstream/oot_vendor" "$rel" \
        "$out/downstream/regen-$rel" REGEN=1
    run "downstream/vm/$rel/regen" tests/downstream.sh vm "$rel" "$out/downstream/regen-$rel" oot_vendor
fi

echo "$passed passed, $failed failed, ${skipped:-0} skipped in $SECONDS s"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
