#!/usr/bin/env bash
# Issue "drift": a set serves its whole kernel series, so `make test` never
# goes red because Debian moved the archive, yet a real layout change still
# stops the build. Both directions, on copies of installed header trees:
#  - bumped: only what a point release rewrites is changed (the release
#    string with its ABI number or sublevel, the sublevel in version.h):
#    hello builds with the same set (identical config fingerprint, layouts
#    proven), and gen generates the same files from it, meta.toml's
#    release/version lines aside;
#  - changed: one struct of the -common tree gets a field: the build stops
#    with a layout mismatch naming it, no .ko comes out, and gen --diff
#    names it too.
# gen takes ~45 s per run, so it runs for 6.1 only (three runs, in the
# background while the builds run); the 6.1 copy moves both the ABI number
# and the sublevel, so it covers what a 6.12 point release rewrites. 6.12's
# bumped copy is built.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"
cd "$repo" || exit 1
work=$(mktemp -d)
# gen runs in the background, each in a process group of its own
# (gen_start): stopped with everything they started before $work goes.
declare -A gen_pid=() gen_rc=()
cleanup() {
    local pid
    for pid in "${gen_pid[@]}"; do kill -- "-$pid" 2>/dev/null; done
    wait
    rm -rf "$work"
}
trap cleanup EXIT
# gen's and the compilers' temporary files go where the trap removes them.
export TMPDIR=$work

release_like() { # the installed release matching an extended regex
    supported_releases 2>/dev/null | grep -E "^$1\$" | head -1
}
rel61=$(release_like '6\.1\.[0-9]+-[0-9]+-amd64')
rel612=$(release_like '6\.12\.[0-9]+\+deb[0-9]+-amd64')
# The struct the changed copy edits, and its header.
struct=miscdevice header=include/linux/miscdevice.h

passed=0 failed=0 skipped=0
# ok NAME WHAT / bad NAME WHAT [LOG]: one case's result (bad shows LOG's end).
ok() { echo "ok    $1: $2"; passed=$((passed + 1)); }
bad() {
    echo "FAIL  $1: $2"
    [ -z "${3:-}" ] || tail -5 "$3" | cut -c1-200 | sed 's/^/      /'
    failed=$((failed + 1))
}
# expect NAME FILE PATTERN: FILE has a line matching PATTERN (shown).
expect() {
    if grep -q -- "$3" "$2"; then
        ok "$1" "$(grep -m1 -- "$3" "$2" | sed -e 's/^ *//' -e "s|$work/||g" | cut -c1-200)"
    else
        bad "$1" "expected '$3' in $(basename "$2")" "$2"
    fi
}

# build NAME KDIR: builds hello for KDIR into $work/out-NAME, log
# $work/NAME.log. A cargo target directory of the test's own (doctored
# trees never reach the shared cache), one for all builds.
build() {
    mkdir -p "$work/out-$1"
    make --no-print-directory KDIR="$2" KMOD_BUILD="$work/build-$1" KO_TARGET="$work/target" \
        KMOD_OUT="$work/out-$1" >"$work/$1.log" 2>&1
}

# gen_start NAME KDIR / gen_wait NAME CASE: gen for KDIR into $work/NAME, in
# the background; gen_wait fails CASE if that gen failed.
gen_start() {
    setsid cargo run -q -p gen -- --kdir "$2" --sets-dir "$work/$1" >"$work/gen-$1.log" 2>&1 &
    gen_pid[$1]=$!
}
gen_wait() {
    if [ -z "${gen_rc[$1]:-}" ]; then
        wait "${gen_pid[$1]}"
        gen_rc[$1]=$?
    fi
    [ "${gen_rc[$1]}" -eq 0 ] && return
    bad "$2" "gen failed for the $1 tree" "$work/gen-$1.log"
    return 1
}

