//! What an architecture means for the build: Kbuild's `ARCH`, the cross
//! compiler prefix on an amd64 machine, rustc's and clang's targets. The
//! one table; gen, the make fragment (through `ko-facts`) and the bindings
//! build script ask here instead of spelling triples themselves.

use std::fs;
use std::path::Path;

/// One architecture rust.ko builds modules for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arch {
    /// As [`crate::arch_from_config`] names it (and sets record it): `x86_64`.
    pub name: &'static str,
    /// Kbuild's `ARCH` (`arch/<dir>`): `x86`, `arm64`.
    pub kbuild: &'static str,
    /// Debian's architecture: `amd64`, `arm64`.
    pub debian: &'static str,
    /// Rust's `target_arch` (`CARGO_CFG_TARGET_ARCH`): `x86_64`, `aarch64`.
    pub rust_arch: &'static str,
    /// GNU triple of the cross toolchain (`<triple>-gcc`): Debian's
    /// `gcc-<triple>` package.
    pub gnu: &'static str,
    /// rustc's bare-metal target the module and `core` are built for:
    /// soft-float, no FP/SIMD registers, like the kernel's own C.
    pub rust_target: &'static str,
    /// clang's `--target` for bindgen, so type layouts are this arch's.
    pub clang_target: &'static str,
}

/// The supported architectures.
pub const ARCHES: &[Arch] = &[
    Arch {
        name: "x86_64",
        kbuild: "x86",
        debian: "amd64",
        rust_arch: "x86_64",
        gnu: "x86_64-linux-gnu",
        rust_target: "x86_64-unknown-none",
        clang_target: "x86_64-linux-gnu",
    },
    Arch {
        name: "arm64",
        kbuild: "arm64",
        debian: "arm64",
        rust_arch: "aarch64",
        gnu: "aarch64-linux-gnu",
        rust_target: "aarch64-unknown-none-softfloat",
        clang_target: "aarch64-linux-gnu",
    },
];

/// The architecture named `name` ([`crate::KernelId::arch`]), if supported.
pub fn arch(name: &str) -> Option<&'static Arch> {
    ARCHES.iter().find(|a| a.name == name)
}

impl Arch {
    /// `CROSS_COMPILE` for Kbuild on a machine of Debian architecture
    /// `host` (`dpkg --print-architecture`): empty when native.
    pub fn cross_compile(&self, host: &str) -> String {
        if host == self.debian {
            String::new()
        } else {
            format!("{}-", self.gnu)
        }
    }
}

/// Why bindings for a kernel of arch `kernel_arch` cannot be compiled for
/// Rust `target_arch` `rust_arch` (type sizes and inline asm differ), in
/// one line with the command that fixes it; `None` when they match.
pub fn target_mismatch(kernel_arch: &str, rust_arch: &str, what: &str) -> Option<String> {
    let arch = arch(kernel_arch)?;
    (arch.rust_arch != rust_arch).then(|| {
        format!(
            "{what} is for {kernel_arch} kernels, but this build compiles for {rust_arch}: build through make (KDIR=<tree> picks the target), or cargo build --target {}",
            arch.rust_target
        )
    })
}

/// The Debian architecture of this program's machine (`amd64` for an
/// x86_64 build of it), for [`Arch::cross_compile`].
pub fn host_debian_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The `ARCH` a header tree forces on Kbuild: Debian's trees say
/// `override ARCH = <arch>` in `.kernelvariables`; none for other trees.
pub fn tree_kbuild_arch(tree: &Path) -> Option<String> {
    let text = fs::read_to_string(tree.join(".kernelvariables")).ok()?;
    kbuild_arch_in(&text)
}

fn kbuild_arch_in(kernelvariables: &str) -> Option<String> {
    kernelvariables.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("override")?.trim_start();
        let value = rest.strip_prefix("ARCH")?.trim_start().strip_prefix('=')?;
        Some(value.trim().to_string()).filter(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm64() {
        let a = arch("arm64").unwrap();
        assert_eq!(a.kbuild, "arm64");
        assert_eq!(a.rust_target, "aarch64-unknown-none-softfloat");
        assert_eq!(a.cross_compile("amd64"), "aarch64-linux-gnu-");
        assert_eq!(a.cross_compile("arm64"), "");
    }

    #[test]
    fn x86_64() {
        let a = arch("x86_64").unwrap();
        assert_eq!((a.kbuild, a.rust_target), ("x86", "x86_64-unknown-none"));
        assert_eq!(a.cross_compile("amd64"), "");
        assert!(arch("riscv").is_none());
    }

    #[test]
    fn mismatch() {
        assert_eq!(target_mismatch("arm64", "aarch64", "set 6.1-arm64"), None);
        let err = target_mismatch("arm64", "x86_64", "set 6.1-arm64").unwrap();
        assert!(err
            .starts_with("set 6.1-arm64 is for arm64 kernels, but this build compiles for x86_64"));
        assert!(err.ends_with("--target aarch64-unknown-none-softfloat"));
        assert!(target_mismatch("x86_64", "aarch64", "set 6.1-amd64").is_some());
    }

    #[test]
    fn kernelvariables() {
        let text = "override ARCH = arm64\noverride KERNELRELEASE = 6.1.0-57-arm64\nCC = $(CROSS_COMPILE)gcc-12\n";
        assert_eq!(kbuild_arch_in(text).as_deref(), Some("arm64"));
        assert_eq!(
            kbuild_arch_in("override ARCH = x86\n").as_deref(),
            Some("x86")
        );
        assert_eq!(kbuild_arch_in("override KERNELRELEASE = 6.1\n"), None);
        // ARCHFOO is another variable.
        assert_eq!(kbuild_arch_in("override ARCHFOO = x\n"), None);
    }
}
