#!/usr/bin/env bash
# The DKMS package, end to end, on this machine (needs root; installs and
# purges packages, restores what it changed even when it fails):
#   package     make dkms: hello-dkms_<version>_all.deb, its dkms.conf,
#               dkms.mk, vendored crates and sets, its dependencies
#   install     apt-get install of the .deb builds and installs hello for
#               every installed kernel with headers (dkms status, the file
#               in /lib/modules/<release>/updates/dkms, vermagic), signed
#               with DKMS's MOK key (modinfo -F signer)
#   two point   an older point release of the installed plain amd64
#   releases    kernel's series gets its headers installed first (from this
#               machine's apt sources), so the package builds for both:
#               the old one with a committed layout variant, not REGEN
#   later       headers arriving later: one kernel's module removed, DKMS's
#               header_postinst.d hook rebuilds it in a network namespace
#               with no network and no HOME (the offline build)
#   no set      a kernel with no fitting set: without libclang, dkms
#               install fails for it, make.log ends with the one line
#               naming the package to install, the package and the other
#               kernels' modules stay installed; with libclang, the build
#               generates its set by itself (REGEN=1, offline, from the
#               vendored generator) and says so in one line
#   vm          every kernel loads its DKMS-installed hello in QEMU
#   downstream  a `make new` project vendored with `cargo vendor`: make
#               dkms, installed, built offline by DKMS, loaded in QEMU; one
#               with a path dependency: make dkms, its tree resolves offline
#   install     make install staged (INSTALL_MOD_PATH) for every kernel, and
#               one real install into /lib/modules/<release>/updates, removed
#   purge       nothing is left: no DKMS tree, sources, cache or .ko
# Prints one summary line last; exits non-zero on failure.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

