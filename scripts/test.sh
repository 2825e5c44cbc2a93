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
summaries=('static/*' 'vm/*' selection drift lint kernels package 'downstream/*' dkms 'dkms-root/*')
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
# fetched with their release's compiler, or in a build root), two at a time
# (before the jobs below: the DKMS test installs and removes the headers of
# a release a variant is made from): each matrix set from its newest
# release, and every other set (the layout variants) from the release it
# records, unless the point-release sweep below has that release (its job
# checks it). A release the archive no longer
# serves leaves its set nothing to be checked with: a note, not a failure.
gen_check_matrix() {
    local rel set host_sets
    host_sets=$(installed_sets)
    # shellcheck disable=SC2016 # expanded by the inner sh: OUT RELEASE SET
    {
        while read -r rel set; do
            [ -n "$rel" ] || continue
            grep -qxF "$set" <<<"$host_sets" || echo "$rel $set"
        done <<<"$matrix"
        ko_facts sets bindings/sets | while read -r set rel; do
            grep -qxF "$set" <<<"$host_sets" || grep -q " $set\$" <<<"$matrix" ||
                grep -q "^$rel " <<<"$points" || echo "$rel $set"
        done
    } | xargs -P 2 -L 1 sh -c 'log=$0/gen-check-$2.log; scripts/gen-root.sh "$1" --check "$2" >"$log" 2>&1; rc=$?
        cat "$log"
        if [ "$rc" -ne 0 ] && grep -q "404 Not Found\|no Debian kernel" "$log"; then
            echo "note: $2: its release $1 is no longer served, nothing to check it with"
            exit 0
        fi
        exit "$rc"' "$out"
}
# The point releases beyond the matrix (series_job below).
points=$(point_releases "$matrix") || { echo "FAIL  points: cannot read Debian's archive"; failed=$((failed + 1)); }
run gen-check/matrix gen_check_matrix
run selection tests/selection.sh
run drift tests/drift.sh
# Debian's archive: make kernels, make KERNEL= (an older point release from
# the archive, built, proven and loaded in its own kernel), bad releases.
run kernels tests/kernels.sh

examples=$(example_crates)
# kernel_checks RELEASE SET vm|static|hello: hello and the examples built
# (the Kbuild way, KDIR=, for an installed kernel; else make KERNEL=), then
# kernel_verify.
kernel_checks() {
    local kernel=(KERNEL="$1")
    [ ! -d "/lib/modules/$1/build" ] || kernel=(KDIR="/lib/modules/$1/build")
    run "build/$1" make --no-print-directory "${kernel[@]}" KMOD_BUILD="$out/$1/build" KMOD_OUT="$out/$1"
    kernel_verify "$@"
}
# kernel_verify RELEASE SET vm|static|hello: of hello as built into
# $out/RELEASE, the set (SET, or one of its layout variants SET@...) and
# proof checked, the .ko checked statically; then the examples: vm: built
# and loaded in one VM with hello by vm-examples.sh; static: built and
# checked; hello: none. A fresh build directory per kernel: objtool only
# speaks when a module is linked, so each build log shows what objtool
# thinks of it.
kernel_verify() {
    local rel=$1 set=$2 dir=$out/$1 kdir example log kernel=(KERNEL="$1")
    [ ! -d "/lib/modules/$rel/build" ] || kernel=(KDIR="/lib/modules/$rel/build")
    run "set/$rel" grep -Eq "BINDINGS $set(@[0-9.]+)?: " "$out/build/$rel.log"
    run "layout/$rel" grep -q "LAYOUT .* match kernel $rel" "$out/build/$rel.log"
    kdir=$(kernel_tree "$rel")
    run "static/$rel/hello" scripts/check-ko.sh "$dir/hello.ko" "$kdir" "$out/build/$rel.log"
    [ "$3" != hello ] || return 0
    [ "$3" != vm ] || run "vm/$rel" tests/vm-examples.sh "$rel" "$dir"
    for example in $examples; do
        log=$dir/build-$example.log
        if [ "$3" != vm ]; then
            run "build/$rel/$example" make --no-print-directory "${kernel[@]}" KMOD_CRATE="$example" \
                KMOD_BUILD="$dir/build" KMOD_OUT="$dir"
            log=$out/build/$rel/$example.log
        fi
        run "static/$rel/$example" scripts/check-ko.sh "$dir/$example.ko" "$kdir" "$log"
    done
}
# Module projects of a user's own, outside the repository, from the template
# (`make new`): on the crates by path, and through `cargo vendor` output
# (built with no network). Each is built for every kernel and loaded.
run package tests/downstream.sh package
downstream=$(mktemp -d)
trap 'rm -rf "$downstream"' EXIT
run downstream/create/path tests/downstream.sh create path "$downstream" oot_path
run downstream/create/vendor tests/downstream.sh create vendor "$downstream" oot_vendor

