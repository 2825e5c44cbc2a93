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

# ko-facts ARGS...: the kernel-tree crate's tool, the one source of facts
# about a header tree and its set (kernel-tree/tool/ko-facts.rs: get FIELD
# KDIR, set FIELD SET_DIR, choose KDIR SETS_DIR), compiled once into build/.
ko_facts() {
    local tool
    tool=$(sh "$repo/bindings/mk/ko-facts.sh" "${RUST_ROOT:-/usr}/bin/rustc" "$repo/kernel-tree" "$repo/build") || return
    "$tool" "$@"
}

# The kernel release (UTS_RELEASE) of a header tree; empty if it is none.
tree_release() { ko_facts get release "$1" 2>/dev/null; }

# The set a header tree should use: <major>.<minor>-<flavor>.
expected_set() { ko_facts get set-name "$1"; }
