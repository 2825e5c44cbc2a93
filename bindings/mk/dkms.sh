#!/usr/bin/env bash
# `make dkms`: a Debian package NAME-dkms_VERSION_all.deb that builds NAME.ko
# with DKMS for every installed kernel, offline, and again for every kernel
# whose headers arrive later. Called by kmod.mk; works for this repository
# and for a module project of its own (path, git or vendored dependency).
#
# usage: dkms.sh CARGO MANIFEST CRATE NAME MK_DIR OUT
#
# The package's source tree (/usr/src/NAME-VERSION):
#   dkms.conf                DKMS's recipe: MAKE[0] runs dkms.mk for $kernelver
#   dkms.mk                  includes the shipped kmod.mk, with the caches
#                            under /var/cache/NAME-dkms and cargo offline
#   Cargo.toml, Cargo.lock   the module's workspace: its root manifest, lock
#   <member dirs>            and every member's files (the module crate, and
#                            in this repository the bindings with their sets)
#   deps/N/...               a workspace outside it that path dependencies
#                            point into (a `make new` project's rust.ko
#                            checkout), with the paths rewritten
#   vendor/, .cargo/         every other crate (`cargo vendor`), so cargo
#                            needs no network: the project's own vendor/ if
#                            it has one
set -euo pipefail