# kernel_job RELEASE SET installed|matrix: everything one kernel is tested
# with: kernel_checks, then the template projects built and loaded. An
# installed kernel gets the path and the vendored project; a matrix kernel
# (scripts/lib.sh matrix_releases: the newest release of every committed
# set's series and flavor in Debian's archive, built with make KERNEL=:
# headers fetched, with an older Debian release's own compiler, or in a
# build root of a newer one) the path one (the vendored one differs only
# in where the crates come from). A kernel whose image the mirror lists but
# does not serve (404) has everything built and checked but not booted, and
# its VM steps count as skipped; standin_checks boots another release of
# its series and flavor instead.
kernel_job() {
    local rel=$1 set=$2 projects=(oot_path) name mode=vm
    # Every set's Rust side proven too: bindgen's layout assertions, which
    # a user's build leaves out (the other steps build that way: dkms,
    # drift, kernels, selection).
    export RUST_LAYOUT_ASSERTS=1
    [ "$3" != installed ] || projects+=(oot_vendor)
    if [ "$3" = matrix ] && image_missing "$rel"; then
        mode=static
    fi
    kernel_checks "$rel" "$set" "$mode"
    for name in "${projects[@]}"; do
        run "downstream/build/$rel/$name" tests/downstream.sh build "$downstream/$name" "$rel" "$out/downstream/$rel"
    done
    if [ "$mode" = vm ]; then
        run "downstream/vm/$rel" tests/downstream.sh vm "$rel" "$out/downstream/$rel" "${projects[@]}"
    else
        skipped=$((skipped + 2))
        echo "skip  vm/$rel, downstream/vm/$rel: its image is listed but not served (404)"
        standin_checks "$rel" "$set"
    fi
}
# standin_checks RELEASE SET: for a kernel that cannot be booted here, the
# newest other release of its series and flavor whose image is served
# (scripts/lib.sh image_standin), with hello and the examples built and
# loaded in it, like any point release (point_build: its set or a layout
# variant by the proof; none fits: a gen line, no failure): the series' own
# code paths (5.10's PREEMPT_RT locking) still run in a kernel of that
# flavor.
standin_checks() {
    local standin
    standin=$(image_standin "$1" "$2")
    if [ -z "$standin" ]; then
        echo "skip  vm/$1 stand-in: no other release of $2's series and flavor has an image here"
        skipped=$((skipped + 1))
        return
    fi
    echo "note  vm/$1: booting $standin in its place"
    point_build "$standin" "$2" && kernel_verify "$standin" "$2" vm
}

# series_job SET RELEASE...: the point-release sweep of one series and
# flavor (scripts/lib.sh point_releases), oldest first. Each release's hello
# is built with make KERNEL= (headers fetched, or in a build root), must get
# SET or one of its layout variants, by a passing proof, and is checked
# statically (with bindgen's layout assertions, like every set), and a
# layout variant made from it is gen-checked from it; the oldest
# whose headers and image are served also boots with the examples (the
# newest boots in the matrix). arm64 series build their oldest only (one
# older release each: cross builds and arm64 VMs are the slow ones, and
# the arm64 matrix kernels boot). A release that no set or variant fits fails nothing
# (nobody asked for it yet): it is named with the command that adds its
# variant. One a set was made from must fit. Headers that cannot be had
# here (listed but not served, or not cross-buildable here) are skipped.
series_job() {
    local set=$1 rel booted='' built='' tree why made
    shift
    export RUST_LAYOUT_ASSERTS=1
    for rel in "$@"; do
        [[ $set != *arm64 || -z $built ]] || break
        if ! tree=$(kernel_tree "$rel" 2>&1); then
            case $tree in
                *" 404 Not Found"*) why="listed but not served (404)" ;;
                *"cannot be cross-built here"*) why="an arm64 kernel of an older Debian release" ;;
                *"Version '"*"' for 'linux-kbuild-"*"' was not found"*)
                    why="the archive no longer has the host's linux-kbuild of its version, which a cross build needs" ;;
                *) why= ;;
            esac
            if [ -n "$why" ]; then
                skipped=$((skipped + 1))
                echo "skip  point/$rel: its headers cannot be had here: $why"
            else
                failed=$((failed + 1))
                echo "FAIL  point/$rel: $tree"
            fi
            continue
        fi
        point_build "$rel" "$set" || continue
        built=$rel
        # A layout variant made from this release: gen makes it again.
        made=$(set_made_from "$rel")
        [ -z "$made" ] || [ "$made" = "$set" ] ||
            run "gen-check/$made" scripts/gen-root.sh "$rel" --check "$made"
        if [[ $set != *arm64 && -z $booted ]] && ! image_missing "$rel"; then
            booted=$rel
            kernel_verify "$rel" "$set" vm
        else
            kernel_verify "$rel" "$set" hello
        fi
    done
}
# point_build RELEASE SET: hello for a point release, into $out/RELEASE;
# the ok line says which set served it. A layout proof that refuses every
# set of SET's series is a "gen" line (and counts as skipped) unless a set
# was made from RELEASE; any other failure fails.
point_build() {
    local rel=$1 set=$2 log=$out/build/$1.log start=$SECONDS refused
    mkdir -p "$(dirname "$log")"
    if make --no-print-directory KERNEL="$rel" KMOD_BUILD="$out/$rel/build" KMOD_OUT="$out/$rel" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "ok    build/$rel: $(sed -n 's/^  BINDINGS //p' "$log" | head -1) [$((SECONDS - start)) s]"
        return 0
    fi
    refused=$(grep -Eo "[0-9]+ (of [0-9]+ layout )?items of set [^ ]+ (do not exist in|differ from) kernel $rel" "$log" | head -1)
    if [ -n "$refused" ] && [ -z "$(set_made_from "$rel")" ]; then
        skipped=$((skipped + 1))
        echo "gen   build/$rel: no set or variant of $set fits ($refused); make gen KERNEL=$rel adds its variant [$((SECONDS - start)) s]"
        return 1
    fi
    failed=$((failed + 1))
    echo "FAIL  build/$rel [$((SECONDS - start)) s] (log: $log)"
    tail -60 "$log" | sed 's/^/      /'
    return 1
}