me=${0##*/}
fail() { echo "$me: FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (installs the package)"
command -v dkms >/dev/null || fail "dkms is not installed (make setup)"
start=$SECONDS

out=$repo/build/test/dkms
rm -rf "$out"
mkdir -p "$out" || fail "cannot create $out"
work=$(mktemp -d)
name=hello
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/module/Cargo.toml" | head -n1)
[ -n "$version" ] || fail "no version in module/Cargo.toml"

# What this test changes on the machine, and undoes.
created_key=
[ -e /var/lib/dkms/mok.key ] || created_key=1
created_noauto=
real_install=
old_headers=
packages=("$name-dkms" oot-dkms-dkms)
cleanup() {
    local p
    for p in "${packages[@]}"; do
        if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed'; then
            DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$p" >>"$out/cleanup.log" 2>&1
        fi
    done
    if [ -n "$old_headers" ]; then
        # shellcheck disable=SC2086 # one word per package
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $old_headers >>"$out/cleanup.log" 2>&1
        # What depmod and make install left of a kernel that was not here.
        rm -rf "/lib/modules/$old"
    fi
    [ -z "$created_noauto" ] || rm -f /etc/dkms/no-autoinstall
    [ -z "$created_key" ] || rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
    if [ -n "$real_install" ]; then
        rm -f "/lib/modules/$real_install/updates/$name.ko"*
        depmod "$real_install"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
for p in "${packages[@]}"; do
    ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed' ||
        fail "$p is installed already: apt-get purge $p first"
done

## two point releases: the oldest of the plain amd64 kernel's series this
## machine's apt serves, installed beside the newest
newest=$(release_of linux-headers-amd64)
[ -n "$newest" ] || fail "linux-headers-amd64 is not installed (make setup)"
old=$(dkms_old_release)
if [ -z "$old" ] || [ "$old" = "$newest" ]; then fail "apt serves no older point release of $newest's series"; fi
if [ ! -e "/lib/modules/$old" ]; then
    # Undone by cleanup: the packages this pulled in, and the directory.
    before=$(dpkg-query -W -f='${Package} ${Status}\n' | awk '/ installed$/ { print $1 }')
    old_headers=linux-headers-$old
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "linux-headers-$old" \
        >"$out/old-headers.log" 2>&1 || { tail -n 30 "$out/old-headers.log"; fail "apt-get install linux-headers-$old"; }
    old_headers=$(dpkg-query -W -f='${Package} ${Status}\n' | awk '/ installed$/ { print $1 }' | grep -vxF "$before")
elif [ ! -e "/lib/modules/$old/build/include" ]; then
    fail "/lib/modules/$old exists without its headers: apt-get install linux-headers-$old, or remove it"
fi
releases=()
for dir in /lib/modules/*; do
    [ -e "$dir/build/include" ] && releases+=("${dir##*/}")
done
[ ${#releases[@]} -gt 1 ] || fail "no kernel headers installed"

## package
make --no-print-directory -C "$repo" dkms KMOD_OUT="$out" >"$out/make-dkms.log" 2>&1 ||
    { cat "$out/make-dkms.log"; fail "make dkms"; }
deb=$out/${name}-dkms_${version}_all.deb
[ -f "$deb" ] || fail "make dkms made no $deb"
size=$(stat -c %s "$deb")
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./||' >"$out/contents"
src=usr/src/$name-$version
for f in dkms.conf dkms.mk Cargo.toml Cargo.lock .cargo/config.toml module/src/lib.rs \
    bindings/mk/kmod.mk kernel-tree/tool/ko-facts.rs kernel/Cargo.toml vendor/bindgen/Cargo.toml; do
    grep -qxF "$src/$f" "$out/contents" || fail "the package lacks /$src/$f"
done
for set in "$repo"/bindings/sets/*/; do
    set=${set%/} set=${set##*/}
    grep -q "^$src/bindings/sets/$set/" "$out/contents" || fail "the package lacks the set $set"
done
! grep -q "^$src/\(build\|target\)/\|\.ko$" "$out/contents" || fail "the package carries build outputs"
dpkg-deb -e "$deb" "$work/control" || fail "dpkg-deb -e"
dpkg-deb -x "$deb" "$work/tree" || fail "dpkg-deb -x"
depends=$(sed -n 's/^Depends: //p' "$work/control/control")
for dep in dkms 'rustc-web (>= 1.85) | rustc (>= 1.85)' 'rust-web-src (>= 1.85) | rust-src (>= 1.85)' \
    'cargo-web (>= 1.85) | cargo (>= 1.85)' gcc make; do
    [[ ", $depends, " == *", $dep"[\ ,]* ]] || fail "Depends lacks '$dep': $depends"
done
conf=$work/tree/$src/dkms.conf
# shellcheck disable=SC2016 # dkms.conf's own variable, literally
for line in "BUILT_MODULE_NAME[0]=\"$name\"" 'DEST_MODULE_LOCATION[0]="/updates/dkms"' 'AUTOINSTALL="yes"' \
    'MAKE[0]="sh bindings/mk/dkms-make.sh ${kernel_source_dir} ${kernelver}"'; do
    grep -qxF "$line" "$conf" || fail "dkms.conf lacks $line"
done
! grep -rq "$repo\|$HOME" "$work/tree/$src/dkms.mk" "$work/tree/$src/dkms.conf" "$work/tree/$src/.cargo/config.toml" ||
    fail "the package names a path of this machine"
echo "package: $deb, $size bytes, $(wc -l <"$out/contents") entries"

## install
t0=$SECONDS
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" >"$out/install.log" 2>&1 ||
    { tail -n 60 "$out/install.log"; fail "apt-get install $deb"; }
install_s=$((SECONDS - t0))
cert_cn=$(openssl x509 -inform DER -in /var/lib/dkms/mok.pub -noout -subject -nameopt multiline 2>/dev/null |
    sed -n 's/^ *commonName *= *//p')
[ -n "$cert_cn" ] || fail "no DKMS MOK certificate /var/lib/dkms/mok.pub after the install"
first() { [ -e "$1" ] && echo "$1"; return 0; } # the first match of a glob, if any
installed_ko() { first "/lib/modules/$1/updates/dkms/$name.ko"*; }
plain_ko() { # KO OUT: the module uncompressed
    case $1 in
        *.xz) xz -dc "$1" >"$2" ;; *.zst) zstd -qdc "$1" >"$2" ;; *.gz) gzip -dc "$1" >"$2" ;; *) cp "$1" "$2" ;;
    esac
}
check_installed() { # RELEASE
    local ko
    dkms status -m "$name" -v "$version" -k "$1" 2>/dev/null | grep -q ': installed' ||
        fail "dkms status: $name not installed for $1: $(dkms status -m "$name" -k "$1" 2>&1)"
    ko=$(installed_ko "$1")
    [ -n "$ko" ] || fail "no /lib/modules/$1/updates/dkms/$name.ko*"
    [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$1" ] || fail "$ko: vermagic $(modinfo -F vermagic "$ko")"
    [ "$(modinfo -F signer "$ko")" = "$cert_cn" ] || fail "$ko: signer '$(modinfo -F signer "$ko")', not '$cert_cn'"
    [ "$(modinfo -k "$1" -n "$name" 2>/dev/null)" = "$ko" ] || fail "modinfo -k $1 $name does not find $ko (depmod)"
}
per_kernel=()
for rel in "${releases[@]}"; do
    check_installed "$rel"
    s=$(tr -d '\r' <"$out/install.log" | sed -n "s/^$name: installed for $rel (\([0-9]*\) s)$/\1/p")
    per_kernel+=("$rel ${s:-?} s")
done
echo "install: ${#releases[@]} kernels in $install_s s (${per_kernel[*]}), signed by '$cert_cn'"
# The older point release got a committed set or variant, by its proof.
# (A built module's make.log moves to <kernel>/<arch>/log/.)
old_set=$(sed -n 's/^  BINDINGS \([^:]*\): .*/\1/p' "/var/lib/dkms/$name/$version/$old"/*/log/make.log)
grep -q "LAYOUT .* match kernel $old" "/var/lib/dkms/$name/$version/$old"/*/log/make.log ||
    fail "the build for $old has no passing layout proof"
[[ -n $old_set && $(grep "BINDINGS" "/var/lib/dkms/$name/$version/$old"/*/log/make.log) != *"generated at build time"* ]] ||
    fail "the build for $old did not use a committed set: $(grep BINDINGS "/var/lib/dkms/$name/$version/$old"/*/log/make.log)"
echo "two point releases: $old with $old_set, $newest with $(sed -n 's/^  BINDINGS \([^:]*\): .*/\1/p' "/var/lib/dkms/$name/$version/$newest"/*/log/make.log)"

## later: headers arriving for a kernel, built offline by DKMS's hook
rel=${releases[0]}
dkms remove -m "$name" -v "$version" -k "$rel" >"$out/remove.log" 2>&1 || { cat "$out/remove.log"; fail "dkms remove -k $rel"; }
[ -z "$(installed_ko "$rel")" ] || fail "dkms remove left $(installed_ko "$rel")"
hook=/etc/kernel/header_postinst.d/dkms
[ -x "$hook" ] || fail "no $hook (dkms's kernel headers hook)"
t0=$SECONDS
# shellcheck disable=SC2016 # expanded by the inner sh
env -u HOME unshare -n sh -c '! getent ahosts deb.debian.org >/dev/null && exec "$0" "$@"' "$hook" "$rel" \
    >"$out/hook.log" 2>&1 || { cat "$out/hook.log"; fail "$hook $rel without network"; }
later_s=$((SECONDS - t0))
check_installed "$rel"
echo "later: $hook $rel rebuilt it with no network in $later_s s"

## no set: a kernel no committed set fits
rel=${releases[${#releases[@]}-1]}
dkms remove -m "$name" -v "$version" -k "$rel" >>"$out/remove.log" 2>&1 || fail "dkms remove -k $rel"
mkdir -p "$work/no-sets"
# Without libclang (clang-sys looks in LIBCLANG_PATH when it is set).
if LIBCLANG_PATH=$work/no-libclang KO_SETS_DIR=$work/no-sets dkms install -m "$name" -v "$version" -k "$rel" \
    >"$out/noset.log" 2>&1; then
    fail "dkms install for $rel succeeded without a set and without libclang"
fi
grep -q "Bad return status for module build on kernel: $rel" "$out/noset.log" ||
    { cat "$out/noset.log"; fail "DKMS did not report a build failure for $rel"; }
cp "/var/lib/dkms/$name/$version/build/make.log" "$out/noset-make.log"
last=$(tail -n1 "$out/noset-make.log")
[[ $last == "dkms: no committed binding set fits kernel $rel (no committed binding set for kernel $rel"*"sudo apt-get install libclang-dev"* ]] ||
    { cat "$out/noset-make.log"; fail "make.log does not end with the no-libclang line: $last"; }
[ -z "$(installed_ko "$rel")" ] || fail "a failed build left $(installed_ko "$rel")"
dpkg-query -W -f='${Status}' "$name-dkms" | grep -qx 'install ok installed' || fail "the package is not installed any more"
for other in "${releases[@]}"; do [ "$other" = "$rel" ] || check_installed "$other"; done
# With libclang the build falls back to generating the set at build time
# from the vendored generator by itself, still with no network and still
# with no committed set; the vm step below loads what it built.
t0=$SECONDS
KO_SETS_DIR=$work/no-sets env -u HOME unshare -n dkms install -m "$name" -v "$version" -k "$rel" \
    >"$out/regen.log" 2>&1 ||
    { cat "$out/regen.log"; tail -n 30 "/var/lib/dkms/$name/$version/build/make.log"; fail "dkms install -k $rel (the REGEN fallback) without network"; }
regen_s=$((SECONDS - t0))
check_installed "$rel"
cat "/var/lib/dkms/$name/$version/$rel"/*/log/make.log >"$out/regen-make.log"
said=$(grep -c "^dkms: no committed binding set fits kernel $rel (.*): generating one at build time (REGEN=1, libclang)$" "$out/regen-make.log")
[ "$said" = 1 ] || { cat "$out/regen-make.log"; fail "the fallback did not say so in one line"; }
grep -q "BINDINGS .*: generated at build time from $rel" "$out/regen-make.log" ||
    { cat "$out/regen-make.log"; fail "the fallback build did not generate its set"; }
echo "no set: without libclang '$last' for $rel; the package and $((${#releases[@]} - 1)) other kernels unaffected; with libclang REGEN=1 by itself, offline, in $regen_s s"

## vm: the installed modules load
vm_load() { # RELEASE DIR NAME EXPECTED...: loads DIR/NAME.ko in RELEASE
    local rel=$1 dir=$2 mod=$3
    shift 3
    echo "insmod $mod.ko && rmmod $mod" >"$dir/snippet.sh"
    "$repo/scripts/vm-run.sh" "$rel" "$dir/snippet.sh" "$dir/$mod.ko" >"$dir/vm.log" 2>"$dir/vm.err" ||
        { cat "$dir/vm.err"; tail -n 40 "$dir/vm.log"; fail "the VM of $rel did not finish"; }
    "$repo/scripts/vm-check-log.sh" "$dir/vm.log" "$@" >"$dir/check.log" 2>&1 ||
        { cat "$dir/check.log"; fail "$mod in $rel: log check ($dir/vm.log)"; }
}
for rel in "${releases[@]}"; do
    mkdir -p "$out/vm/$rel"
    plain_ko "$(installed_ko "$rel")" "$out/vm/$rel/$name.ko" || fail "cannot unpack $(installed_ko "$rel")"
    vm_load "$rel" "$out/vm/$rel" "$name" 'hello: init' 'hello from rust' 'hello: exit'
done
echo "vm: the DKMS-built, stripped, signed $name loads in ${#releases[@]} kernels"

## downstream: module projects of their own
bash "$repo/tests/downstream.sh" create vendor "$work" oot_dkms >"$out/downstream-create.log" 2>&1 ||
    { cat "$out/downstream-create.log"; fail "downstream.sh create vendor"; }
proj=$work/oot_dkms
make --no-print-directory -C "$proj" dkms >"$out/downstream-dkms.log" 2>&1 || { cat "$out/downstream-dkms.log"; fail "make dkms in $proj"; }
odeb=$proj/oot-dkms-dkms_0.1.0_all.deb
[ -f "$odeb" ] || fail "make dkms in $proj made no $odeb"
dpkg-deb -c "$odeb" >"$out/downstream-contents" || fail "dpkg-deb -c $odeb"
grep -q '/usr/src/oot_dkms-0.1.0/vendor/kernel-bindings/mk/kmod.mk$' "$out/downstream-contents" || fail "$odeb lacks the vendored kernel-bindings"
[ -e /etc/dkms/no-autoinstall ] || { touch /etc/dkms/no-autoinstall && created_noauto=1; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$odeb" >"$out/downstream-install.log" 2>&1 ||
    { tail -n 40 "$out/downstream-install.log"; fail "apt-get install $odeb"; }
[ -z "$created_noauto" ] || { rm -f /etc/dkms/no-autoinstall; created_noauto=; }
rel=${releases[0]}
t0=$SECONDS
env -u HOME unshare -n dkms install -m oot_dkms -v 0.1.0 -k "$rel" >"$out/downstream-build.log" 2>&1 ||
    { cat "$out/downstream-build.log"; tail -n 30 /var/lib/dkms/oot_dkms/0.1.0/build/make.log; fail "dkms install oot_dkms for $rel"; }
oot_s=$((SECONDS - t0))
ko=$(first "/lib/modules/$rel/updates/dkms/oot_dkms.ko"*)
[ -n "$ko" ] || fail "no /lib/modules/$rel/updates/dkms/oot_dkms.ko*"
[ "$(modinfo -F signer "$ko")" = "$cert_cn" ] || fail "$ko is not signed by '$cert_cn'"
mkdir -p "$out/vm/oot-$rel"
plain_ko "$ko" "$out/vm/oot-$rel/oot_dkms.ko" || fail "cannot unpack $ko"
generation="a kernel before 6.12"
[ "$(printf '%s\n' 6.12 "$(expected_set "/lib/modules/$rel/build" | cut -d- -f1)" | sort -V | head -n1)" = 6.12 ] &&
    generation="6.12 or later"
vm_load "$rel" "$out/vm/oot-$rel" oot_dkms 'oot_dkms: hello, world' "oot_dkms: built for $generation" 'oot_dkms: exit'
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q oot-dkms-dkms >>"$out/downstream-install.log" 2>&1 || fail "apt-get purge oot-dkms-dkms"
left=$(ls -d /var/lib/dkms/oot_dkms /var/cache/oot_dkms-dkms /usr/src/oot_dkms-* /lib/modules/*/updates/dkms/oot_dkms.ko* 2>/dev/null)
[ -z "$left" ] || fail "purging oot-dkms-dkms left $left"
# A path dependency on this checkout: the checkout's crates travel in deps/.
bash "$repo/tests/downstream.sh" create path "$work" oot_pdkms >>"$out/downstream-create.log" 2>&1 ||
    { cat "$out/downstream-create.log"; fail "downstream.sh create path"; }
make --no-print-directory -C "$work/oot_pdkms" dkms >>"$out/downstream-dkms.log" 2>&1 || { cat "$out/downstream-dkms.log"; fail "make dkms in $work/oot_pdkms"; }
pdeb=$work/oot_pdkms/oot-pdkms-dkms_0.1.0_all.deb
dpkg-deb -x "$pdeb" "$work/ptree" || fail "dpkg-deb -x $pdeb"
ptree=$work/ptree/usr/src/oot_pdkms-0.1.0
grep -q '^kernel = { path = "deps/0/kernel" }' "$ptree/Cargo.toml" || fail "$pdeb: Cargo.toml's kernel path not rewritten: $(grep '^kernel' "$ptree/Cargo.toml")"
grep -q 'deps/0/bindings/mk/kmod.mk' "$ptree/dkms.mk" || fail "$pdeb: dkms.mk does not include deps/0/bindings/mk/kmod.mk"
mkdir -p "$work/empty-home"
(cd "$ptree" && CARGO_HOME=$work/empty-home unshare -n cargo metadata --offline --format-version 1 >/dev/null 2>"$out/downstream-path-metadata.log") ||
    { cat "$out/downstream-path-metadata.log"; fail "$pdeb: its tree does not resolve offline"; }
echo "downstream: vendored project packaged, built by DKMS offline for $rel in $oot_s s, loaded; path project packaged, resolves offline"

## make install: staged for every kernel, one real install
for rel in "${releases[@]}"; do
    make --no-print-directory -C "$repo" install KDIR="/lib/modules/$rel/build" KMOD_BUILD="$out/build" \
        KMOD_OUT="$out" INSTALL_MOD_PATH="$work/stage" >"$out/install-$rel.log" 2>&1 ||
        { cat "$out/install-$rel.log"; fail "make install for $rel"; }
    ls "$work/stage/lib/modules/$rel/updates/$name.ko"* >/dev/null 2>&1 || fail "make install: no updates/$name.ko* for $rel"
    grep -q "^updates/$name.ko" "$work/stage/lib/modules/$rel/modules.dep" || fail "make install: depmod did not list $name for $rel"
done
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$name-dkms" >"$out/purge.log" 2>&1 || { cat "$out/purge.log"; fail "apt-get purge $name-dkms"; }
rel=${releases[0]}
real_install=$rel
make --no-print-directory -C "$repo" install KDIR="/lib/modules/$rel/build" KMOD_BUILD="$out/build" KMOD_OUT="$out" \
    >"$out/install-real.log" 2>&1 || { cat "$out/install-real.log"; fail "make install for $rel"; }
ko=$(modinfo -k "$rel" -n "$name" 2>/dev/null)
[[ $ko == "/lib/modules/$rel/updates/$name.ko"* ]] || fail "after make install, modinfo -k $rel $name finds '$ko'"
rm -f "/lib/modules/$rel/updates/$name.ko"* && depmod "$rel" && real_install=
! modinfo -k "$rel" -n "$name" >/dev/null 2>&1 || fail "$name still found after removing it"
echo "make install: staged for ${#releases[@]} kernels; installed into /lib/modules/$rel/updates and removed"

## purge (done above): nothing left
left=$(ls -d "/var/lib/dkms/$name" "/usr/src/$name-$version" "/var/cache/$name-dkms" \
    /lib/modules/*/updates/dkms/"$name".ko* 2>/dev/null)
[ -z "$left" ] || fail "purge left: $left"
for rel in "${releases[@]}"; do
    ! grep -q "/$name.ko" "/lib/modules/$rel/modules.dep" || fail "modules.dep of $rel still lists $name"
done
echo "purge: no DKMS tree, sources, cache or module left"

# Debian 13 and unstable: tests/dkms-root.sh DEB in their build roots (not
# run here: a cold build per kernel in each root doubles this test's time).

echo "dkms: $name-dkms ${size} B; installed for ${#releases[@]} kernels in $install_s s (~$((install_s / ${#releases[@]})) s each cold); later/offline, no-set + REGEN=1, vm, downstream, make install, purge ok; in $((SECONDS - start)) s"