me=dkms.sh
die() { echo "make dkms: $*" >&2; exit 1; }
[ $# -eq 6 ] || { echo "usage: $me CARGO MANIFEST CRATE NAME MK_DIR OUT" >&2; exit 2; }
cargo=$1 manifest=$2 crate=$3 name=$4 mk_dir=$5 out=$6

command -v dpkg-deb >/dev/null || die "dpkg-deb not found: sudo apt-get install dpkg"
[ -f "$manifest" ] || die "no $manifest"
manifest=$(realpath "$manifest")
out=$(mkdir -p "$out" && cd "$out" && pwd)

meta=$("$cargo" metadata --format-version 1 --manifest-path "$manifest") || die "cargo metadata failed"
# One JSON object per package: cargo metadata's "packages" array, split at
# each package's "name" (enough for the fields read here, which are flat).
packages=$(grep -o '"name":"[^"]*","version":"[^"]*","id":"[^"]*"' <<<"$meta" || true)
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
version=$(grep "^\"name\":\"$crate\"," <<<"$packages" | head -n1 | field version)
[ -n "$version" ] || die "cargo metadata of $manifest has no package $crate"
ws0=$("$cargo" locate-project --workspace --message-format plain --manifest-path "$manifest")
ws0=$(dirname "$ws0")
pkg=$name-dkms
[[ $name =~ ^[a-z0-9][a-z0-9_]*$ ]] || die "module name $name is not a Debian package name part"
deb_name=${pkg//_/-}

stage=$(mktemp -d "$out/.dkms-$name.XXXXXX")
trap 'rm -rf "$stage"' EXIT
src=$stage/tree/usr/src/$name-$version
mkdir -p "$src"

# The files of workspace WS that a build needs: its root manifest and the
# directories of its members (the whole workspace if its root is a package),
# without build outputs. Tracked and not-ignored files if it is in git.
ws_files() { # WS
    local ws=$1 members
    members=$("$cargo" metadata --format-version 1 --no-deps --manifest-path "$ws/Cargo.toml" |
        grep -o '"manifest_path":"[^"]*"' | cut -d'"' -f4 | sed 's|/Cargo.toml$||') ||
        die "cargo metadata of $ws failed"
    (
        cd "$ws" || exit 1
        if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
            git ls-files -z -co --exclude-standard
        else
            find . -type f -print0 | sed -z 's|^\./||'
        fi
    ) | while IFS= read -r -d '' f; do
        case $f in target/* | build/* | .git/* | *.ko | *.deb | .dkms-*) continue ;; esac
        [ -e "$ws/$f" ] || continue
        if [ "$f" = Cargo.toml ] || [ "$f" = Cargo.lock ] || [[ $f == .cargo/* ]] || [[ $f == vendor/* ]]; then
            printf '%s\0' "$f"
            continue
        fi
        while read -r m; do
            if [ "$m" = "$ws" ] || [[ $ws/$f == "$m"/* ]]; then printf '%s\0' "$f"; break; fi
        done <<<"$members"
    done
}
copy_ws() { # WS DEST
    mkdir -p "$2"
    ws_files "$1" | (cd "$1" && tar --null -T - -cf -) | tar -xf - -C "$2" || die "cannot copy $1"
}
copy_ws "$ws0" "$src"

# Path packages outside the module's workspace (a `make new` project's
# kernel crate): their workspaces go to deps/N.
others=()
while read -r dir; do
    [ -n "$dir" ] || continue
    case $dir/ in "$ws0"/*) continue ;; esac
    ws=$(dirname "$("$cargo" locate-project --workspace --message-format plain --manifest-path "$dir/Cargo.toml")")
    [[ " ${others[*]} " == *" $ws "* ]] || others+=("$ws")
done < <(grep -o '"id":"path+file://[^"#]*' <<<"$packages" | sed 's|.*path+file://||' | sort -u)
for i in "${!others[@]}"; do
    copy_ws "${others[$i]}" "$src/deps/$i"
done
# Where a path of the original tree is in the package's (empty: nowhere).
staged() { # PATH
    local i
    case $1/ in "$ws0"/*) echo "$src${1#"$ws0"}"; return ;; esac
    for i in "${!others[@]}"; do
        case $1/ in "${others[$i]}"/*) echo "$src/deps/$i${1#"${others[$i]}"}"; return ;; esac
    done
}
# Path dependencies of the module's workspace that point outside it now
# point into deps/.
while IFS= read -r -d '' m; do
    orig=$ws0/${m#"$src"/}
    { grep -v '^[[:space:]]*#' "$m" | grep -o 'path *= *"[^"]*"' || true; } | sort -u | while read -r line; do
        p=${line#*\"} p=${p%\"}
        case $p in /*) abs=$p ;; *) abs=$(realpath -m "$(dirname "$orig")/$p") ;; esac
        case $abs/ in "$ws0"/*) continue ;; esac
        new=$(staged "$abs")
        [ -n "$new" ] || die "$orig: path dependency $p is outside every packaged workspace"
        new=$(realpath -m --relative-to="$(dirname "$m")" "$new")
        sed -i "s|path *= *\"$p\"|path = \"$new\"|" "$m"
    done
done < <(find "$src" -path "$src/vendor" -prune -o -path "$src/deps" -prune -o -name Cargo.toml -print0)

# Every crate not in a packaged workspace: vendored, unless the project
# vendors them itself (its .cargo/config.toml replaces the sources).
if ! grep -qs 'replace-with' "$src/.cargo/config.toml"; then
    mkdir -p "$src/.cargo"
    (cd "$src" && "$cargo" vendor --locked vendor >.cargo/config.toml 2>"$stage/vendor.log") ||
        die "cargo vendor failed (it needs the network once, or the crates in cargo's cache)"
fi

# The bindings crate's make fragment, as the package has it.
bindings=$(realpath "$mk_dir/..")
mk=$(staged "$bindings")
if [ -z "$mk" ]; then
    for mk in "$src/vendor/kernel-bindings" "$src"/vendor/kernel-bindings-*; do
        [ ! -d "$mk" ] || break
    done
fi
[ -f "$mk/mk/kmod.mk" ] || die "the kernel-bindings crate ($bindings) is not in the package"
mk=${mk#"$src"/}/mk/kmod.mk
rel_manifest=$(realpath --relative-to="$ws0" "$ws0/Cargo.toml")

cat >"$src/dkms.mk" <<EOF
# DKMS's build of $name.ko (dkms.conf's MAKE[0]): make -f dkms.mk KDIR=<headers>.
# Generated by make dkms (kernel-bindings' mk/dkms.sh).
KMOD_CRATE := $crate
KMOD_NAME := $name
KMOD_MANIFEST := \$(CURDIR)/$rel_manifest
KMOD_OUT := \$(CURDIR)
KMOD_BUILD := \$(CURDIR)/build
# Caches (core built with the kernel's flags, cargo's target directories,
# materialized sets) survive rebuilds in a directory of the package's own,
# never in the HOME of whoever runs apt; the package's postrm removes it.
KO_CACHE := \$(or \$(DKMS_KO_CACHE),/var/cache/$pkg)
export CARGO_HOME := \$(KO_CACHE)/cargo-home
# Everything cargo needs is in this tree (vendor/, .cargo/config.toml).
export CARGO_NET_OFFLINE := true
include \$(CURDIR)/$mk
EOF

cat >"$src/dkms.conf" <<EOF
# Generated by make dkms (kernel-bindings' mk/dkms.sh).
PACKAGE_NAME="$name"
PACKAGE_VERSION="$version"
# The project's own build (kmod.mk through Kbuild), for DKMS's kernel,
# generating the binding set at build time when no committed one fits
# (dkms-make.sh); no directory lines, so make.log ends with the build's
# error (also when DKMS runs under another make).
MAKE[0]="sh ${mk%/kmod.mk}/dkms-make.sh \${kernel_source_dir} \${kernelver}"
CLEAN="rm -rf build $name.ko"
BUILT_MODULE_NAME[0]="$name"
BUILT_MODULE_LOCATION[0]="."
DEST_MODULE_LOCATION[0]="/updates/dkms"
# strip -g only drops debug sections (line tables); the module stays valid.
STRIP[0]="yes"
AUTOINSTALL="yes"
# The architectures kmod.mk builds for.
BUILD_EXCLUSIVE_ARCH="^(x86_64|aarch64)\$"
EOF

# The Debian package.
deb=$stage/tree/DEBIAN
mkdir -p "$deb"
installed_kb=$(du -sk "$stage/tree/usr" | cut -f1)
cat >"$deb/control" <<EOF
Package: $deb_name
Version: $version
Architecture: all
Section: kernel
Priority: optional
Maintainer: $name maintainers <root@localhost>
Installed-Size: $installed_kb
Depends: dkms (>= 2.8), openssl, rustc-web (>= 1.85) | rustc (>= 1.85), cargo-web (>= 1.85) | cargo (>= 1.85), rust-web-src (>= 1.85) | rust-src (>= 1.85), gcc, make, libc6-dev
Recommends: linux-headers-generic | linux-headers-amd64 | linux-headers-arm64
Suggests: libclang-dev, mokutil, xz-utils
Description: $name kernel module in Rust (DKMS source)
 The Rust kernel module $name, built by DKMS for every installed kernel
 whose headers are present and rebuilt when new headers are installed.
 Built without CONFIG_RUST and without libclang, offline: the crates it
 needs, with the pregenerated kernel binding sets, are in the package.
EOF
cat >"$deb/postinst" <<EOF
#!/bin/sh
# Builds and installs $name.ko for every kernel whose headers are installed
# (unless /etc/dkms/no-autoinstall exists, Debian's switch); a kernel it
# cannot be built for is reported by DKMS and skipped. Kernels installed
# later: DKMS's kernel hooks (AUTOINSTALL=yes).
set -e
if [ "\$1" = configure ]; then
    dkms status -m $name -v $version | grep -q . || dkms add -m $name -v $version
    if [ -f /etc/dkms/no-autoinstall ]; then
        echo "$name: /etc/dkms/no-autoinstall exists: not built (dkms install -m $name -v $version -k <kernel>)"
        exit 0
    fi
    for dir in /lib/modules/*; do
        kernel=\${dir##*/}
        [ -e "\$dir/build/include" ] || continue
        dkms status -m $name -v $version -k "\$kernel" | grep -q ': installed' && continue
        start=\$(date +%s)
        if dkms install -m $name -v $version -k "\$kernel"; then
            echo "$name: installed for \$kernel (\$((\$(date +%s) - start)) s)"
        else
            echo "$name: not built for \$kernel: see the make.log DKMS names above" >&2
        fi
    done
fi
exit 0
EOF
cat >"$deb/prerm" <<EOF
#!/bin/sh
set -e
case "\$1" in
    remove|upgrade|deconfigure)
        if dkms status -m $name -v $version | grep -q .; then
            dkms remove -m $name -v $version --all || true
        fi
        ;;
esac
exit 0
EOF
cat >"$deb/postrm" <<EOF
#!/bin/sh
set -e
case "\$1" in
    remove|purge) rm -rf /var/cache/$pkg ;;
esac
exit 0
EOF
chmod 0755 "$deb/postinst" "$deb/prerm" "$deb/postrm"
file=$out/${deb_name}_${version}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$stage/tree" "$file" >/dev/null || die "dpkg-deb failed"
echo "  DKMS    $file ($(stat -c %s "$file") bytes; /usr/src/$name-$version: $(find "$src" -type f | wc -l) files, ${installed_kb} KiB)"