# copy_tree SRC DEST: a copy of a header tree (Debian's arch tree is a few
# MB) whose relative symlinks (scripts, tools -> linux-kbuild) still resolve.
copy_tree() {
    local link
    cp -a "$1" "$2" || return
    find "$2" -type l -lname '[!/]*' | while read -r link; do
        ln -sfn "$(readlink -f "$1/${link#"$2"/}")" "$link"
    done
}

# bumped RELEASE: the next point release: ABI number + 1 (6.1.0-NN-amd64)
# or sublevel + 1 (6.12.NNN+debNN-amd64).
bumped() {
    if [[ $1 =~ ^([0-9]+\.[0-9]+\.[0-9]+-)([0-9]+)(-.*)$ ]] ||
        [[ $1 =~ ^([0-9]+\.[0-9]+\.)([0-9]+)(\+.*)$ ]]; then
        echo "${BASH_REMATCH[1]}$((BASH_REMATCH[2] + 1))${BASH_REMATCH[3]}"
    fi
}

# bump_tree RELEASE NEW DEST: a copy of RELEASE's tree as a point release
# would ship it: RELEASE rewritten to NEW wherever it occurs
# (.kernelvariables, .config's CONFIG_BUILD_SALT, utsrelease.h,
# autoconf.h, auto.conf, kernel.release, rustc_cfg), and version.h's
# sublevel (and version code) one up. The Makefile still includes the
# installed -common tree: a point release renames it, nothing more.
bump_tree() {
    local file v
    copy_tree "$(readlink -f "/lib/modules/$1/build")" "$3" || return
    grep -rlF -- "$1" "$3" | while read -r file; do
        sed -i "s/${1//./\\.}/$2/g" "$file"
    done
    v=$3/include/generated/uapi/linux/version.h
    awk '$2 == "LINUX_VERSION_MAJOR" { M = $3 } $2 == "LINUX_VERSION_PATCHLEVEL" { m = $3 }
        $2 == "LINUX_VERSION_SUBLEVEL" { s = $3 + 1 } END { print M, m, s }' "$v" | {
        read -r M m s
        sed -i -e "s/^#define LINUX_VERSION_SUBLEVEL .*/#define LINUX_VERSION_SUBLEVEL $s/" \
            -e "s/^#define LINUX_VERSION_CODE .*/#define LINUX_VERSION_CODE $(((M << 16) + (m << 8) + (s > 255 ? 255 : s)))/" "$v"
    }
    ! grep -rqF -- "$1" "$3" && [ "$(tree_release "$3")" = "$2" ]
}

# changed_tree RELEASE DEST: a copy of RELEASE's tree whose -common tree
# (~75 MB) is a symlink farm DEST-common with a field added at the start of
# struct $struct. Real files in the farm: the Makefile (Kbuild takes
# srctree from its real location), the edited header, and the headers
# Kbuild force-includes (gen resolves symlinks in flag paths).
changed_tree() {
    local src common file
    src=$(readlink -f "/lib/modules/$1/build")
    common=$(sed -n 's|^include \(/.*\)/Makefile$|\1|p' "$src/Makefile")
    [ -n "$common" ] && copy_tree "$src" "$2" && cp -rs "$common" "$2-common" || return
    for file in Makefile "$header" $(grep -ohE -- '-include \$\(srctree\)/[^ )]+' \
        "$common/Makefile" "$common"/scripts/Makefile.* | sed 's|.*(srctree)/||' | sort -u); do
        rm -f "$2-common/$file" && cp "$common/$file" "$2-common/$file" || return
    done
    sed -i "s/^struct $struct *{\$/&\n\tunsigned long drift_test;/" "$2-common/$header"
    sed -i "s|^include .*/Makefile\$|include $2-common/Makefile|" "$2/Makefile"
    grep -q drift_test "$2-common/$header"
}

