#!/usr/bin/env bash
# make bench: build speed and size of hello.ko with the committed bindings,
# side by side with a C module and with bindings generated at build time,
# for one kernel of each supported version (the first of scripts/kernels.txt).
# Prints one table and rewrites the README section between the bench markers.
#
#   BENCH_RUNS=N    iterations of the alternating loop (default 3): Rust, C,
#                   bindgen warm every time, bindgen cold in the first min(N, 2);
#                   gen and the profiled builds also run min(N, 2) times (the
#                   kernels of the other sets' once). BENCH_RUNS=1: smoke mode.
#   BENCH_README=0  do not touch README.md (the default when BENCH_RUNS=1)
#
# Every build goes to a temporary directory; the repository's build/, hello.ko
# and binding sets are never written. Times are wall-clock; a ratio is the
# median of the per-iteration ratios of builds run back to back.
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

# make with mk/kmod.mk, outputs in DIR: rust_make DIR KDIR [VAR=value...]
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
    BENCH_SET=$3 CARGO_NET_OFFLINE=true \
        rust_make "$1" "$2" KMOD_MANIFEST="$here/bindgen-at-build/Cargo.toml"
}
# Warm variant: keep cargo's host side (bindgen and the compiled build script,
# in target/<profile>/); drop the kernel-target side (build script output,
# bindings, kernel, hello) and the Kbuild directory, so bindgen runs again.
anchors_reset_warm() {
    local w
    for w in "$1"/build/*/; do
        [ -d "$w/target/x86_64-unknown-none" ] ||
            die "no $w/target/x86_64-unknown-none: mk/kmod.mk's layout changed, update bench/run.sh"
        find "$w" -mindepth 1 -maxdepth 1 ! -name target -exec rm -rf {} +
        rm -rf "$w/target/x86_64-unknown-none"
    done
}

## (5) and the profile: clean builds of hello.ko with cargo --timings and
## time-stamped make output, for each kernel above and for the kernel of every
## other committed set whose headers are installed. They also warm the caches
## (page cache; the core sysroot of each supported kernel's flags).
setup_timings_cargo "$work/rust-root" "/lib/modules/${kernels[0]}/build"
# profiled_build KERNEL: the build; the set it chose goes to set_of[KERNEL].
declare -A set_of=()
profiled_build() {
    local rel=$1 p=$work/profile-$1 start
    rm -rf "$work/prof"
    start=$EPOCHREALTIME
    rust_make "$work/prof" "/lib/modules/$rel/build" RUST_ROOT="$work/rust-root" 2>&1 |
        stamp >"$p.log" || fail "$p.log" "profiled build for $rel"
    echo "$start $EPOCHREALTIME" >"$p.span"
    cargo_units "$(echo "$work"/prof/build/*/target/cargo-timings/cargo-timing.html)" >"$p.units"
    set_of[$rel]=$(sed -n 1p "$work"/prof/build/*/bindings-set)
    [ -d "${set_of[$rel]}" ] || die "cannot tell which set the build for $rel used (kmod.mk's bindings-set moved?)"
    sample "bindings-rustc@$(basename "${set_of[$rel]}")" "$(unit_duration "$p.units" kernel-bindings)"
}
profiled=("${kernels[@]}")
for meta in "$repo"/bindings/sets/*/meta.toml; do
    rel=$(sed -n 's/^release = "\(.*\)"$/\1/p' "$meta")
    [[ " ${profiled[*]} " != *" $rel "* ]] || continue
    if [ ! -d "/lib/modules/$rel/build" ]; then
        say "set $(basename "$(dirname "$meta")"): headers of $rel not installed, no compile time"
    elif ! sysroot_cached "/lib/modules/$rel/build"; then
        say "set $(basename "$(dirname "$meta")"): core for $rel's flags is not cached (make KDIR=/lib/modules/$rel/build builds it), no compile time"
    else
        profiled+=("$rel")
    fi
done
for i in $(seq "$slow_runs"); do
    for rel in "${profiled[@]}"; do
        # Kernels only here for their set: once.
        [ "$i" = 1 ] || [[ " ${kernels[*]} " == *" $rel "* ]] || continue
        say "[$i/$slow_runs] $rel: profiled clean build"
        profiled_build "$rel"
        say "  set $(basename "${set_of[$rel]}"): kernel-bindings compiled in $(unit_duration "$work/profile-$rel.units" kernel-bindings) s"
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

## (1) and (3), alternating: Rust, C, bindgen cold (first iterations only:
## compiling bindgen is the slowest step of the whole bench), bindgen warm.
for i in $(seq "$runs"); do
    for rel in "${kernels[@]}"; do
        kdir=/lib/modules/$rel/build
        d=$work/$rel
        say "[$i/$runs] $rel"
        rm -rf "$d/rust"
        timed "rust@$rel" rust_make "$d/rust" "$kdir"
        t_rust=$last
        timed "c@$rel" c_make "$d/c" "$kdir"
        sample "c/rust@$rel" "$(div "$t_rust" "$last")"
        if [ "$i" -le "$slow_runs" ] || [ ! -d "$d/anchors" ]; then
            rm -rf "$d/anchors"
            timed "cold@$rel" anchors_make "$d/anchors" "$kdir" "${set_of[$rel]}"
            sample "cold/rust@$rel" "$(div "$last" "$t_rust")"
        fi
        anchors_reset_warm "$d/anchors"
        timed "warm@$rel" anchors_make "$d/anchors" "$kdir" "${set_of[$rel]}"
        sample "warm/rust@$rel" "$(div "$last" "$t_rust")"
    done
done

## (4) gen, built once (release), writing to a temporary sets directory.
say "building gen (cargo build --release -p gen)"
cargo build --release -q --manifest-path "$repo/Cargo.toml" -p gen --target-dir "$work/gen-target" \
    >"$work/log" 2>&1 || fail "$work/log" "cargo build -p gen"
gen=$work/gen-target/release/gen
"$gen" --help | grep -q -- --sets-dir || die "gen has no --sets-dir option: update bench/run.sh"
for i in $(seq "$slow_runs"); do
    for rel in "${kernels[@]}"; do
        say "[$i/$slow_runs] gen --kdir /lib/modules/$rel/build"
        rm -rf "$work/sets" && mkdir "$work/sets"
        timed "gen@$rel" "$gen" --kdir "/lib/modules/$rel/build" --sets-dir "$work/sets"
    done
done

## The table.
table=$work/table.md
{
    printf '%s\n' "Measured $(date -u +%Y-%m-%d) by \`make bench\` on $(machine)." \
        "Medians of $runs alternating runs ($slow_runs for bindgen cold, gen and (5)); a ratio is the median of per-run ratios." \
        "C: \`bench/c-hello\` (same three lines, plain Kbuild). Bindgen in build.rs: \`bench/bindgen-at-build\`, the same" \
        "module/ and kernel/ sources with bindings generated by a build script over shim/headers.txt; cold = fresh" \
        "target dir, warm = bindgen already compiled, bindings regenerated. (5): the kernel-bindings crate as cargo" \
        "compiles it in a clean build for that set's kernel." ""
    render_table "${kernels[@]}"
    printf '\n%s\n\n' "Where the time of a clean Rust build goes (last profiled build of each kernel):"
    for rel in "${kernels[@]}"; do
        profile_line "$rel" "$work/profile-$rel"
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
