#!/usr/bin/env bash
# Usage: tests/dkms-root.sh ROOT DEB OUT [RELEASE...]
# Installs the DKMS package DEB with apt inside the Debian build root ROOT
# (made by bindings/mk/debian-root.sh for `make KERNEL=`), as a user of that
# release would: its dependencies resolve from that release's archive, and
# DKMS builds the module for the root's amd64 kernels with headers (the
# release's default kernel headers are installed first if it has none).
# With RELEASEs, only those kernels' headers are visible (the others'
# build links are hidden in the overlay): one cold build per kernel is
# the cost. The root is not changed: everything happens in an overlay of
# it, in a mount namespace of its own, discarded at the end; the root's
# lock (debian-root.sh's) is held meanwhile, so no apt run changes it
# under the overlay. Needs root and network.
# Prints one summary line last; exits non-zero on failure.
set -uo pipefail

me=${0##*/}
fail() { echo "$me: FAIL: $*"; exit 1; }
[ $# -ge 3 ] || { echo "usage: $me ROOT DEB OUT [RELEASE...]" >&2; exit 2; }
root=$(cd "$1" && pwd) || fail "no root $1"
deb=$(realpath "$2") || fail "no $2"
out=$(mkdir -p "$3" && cd "$3" && pwd) || fail "cannot create $3"
shift 3
[ -x "$root/usr/bin/apt-get" ] || fail "$root is not a Debian root"
# (The root's own name: sid's os-release has no VERSION_CODENAME.)
codename=${root##*/}
exec 9>"$(dirname "$root")/.$codename.lock"
flock 9
for rel in "$@"; do
    [ -e "$root/lib/modules/$rel/build/include" ] || fail "$root has no headers of $rel (make KERNEL=$rel installs them)"
done
name=$(dpkg-deb -f "$deb" Package)
# The DKMS module name: the package's /usr/src/<module>-<version>.
src=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | sed -n 's|^\./usr/src/\([^/]*\)/dkms.conf$|\1|p')
module=${src%-*} version=${src##*-}
[ -n "$module" ] || fail "$deb has no /usr/src/<module>-<version>/dkms.conf"

# Beside the root (same file system: an overlay's upper and work dirs).
ov=$(mktemp -d "$(dirname "$root")/.dkms-overlay.XXXXXX") || fail "cannot create an overlay directory"
trap 'rm -rf "$ov"' EXIT
mkdir -p "$ov/upper" "$ov/work" "$ov/merged"

# Inside: apt-get install of the .deb (and of the default kernel's headers
# when the root has no amd64 ones), then what DKMS says for each kernel.
cat >"$ov/inside.sh" <<'EOF'
set -u
deb=$1 module=$2 version=$3
shift 3
export DEBIAN_FRONTEND=noninteractive
# Only the kernels asked for (if any) keep their headers' build link.
if [ $# -gt 0 ]; then
    for dir in /lib/modules/*; do
        case " $* " in *" ${dir##*/} "*) ;; *) rm -f "$dir/build" ;; esac
    done
fi
# (A root whose last install was interrupted: finish it, in the overlay.)
dpkg --configure -a >/dev/null 2>&1 || true
apt-get update -q >/dev/null || { echo "inside: apt-get update failed"; exit 1; }
# The amd64 kernels with headers, before the install (the default one's
# headers are installed with the package if there is none).
kernels=$(for dir in /lib/modules/*-amd64; do [ ! -e "$dir/build/include" ] || echo "${dir##*/}"; done)
extra=
[ -n "$kernels" ] || extra=linux-headers-amd64
start=$(date +%s)
apt-get install -y -q --no-install-recommends "$deb" $extra || { echo "inside: apt-get install failed"; exit 1; }
echo "inside: installed in $(($(date +%s) - start)) s"
dpkg-query -W -f='inside: ${Package} ${Version}\n' dkms rustc-web rustc cargo-web cargo rust-web-src rust-src 2>/dev/null | grep -v ' $'
[ -n "$kernels" ] || kernels=$(for dir in /lib/modules/*-amd64; do [ ! -e "$dir/build/include" ] || echo "${dir##*/}"; done)
for rel in $kernels; do
    dir=/lib/modules/$rel
    ko=$(ls "$dir"/updates/dkms/"$module".ko* 2>/dev/null | head -n1)
    if [ -n "$ko" ] && dkms status -m "$module" -v "$version" -k "$rel" 2>/dev/null | grep -q ': installed'; then
        echo "inside: built $rel $ko signer=$(modinfo -F signer "$ko")"
    else
        echo "inside: NOT built $rel"
        tail -n 5 "/var/lib/dkms/$module/$version/build/make.log" 2>/dev/null
    fi
done
apt-get purge -y -q "$(dpkg-deb -f "$deb" Package)" >/dev/null || { echo "inside: purge failed"; exit 1; }
left=$(ls -d "/var/lib/dkms/$module" "/usr/src/$module-$version" /lib/modules/*/updates/dkms/"$module".ko* 2>/dev/null)
[ -z "$left" ] || { echo "inside: purge left $left"; exit 1; }
echo "inside: purged"
EOF
cp "$deb" "$ov/pkg.deb"
# shellcheck disable=SC2016 # expanded by the inner sh
unshare -m sh -c '
    set -e
    ov=$1 root=$2 module=$3 version=$4
    shift 4
    mount -t overlay overlay -o "lowerdir=$root,upperdir=$ov/upper,workdir=$ov/work" "$ov/merged"
    mount -t proc proc "$ov/merged/proc"
    mount --rbind /dev "$ov/merged/dev"
    cp /etc/resolv.conf "$ov/merged/etc/resolv.conf"
    cp "$ov/pkg.deb" "$ov/merged/root/pkg.deb"
    cp "$ov/inside.sh" "$ov/merged/root/inside.sh"
    exec chroot "$ov/merged" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        sh /root/inside.sh /root/pkg.deb "$module" "$version" "$@"' sh "$ov" "$root" "$module" "$version" "$@" >"$out/$codename.log" 2>&1
status=$?
grep '^inside: ' "$out/$codename.log" | sed 's/^inside: /  /'
[ $status -eq 0 ] || { tail -n 40 "$out/$codename.log"; fail "$codename: the install in the root failed"; }
built=$(grep -c '^inside: built ' "$out/$codename.log")
! grep -q '^inside: NOT built' "$out/$codename.log" || fail "$codename: not built for every kernel (log: $out/$codename.log)"
[ "$built" -gt 0 ] || fail "$codename: no amd64 kernel with headers to build for"
echo "$codename: $name installed with apt, built for $built kernel(s), purged: $(grep -o 'installed in [0-9]* s' "$out/$codename.log")"
