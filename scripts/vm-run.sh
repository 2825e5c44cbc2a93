#!/bin/bash
# Usage: scripts/vm-run.sh RELEASE SCRIPT [FILE...]
# Boots the Debian kernel RELEASE in QEMU (TCG) with a busybox initramfs, copies the
# FILEs (e.g. .ko files) to /m, runs the shell snippet SCRIPT with `sh` in /m, prints the
# kernel log produced after boot between markers, and powers off.
# stdout: the VM's console output only. Exit 0 iff the VM reached the end marker.
# Env: VM_TIMEOUT (seconds, default 120), VM_MEM (MiB, default 1024).
set -euo pipefail

me=${0##*/}
die() { echo "$me: $*" >&2; exit 1; }

[ $# -ge 2 ] || { echo "usage: $me RELEASE SCRIPT [FILE...]" >&2; exit 2; }
release=$1 snippet=$2
shift 2

here=$(cd "$(dirname "$0")" && pwd)
# The machine QEMU emulates follows the kernel's Debian architecture.
arch=$(bash "$here/../bindings/mk/debian-archive.sh" "${RUST_KO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-ko}" arch "$release")
case $arch in
    amd64)
        qemu=(qemu-system-x86_64 -accel tcg -cpu max) qemu_pkg=qemu-system-x86 console=ttyS0 ;;
    arm64)
        # virt board; pauth-impdef: QEMU's fast pointer-auth algorithm (the
        # architected one makes boot 4x slower). The CPU has PAC, BTI, MTE,
        # as Debian's arm64 kernels expect to find.
        qemu=(qemu-system-aarch64 -M virt -cpu 'max,pauth-impdef=on' -accel tcg) qemu_pkg=qemu-system-arm console=ttyAMA0 ;;
    *) die "no QEMU machine for $arch kernels" ;;
esac

need() { command -v "$1" >/dev/null || die "$1 not found; install the Debian package $2"; }
need "${qemu[0]}" "$qemu_pkg"
need cpio cpio
need gzip gzip
need timeout coreutils
busybox=$("$here/busybox.sh" "$arch") || exit 1

timeout_s=${VM_TIMEOUT:-120}
[[ $timeout_s =~ ^[0-9]+$ ]] || die "VM_TIMEOUT must be a number of seconds"
[ -f "$snippet" ] || die "no such snippet file: $snippet"
for f in "$@"; do [ -f "$f" ] || die "no such file: $f"; done

vmlinuz=$("$here/kernel-image.sh" "$release")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,m}
cp "$busybox" "$root/bin/busybox"
cp "$snippet" "$root/snippet.sh"
[ $# -eq 0 ] || cp "$@" "$root/m/"

# Marker lines are parsed by vm-check-log.sh: keep both in sync.
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Only emergency messages go to the console from now on, so the kernel does not
# interleave with our output; everything is printed from the log buffer below.
dmesg -n 1
# Drop boot messages: the log section shows only what happens after boot.
dmesg -c >/dev/null
# The firmware's last line has no newline: start the markers on a line of their own.
echo
echo "==== vm-run: snippet begin ===="
cd /m
sh /snippet.sh </dev/null
status=$?
# An oops (the panic example's, on purpose) turns every message back on for
# the console (the kernel's console_verbose): quiet it again, and let the
# console finish the line it is printing (7.x prints from a thread of its
# own, after the message was logged), so no kernel line lands in a marker.
dmesg -n 1
sleep 1
echo "==== vm-run: snippet end ===="
echo "==== kernel log begin ===="
dmesg
echo "==== kernel log end ===="
echo "==== vm-run: snippet exit status $status ===="
echo "==== vm-run: end ===="
poweroff -f
EOF
chmod 755 "$root/init"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$tmp/initrd.gz"

# -accel tcg: KVM hangs on these machines. quiet: boot shows only errors and worse.
# panic=-1 + -no-reboot: a panic ends QEMU at once instead of waiting for the timeout.
# stdin is /dev/null: no terminal needed (CI), and QEMU never puts a tty in raw mode.
# --foreground: QEMU stays in our process group, so Ctrl-C stops it at once.
# \r is dropped (the serial console ends lines with \r\n), and so are the terminal
# escapes SeaBIOS prints (reset, clear screen, no line wrap): they would mess up the
# caller's terminal and the log files.
set +e
timeout --foreground -k 5 "$timeout_s" "${qemu[@]}" \
    -m "${VM_MEM:-1024}" -smp 1 \
    -nographic -no-reboot -net none \
    -kernel "$vmlinuz" -initrd "$tmp/initrd.gz" \
    -append "console=$console panic=-1 quiet" \
    </dev/null 2>"$tmp/qemu.err" | sed -u 's/\r//g; s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[c78]//g' \
    | tee "$tmp/console.log"
rc=${PIPESTATUS[0]}
set -e

# QEMU's stderr is held back so that a timeout yields one line ("terminating on
# signal 15" is noise then), but its real errors are still shown.
if grep -qx '==== vm-run: end ====' "$tmp/console.log"; then
    cat "$tmp/qemu.err" >&2
    exit 0
elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    die "timeout: the VM did not finish within ${timeout_s}s (VM_TIMEOUT)"
else
    err=$(head -n 1 "$tmp/qemu.err")
    die "the VM stopped before the end marker (qemu exit status $rc${err:+: $err}; kernel panic?)"
fi
