# shellcheck shell=bash
# Shared helpers for the scripts; source it.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Lists the non-comment lines of a data file.
list() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1"; }

# The kernel release an installed Debian header meta package points at,
# e.g. linux-headers-amd64 -> 6.1.0-NN-amd64.
release_of() {
    dpkg-query -W -f='${Depends}' "$1" 2>/dev/null |
        sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p'
}

# The release of every supported kernel whose headers are installed.
supported_releases() {
    local meta rel
    for meta in $(list "$repo/scripts/kernels.txt"); do
        rel=$(release_of "$meta")
        if [ -n "$rel" ] && [ -d "/lib/modules/$rel/build" ]; then
            echo "$rel"
        else
            echo "warning: $meta is not installed (make setup installs it)" >&2
        fi
    done
}

# The rust-ko cache, as kmod.mk names it.
ko_cache() { echo "${KO_CACHE:-${RUST_KO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-ko}}"; }

# The set name of every installed header tree (the sets gen can check here).
installed_sets() {
    local tree
    for tree in /lib/modules/*/build; do
        [ -f "$tree/include/generated/utsrelease.h" ] && ko_facts get set-name "$tree"
    done | sort -u
}

# The kernel matrix beyond the installed kernels: for every committed set,
# the newest release of its series and flavor in Debian's archive (every
# suite of bindings/mk/debian-suites.txt), when its headers are not
# installed here: "<release> <set>". Resolved at run time, so point
# releases move on without a change here. amd64 and arm64 kernels (arm64
# ones are cross-built, booted in qemu-system-aarch64).
matrix_releases() {
    local list
    list=$(for arch in amd64 arm64; do
        bash "$repo/bindings/mk/debian-archive.sh" "$(ko_cache)" kernels "$arch" || exit
    done) || return
    awk '{ print $1 }' <<<"$list" | ko_facts releases | sort -V |
        awk '{ newest[$4] = $1 } END { for (s in newest) print newest[s], s }' |
        while read -r rel set; do
            [ -f "$repo/bindings/sets/$set/meta.toml" ] || continue
            [ -d "/lib/modules/$rel/build" ] && continue
            echo "$rel $set"
        done | sort -V
}

# Every other point release of the series the sets serve, for make test's
# point-release sweep: for each committed set of a plain arch flavor (amd64,
# arm64), every release of its series and flavor in Debian's archive that
# is neither installed here nor in MATRIX (matrix_releases' output) nor
# the DKMS test's (dkms_old_release), oldest first: "<release> <set>". Resolved at run time, like the matrix.
point_releases() {
    local matrix=$1 list dkms_old
    dkms_old=$(dkms_old_release)
    list=$(for arch in amd64 arm64; do
        bash "$repo/bindings/mk/debian-archive.sh" "$(ko_cache)" kernels "$arch" || exit
    done) || return
    awk '{ print $1 }' <<<"$list" | ko_facts releases | sort -V |
        while read -r rel _ flavor set; do
            [[ $flavor == amd64 || $flavor == arm64 ]] || continue
            [ -f "$repo/bindings/sets/$set/meta.toml" ] || continue
            [ -d "/lib/modules/$rel/build" ] && continue
            grep -q "^$rel " <<<"$matrix" && continue
            [ "$rel" != "$dkms_old" ] || continue
            echo "$rel $set"
        done
}

# The older point release tests/dkms.sh installs headers of beside the
# newest (linux-headers-amd64's): the oldest of that series this machine's
# apt sources serve. (The point-release sweep leaves it to that test, which
# installs and removes it while the sweep runs.)
dkms_old_release() {
    local newest prefix
    newest=$(release_of linux-headers-amd64)
    [ -n "$newest" ] || return 0
    prefix=${newest%-*-amd64}-
    apt-cache pkgnames "linux-headers-$prefix" |
        sed -n "s/^linux-headers-\(${prefix//./\\.}[0-9]*-amd64\)$/\1/p" | sort -V | head -n1
}

# The set or layout variant generated from RELEASE, if any (ko-facts
# served): such a release must build with it.
set_made_from() {
    echo "$1" | ko_facts served "$repo/bindings/sets" |
        sed -n 's/^[^ ]* \([^ ]*\) (generated from this release)$/\1/p'
}

# Whether the mirror lists RELEASE's image but does not serve it (404).
# Other errors are not this: the VM step that needs the image reports them.
image_missing() {
    local image
    image=$("$repo/scripts/kernel-image.sh" "$1" 2>&1) && return 1
    [[ $image == *" 404 Not Found"* ]]
}

# For a kernel whose image the mirror lists but does not serve: the newest
# other release of SET's series and flavor whose image it serves (empty if
# none), to boot in its place. Tried newest first; a failed download is
# the next one's turn.
image_standin() {
    local rel=$1 set=$2 arch cand
    for arch in amd64 arm64; do
        bash "$repo/bindings/mk/debian-archive.sh" "$(ko_cache)" kernels "$arch" || return
    done | awk '{ print $1 }' | ko_facts releases |
        awk -v set="$set" -v rel="$rel" '$4 == set && $1 != rel { print $1 }' | sort -rV |
        while read -r cand; do
            "$repo/scripts/kernel-image.sh" "$cand" >/dev/null 2>&1 && { echo "$cand"; break; }
        done
}

# The example crates: every crate under examples/ but the out-of-tree template.
example_crates() {
    local dir
    for dir in "$repo"/examples/*/Cargo.toml; do
        dir=${dir%/Cargo.toml}
        [ "${dir##*/}" = out-of-tree ] || echo "${dir##*/}"
    done
}

