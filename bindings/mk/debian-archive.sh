#!/usr/bin/env bash
# Debian's archive as the build sees it: the suites of debian-suites.txt
# (Debian 11 to unstable), through an apt configuration of its own in
# CACHE/apt. The host's apt sources and state are never read or changed,
# and no root is needed. Package lists are fetched (Packages indices only,
# about 80 MB) when missing or older than a day, or on `update`.
#
# usage: debian-archive.sh CACHE update
#        debian-archive.sh CACHE kernels [ARCH]   "<release> <suite>" for every
#            kernel whose headers the archive has (ARCH: amd64, default), oldest first
#        debian-archive.sh CACHE suite RELEASE    the suite shipping RELEASE; else
#            one line naming the nearest releases, exit 1
#        debian-archive.sh CACHE download DIR PACKAGE...   the .debs into DIR
#        debian-archive.sh CACHE depends PACKAGE   its direct dependencies (names
#            only: no architecture qualifier, no <virtual> brackets)
#        debian-archive.sh CACHE version PACKAGE   its candidate version
#        debian-archive.sh CACHE arch RELEASE      the Debian architecture of a kernel release
# KO_FACTS (the ko-facts tool), when set, gives `suite` the flavor rule.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$1/apt
cmd=$2
shift 2
mirror=${DEBIAN_MIRROR:-http://deb.debian.org}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
die() { echo "debian-archive: $*" >&2; exit 1; }

[ -r "$keyring" ] || die "no $keyring: sudo apt-get install debian-archive-keyring"
mkdir -p "$cache/lists/partial" "$cache/archives/partial"
apt_opts=(
    -o "Dir::Etc::SourceList=$cache/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Parts=/dev/null -o "Dir::State::Lists=$cache/lists"
    -o "Dir::Cache=$cache" -o Dir::State::status=/dev/null
    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64
    -o Acquire::Languages=none -o APT::Sandbox::User=root
)
for target in Contents-deb DEP-11 DEP-11-icons DEP-11-icons-small Translations; do
    apt_opts+=(-o "Acquire::IndexTargets::deb::$target::DefaultEnabled=false")
done

# A file of this process's own: parallel builds (make test's jobs) each
# write theirs, and the mv is atomic.
new=$(mktemp "$cache/sources.list.XXXXXX")
trap 'rm -f "$new"' EXIT
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/debian-suites.txt" |
    while read -r suite archive; do
        echo "deb [arch=amd64,arm64 signed-by=$keyring] $mirror/$archive $suite main"
    done >"$new"
if cmp -s "$new" "$cache/sources.list"; then
    rm -f "$new"
else
    chmod 644 "$new"
    mv "$new" "$cache/sources.list"
    rm -f "$cache/updated"
fi

update() {
    local log=$cache/update.log
    apt-get -q "${apt_opts[@]}" update >"$log" 2>&1 ||
        die "cannot fetch Debian's package lists from $mirror ($(grep -m1 -E '^(E|Err|W):' "$log" || tail -n1 "$log")); check the network, or set DEBIAN_MIRROR"
    touch "$cache/updated"
}
fresh() { [ -n "$(find "$cache/updated" -mmin -1440 2>/dev/null)" ]; }
# Debian's arm64 flavors are arm64, arm64-16k, cloud-arm64, rt-arm64.
arch_of() { case $1 in *-arm64 | *-arm64-16k) echo arm64 ;; *) echo amd64 ;; esac; }

# "<release> <suite>" of every linux-headers-<release> package for ARCH:
# the per-flavor header packages, not the meta packages or -common ones.
kernels() {
    local arch=${1:-amd64} f suite
    for f in "$cache"/lists/*_dists_*_main_binary-"$arch"_Packages*; do
        [ -e "$f" ] || continue
        suite=${f##*_dists_}
        suite=${suite%%_main_*}
        # (A suite without kernels, e.g. -updates, is no error.)
        /usr/lib/apt/apt-helper cat-file "$f" |
            sed -n 's/^Package: linux-headers-\([0-9][0-9.]*[-+][^ ]*\)$/\1/p' |
            { grep -v -e '-common' -e '^[0-9.]*-[a-z]' || true; } |
            sed "s/\$/ $suite/"
    done | sort -u -V | awk '!seen[$1]++'
    # (A release in two suites, e.g. trixie and trixie-security, is one
    # line: the first suite's.)
}

case $cmd in
    update) update ;;
    kernels)
        fresh || update
        kernels "$@"
        ;;
    suite)
        release=${1:?release}
        fresh || update
        all=$(kernels "$(arch_of "$release")")
        found=$(awk -v r="$release" '$1 == r { print $2; exit }' <<<"$all")
        if [ -n "$found" ]; then
            echo "$found"
            exit 0
        fi
        # The nearest: releases of the same flavor (KO_FACTS, the ko-facts
        # tool, knows the rule), sorted by version around the one asked for.
        flavor_of() { if [ -n "${KO_FACTS:-}" ]; then "$KO_FACTS" releases | awk '{ print $1, $3 }'; else awk '{ print $1, "?" }'; fi; }
        want=$(echo "$release" | flavor_of | awk '{ print $2 }')
        near=$({ awk '{ print $1 }' <<<"$all" | flavor_of | awk -v f="$want" '$2 == f { print $1 }'; echo "$release"; } |
            sort -u -V | grep -C2 -x -F -- "$release" | grep -v -x -F -- "$release" | paste -sd' ' || true)
        die "no Debian kernel $release in the archive (suites of debian-suites.txt)${near:+; nearest: $near}; see make kernels"
        ;;
    download)
        dir=${1:?dir}
        shift
        fresh || update
        (cd "$dir" && apt-get -q "${apt_opts[@]}" download "$@" >"$cache/download.log" 2>&1) ||
            die "cannot download $* ($( (grep -m1 -A1 -E '^(E|Err):' "$cache/download.log" || tail -n1 "$cache/download.log") | paste -sd' ' | tr -s ' '))"
        ;;
    depends)
        fresh || update
        apt-cache "${apt_opts[@]}" depends --no-recommends --no-suggests --no-conflicts \
            --no-breaks --no-replaces --no-enhances "${1:?package}" 2>/dev/null |
            sed -n 's/^ *Depends: <\{0,1\}\([^ <>:]*\).*/\1/p'
        ;;
    version)
        fresh || update
        apt-cache "${apt_opts[@]}" show --no-all-versions "${1:?package}" 2>/dev/null |
            sed -n 's/^Version: //p' | head -n1 | grep . || die "no package ${1} in the archive"
        ;;
    arch) arch_of "${1:?release}" ;;
    *) die "unknown command $cmd" ;;
esac
