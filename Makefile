# rust.ko: `make` builds hello.ko for KDIR (default: the running kernel).
# See README.md for the options; bindings/mk/kmod.mk (shipped with the
# kernel-bindings crate, for other projects too) does the work.

KMOD_CRATE := hello
KMOD_NONBUILD_GOALS := setup run test bench new help gen

.DEFAULT_GOAL := all
include bindings/mk/kmod.mk

.PHONY: setup run test bench new help clippy doctest gen
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
# Then the kernel crate's doc examples, compiled the same way (`make
# doctest`, below). scripts/lint.sh runs it for every supported kernel series.
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
ko_check_key = $(shell printf '%s\n' '$(CURDIR)' '$(KDIR)' '$(KO_RUSTFLAGS)' | sha256sum | cut -c1-16)
ko_check_release = $(notdir $(patsubst %/build,%,$(KDIR)))
# What clippy and the doctests share with a module build (kmod.mk's cargo
# rule): the toolchain, the kernel's flags and cfgs, the core built with
# them and the set the bindings build script reads; and cargo's arguments.
ko_check_env = CARGO=$(KO_CARGO) RUSTC=$(KO_RUSTC) RUSTC_BOOTSTRAP=1 \
    KO_KDIR=$(KDIR) $(if $(KO_SET_DIR),KO_SET_DIR=$(KO_SET_DIR)) \
    RUSTFLAGS="$(KO_RUSTFLAGS) $(KO_CFG_FLAGS) --sysroot $(KO_SYSROOT)"
ko_check_args = $(if $(Q),-q,-v) --manifest-path $(CURDIR)/Cargo.toml \
    --target $(KO_TARGET_TRIPLE) --profile kernel $(KO_PROFILES)
clippy: $(KO_SYSROOT)/flags
	$(if $(wildcard $(KO_CLIPPY)),,$(error no clippy at $(KO_CLIPPY): sudo apt-get install rust-web-clippy (make setup), or set RUST_ROOT to a toolchain with cargo-clippy))
	@printf '  %-7s %s\n' CLIPPY '$(KO_CLIPPY_CRATES) for $(ko_check_release)'
	$(Q)$(ko_check_env) CARGO_TARGET_DIR=$(KO_CACHE)/clippy/$(ko_check_key) \
	    $(KO_CLIPPY) clippy $(ko_check_args) $(addprefix -p ,$(KO_CLIPPY_CRATES)) -- -D warnings
	$(ko_doctest_recipe)

# `make doctest KDIR=...` (also the end of `make clippy`): the kernel
# crate's doc examples type-checked for KDIR's kernel, against the kernel
# crate as a module build compiles it (`cargo test --doc` with the
# environment above, RUST_ROOT's rustdoc), so an example that no longer
# matches the API, or this kernel's cfg branches of it, fails. The kernel
# target can neither link nor run a doctest: rustdoc only compiles them
# (`--no-run`), and to metadata (`--emit=metadata`: type and borrow checks,
# const evaluation such as module!'s checks, no codegen). Each example is a
# `no_std` crate (`-Zcrate-attr=no_std`, so examples need no hidden
# `#![no_std]`), and `env!("CARGO_CRATE_NAME")`, which module! checks its
# `name` against, is `greeter` (cargo's value is `kernel`, the documented
# crate's): module! examples say `name: "greeter"`. rustdoc, unlike rustc,
# does not take -Zretpoline-external-thunk to imply -Zretpoline and would
# refuse the crates built with it (`mixing -Zretpoline will cause an ABI
# mismatch`), so it gets both. Examples of kernel-only items exist for the
# kernel target only; `cargo test -p kernel` runs the host ones (ioctl,
# ...) on the host, and skips a kernel-only example of a host-built item
# marked `no_run,ignore-linux` (module!).
KO_RUSTDOC ?= $(RUST_ROOT)/bin/rustdoc
ko_doctest_flags = $(KO_RUSTFLAGS) $(if $(filter -Zretpoline-external-thunk,$(KO_RUSTFLAGS)),-Zretpoline) \
    $(KO_CFG_FLAGS) --sysroot $(KO_SYSROOT) -Zunstable-options --no-run \
    $(addprefix --doctest-build-arg=,--emit=metadata -Zcrate-attr=no_std -Zunstable-options --env-set=CARGO_CRATE_NAME=greeter)
define ko_doctest_recipe
$(if $(wildcard $(KO_RUSTDOC)),,$(error no rustdoc at $(KO_RUSTDOC): sudo apt-get install rustc-web (make setup), or set RUST_ROOT to a toolchain with rustdoc))
@printf '  %-7s %s\n' DOCTEST 'kernel for $(ko_check_release)'
$(Q)$(ko_check_env) RUSTDOC=$(KO_RUSTDOC) RUSTDOCFLAGS="$(ko_doctest_flags)" \
    CARGO_TARGET_DIR=$(KO_CACHE)/doctest/$(ko_check_key) \
    $(KO_CARGO) test $(ko_check_args) --doc -p kernel
endef
doctest: $(KO_SYSROOT)/flags
	$(ko_doctest_recipe)