# The header tree `make KERNEL=RELEASE` builds against, as a path on this
# machine (inside its build root, if it has one).
kernel_tree() {
    local tree
    tree=$(KO_FACTS=$(ko_facts_tool) bash "$repo/bindings/mk/debian-headers.sh" "$(ko_cache)" "$1") || return
    case $tree in root\ *) read -r _ root kdir <<<"$tree" && echo "$root$kdir" ;; *) echo "$tree" ;; esac
}

# ko-facts ARGS...: the kernel-tree crate's tool, the one source of facts
# about a header tree and its set (kernel-tree/tool/ko-facts.rs: get FIELD
# KDIR, set FIELD SET_DIR, choose KDIR SETS_DIR), compiled once into build/.
ko_facts_tool() { sh "$repo/bindings/mk/ko-facts.sh" "${RUST_ROOT:-/usr}/bin/rustc" "$repo/kernel-tree" "$repo/build"; }
ko_facts() {
    local tool
    tool=$(ko_facts_tool) || return
    "$tool" "$@"
}

# The kernel release (UTS_RELEASE) of a header tree; empty if it is none.
tree_release() { ko_facts get release "$1" 2>/dev/null; }

# The set a header tree should use: <major>.<minor>-<flavor>.
expected_set() { ko_facts get set-name "$1"; }

# step NAME COMMAND...: one test or check of a suite (test.sh, lint.sh). Its
# output goes to $out/NAME.log and is shown when it fails; counts $passed
# and $failed. The ok line carries the log's last line when NAME matches a
# glob of the array $summaries, and ends with the step's wall time.
# shellcheck disable=SC2154 # $out and $summaries are the caller's
step() {
    local name=$1 log="$out/$1.log" start=$SECONDS glob summary=
    shift
    mkdir -p "$(dirname "$log")"
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        for glob in "${summaries[@]}"; do
            # shellcheck disable=SC2053 # $glob is a pattern
            [[ $name == $glob ]] && summary=": $(tail -n1 "$log")"
        done
        echo "ok    $name$summary [$((SECONDS - start)) s]"
    else
        failed=$((failed + 1))
        echo "FAIL  $name [$((SECONDS - start)) s] (log: $log)"
        tail -60 "$log" | sed 's/^/      /'
    fi
}
