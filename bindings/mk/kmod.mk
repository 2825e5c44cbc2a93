# kmod.mk: builds one Rust kernel module (NAME.ko) through the target
# kernel's own Kbuild. Include it from a Makefile after setting:
#
#   KMOD_CRATE     the module's cargo package (crate-type staticlib);
#                  its name (dashes become underscores) names the .ko
#   KMOD_NAME      the library's name, if [lib] name differs from that
#   KMOD_OUT       where NAME.ko is copied (default: the current directory)
#   KMOD_MANIFEST  the workspace Cargo.toml (default: ./Cargo.toml)
#   KMOD_NONBUILD_GOALS  the includer's own goals that need no kernel tree
#
# Options, on the command line or in an untracked config.mk:
#   KDIR=DIR        kernel header tree (default: the running kernel's)
#   KERNEL=RELEASE  a Debian kernel by release instead: its installed headers,
#                   or headers fetched from Debian's archive (`make kernels` lists them)
#   ARCH=arm64      optional: the tree's arch is read from it, ARCH only checked
#   CROSS_COMPILE   cross toolchain prefix (default for an arm64 tree on amd64:
#                   aarch64-linux-gnu-, from gcc-aarch64-linux-gnu)
#   RUST_ROOT=DIR   toolchain holding bin/rustc, bin/cargo and rust-src (/usr)
#   V=1             echo every command (cargo verbose too)
#   RELEASE=1       optimised build without debug info
#   REGEN=1         generate the binding set for exactly this kernel at build
#                   time (the bindings crate's feature `regen`, reached as
#                   kernel/regen; needs libclang: sudo apt-get install libclang-dev)
#   KERNEL_INCLUDE  extra headers to bind, implies REGEN=1 (e.g. linux/netdevice.h)
#   RUST_LAYOUT_ASSERTS=1  compile bindgen's layout assertions too: they prove
#                   the set's Rust side, whatever the kernel (make test does;
#                   the layout proof against the kernel runs in every build)

KO_MK_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
-include config.mk

KMOD_OUT ?= .
KMOD_MANIFEST ?= Cargo.toml
KMOD_BUILD ?= build
KMOD_NAME ?= $(subst -,_,$(KMOD_CRATE))
RUST_ROOT ?= /usr
KERNEL ?=
ifeq ($(KERNEL),)
  KDIR ?= /lib/modules/$(shell uname -r)/build
else ifneq ($(origin KDIR),undefined)
  $(error give KERNEL=$(KERNEL) or KDIR=$(KDIR), not both)
endif
KERNEL_INCLUDE ?=
RUST_LAYOUT_ASSERTS ?=
KO_SETS_DIR ?=
KO_SHIM_DIR ?=

ifeq ($(V),1)
  Q :=
  ko_cargo_verbosity := -v
else
  Q := @
  ko_cargo_verbosity := -q
endif
ko_say = $(if $(Q),@printf '  %-7s %s\n' $(1) '$(2)')
comma := ,

.PHONY: all clean kernels dkms install
all: $(KMOD_OUT)/$(KMOD_NAME).ko

