#!/usr/bin/env bash
# A module project of a user's own, outside this repository, built on the
# crates alone. The steps, called by scripts/test.sh:
#
#   downstream.sh package                 `cargo package --list` of the
#                                         kernel and kernel-bindings crates
#                                         holds every file of their
#                                         directories that git tracks
#   downstream.sh create path   DIR NAME  `make new` project; `kernel` is a
#                                         path dependency on this checkout
#   downstream.sh create vendor DIR NAME  the same, but `kernel` is a git
#                                         dependency on a snapshot of this
#                                         checkout, then `cargo vendor`; the
#                                         snapshot is deleted afterwards
#   downstream.sh build DIR RELEASE OUT [VAR=value...]
#                                         `make KDIR=... VAR=value...` in DIR
#                                         (KERNEL=RELEASE if not installed),
#                                         .ko and log to OUT; a vendored
#                                         project builds in a network
#                                         namespace without network, with an
#                                         empty CARGO_HOME; with REGEN=1 the
#                                         set must be generated, not committed
#   downstream.sh vm RELEASE OUT NAME...  loads OUT/NAME.ko (whom=NAME) in
#                                         QEMU and checks the kernel log
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

me=${0##*/}
fail() { echo "$me: FAIL: $*"; exit 1; }

create() { # MODE DIR NAME
    local mode=$1 dir=$2 name=$3
    case $dir/ in "$repo"/*) fail "$dir is inside the repository" ;; esac
    make --no-print-directory -C "$repo" new NAME="$name" DIR="$dir/$name" || fail "make new"
    # make new starts the project from the versions this repository is
    # tested with (a newer crates.io release must not change what this test
    # proves), with the user's normal permissions.
    cmp -s "$repo/Cargo.lock" "$dir/$name/Cargo.lock" || fail "make new did not copy the tested Cargo.lock"
    local perms
    perms=$(printf '%o' $((0777 & ~$(umask))))
    [ "$(stat -c %a "$dir/$name")" = "$perms" ] || fail "make new made $dir/$name mode $(stat -c %a "$dir/$name"), not $perms"
    [ "$mode" = vendor ] || { echo "created $dir/$name (path dependency)"; return; }

    # The checkout as a user's git server would have it: every file that is
    # tracked or not ignored, as one commit.
    local snapshot=$dir/rust.ko
    mkdir -p "$snapshot"
    (cd "$repo" && git ls-files -z -co --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -xf - -C "$snapshot" || fail "snapshot of the checkout"
    git -C "$snapshot" init -q &&
        git -C "$snapshot" add -A &&
        git -C "$snapshot" -c user.name=test -c user.email=test@invalid commit -q -m snapshot ||
        fail "git snapshot"
    local project=$dir/$name
    sed -i "s|^kernel = { path = .* }$|kernel = { git = \"file://$snapshot\" }|" "$project/Cargo.toml"
    grep -q '^kernel = { git = ' "$project/Cargo.toml" || fail "no kernel dependency line in $project/Cargo.toml"
    # Vendored with the cargo on PATH (rustup's), as a user would: Debian's
    # cargo 1.96 cannot fetch git sources ("invalid version 0 on
    # git_proxy_options", its libgit2, even with net.git-fetch-with-cli).
    # A CARGO_HOME of its own (git checkouts land there), sharing the user's
    # crates.io download cache: crates already downloaded are not fetched again.
    local home=$dir/cargo-home
    mkdir -p "$home"
    [ -d "${CARGO_HOME:-$HOME/.cargo}/registry" ] && ln -s "${CARGO_HOME:-$HOME/.cargo}/registry" "$home/registry"
    mkdir -p "$project/.cargo"
    (cd "$project" && CARGO_HOME=$home cargo vendor vendor >.cargo/config.toml 2>"$dir/cargo-vendor.log") || { cat "$dir/cargo-vendor.log"; fail "cargo vendor"; }
    rm -rf "$snapshot" "$home"
    for crate in kernel kernel-bindings kernel-tree; do
        [ -f "$project/vendor/$crate/Cargo.toml" ] || fail "cargo vendor did not vendor $crate"
    done
    echo "created $dir/$name (git dependency, vendored: $(ls "$project/vendor" | wc -l) crates, $(du -sh "$project/vendor" | cut -f1))"
}

# The header tree of RELEASE (installed, or as make KERNEL= fetches it) and
# the make argument that builds for it.
tree_of() { if [ -d "/lib/modules/$1/build" ]; then echo "/lib/modules/$1/build"; else kernel_tree "$1"; fi; }
kernel_arg() { if [ -d "/lib/modules/$1/build" ]; then echo "KDIR=/lib/modules/$1/build"; else echo "KERNEL=$1"; fi; }

build() { # DIR RELEASE OUT [VAR=value...]
    local project=$1 rel=$2 out name set tree
    # (Absolute: make runs in the project.)
    out=$(mkdir -p "$3" && cd "$3" && pwd) || fail "cannot create $3"
    shift 3
    name=$(basename "$project")
    local isolate=()
    if [ -d "$project/vendor" ]; then
        # No network at all, and nothing cargo downloaded before.
        isolate=(unshare -n)
        [ "$(id -u)" = 0 ] || isolate=(unshare -rn)
        "${isolate[@]}" true || fail "cannot create a network namespace (${isolate[*]}); needs root or user namespaces"
        rm -rf "$out/cargo-home-$name" && mkdir "$out/cargo-home-$name" || fail "cannot create $out/cargo-home-$name"
        isolate+=(env CARGO_HOME="$out/cargo-home-$name" CARGO_NET_OFFLINE=true)
    fi
    tree=$(tree_of "$rel") || fail "no header tree for $rel: $tree"
    "${isolate[@]}" make --no-print-directory -C "$project" "$(kernel_arg "$rel")" \
        KMOD_BUILD="$out/build-$name" KMOD_OUT="$out" "$@" >"$out/$name-build.log" 2>&1 ||
        { cat "$out/$name-build.log"; fail "building $name for $rel"; }
    set="$(expected_set "$tree"): "
    case " $* " in *" REGEN=1 "*) set+="generated at build time" ;; esac
    grep -q "BINDINGS $set" "$out/$name-build.log" || fail "$name for $rel: no 'BINDINGS $set' line in the build log"
    grep -q "LAYOUT .* match kernel $rel" "$out/$name-build.log" || fail "$name for $rel: no layout proof in the log"
    "$repo/scripts/check-ko.sh" "$out/$name.ko" "$tree" "$out/$name-build.log" ||
        fail "static checks of $name.ko for $rel"
    echo "$name.ko for $rel${*:+ ($*)}: built ($(stat -c %s "$out/$name.ko") B), $(grep -o "BINDINGS .*" "$out/$name-build.log"), static checks ok"
}

vm() { # RELEASE OUT NAME...
    local rel=$1 out name expected=() files=() generation
    out=$(cd "$2" && pwd) || fail "no $2"
    shift 2
    generation="a kernel before 6.12"
    [ "$(printf '%s\n' 6.12 "$(expected_set "$(tree_of "$rel")" | cut -d- -f1)" | sort -V | head -1)" = 6.12 ] &&
        generation="6.12 or later"
    : >"$out/downstream.sh"
    for name in "$@"; do
        echo "insmod $name.ko whom=$name && rmmod $name" >>"$out/downstream.sh"
        expected+=("$name: hello, $name" "$name: built for $generation" "$name: exit")
        files+=("$out/$name.ko")
    done
    "$repo/scripts/vm-run.sh" "$rel" "$out/downstream.sh" "${files[@]}" >"$out/vm.log" 2>"$out/vm.err" ||
        { cat "$out/vm.err"; tail -n 40 "$out/vm.log"; fail "the VM did not finish"; }
    "$repo/scripts/vm-check-log.sh" "$out/vm.log" "${expected[@]}" || fail "log check"
    echo "loaded in $rel: $*"
}

package() {
    local crate dir listed tracked missing bytes
    for crate in kernel:kernel kernel-bindings:bindings; do
        dir=${crate#*:} crate=${crate%%:*}
        listed=$(cd "$repo" && cargo package --list --allow-dirty --quiet -p "$crate" 2>/dev/null) ||
            fail "cargo package --list -p $crate"
        tracked=$(cd "$repo/$dir" && git ls-files)
        [ -n "$tracked" ] || fail "git tracks nothing in $dir/"
        missing=$(comm -23 <(sort <<<"$tracked") <(sort <<<"$listed"))
        [ -z "$missing" ] || fail "the $crate package lacks:$(sed 's/^/ /' <<<"$missing" | head -5 | tr '\n' ' ')"
        # What crates.io would receive: the listed files as a gzip'd tar
        # (its upload limit is 10 MB; every set must fit).
        # (Files cargo writes itself, such as Cargo.toml.orig, are not on disk.)
        bytes=$(cd "$repo/$dir" && while read -r f; do [ ! -f "$f" ] || echo "$f"; done <<<"$listed" |
            tar -cf - --owner=0 --group=0 -T - | gzip -9 | wc -c) || fail "cannot tar the $crate package"
        [ "$bytes" -le 10000000 ] || fail "the $crate package is $bytes bytes compressed, over crates.io's 10 MB"
        echo "$crate: $(wc -l <<<"$listed") files packaged, all $(wc -l <<<"$tracked") of $dir/ in git, $bytes bytes compressed"
    done
    # The README shows the template's Makefile as a user writes it.
    awk '/^```make$/ { on = 1; next } /^```$/ { on = 0 } on' "$repo/README.md" |
        cmp -s - "$repo/examples/out-of-tree/Makefile" ||
        fail "README.md's make block differs from examples/out-of-tree/Makefile"
}

case ${1:-} in
    package) package ;;
    create) [ $# -eq 4 ] && [[ $2 =~ ^(path|vendor)$ ]] || { echo "usage: $me create path|vendor DIR NAME" >&2; exit 2; }
        create "$2" "$(cd "$3" && pwd)" "$4" ;;
    build) [ $# -ge 4 ] || { echo "usage: $me build DIR RELEASE OUT [VAR=value...]" >&2; exit 2; }
        build "${@:2}" ;;
    vm) [ $# -ge 4 ] || { echo "usage: $me vm RELEASE OUT NAME..." >&2; exit 2; }
        vm "$2" "$3" "${@:4}" ;;
    *) echo "usage: $me create|build|vm ..." >&2; exit 2 ;;
esac
