# rust.ko: `make` builds hello.ko for KDIR (default: the running kernel).
# See README.md for the options; bindings/mk/kmod.mk (shipped with the
# kernel-bindings crate, for other projects too) does the work.

KMOD_CRATE := hello
KMOD_NONBUILD_GOALS := setup run test bench new help

.DEFAULT_GOAL := all
include bindings/mk/kmod.mk

.PHONY: setup run test bench new help
# Installs what is missing (Debian packages; asks sudo when not root).
setup:
	@scripts/setup.sh

# Builds hello.ko for Debian's default kernel, boots it in QEMU, loads it.
run: setup
	@scripts/run.sh

# Everything: every supported kernel, static checks, VM load tests.
test: setup
	@scripts/test.sh

# Build-speed benchmarks against a C module and bindgen-at-build-time.
bench: setup
	@bench/run.sh

# A module project of your own from examples/out-of-tree:
# make new NAME=foo [DIR=../foo] (DIR defaults to ../NAME).
new:
	@scripts/new-module.sh '$(NAME)' '$(DIR)'

help:
	@sed -n 's/^## //p' README.md 2>/dev/null || true