# bumped_case RELEASE NEW [GEN_INSTALLED GEN_BUMPED]: the point-release
# direction; with the names of gen's runs from RELEASE and from NEW, also
# compares what they generated.
bumped_case() {
    local rel=$1 new=$2 set f d
    set=$(expected_set "/lib/modules/$rel/build")
    if build "bumped-$set" "$work/linux-headers-$new"; then
        ok "bumped/$new/build" "hello builds for $new (copy of $rel)"
    else
        bad "bumped/$new/build" "hello does not build for $new" "$work/bumped-$set.log"
    fi
    # The set itself, not one of its layout variants: by its config alone,
    # or, when it has variants, by the first proof (the nearest version).
    expect "bumped/$new/set" "$work/bumped-$set.log" \
        "BINDINGS $set: \(identical kernel config\|layout proof passed, the first of \)"
    expect "bumped/$new/layout" "$work/bumped-$set.log" "LAYOUT .* match kernel $new\$"
    [ $# -eq 4 ] && gen_wait "$3" "regen/$new" && gen_wait "$4" "regen/$new" || return
    for f in bindings.rs wrappers.c layout.c layout.txt clang-args.txt; do
        if cmp -s "$work/$3/$set/$f" "$work/$4/$set/$f"; then
            ok "regen/$new/$f" "identical to the one generated from $rel"
        else
            d=$(diff "$work/$3/$set/$f" "$work/$4/$set/$f" | grep '^[<>]')
            bad "regen/$new/$f" "differs from the one generated from $rel ($(wc -l <<<"$d") lines), first:"
            head -4 <<<"$d" | cut -c1-150 | sed 's/^/      /'
        fi
    done
    d=$(diff "$work/$3/$set/meta.toml" "$work/$4/$set/meta.toml" | grep '^[<>]')
    if [ -n "$d" ] && grep -qv '^[<>] \(release\|version\) = ' <<<"$d"; then
        bad "regen/$new/meta.toml" "differs in more than release/version:"
        grep -v '^[<>] \(release\|version\) = ' <<<"$d" | head -4 | sed 's/^/      /'
    elif grep -q "^release = \"$new\"\$" "$work/$4/$set/meta.toml"; then
        ok "regen/$new/meta.toml" "differs only in release/version: $(grep '^>' <<<"$d" | cut -c3- | paste -sd' ')"
    else
        bad "regen/$new/meta.toml" "does not record release $new"
    fi
}

# changed_case RELEASE [GEN_INSTALLED GEN_CHANGED]: the layout-change
# direction; with the names of gen's runs, also gen --diff.
changed_case() {
    local rel=$1 name="changed/$1/$struct" set
    set=$(expected_set "/lib/modules/$rel/build")
    if build changed "$work/changed"; then
        bad "$name/build" "hello built against a changed struct $struct" "$work/changed.log"
    else
        expect "$name/build" "$work/changed.log" "layout mismatch: .*struct ${struct}[. ]"
    fi
    if [ -z "$(find "$work/out-changed" -name '*.ko')" ]; then
        ok "$name/no-ko" "nothing copied to KMOD_OUT"
    else
        bad "$name/no-ko" "a .ko reached KMOD_OUT: $(find "$work/out-changed" -name '*.ko' -printf '%f ')"
    fi
    if [ $# -ne 3 ]; then
        echo "skip  $name/diff: gen has no --diff"
        skipped=$((skipped + 1))
        return
    fi
    gen_wait "$2" "$name/diff" && gen_wait "$3" "$name/diff" || return
    local rc
    if cargo run -q -p gen -- --diff "$work/$2/$set" "$work/$3/$set" >"$work/diff.log" 2>&1; then
        expect "$name/diff" "$work/diff.log" "struct $struct"
    else
        bad "$name/diff" "gen --diff failed" "$work/diff.log"
    fi
    cargo run -q -p gen -- --strict --diff "$work/$2/$set" "$work/$3/$set" >"$work/strict.log" 2>&1
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q "struct $struct" "$work/strict.log"; then
        ok "$name/diff-strict" "gen --diff --strict exits 1 naming struct $struct"
    else
        bad "$name/diff-strict" "gen --diff --strict exits $rc, expected 1 naming struct $struct" "$work/strict.log"
    fi
}

# The copies (a second or two), then gen in the background, then the cases.
new61='' new612='' changed=''
if [ -z "$rel61" ]; then
    bad headers "no installed 6.1 amd64 headers (make setup installs them)"
elif ! grep -q "struct $struct\\." "bindings/sets/$(expected_set "/lib/modules/$rel61/build")/layout.txt"; then
    bad "changed/$rel61" "the set checks no field of struct $struct: edit another struct"
else
    new61=$(bumped "$rel61")
    bump_tree "$rel61" "$new61" "$work/linux-headers-$new61" ||
        { bad "bumped/$new61" "could not make a point-release copy of $rel61"; new61=; }
    if changed_tree "$rel61" "$work/changed"; then
        changed=1
    else
        bad "changed/$rel61" "could not make a copy of $rel61 with struct $struct changed"
    fi
fi
if [ -z "$rel612" ]; then
    bad headers "no installed 6.12 amd64 headers (make setup installs them)"
else
    new612=$(bumped "$rel612")
    bump_tree "$rel612" "$new612" "$work/linux-headers-$new612" ||
        { bad "bumped/$new612" "could not make a point-release copy of $rel612"; new612=; }
fi

if [ -n "$new61" ] || [ -n "$changed" ]; then
    # Built once, before the runs that share its binary.
    cargo build -q -p gen || bad gen "gen does not build"
    cargo run -q -p gen -- --help | grep -q -- '--diff' && has_diff=1 || has_diff=
    # The baseline: the committed set when it was made from this very
    # release (gen-check proves gen makes exactly it), else a fresh run.
    set61=$(expected_set "/lib/modules/$rel61/build")
    if [ "$(ko_facts set release "bindings/sets/$set61")" = "$rel61" ]; then
        mkdir -p "$work/installed" && cp -r "bindings/sets/$set61" "$work/installed/" && gen_rc[installed]=0
    else
        gen_start installed "/lib/modules/$rel61/build"
    fi
    [ -z "$new61" ] || gen_start bumped "$work/linux-headers-$new61"
    [ -z "$changed" ] || [ -z "$has_diff" ] || gen_start changed "$work/changed"
fi
[ -z "$new61" ] || bumped_case "$rel61" "$new61" installed bumped
[ -z "$changed" ] || changed_case "$rel61" ${has_diff:+installed changed}
[ -z "$new612" ] || bumped_case "$rel612" "$new612"

summary="drift: $passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary+=", $skipped skipped (gen has no --diff)"
echo "$summary"
[ "$failed" -eq 0 ]
