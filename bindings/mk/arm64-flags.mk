# arm64-flags.mk (included by kmod.mk for arm64 kernels): the rustc flags
# that make Rust code match the kernel's arm64 C, from its .config (as make
# variables) the way its arch/arm64/Makefile derives the C flags. core and
# alloc are compiled with the same flags (build-sysroot.sh): they must agree
# on x18 and on pointer authentication.
#
# aarch64-unknown-none-softfloat already is what -mgeneral-regs-only gives
# C: no FP/SIMD registers (the kernel does not save them for kernel code),
# no red zone, static relocations, abort on panic.

# The tree's arch/arm64/Makefile: in Debian's objtree its Makefile includes
# the -common source tree's; a plain kernel tree has it in place.
ko_arm64_makefile := $(firstword $(wildcard $(KDIR)/arch/arm64/Makefile \
    $(patsubst %/Makefile,%/arch/arm64/Makefile,$(filter /%/Makefile,$(file <$(KDIR)/Makefile)))))
ifeq ($(ko_arm64_makefile),)
  $(error KDIR=$(KDIR) has no arch/arm64/Makefile (nor does the tree its Makefile includes): reinstall its linux-headers and -common packages)
endif

# Pointer authentication (paciasp/autiasp around functions that save LR)
# and BTI landing pads (`bti c` at indirect-call targets): modules must do
# what the kernel does, or a BTI kernel faults on the first indirect call
# into the module. Older kernels (6.1) sign leaf functions too
# (pac-ret+leaf), newer ones (6.12) do not; their Makefile says which.
ko_pac_ret := pac-ret$(if $(findstring pac-ret+leaf,$(file <$(ko_arm64_makefile))),$(comma)leaf)
ifeq ($(CONFIG_ARM64_BTI_KERNEL),y)
  KO_RUSTFLAGS += -Zbranch-protection=bti,$(ko_pac_ret)
else ifeq ($(CONFIG_ARM64_PTR_AUTH_KERNEL),y)
  KO_RUSTFLAGS += -Zbranch-protection=$(ko_pac_ret)
endif

# The shadow call stack lives in x18: no Rust code, core included, may use it.
KO_RUSTFLAGS += $(if $(filter y,$(CONFIG_SHADOW_CALL_STACK)),-Zfixed-x18)

# Unwind tables only where the kernel has them (UNWIND_TABLES, 6.5+, with
# the kernel's own choice of asynchronous tables); the target's default is on.
ifeq ($(CONFIG_UNWIND_TABLES),y)
  KO_RUSTFLAGS += -Cforce-unwind-tables=y -Zuse-sync-unwind=n
else
  KO_RUSTFLAGS += -Cforce-unwind-tables=n
endif