# Everything compiled once and shared by builds lives under KO_CACHE: core
# (per toolchain and flag set), cargo's target directories (per checkout,
# kernel and flag set: the bindings crate, a 3 MB generated file, and the
# build script's host crates compile once, like core), generated sets, full
# copies of sets stored as deltas (sets/<fingerprint>/<name>).
KO_CACHE ?= $(or $(RUST_KO_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/rust-ko)
ko_checkout := $(shell echo '$(abspath $(KMOD_MANIFEST))' | sha256sum | cut -c1-8)

# The two kernel-side profiles, defined here so that a module's Cargo.toml
# needs none. Never opt-level 0: kernel stacks are 16 KiB. Debug info is
# line tables only: pahole (6.12's module BTF) cannot encode Rust's full DWARF.
KO_PROFILES := --config 'profile.kernel.inherits="release"' \
    --config 'profile.kernel.opt-level=2' \
    --config 'profile.kernel.debug="line-tables-only"' \
    --config 'profile.kernel.debug-assertions=true' \
    --config 'profile.kernel.overflow-checks=true' \
    --config 'profile.kernel.panic="abort"' \
    --config 'profile.kernel.codegen-units=1' \
    --config 'profile.kernel.incremental=false' \
    --config 'profile.kernel-release.inherits="kernel"' \
    --config 'profile.kernel-release.debug=false' \
    --config 'profile.kernel-release.debug-assertions=false' \
    --config 'profile.kernel-release.overflow-checks=false'

# `make clean` also drops the module crate's own artifacts from the cached
# target directories, so the next build recompiles the module.
clean:
	rm -rf $(KMOD_BUILD) $(KMOD_OUT)/$(KMOD_NAME).ko
	$(Q)for target in $(wildcard $(KO_CACHE)/target/$(ko_checkout)-*); do \
	    for triple in $$(cd $$target && ls -d *-unknown-none* 2>/dev/null); do \
	    for profile in kernel kernel-release; do \
	        RUSTC=$(RUST_ROOT)/bin/rustc $(RUST_ROOT)/bin/cargo clean -q -p $(KMOD_CRATE) \
	            --manifest-path $(KMOD_MANIFEST) --target-dir $$target \
	            --target $$triple --profile $$profile $(KO_PROFILES) || exit 1; \
	    done; \
	    done; \
	done

# The kernel-tree crate (facts about kernels, the set choice) sits beside
# this one, in this repository and in cargo's vendor and git directories
# alike; its ko-facts tool is compiled once per toolchain (ko-facts.sh).
KO_TREE_CRATE := $(abspath $(KO_MK_DIR)/../../kernel-tree)
KO_SETS := $(abspath $(or $(KO_SETS_DIR),$(KO_MK_DIR)/../sets))
KO_SHIM := $(abspath $(or $(KO_SHIM_DIR),$(KO_MK_DIR)/../shim))
ko_facts_tool = $(shell bash $(KO_MK_DIR)/ko-facts.sh $(RUST_ROOT)/bin/rustc $(KO_TREE_CRATE) $(KO_CACHE))

# Every Debian kernel Debian's archive has headers for, and the set for it
# (ARCH=arm64: the arm64 ones).
kernels:
	@bash $(KO_MK_DIR)/kernels.sh $(KO_CACHE) $(ko_facts_tool) $(KO_SETS) $(ARCH)

# `make dkms`: the Debian package NAME-dkms_VERSION_all.deb (in KMOD_OUT)
# that builds NAME.ko with DKMS for every installed kernel and every kernel
# installed later, offline: the module's sources, the crates (vendored) and
# the binding sets travel in it. See dkms.sh.
dkms:
	$(Q)bash $(KO_MK_DIR)/dkms.sh $(RUST_ROOT)/bin/cargo $(KMOD_MANIFEST) $(KMOD_CRATE) $(KMOD_NAME) $(KO_MK_DIR) $(KMOD_OUT)

# Everything below needs a kernel tree and a toolchain; `make clean`,
# `make kernels`, `make dkms` and the includer's own goals (setup, test,
# ...) must work without them.
ifneq ($(filter-out clean kernels dkms $(KMOD_NONBUILD_GOALS),$(or $(MAKECMDGOALS),all)),)

## The toolchain ##############################################################

KO_RUSTC := $(RUST_ROOT)/bin/rustc
KO_CARGO := $(RUST_ROOT)/bin/cargo
ifeq ($(wildcard $(KO_RUSTC)),)
  $(error no rustc at RUST_ROOT=$(RUST_ROOT): run `make setup` (Debian: sudo apt-get install rustc-web cargo-web rust-web-src), or set RUST_ROOT to the directory holding bin/rustc)
endif
ifeq ($(wildcard $(KO_CARGO)),)
  $(error no cargo at RUST_ROOT=$(RUST_ROOT): sudo apt-get install cargo-web, or set RUST_ROOT to the directory holding bin/cargo)
endif
KO_RUST_SRC := $(shell $(KO_RUSTC) --print sysroot)/lib/rustlib/src/rust/library
ifeq ($(wildcard $(KO_RUST_SRC)/core/src/lib.rs),)
  $(error $(KO_RUSTC) has no rust-src ($(KO_RUST_SRC) is missing): sudo apt-get install rust-web-src, or set RUST_ROOT to a toolchain with rust-src)
endif
KO_RUST_VERSION := $(shell $(KO_RUSTC) -vV)

## The target kernel ##########################################################

# KERNEL=<release>: its header tree, installed or fetched (debian-headers.sh
# prints the tree, or one line saying what is wrong); for a kernel of
# another Debian release, a build root of that release to run this same
# build in (`root ROOT KDIR`).
ifneq ($(KERNEL),)
  ko_kernel := $(shell KO_FACTS=$(ko_facts_tool) bash $(KO_MK_DIR)/debian-headers.sh $(KO_CACHE) '$(KERNEL)' 2>&1)
  ifeq ($(firstword $(ko_kernel)),root)
    KO_ROOT := $(word 2,$(ko_kernel))
  else ifeq ($(filter /%,$(firstword $(ko_kernel))),)
    $(error $(ko_kernel))
  else
    KDIR := $(ko_kernel)
  endif
endif

ifneq ($(KO_ROOT),)
# The same make, inside the root (its compiler, libc and Rust toolchain),
# with the same command line (MAKEFLAGS: there KERNEL= finds the headers
# installed in the root). Mounted at their own paths: the project, its
# build and output directories, the crates (this one's parent directory)
# and cargo's download cache (the build runs offline, with this CARGO_HOME).
ko_cargo_home := $(or $(CARGO_HOME),$(HOME)/.cargo)
$(KMOD_OUT)/$(KMOD_NAME).ko: ko-force
	$(call ko_say,ROOT,$(KERNEL) in $(KO_ROOT))
	$(Q)CARGO_HOME=$(ko_cargo_home) bash $(KO_MK_DIR)/root-make.sh $(KO_ROOT) $(CURDIR) $(abspath $(KMOD_BUILD)) $(abspath $(KMOD_OUT)) \
	    $(abspath $(KO_MK_DIR)/../..) $(ko_cargo_home)/registry $(ko_cargo_home)/git $(KO_TARGET) -- \
	    $(MAKE) --no-print-directory -C $(CURDIR) $(MAKECMDGOALS)
.PHONY: ko-force
else

ifeq ($(wildcard $(KDIR)/include/generated/utsrelease.h),)
  ko_wanted := $(patsubst /lib/modules/%/build,%,$(KDIR))
  ifneq ($(ko_wanted),$(KDIR))
    $(error no kernel headers for $(ko_wanted) (KDIR=$(KDIR) is missing): sudo apt-get install linux-headers-$(ko_wanted), or make KDIR=/path/to/kernel/headers)
  else
    $(error KDIR=$(KDIR) is not a prepared kernel header tree (no include/generated/utsrelease.h): sudo apt-get install linux-headers-<release>, then make KDIR=/lib/modules/<release>/build)
  endif
endif

# A tree debian-headers.sh extracted for an older Debian release carries
# that release's compiler (the gcc-N its Kbuild calls) in its usr/bin.
ifneq ($(wildcard $(KDIR)/../../../.complete),)
  export PATH := $(abspath $(KDIR)/../../bin):$(PATH)
endif

# What the kernel is and which binding set serves it, from the one place
# that knows (the kernel-tree crate, whose ko-facts tool writes them as make
# variables: KO_RELEASE, KO_SERIES, KO_FLAVOR, KO_AT_LEAST, KO_SET,
# KO_SET_DIR, KO_SHIM_DIR, KO_SET_REASON, ...; see its tool/ko-facts.rs).
# REGEN=1 builds generate their set, named KO_SET_NAME, so nothing is
# chosen for them.
ifneq ($(strip $(KERNEL_INCLUDE)),)
  REGEN := 1
endif
ifeq ($(wildcard $(KO_TREE_CRATE)/tool/ko-facts.rs),)
  $(error cannot find the kernel-tree crate beside kernel-bindings ($(KO_TREE_CRATE)): depend on both from the same checkout or vendor directory)
endif
# A set stored as deltas of another (see sets/README.md) is materialized
# under KO_CACHE: KO_SET_DIR always holds full files.
ko_facts_args := $(abspath $(KDIR)) $(if $(filter 1,$(REGEN)),--regen,$(KO_SETS) $(KO_SHIM) $(abspath $(KO_CACHE)))
ko_facts := $(KO_CACHE)/facts/$(shell echo '$(ko_facts_args)' | sha256sum | cut -c1-16).mk
# (PATH as exported above: a layout variant is picked by compiling its
# proof with the tree's compiler.)
ko_facts_failed := $(shell PATH='$(PATH)' bash $(KO_MK_DIR)/facts.sh $(ko_facts) $(KO_RUSTC) $(KO_TREE_CRATE) $(KO_CACHE) \
    $(ko_facts_args) >&2 || echo failed)
ifneq ($(ko_facts_failed),)
  $(error ko-facts failed (output above): $(KO_TREE_CRATE)/tool/ko-facts.rs, compiled with $(KO_RUSTC))
endif
include $(ko_facts)
ifneq ($(KO_ARCH),)
  ifeq ($(KO_RUST_TARGET),)
    $(error KDIR=$(KDIR) is for $(KO_ARCH) ($(KO_RELEASE)); only x86_64 and arm64 kernels are supported: point KDIR at such a header tree)
  endif
  # The tree's .config and the ARCH its Makefiles force must agree, and an
  # ARCH given here must name the same arch (x86_64 is Kbuild's alias of x86).
  ifneq ($(KO_TREE_ARCH),)
    ifneq ($(KO_TREE_ARCH),$(KO_KBUILD_ARCH))
      $(error KDIR=$(KDIR) is inconsistent: its .config is $(KO_ARCH), its .kernelvariables force ARCH=$(KO_TREE_ARCH); reinstall its linux-headers package)
    endif
  endif
  ifneq ($(filter command line environment,$(origin ARCH)),)
    ifeq ($(filter $(ARCH),$(KO_KBUILD_ARCH) $(KO_ARCH) $(if $(filter arm64,$(KO_ARCH)),aarch64)),)
      $(error ARCH=$(ARCH) does not match KDIR=$(KDIR), an $(KO_KBUILD_ARCH) tree ($(KO_RELEASE)): make ARCH=$(KO_KBUILD_ARCH), or leave ARCH out)
    endif
  endif
endif
ifneq ($(KO_FACTS_ERROR),)
  $(error $(KO_FACTS_ERROR))
endif

# The kernel's configuration as make variables (CONFIG_FOO=y).
include $(KDIR)/include/config/auto.conf
ifeq ($(CONFIG_CFI_CLANG),y)
  $(error KDIR=$(KDIR) uses kCFI (CONFIG_CFI_CLANG), which this build does not support yet)
endif

# The tree's C compiler: without it Kbuild fails late, in a pile of make
# errors. Debian trees name it in .kernelvariables (`CC = ...
# $(CROSS_COMPILE)gcc-12`), read here without a shell to keep a no-op make
# fast; only if that name is not on PATH, a make reading the file says what
# CC really is. Packages: native gcc/clang only (gen's toolchain.rs has the
# full rule).
# A cross build (an arm64 tree on amd64) calls $(CROSS_COMPILE)gcc-N: the
# cross compiler, Debian's gcc-N-aarch64-linux-gnu.
CROSS_COMPILE ?= $(KO_CROSS_COMPILE)
ko_on_path = $(wildcard $(if $(findstring /,$(1)),$(1),$(addsuffix /$(1),$(subst :, ,$(PATH)))))
ko_cc := $(patsubst $$(CROSS_COMPILE)%,%,$(lastword $(filter $$(CROSS_COMPILE)%,$(file <$(KDIR)/.kernelvariables))))
ifneq ($(CROSS_COMPILE),)
  ifeq ($(call ko_on_path,$(CROSS_COMPILE)$(or $(ko_cc),gcc)),)
    $(error KDIR=$(KDIR) is an $(KO_ARCH) kernel, cross-compiled with $(CROSS_COMPILE)$(or $(ko_cc),gcc), which is not installed: $(if $(filter aarch64-linux-gnu-,$(CROSS_COMPILE)),sudo apt-get install $(if $(filter gcc-%,$(ko_cc)),$(ko_cc)-aarch64-linux-gnu,gcc-aarch64-linux-gnu),install it or set CROSS_COMPILE))
  endif
else ifeq ($(call ko_on_path,$(or $(ko_cc),gcc)),)
  ko_cc := $(shell printf 'CC = gcc\n-include $(KDIR)/.kernelvariables\nko-cc:;@echo $$(CC)\n' | \
      $(MAKE) -s --no-print-directory -f - ko-cc $(if $(filter command line,$(origin CC)),CC='$(CC)'))
  ko_cc := $(firstword $(foreach w,$(filter-out -%,$(ko_cc)),$(if $(call ko_on_path,$(w)),,$(w))))
  ko_cc_pkg := $(filter gcc gcc-% clang clang-%,$(patsubst x86_64-linux-gnu-%,%,$(ko_cc)))
  ifneq ($(ko_cc),)
    $(error KDIR=$(KDIR) compiles with $(ko_cc), which is not installed ($(shell $(ko_cc) --version 2>&1 </dev/null | head -n1)): $(if $(ko_cc_pkg),sudo apt-get install $(ko_cc_pkg),install it or put it on PATH))
  endif
endif

## Codegen flags, from the kernel's .config ###################################

# Every arch: static relocations (the module loader resolves no GOT),
# abort on panic, symbols the kernel's Rust tools can demangle.
KO_RUSTFLAGS := -Crelocation-model=static -Cpanic=abort -Cembed-bitcode=n \
    -Csymbol-mangling-version=v0
ifeq ($(KO_ARCH),arm64)
include $(KO_MK_DIR)/arm64-flags.mk
else
# x86_64-unknown-none is soft-float (no x87/SSE/AVX), has no red zone and
# aborts on panic; the kernel module loader also needs static relocations
# and the kernel code model, and direct calls to memcpy & co. (-Zplt=yes:
# the target's default calls them through the GOT, which the loader rejects).
KO_RUSTFLAGS += -Ccode-model=kernel -Cno-redzone=y -Cforce-unwind-tables=n -Zplt=yes
# Mitigations the kernel was built with; mixing is refused by rustc and
# objtool, so core is compiled with the same set.
ko_retpoline := $(CONFIG_MITIGATION_RETPOLINE)$(CONFIG_RETPOLINE)
KO_RUSTFLAGS += $(if $(CONFIG_MITIGATION_RETHUNK)$(CONFIG_RETHUNK),-Zfunction-return=thunk-extern)
KO_RUSTFLAGS += $(if $(ko_retpoline),-Zretpoline-external-thunk -Zindirect-branch-cs-prefix)
KO_RUSTFLAGS += $(if $(CONFIG_X86_KERNEL_IBT),-Zcf-protection=branch)
# Like the kernel's -fno-jump-tables: objtool cannot follow them with IBT,
# and retpolined indirect jumps are slow.
KO_RUSTFLAGS += $(if $(CONFIG_X86_KERNEL_IBT)$(ko_retpoline),-Cjump-tables=n)
KO_RUSTFLAGS += $(if $(CONFIG_CALL_PADDING),-Zpatchable-function-entry=$(CONFIG_FUNCTION_PADDING_BYTES)$(comma)$(CONFIG_FUNCTION_PADDING_BYTES))
endif
KO_RUSTFLAGS += $(if $(CONFIG_FRAME_POINTER),-Cforce-frame-pointers=y)
KO_RUSTFLAGS := $(strip $(KO_RUSTFLAGS))

# cfgs that let one source cover several kernels (see the bindings crate's
# docs): `kernel_at_least = "M.m"` for every release up to the target's, and
# `kernel_flavor = "amd64"`.
# (Written for a double-quoted shell word: cargo splits RUSTFLAGS on spaces.)
KO_CFG_FLAGS := $(foreach v,$(KO_AT_LEAST),--cfg kernel_at_least=\"$(v)\") \
    --cfg kernel_flavor=\"$(KO_FLAVOR)\" \
    --check-cfg cfg(kernel_at_least,values(any())) --check-cfg cfg(kernel_flavor,values(any()))

## Paths ######################################################################

# core/alloc/compiler_builtins compiled with exactly these flags, shared by
# every build with the same toolchain and flags; `make clean` keeps it.
KO_SYSROOT_KEY := $(shell printf '%s\n' '$(KO_RUST_VERSION)' '$(KO_RUST_TARGET)' '$(KO_RUSTFLAGS)' | sha256sum | cut -c1-16)
KO_SYSROOT := $(KO_CACHE)/sysroot/$(KO_SYSROOT_KEY)

# REGEN=1: the bindings build script generates a set for exactly this
# kernel, plus the KERNEL_INCLUDE headers, into KO_REGEN_DIR (cargo feature
# kernel/regen); the committed sets are never touched. Needs libclang
# (libclang-dev). Such builds get their own target directory per header
# list, and the set in it.
ko_regen_key := $(if $(filter 1,$(REGEN)),-regen-$(shell echo '$(strip $(KERNEL_INCLUDE))' | sha256sum | cut -c1-8))

KO_PROFILE := $(if $(filter 1,$(RELEASE)),kernel-release,kernel)
KO_TARGET_TRIPLE := $(KO_RUST_TARGET)
KO_WORK := $(abspath $(KMOD_BUILD))/$(KO_RELEASE)
# cargo's target directory (see KO_CACHE above); sets from elsewhere
# (KO_SETS_DIR: tests) and REGEN=1 builds get their own, so they never mix.
ko_sets_key := $(if $(KO_SETS_DIR),-$(shell echo '$(KO_SETS_DIR) $(KO_SHIM_DIR)' | sha256sum | cut -c1-8))
KO_TARGET := $(or $(KO_TARGET),$(KO_CACHE)/target/$(ko_checkout)-$(KO_RELEASE)-$(KO_SYSROOT_KEY)$(ko_sets_key)$(ko_regen_key))
KO_LIB := $(KO_TARGET)/$(KO_TARGET_TRIPLE)/$(KO_PROFILE)/lib$(KMOD_NAME).a
KO_KBUILD := $(KO_WORK)/$(KO_PROFILE)/kbuild
KO_KO := $(KO_KBUILD)/$(KMOD_NAME).ko
# REGEN=1: where the build script generates the set (and its shim copy).
ifneq ($(ko_regen_key),)
  KO_REGEN_DIR := $(KO_TARGET)/regen
  KO_SET := $(KO_SET_NAME)
  KO_SET_DIR := $(KO_REGEN_DIR)/sets/$(KO_SET_NAME)
  KO_SHIM_DIR := $(KO_REGEN_DIR)/shim
  KO_SET_REASON := generated at build time$(if $(strip $(KERNEL_INCLUDE)), + $(strip $(KERNEL_INCLUDE))) from $(KO_RELEASE)
endif

# Everything that changes the output but not a file's timestamp: rewritten
# only when it changes, so a no-op `make` stays a no-op.
ko_inputs := $(KO_RUST_VERSION) | $(KO_TARGET_TRIPLE) $(CROSS_COMPILE) | $(KO_RUSTFLAGS) | $(KO_CFG_FLAGS) | $(KO_SET_DIR) | $(KO_SHIM_DIR) | $(KO_PROFILE) | $(KDIR) | $(KMOD_NAME) | $(KO_LIB) | $(KO_MK_DIR) | $(RUST_LAYOUT_ASSERTS)
$(shell mkdir -p $(KO_KBUILD) && printf '%s\n' '$(ko_inputs)' > $(KO_KBUILD)/inputs.new && \
    if cmp -s $(KO_KBUILD)/inputs.new $(KO_KBUILD)/inputs; then rm $(KO_KBUILD)/inputs.new; \
    else mv $(KO_KBUILD)/inputs.new $(KO_KBUILD)/inputs; fi)

## Rules ######################################################################

$(KO_SYSROOT)/flags:
	$(call ko_say,SYSROOT,core+alloc for $(KO_RELEASE) (once per toolchain and flag set))
	$(Q)OBJCOPY=$(CROSS_COMPILE)objcopy bash $(KO_MK_DIR)/build-sysroot.sh $(KO_RUSTC) $(KO_CARGO) $(KO_SYSROOT) $(KO_TARGET_TRIPLE) $(KO_RUSTFLAGS)

# cargo's dep-info lists the module's sources: cargo only runs when one
# changed. (Only those that still exist: a file that is gone, say a deleted
# source, must not stop make; cargo itself then decides.)
ko_dep_info := $(wildcard $(KO_LIB:.a=.d))
ko_sources := $(if $(ko_dep_info),$(wildcard $(filter-out %:,$(shell cat $(ko_dep_info)))))
# cargo runs in the background, beside Kbuild: Kbuild's start-up and the
# layout proof's compile need no Rust, so they overlap it. Kbuild's rule
# for the library (module.kbuild) waits for cargo's status file and passes
# its output and result on (cargo-wait.sh). The stamp is what make sees:
# it is written when cargo starts, so the module is rebuilt in the same
# run; a cargo run that failed or never finished (no status 0) is run
# again next time. A job of an earlier make that is still running (after
# Ctrl-C, say) is waited for first: its status is never taken for this
# one's.
ko_cargo := $(KO_WORK)/$(KMOD_NAME).cargo
ko_cargo_again := $(if $(filter 0,$(shell cat $(ko_cargo).status 2>/dev/null)),,ko-force)
$(ko_cargo).stamp: $(ko_sources) $(KO_KBUILD)/inputs $(KO_SYSROOT)/flags $(KMOD_MANIFEST) $(ko_cargo_again)
	$(call ko_say,CARGO,$(KMOD_CRATE) [$(KO_PROFILE)] for $(KO_RELEASE)$(if $(ko_regen_key), (REGEN$(if $(strip $(KERNEL_INCLUDE)), + $(strip $(KERNEL_INCLUDE))))))
	@printf '  %-7s %s\n' BINDINGS '$(KO_SET): $(KO_SET_REASON)'
	$(Q)while kill -0 $$(cat $(ko_cargo).pid 2>/dev/null) 2>/dev/null; do sleep 0.05; done
	$(Q)mkdir -p $(KO_WORK) && rm -f $(ko_cargo).status $(ko_cargo).status.tmp && \
	{ RUSTC=$(KO_RUSTC) RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$(KO_TARGET) \
	    KO_KDIR=$(KDIR) KO_SET_DIR=$(KO_SET_DIR) KO_RUST_LAYOUT_ASSERTS=$(RUST_LAYOUT_ASSERTS) \
	    $(if $(ko_regen_key),KO_REGEN_DIR=$(KO_REGEN_DIR) KO_KERNEL_INCLUDE='$(strip $(KERNEL_INCLUDE))') \
	    RUSTFLAGS="$(KO_RUSTFLAGS) $(KO_CFG_FLAGS) --sysroot $(KO_SYSROOT)" \
	    $(KO_CARGO) build $(ko_cargo_verbosity) --manifest-path $(KMOD_MANIFEST) \
	    -p $(KMOD_CRATE) --target $(KO_TARGET_TRIPLE) --profile $(KO_PROFILE) $(KO_PROFILES) \
	    $(if $(ko_regen_key),--features kernel/regen) $(if $(Q),2>$(ko_cargo).log) && touch $(KO_LIB); \
	    echo $$? > $(ko_cargo).status.tmp && mv $(ko_cargo).status.tmp $(ko_cargo).status; } & \
	echo $$! > $(ko_cargo).pid && touch $@

# (kmod.mk: what this file holds is written here.)
$(KO_KBUILD)/Kbuild: $(KO_KBUILD)/inputs $(KO_MK_DIR)/kmod.mk
	$(Q)printf '%s\n' '# generated by kmod.mk' 'KO_NAME := $(KMOD_NAME)' \
	    'KO_LIB := $(KO_LIB)' 'KO_SET_DIR := $(KO_SET_DIR)' 'KO_SHIM_DIR := $(KO_SHIM_DIR)' \
	    'KO_RELEASE := $(KO_RELEASE)' 'KO_KDIR := $(KDIR)' \
	    'KO_MK_DIR := $(KO_MK_DIR)' 'KO_CARGO_JOB := $(ko_cargo)' 'KO_CARGO_LOG := $(if $(Q),$(ko_cargo).log)' \
	    'KO_SET_FROM_CARGO := $(if $(ko_regen_key),1)' \
	    'include $(KO_MK_DIR)/module.kbuild' > $@

# Kbuild's steps run in parallel (the layout proof beside the link and the
# C compiles) unless the command line chose its own -j. (MAKEFLAGS holds
# -j only when a recipe is expanded.)
KO_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ko_kbuild_jobs = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(KO_JOBS))

$(KO_KO): $(ko_cargo).stamp $(KO_KBUILD)/Kbuild $(KO_MK_DIR)/module.kbuild \
        $(wildcard $(KO_SET_DIR)/layout.txt $(KO_SET_DIR)/wrappers.c) \
        $(KDIR)/include/config/auto.conf $(wildcard $(KDIR)/Module.symvers)
	$(Q)$(MAKE) --no-print-directory $(ko_kbuild_jobs) -C $(KDIR) M=$(KO_KBUILD) ARCH=$(KO_KBUILD_ARCH) CROSS_COMPILE=$(CROSS_COMPILE) modules || \
	    { sh $(KO_MK_DIR)/cargo-wait.sh $(ko_cargo) >/dev/null 2>&1; exit 1; }

# The copy may come from a build for another kernel: refresh it whenever it
# differs from this kernel's .ko, whatever the timestamps say.
ko_copy_stale := $(shell cmp -s $(KO_KO) $(KMOD_OUT)/$(KMOD_NAME).ko || echo ko-force)
$(KMOD_OUT)/$(KMOD_NAME).ko: $(KO_KO) $(ko_copy_stale)
	$(Q)cp $< $@

# `make install`: Kbuild's modules_install into
# $(INSTALL_MOD_PATH)/lib/modules/<release>/updates (compressed as the
# kernel's modules are), then depmod (Kbuild's own is skipped without a
# System.map, which header trees lack). INSTALL_MOD_PATH stages. Not signed:
# the kernel's signing key is not in its headers (CONFIG_MODULE_SIG_ALL is
# turned off); the DKMS package signs with DKMS's MOK key.
INSTALL_MOD_DIR ?= updates
ko_install_dir = $(abspath $(or $(INSTALL_MOD_PATH),/))/lib/modules/$(KO_RELEASE)/$(INSTALL_MOD_DIR)
install: $(KO_KO)
	$(Q)rm -f $(ko_install_dir)/$(KMOD_NAME).ko $(ko_install_dir)/$(KMOD_NAME).ko.*
	$(Q){ $(MAKE) --no-print-directory -C $(KDIR) M=$(KO_KBUILD) ARCH=$(KO_KBUILD_ARCH) CROSS_COMPILE=$(CROSS_COMPILE) \
	    INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) $(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(abspath $(INSTALL_MOD_PATH))) \
	    CONFIG_MODULE_SIG_ALL= modules_install 2>&1 || echo 'kmod.mk: modules_install failed'; } | \
	    grep -v "Skipping depmod\|missing 'System.map'\|^  DEPMOD" || true
	$(Q)ls $(ko_install_dir)/$(KMOD_NAME).ko* >/dev/null 2>&1 || \
	    { echo 'kmod.mk: modules_install did not install $(KMOD_NAME).ko into $(ko_install_dir)' >&2; exit 1; }
	$(call ko_say,DEPMOD,$(KO_RELEASE)$(if $(INSTALL_MOD_PATH), in $(abspath $(INSTALL_MOD_PATH))))
	$(Q)depmod $(if $(INSTALL_MOD_PATH),-b $(abspath $(INSTALL_MOD_PATH))) $(KO_RELEASE)

.PHONY: ko-force

endif
endif
