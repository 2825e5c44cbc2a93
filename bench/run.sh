#!/usr/bin/env bash
# make bench: build speed and size of hello.ko with the committed bindings,
# side by side with a C module and with bindings generated at build time,
# for one kernel of each supported version (the first of scripts/kernels.txt).
# Prints one table and rewrites the README section between the bench markers;
# draws bench/results/scale.png (package size against the number of sets,
# gen --check of 1..N installed sets at once).
#
#   BENCH_RUNS=N    iterations of the alternating loop (default 3): Rust
#                   (`make clean && make`, caches warm), C and bindgen warm every
#                   time; Rust with a cold cargo cache and bindgen cold in the
#                   first min(N, 2); gen and the profiled builds also run
#                   min(N, 2) times (the kernels of the other sets' once).
#                   BENCH_RUNS=1: smoke mode.
#   BENCH_README=0  do not touch README.md (the default when BENCH_RUNS=1)
#
# Every build goes to a temporary directory with a private KO_CACHE (cargo's
# target directories live there; core is linked from the user's cache, read
# only): the repository's build/, hello.ko, binding sets and the user's
# cached target directories are never written. Times are wall-clock; a ratio
# is the median of the per-iteration ratios of builds run back to back.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

runs=${BENCH_RUNS:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS=$runs is not a positive number"
slow_runs=$((runs < 2 ? runs : 2))
update_readme=${BENCH_README:-$((runs > 1))}
# The builds below are top-level makes, whatever called this script.
unset MAKEFLAGS MAKELEVEL MFLAGS

work=$(mktemp -d "${TMPDIR:-/tmp}/rust-ko-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
samples=$work/samples
: >"$samples"

# One kernel per version: 6.1 and 6.12.
kernels=()
declare -A seen=()
for rel in $(supported_releases); do
    v=$(version_of "$rel")
    [ -n "${seen[$v]:-}" ] || kernels+=("$rel")
    seen[$v]=1
done
[ ${#kernels[@]} -gt 0 ] || die "no supported kernel headers installed: run make setup"
say "kernels: ${kernels[*]}; $runs run(s), $slow_runs for gen and sets; work dir $work"

# make with bindings/mk/kmod.mk, outputs in DIR: rust_make DIR KDIR [VAR=value...]
rust_make() {
    local dir=$1 kdir=$2
    shift 2
    make -C "$repo" --no-print-directory KDIR="$kdir" KMOD_BUILD="$dir/build" KMOD_OUT="$dir" "$@"
}
c_make() {
    rm -rf "$1" && cp -r "$here/c-hello" "$1"
    make -C "$2" M="$1" modules
}
# Offline: bindgen's sources are fetched once before any timing.
anchors_make() {
    CARGO_NET_OFFLINE=true \
        rust_make "$1" "$2" KMOD_MANIFEST="$here/bindgen-at-build/Cargo.toml" KMOD_CRATE=bench-hello KMOD_NAME=hello
}
# Warm variant: keep cargo's host side (bindgen and the compiled build script,
# in TARGET/<profile>/); drop the kernel-target side (build script output,
# bindings, kernel, hello: TARGET/x86_64-unknown-none) and the module's build
# directory, so bindgen runs again. anchors_reset_warm DIR TARGET
anchors_reset_warm() {
    [ -d "$2/x86_64-unknown-none" ] ||
        die "no $2/x86_64-unknown-none: bindings/mk/kmod.mk's layout changed, update bench/run.sh"
    rm -rf "$1" "$2/x86_64-unknown-none"
}

## A private cache: cargo's target directories are wiped below, and they must
## not be the user's (or a concurrent `make test`'s). Core, compiled once per
## toolchain and flag set, is linked from the user's cache and only read.
user_cache=$(make_vars "/lib/modules/${kernels[0]}/build" KO_CACHE)
[ -n "$user_cache" ] || die "cannot find kmod.mk's cache directory (KO_CACHE)"
export KO_CACHE=$work/cache
mkdir -p "$KO_CACHE/sysroot"
# use_cached_sysroot KDIR: links the user's core for KDIR's flags into the
# private cache; false when the user has none.
use_cached_sysroot() {
    local dir key
    dir=$(make_vars "$1" KO_SYSROOT)
    [[ $dir == "$KO_CACHE"/sysroot/* ]] || die "kmod.mk's sysroot ($dir) is not under KO_CACHE: update bench/run.sh"
    key=${dir#"$KO_CACHE"/sysroot/}
    [ -e "$dir" ] && return 0
    [ -f "$user_cache/sysroot/$key/flags" ] || return 1
    ln -s "$user_cache/sysroot/$key" "$dir"
}
# target_of KDIR [MANIFEST]: kmod.mk's cargo target directory for that kernel
# (and manifest: the checkout is part of the key), in the private cache.
target_of() {
    local dir
    dir=$(make_vars "$1" KO_TARGET ${2:+KMOD_MANIFEST="$2"})
    [[ $dir == "$KO_CACHE"/target/?* ]] || die "kmod.mk's target dir ($dir) is not under KO_CACHE: update bench/run.sh"
    echo "$dir"
}
for rel in "${kernels[@]}"; do
    kdir=/lib/modules/$rel/build
    if ! use_cached_sysroot "$kdir"; then
        say "$rel: core for its flags is not cached; building it (in the private cache, untimed)"
        rust_make "$work/core" "$kdir" "$(make_vars "$kdir" KO_SYSROOT)/flags" >"$work/log" 2>&1 ||
            fail "$work/log" "core for $rel"
    fi
done

# rust_clean DIR: what a user runs before a clean build (`make clean`).
rust_clean() { make -C "$repo" --no-print-directory KMOD_BUILD="$1/build" KMOD_OUT="$1" clean; }

## (5) and the profile: clean builds of hello.ko with cargo --timings and
## time-stamped make output, for each kernel above and for the kernel of every
## other committed set whose headers are installed: first with cargo's target
## directory empty (every crate compiled: (5) is the kernel-bindings unit),
## then `make clean && make` twice (the first settles the cache, see below);
## the profile of the last one is where a user's clean build spends its time.
setup_timings_cargo "$work/rust-root" "/lib/modules/${kernels[0]}/build"
# profiled_make KERNEL PREFIX: one build, logged to PREFIX.{log,span,units}.
profiled_make() {
    local rel=$1 p=$2 start target
    target=$(target_of "/lib/modules/$rel/build")
    rm -rf "$target/cargo-timings"
    start=$EPOCHREALTIME
    rust_make "$work/prof" "/lib/modules/$rel/build" RUST_ROOT="$work/rust-root" 2>&1 |
        stamp >"$p.log" || fail "$p.log" "profiled build for $rel"
    echo "$start $EPOCHREALTIME" >"$p.span"
    [ -f "$target/cargo-timings/cargo-timing.html" ] ||
        die "no cargo timings in $target/cargo-timings (kmod.mk's target dir moved?)"
    cargo_units "$target/cargo-timings/cargo-timing.html" >"$p.units"
}
# profiled_build KERNEL: cold, then clean builds; the set chosen goes to set_of[KERNEL].
declare -A set_of=()
profiled_build() {
    local rel=$1 target start
    target=$(target_of "/lib/modules/$rel/build")
    rm -rf "$target" "$work/prof"
    profiled_make "$rel" "$work/profile-cold-$rel"
    set_of[$rel]=$repo/bindings/sets/$(ko_facts choose "/lib/modules/$rel/build" "$repo/bindings/sets" | cut -d: -f1)
    [ -d "${set_of[$rel]}" ] || die "cannot tell which set the build for $rel uses (ko-facts choose)"
    sample "bindings-rustc@$(basename "${set_of[$rel]}")" "$(unit_duration "$work/profile-cold-$rel.units" kernel-bindings)"
    rust_clean "$work/prof" >"$work/log" 2>&1 || fail "$work/log" "make clean"
    profiled_make "$rel" "$work/profile-settle-$rel"
    start=$EPOCHREALTIME
    rust_clean "$work/prof" >"$work/log" 2>&1 || fail "$work/log" "make clean"
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", b - a }' >"$work/clean-$rel.time"
    profiled_make "$rel" "$work/profile-clean-$rel"
}
profiled=("${kernels[@]}")
for meta in "$repo"/bindings/sets/*/meta.toml; do
    rel=$(ko_facts set release "$(dirname "$meta")")
    [[ " ${profiled[*]} " != *" $rel "* ]] || continue
    if [ ! -d "/lib/modules/$rel/build" ]; then
        say "set $(basename "$(dirname "$meta")"): headers of $rel not installed, no compile time"
    elif ! use_cached_sysroot "/lib/modules/$rel/build"; then
        say "set $(basename "$(dirname "$meta")"): core for $rel's flags is not cached (make KDIR=/lib/modules/$rel/build builds it), no compile time"
    else
        profiled+=("$rel")
    fi
done
for i in $(seq "$slow_runs"); do
    for rel in "${profiled[@]}"; do
        # Kernels only here for their set: once.
        [ "$i" = 1 ] || [[ " ${kernels[*]} " == *" $rel "* ]] || continue
        say "[$i/$slow_runs] $rel: profiled builds (cargo cache cold, then make clean && make)"
        profiled_build "$rel"
        say "  set $(basename "${set_of[$rel]}"): kernel-bindings compiled in $(unit_duration "$work/profile-cold-$rel.units" kernel-bindings) s"
    done
done

## (2) no-op make, on a built tree.
for rel in "${kernels[@]}"; do
    kdir=/lib/modules/$rel/build
    say "$rel: no-op make (hyperfine)"
    rust_make "$work/noop-$rel" "$kdir" >"$work/log" 2>&1 || fail "$work/log" "make for $rel"
    hyperfine -N --style none --warmup 2 --runs $((runs * 5)) --export-csv "$work/noop.csv" \
        "make -C $repo --no-print-directory KDIR=$kdir KMOD_BUILD=$work/noop-$rel/build KMOD_OUT=$work/noop-$rel" \
        >"$work/log" 2>&1 || fail "$work/log" "hyperfine"
    sample "noop@$rel" "$(awk -F, 'NR == 2 { print $4 }' "$work/noop.csv")"
done

say "fetching the sources of bench/bindgen-at-build's dependencies (bindgen)"
RUSTC=$kmod_rustc "$kmod_cargo" fetch --manifest-path "$here/bindgen-at-build/Cargo.toml" \
    >"$work/log" 2>&1 || fail "$work/log" "cargo fetch"

## (1) and (3), alternating: Rust cold cargo cache (first iterations only),
## Rust `make clean && make`, C, bindgen cold (first iterations only:
## compiling bindgen is the slowest step of the whole bench), bindgen warm.
## The first `make clean && make` after a cold build is timed on its own
## ("settle"): kmod.mk's KO_CHOICE_NONCE goes from set to empty then, which
## reruns the bindings build script; (1) is the steady state after it.
for i in $(seq "$runs"); do
    for rel in "${kernels[@]}"; do
        kdir=/lib/modules/$rel/build
        d=$work/$rel
        say "[$i/$runs] $rel"
        if [ "$i" -le "$slow_runs" ] || [ ! -f "$d/rust/hello.ko" ]; then
            # Cold cargo cache: its target directory emptied (core stays warm).
            rm -rf "$(target_of "$kdir")"
            rust_clean "$d/rust" >"$work/log" 2>&1 || fail "$work/log" "make clean"
            timed "rustcold@$rel" rust_make "$d/rust" "$kdir"
            t_cold=$last
            rust_clean "$d/rust" >"$work/log" 2>&1 || fail "$work/log" "make clean"
            timed "settle@$rel" rust_make "$d/rust" "$kdir"
        fi
        rust_clean "$d/rust" >"$work/log" 2>&1 || fail "$work/log" "make clean"
        timed "rust@$rel" rust_make "$d/rust" "$kdir"
        t_rust=$last
        [ "$i" -gt "$slow_runs" ] || sample "rustcold/rust@$rel" "$(div "$t_cold" "$t_rust")"
        timed "c@$rel" c_make "$d/c" "$kdir"
        sample "c/rust@$rel" "$(div "$t_rust" "$last")"
        [ "$i" -gt "$slow_runs" ] || sample "rustcold/c@$rel" "$(div "$t_cold" "$last")"
        atarget=$(target_of "$kdir" "$here/bindgen-at-build/Cargo.toml")
        if [ "$i" -le "$slow_runs" ] || [ ! -d "$d/anchors" ]; then
            rm -rf "$d/anchors" "$atarget"
            timed "cold@$rel" anchors_make "$d/anchors" "$kdir"
            sample "cold/rust@$rel" "$(div "$last" "$t_rust")"
        fi
        anchors_reset_warm "$d/anchors" "$atarget"
        timed "warm@$rel" anchors_make "$d/anchors" "$kdir"
        sample "warm/rust@$rel" "$(div "$last" "$t_rust")"
    done
done

## (4) gen, built once (release). Every run with an empty cache of its own:
## gen keeps Kbuild's compiles in KO_CACHE, and a second run would time
## that cache. A set never made before (an empty sets directory: wrappers.c
## and layout.c pruned round by round), and the committed set made again
## (in a copy of sets/: what the committed set left out is proven, not
## searched for, and its wrappers.c and layout.c compile from the start;
## see gen's generate_expecting).
say "building gen (cargo build --release -p gen)"
cargo build --release -q --manifest-path "$repo/Cargo.toml" -p gen --target-dir "$work/gen-target" \
    >"$work/log" 2>&1 || fail "$work/log" "cargo build -p gen"
gen=$work/gen-target/release/gen
"$gen" --help | grep -q -- --sets-dir || die "gen has no --sets-dir option: update bench/run.sh"
gen_cold() { rm -rf "$work/gen-cache"; KO_CACHE=$work/gen-cache "$gen" "$@"; }
for i in $(seq "$slow_runs"); do
    for rel in "${kernels[@]}"; do
        say "[$i/$slow_runs] gen --kdir /lib/modules/$rel/build"
        rm -rf "$work/sets" && mkdir "$work/sets"
        timed "gen@$rel" gen_cold --kdir "/lib/modules/$rel/build" --sets-dir "$work/sets"
        rm -rf "$work/sets" && cp -r "$repo/bindings/sets" "$work/sets"
        timed "genagain@$rel" gen_cold --kdir "/lib/modules/$rel/build" --sets-dir "$work/sets"
    done
done

## (7) The sets at scale: `gen --check` (make test's gen-check: one gen per
## core) of the first k installed sets at once, k = 1..all, and the
## kernel-bindings package's size as sets are added (scale_sizes).
mapfile -t installed < <(installed_sets | while read -r set; do
    [ ! -f "$repo/bindings/sets/$set/meta.toml" ] || echo "$set"
done)
gen_check_all() {
    rm -rf "$work/gen-cache"
    printf '%s\n' "$@" | KO_CACHE=$work/gen-cache xargs -P "$(nproc)" -I{} "$gen" --check {}
}
for k in $(seq "${#installed[@]}"); do
    say "gen --check of ${installed[*]:0:k} (one per core)"
    timed "genscale@$k" gen_check_all "${installed[@]:0:k}"
done
scale_sizes "$repo/bindings" >"$work/sizes"
mkdir -p "$here/results"
scale_plot "$work/sizes" "$here/results/scale.png" "${#installed[@]}"

## The table.
table=$work/table.md
{
    printf '%s\n' "Measured $(date -u +%Y-%m-%d) by \`make bench\` on $(machine)." \
        "Medians of $runs alternating runs ($slow_runs for the cold builds, gen and (5)); a ratio is the median of per-run ratios." \
        "(1) Rust: the \`make\` of \`make clean && make\`, with core and cargo's target directory (\`\$KO_CACHE/target/\`:" \
        "the bindings crate, kernel crate and build script's host crates) already built; cold cargo cache: that target" \
        "directory empty. C: \`bench/c-hello\` (same three lines, plain Kbuild). Bindgen in build.rs:" \
        "\`bench/bindgen-at-build\`, the same module/ and kernel/ sources with bindings generated by a build script over" \
        "shim/headers.txt; cold = its target directory empty (bindgen compiled), warm = bindgen already compiled," \
        "bindings regenerated. (5): the kernel-bindings crate as cargo compiles it in a cold-cache build for that set's kernel." ""
    render_table "${kernels[@]}"
    printf '\n'
    scale_table "$work/sizes" "${#installed[@]}"
    printf '\n%s\n\n' "Where the time of a Rust build goes (last profiled builds of each kernel, cargo --timings):"
    for rel in "${kernels[@]}"; do
        profile_line "$rel" "$work/profile-clean-$rel" \
            ", \`make clean\` ($(secs "$(cat "$work/clean-$rel.time")")) then \`make\`"
        profile_line "$rel" "$work/profile-cold-$rel" ", cold cargo cache"
        profile_line "$rel" "$work/profile-settle-$rel" ", first \`make clean && make\` after it"
        text_split_line "$rel" "$work/$rel/rust/hello.ko"
    done
    printf '\n%s\n' "Smoke run (one iteration, README untouched): \`BENCH_RUNS=1 bench/run.sh\`."
} >"$table"
echo
cat "$table"
if [ "$update_readme" = 1 ]; then
    replace_readme_section "$repo/README.md" "$table"
    say "README.md: bench section rewritten"
fi
