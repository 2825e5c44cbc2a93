# rust.ko: `make` builds hello.ko for KDIR (default: the running kernel).
# See README.md for the options; bindings/mk/kmod.mk (shipped with the
# kernel-bindings crate, for other projects too) does the work.

KMOD_CRATE := hello
KMOD_NONBUILD_GOALS := setup run test bench new help gen

.DEFAULT_GOAL := all
include bindings/mk/kmod.mk

.PHONY: setup run test bench new help clippy gen
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

# A binding set for any Debian kernel release (make kernels lists them):
# make gen KERNEL=<release> [GEN='<gen arguments>'], in a build root of the
# Debian release that ships it unless its headers are installed here.
gen:
	@scripts/gen-root.sh '$(KERNEL)' $(GEN)

help:
	@sed -n 's/^## //p' README.md 2>/dev/null || true

# `make clippy KDIR=...`: clippy, with `-D warnings`, on every crate a module
# build compiles (kernel-bindings, kernel, hello, the examples), compiled as
# for KDIR's kernel: its target, codegen flags, `kernel_at_least`/
# `kernel_flavor` cfgs and the core built with them, so the kernel-only code
# (sync, miscdev, panic, ...) and this kernel's cfg branches are checked.
# scripts/lint.sh runs it for every supported kernel series.
#
# The clippy is RUST_ROOT's (Debian: rust-web-clippy), which matches the
# rustc that built the sysroot. It is run as `$(RUST_ROOT)/bin/cargo-clippy
# clippy`, not `cargo clippy`: cargo looks up subcommands in ~/.cargo/bin
# before PATH, so `/usr/bin/cargo clippy` would run rustup's cargo-clippy
# and its clippy-driver, of another rustc. cargo-clippy runs the cargo named
# by CARGO (else `cargo` on PATH, rustup's again) with RUSTC_WORKSPACE_WRAPPER
# set to the clippy-driver beside itself, so every workspace crate, the
# bindings build script and its host crates too, is compiled by that driver.
# A target directory of its own: the wrapper is part of cargo's fingerprint,
# so sharing the build's would make clippy and builds recompile each other.
KO_CLIPPY ?= $(RUST_ROOT)/bin/cargo-clippy
KO_CLIPPY_CRATES := kernel-bindings kernel hello params echo panic fifo counter kthread chrdev
ko_clippy_key = $(shell printf '%s\n' '$(CURDIR)' '$(KDIR)' '$(KO_RUSTFLAGS)' | sha256sum | cut -c1-16)
clippy: $(KO_SYSROOT)/flags
	$(if $(wildcard $(KO_CLIPPY)),,$(error no clippy at $(KO_CLIPPY): sudo apt-get install rust-web-clippy (make setup), or set RUST_ROOT to a toolchain with cargo-clippy))
	@printf '  %-7s %s\n' CLIPPY '$(KO_CLIPPY_CRATES) for $(notdir $(patsubst %/build,%,$(KDIR)))'
	$(Q)CARGO=$(KO_CARGO) RUSTC=$(KO_RUSTC) RUSTC_BOOTSTRAP=1 \
	    KO_KDIR=$(KDIR) $(if $(KO_SET_DIR),KO_SET_DIR=$(KO_SET_DIR)) \
	    CARGO_TARGET_DIR=$(KO_CACHE)/clippy/$(ko_clippy_key) \
	    RUSTFLAGS="$(KO_RUSTFLAGS) $(KO_CFG_FLAGS) --sysroot $(KO_SYSROOT)" \
	    $(KO_CLIPPY) clippy $(if $(Q),-q,-v) --manifest-path $(CURDIR)/Cargo.toml \
	    $(addprefix -p ,$(KO_CLIPPY_CRATES)) --target $(KO_TARGET_TRIPLE) \
	    --profile kernel $(KO_PROFILES) -- -D warnings
