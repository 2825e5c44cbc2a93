#!/bin/sh
# Waits for the cargo build that kmod.mk started beside Kbuild, then passes
# its result on: its warnings, or its errors and a failure. Kbuild's rule
# for the Rust library runs it (module.kbuild), so Kbuild's start-up and
# the layout proof's compile overlap cargo.
#
# usage: cargo-wait.sh PREFIX [LOG]   (PREFIX.status: cargo's exit status,
#        written when it ends; PREFIX.pid: the job running it; LOG: cargo's
#        stderr, when kept)
set -u
prefix=$1 log=${2:-}
while [ ! -f "$prefix.status" ]; do
    if ! kill -0 "$(cat "$prefix.pid" 2>/dev/null)" 2>/dev/null && [ ! -f "$prefix.status" ]; then
        echo "error: cargo stopped before it finished (interrupted?): run make again" >&2
        exit 1
    fi
    sleep 0.01
done
if [ "$(cat "$prefix.status")" != 0 ]; then
    # A set the build script refused says so in one line; else all of it.
    if [ -n "$log" ]; then
        grep -h '^kernel-bindings: error: ' "$log" | sed 's/^kernel-bindings: //' | grep . || cat "$log"
    fi >&2
    exit 1
fi
[ -z "$log" ] || cat "$log" >&2