# The kernels and the DKMS package test (tests/dkms.sh: it installs the
# package on this machine, builds it for the installed kernels and loads
# them in QEMU), KO_TEST_JOBS (default 2) at a time: most of a job's time
# is one process (a single-threaded QEMU, rustc's codegen, Kbuild's link),
# and every cache they share is written atomically. Each job's lines are
# printed together when it is done; its counts come back through a file.
releases=$(supported_releases)
kernels=$(
    for rel in $releases; do echo "$rel $(expected_set "/lib/modules/$rel/build") installed"; done
    sed -e '/^$/d' -e 's/$/ matrix/' <<<"$matrix"
)
skipped=0
jobs=$out/jobs
mkdir -p "$jobs"
declare -A job_name=()
finish_job() {
    local pid name p f s
    wait -n -p pid
    name=${job_name[$pid]}
    unset "job_name[$pid]"
    cat "$jobs/$name.out"
    read -r p f s <"$jobs/$name.counts" 2>/dev/null ||
        { p=0 f=1 s=0; echo "FAIL  $name: its checks stopped before counting (log: $jobs/$name.out)"; }
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}
# job_body NAME COMMAND...: COMMAND with counts of its own, its lines and
# counts into $jobs.
job_body() {
    local passed=0 failed=0 skipped=0
    "${@:2}" >"$jobs/$1.out" 2>&1
    echo "$passed $failed $skipped" >"$jobs/$1.counts"
}
# counted_job NAME COMMAND...: job_body in the background, once a slot is free.
counted_job() {
    while [ ${#job_name[@]} -ge "${KO_TEST_JOBS:-2}" ]; do finish_job; done
    job_body "$@" &
    job_name[$!]=$1
}
# DKMS on the newer Debian releases, natively: the package apt-installed in
# the build root of each release `make KERNEL=` uses one for
# (tests/dkms-root.sh), built for that release's first plain amd64 kernel
# of the matrix (one cold build each; the host's kernels are dkms's).
dkms_roots() {
    local rel set tree root kdir seen=" " deb=$out/dkms-roots/hello-dkms.deb
    while read -r rel set; do
        [[ $set =~ ^[0-9.]+-amd64$ ]] || continue
        tree=$(KO_FACTS=$(ko_facts_tool) bash bindings/mk/debian-headers.sh "$(ko_cache)" "$rel" 2>&1) ||
            { echo "FAIL  dkms-roots: $tree"; failed=$((failed + 1)); continue; }
        read -r _ root kdir <<<"$tree"
        [[ $tree == root\ * && $seen != *" $root "* ]] || continue
        seen+="$root "
        if [ ! -f "$deb" ]; then
            run dkms-roots/package sh -c 'make --no-print-directory dkms KMOD_OUT="$1" && mv "$1"/hello-dkms_*_all.deb "$2"' \
                sh "$out/dkms-roots" "$deb"
            [ -f "$deb" ] || return
        fi
        run "dkms-root/${root##*/}" tests/dkms-root.sh "$root" "$deb" "$out/dkms-roots" "$rel"
    done <<<"$matrix"
}
counted_job dkms run dkms tests/dkms.sh
# The point-release sweeps, one job per series and flavor (the longest
# jobs, so they start first).
while read -r set; do
    [ -n "$set" ] || continue
    # shellcheck disable=SC2046 # one word per release
    counted_job "points-$set" series_job "$set" $(awk -v s="$set" '$2 == s { print $1 }' <<<"$points")
done < <(awk '{ print $2 }' <<<"$points" | sort -u)
while read -r rel set kind; do
    [ -n "$rel" ] || continue
    counted_job "$rel" kernel_job "$rel" "$set" "$kind"
done <<<"$kernels"
counted_job dkms-roots dkms_roots
while [ ${#job_name[@]} -gt 0 ]; do finish_job; done

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
