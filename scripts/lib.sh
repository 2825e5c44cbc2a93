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

# The kernel release (UTS_RELEASE) of a header tree; empty if it is none.
tree_release() {
    sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$1/include/generated/utsrelease.h" 2>/dev/null
}

# The committed set a header tree should use: <major>.<minor>-<flavor>, the
# flavor being the release's words after version and ABI number.
expected_set() {
    local code release flavor
    code=$(sed -n 's/^#define LINUX_VERSION_CODE \([0-9]*\)$/\1/p' "$1/include/generated/uapi/linux/version.h")
    release=$(tree_release "$1")
    flavor=$(echo "$release" | tr - '\n' | sed 1d | grep -v '^[0-9]*$' | paste -sd-)
    echo "$((code >> 16)).$(((code >> 8) & 255))-${flavor:-default}"
}
