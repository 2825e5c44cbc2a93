//! Facts about a kernel header tree and the binding sets made from them:
//! the one place that reads `utsrelease.h`, `version.h`, `.config` and a
//! set's `meta.toml`, and that picks the set for a kernel. gen records these
//! facts in each set's `meta.toml`; the bindings crate's build script and the
//! make fragment (through the `ko-facts` tool in `tool/`, compiled with plain
//! rustc: this crate has no dependencies) read them from here. It is also
//! the one reader of a set's files, which may be stored as deltas of
//! another set's (`store`, `delta`).

pub mod arch;
pub mod delta;
pub mod rust_asserts;
pub mod sets;
pub mod store;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// An upstream kernel version, `6.1.192`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Version {
    pub const fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// `6.1`: what a set serves.
    pub fn series(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What identifies a kernel build for binding purposes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelId {
    /// `UTS_RELEASE`, e.g. `6.1.0-56-amd64`.
    pub release: String,
    /// Upstream version, e.g. `6.1.192`.
    pub version: Version,
    /// e.g. `x86_64`.
    pub arch: String,
    /// e.g. `amd64`, `rt-amd64` (see [`flavor_from_release`]).
    pub flavor: String,
    /// See [`config_fingerprint`].
    pub config: String,
}

impl KernelId {
    /// Reads a prepared header tree (`/lib/modules/<release>/build`).
    pub fn read(tree: &Path) -> Result<KernelId, String> {
        let uts = tree.join("include/generated/utsrelease.h");
        let uts_text = fs::read_to_string(&uts).map_err(|_| {
            format!(
                "{} is not a prepared kernel header tree (no include/generated/utsrelease.h)",
                tree.display()
            )
        })?;
        let release = uts_text
            .lines()
            .find_map(|l| l.strip_prefix("#define UTS_RELEASE "))
            .map(|v| v.trim().trim_matches('"').to_string())
            .ok_or_else(|| format!("no UTS_RELEASE in {}", uts.display()))?;
        let config_path = tree.join(".config");
        let config = fs::read_to_string(&config_path)
            .map_err(|e| format!("cannot read {}: {e}", config_path.display()))?;
        Ok(KernelId {
            version: read_version(tree, &release)?,
            arch: arch_from_config(&config).to_string(),
            flavor: flavor_from_release(&release),
            config: config_fingerprint(&config),
            release,
        })
    }

    /// The files [`KernelId::read`] looks at, for rebuild tracking.
    pub fn inputs(tree: &Path) -> Vec<PathBuf> {
        [
            "include/generated/utsrelease.h",
            "include/generated/uapi/linux/version.h",
            "include/config/kernel.release",
            ".config",
        ]
        .iter()
        .map(|f| tree.join(f))
        .collect()
    }

    /// `<major>.<minor>-<flavor>`, the name of this kernel's set.
    pub fn set_name(&self) -> String {
        format!("{}-{}", self.version.series(), self.flavor)
    }
}

/// The upstream version. `LINUX_VERSION_CODE` caps the sublevel at 255, so
/// the sublevel comes from `LINUX_VERSION_SUBLEVEL` (newer trees) or from
/// `kernel.release`/the release when those agree on major.minor.
fn read_version(tree: &Path, release: &str) -> Result<Version, String> {
    let file = tree.join("include/generated/uapi/linux/version.h");
    let text =
        fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let define = |name: &str| -> Option<u64> {
        text.lines().find_map(|l| {
            let rest = l.strip_prefix("#define ")?.strip_prefix(name)?;
            rest.trim().parse().ok()
        })
    };
    if let (Some(major), Some(minor), Some(patch)) = (
        define("LINUX_VERSION_MAJOR"),
        define("LINUX_VERSION_PATCHLEVEL"),
        define("LINUX_VERSION_SUBLEVEL"),
    ) {
        return Ok(Version::new(major, minor, patch));
    }
    let code = define("LINUX_VERSION_CODE")
        .ok_or_else(|| format!("no LINUX_VERSION_CODE in {}", file.display()))?;
    let (major, minor) = (code >> 16, (code >> 8) & 0xff);
    let kernel_release =
        fs::read_to_string(tree.join("include/config/kernel.release")).unwrap_or_default();
    for candidate in [kernel_release.trim(), release] {
        if let Some(v) = leading_version(candidate) {
            if v.major == major && v.minor == minor {
                return Ok(v);
            }
        }
    }
    Ok(Version::new(major, minor, code & 0xff))
}

/// Every series up to `version`'s, `4.0` .. `6.1`, for the
/// `kernel_at_least` cfgs: majors 4 to 6 had at most 20 minors.
pub fn series_up_to(version: &Version) -> Vec<String> {
    const FIRST_MAJOR: u64 = 4;
    const MAX_MINOR: u64 = 20;
    (FIRST_MAJOR..=version.major)
        .flat_map(|major| {
            let last = if major < version.major {
                MAX_MINOR
            } else {
                version.minor
            };
            (0..=last).map(move |minor| format!("{major}.{minor}"))
        })
        .collect()
}

/// `6.1.192`, `6.1.0-56-amd64` -> 6.1.192, 6.1.0 (leniently, `6.1` -> 6.1.0).
pub fn leading_version(text: &str) -> Option<Version> {
    let head = text.split(['-', '+']).next()?;
    let mut parts = head.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some(Version::new(major, minor, patch))
}

/// The architecture a kernel config is for.
pub fn arch_from_config(config: &str) -> &'static str {
    const ARCHES: &[(&str, &str)] = &[
        ("CONFIG_X86_64", "x86_64"),
        ("CONFIG_X86_32", "x86"),
        ("CONFIG_ARM64", "arm64"),
        ("CONFIG_ARM", "arm"),
        ("CONFIG_RISCV", "riscv"),
        ("CONFIG_PPC64", "powerpc64"),
        ("CONFIG_PPC", "powerpc"),
        ("CONFIG_S390", "s390"),
        ("CONFIG_LOONGARCH", "loongarch"),
        ("CONFIG_MIPS", "mips"),
    ];
    ARCHES
        .iter()
        .find(|(sym, _)| {
            config
                .lines()
                .any(|l| l.trim().strip_prefix(sym) == Some("=y"))
        })
        .map_or("unknown", |(_, arch)| arch)
}

/// The release's trailing flavor words: `6.1.0-56-cloud-amd64` ->
/// `cloud-amd64`, `6.12.117+deb12-amd64` -> `amd64`,
/// `6.1.0-0.deb11.52-rt-amd64` (a backport) -> `rt-amd64`, `5.10.0-46-686-pae`
/// -> `686-pae`. The version is dropped, and so is the Debian ABI word after
/// it (it starts with a digit; releases whose version carries `+debNN` have
/// none); a release without flavor words is flavor `default`.
pub fn flavor_from_release(release: &str) -> String {
    let mut words = release.split('-').filter(|w| !w.is_empty());
    let version = words.next().unwrap_or_default();
    let mut words = words.peekable();
    let abi = words
        .peek()
        .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()));
    if !version.contains('+') && abi {
        words.next();
    }
    let flavor: Vec<&str> = words.collect();
    if flavor.is_empty() {
        "default".to_string()
    } else {
        flavor.join("-")
    }
}

/// Whether a config symbol or macro only names the kernel's release or the
/// toolchain that built it: a Debian point release rewrites these (ABI
/// number in `CONFIG_BUILD_SALT`, compiler version text) without changing
/// any interface. They stay out of the config fingerprint and out of every
/// generated file, so one set serves every release of its series.
pub fn names_release(name: &str) -> bool {
    // `CONFIG_<tool>_VERSION`: tool versions Kconfig records.
    const TOOLS: &[&str] = &[
        "GCC",
        "CLANG",
        "AS",
        "LD",
        "LLD",
        "PAHOLE",
        "RUSTC",
        "RUSTC_LLVM",
        "BINDGEN",
    ];
    const NAMES: &[&str] = &[
        "CONFIG_BUILD_SALT",
        "CONFIG_CC_VERSION_TEXT",
        "CONFIG_VERSION_SIGNATURE",
        "UTS_RELEASE",
        "UTS_VERSION",
        "LINUX_VERSION_CODE",
        "LINUX_VERSION_MAJOR",
        "LINUX_VERSION_PATCHLEVEL",
        "LINUX_VERSION_SUBLEVEL",
        "LINUX_COMPILE_BY",
        "LINUX_COMPILE_HOST",
        "LINUX_COMPILER",
    ];
    if NAMES.contains(&name) {
        return true;
    }
    let Some(symbol) = name.strip_prefix("CONFIG_") else {
        return false;
    };
    symbol.ends_with("_VERSION_TEXT")
        || symbol
            .strip_suffix("_VERSION")
            .is_some_and(|tool| TOOLS.contains(&tool))
}

/// A fingerprint of the config's `CONFIG_*` assignments (comments and blank
/// lines dropped, lines sorted, lines that only name the release or
/// toolchain left out: see [`names_release`]), so a re-saved config, or the
/// same config in the next point release, keeps its fingerprint:
/// `fnv1a64:<16 hex digits>`. It tells identical configs apart from
/// different ones, nothing more (the layout proof checks what matters), so
/// a 64-bit FNV-1a is enough and keeps this crate free of dependencies.
pub fn config_fingerprint(config: &str) -> String {
    let mut lines: Vec<&str> = config
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("CONFIG_"))
        .filter(|l| !l.split_once('=').is_some_and(|(k, _)| names_release(k)))
        .collect();
    lines.sort_unstable();
    fingerprint_of(lines.iter().flat_map(|l| l.bytes().chain([b'\n'])))
}

/// 64-bit FNV-1a of `bytes`.
pub fn fnv1a64(bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// [`fnv1a64`] as `fnv1a64:<16 hex digits>`, the form in which sets record
/// fingerprints (of a config, of a base set's files).
pub fn fingerprint_of(bytes: impl IntoIterator<Item = u8>) -> String {
    format!("fnv1a64:{:016x}", fnv1a64(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavors() {
        assert_eq!(flavor_from_release("6.1.0-56-cloud-amd64"), "cloud-amd64");
        assert_eq!(flavor_from_release("6.1.0-56-amd64"), "amd64");
        assert_eq!(flavor_from_release("6.12.117+deb12-amd64"), "amd64");
        assert_eq!(flavor_from_release("6.8.0"), "default");
        assert_eq!(flavor_from_release("6.1.0-57"), "default");
        assert_eq!(flavor_from_release("6.1.0-0.deb11.52-rt-amd64"), "rt-amd64");
        assert_eq!(flavor_from_release("5.10.0-46-686-pae"), "686-pae");
        assert_eq!(flavor_from_release("7.3.4+deb13-arm64"), "arm64");
        assert_eq!(flavor_from_release("6.1.0-57-cloud-arm64"), "cloud-arm64");
        assert_eq!(flavor_from_release("6.1.0-57-rt-arm64"), "rt-arm64");
        assert_eq!(flavor_from_release("6.12.117+deb12-arm64-16k"), "arm64-16k");
    }

    #[test]
    fn arm64_set_names() {
        let k = |release: &str, version| KernelId {
            release: release.to_string(),
            version,
            arch: "arm64".to_string(),
            flavor: flavor_from_release(release),
            config: String::new(),
        };
        assert_eq!(
            k("6.1.0-57-arm64", Version::new(6, 1, 192)).set_name(),
            "6.1-arm64"
        );
        assert_eq!(
            k("6.12.117+deb12-cloud-arm64", Version::new(6, 12, 117)).set_name(),
            "6.12-cloud-arm64"
        );
        assert_eq!(
            k("7.3.4+deb13-rt-arm64", Version::new(7, 3, 4)).set_name(),
            "7.3-rt-arm64"
        );
    }

    #[test]
    fn series_for_cfgs() {
        let up_to = series_up_to(&Version::new(6, 1, 192));
        assert_eq!(up_to.first().map(String::as_str), Some("4.0"));
        assert_eq!(up_to.last().map(String::as_str), Some("6.1"));
        assert!(up_to.contains(&"5.20".to_string()) && !up_to.contains(&"6.2".to_string()));
        assert_eq!(up_to.len(), 21 + 21 + 2);
    }

    #[test]
    fn versions() {
        assert_eq!(leading_version("6.1.192"), Some(Version::new(6, 1, 192)));
        assert_eq!(
            leading_version("6.12.117+deb12-amd64"),
            Some(Version::new(6, 12, 117))
        );
        assert_eq!(leading_version("6.1"), Some(Version::new(6, 1, 0)));
        assert_eq!(leading_version("amd64"), None);
    }

    #[test]
    fn fingerprint_is_fnv1a() {
        // No lines: FNV-1a's offset basis.
        assert_eq!(config_fingerprint(""), "fnv1a64:cbf29ce484222325");
        assert_eq!(config_fingerprint("CONFIG_A=y\n").len(), 8 + 16);
    }

    #[test]
    fn fingerprint_ignores_comments_and_order() {
        let a = config_fingerprint("# c\nCONFIG_A=y\nCONFIG_B=m\n");
        let b = config_fingerprint("CONFIG_B=m\n\n# other\nCONFIG_A=y\n");
        assert_eq!(a, b);
        assert_ne!(a, config_fingerprint("CONFIG_A=y\n"));
    }

    #[test]
    fn fingerprint_ignores_release_naming() {
        let a = "CONFIG_A=y\nCONFIG_BUILD_SALT=\"6.1.0-56-amd64\"\nCONFIG_GCC_VERSION=120200\n";
        let b = "CONFIG_A=y\nCONFIG_BUILD_SALT=\"6.1.0-57-amd64\"\nCONFIG_GCC_VERSION=120300\n";
        assert_eq!(config_fingerprint(a), config_fingerprint(b));
        assert_eq!(config_fingerprint(a), config_fingerprint("CONFIG_A=y\n"));
    }

    #[test]
    fn release_naming_names() {
        for name in [
            "CONFIG_BUILD_SALT",
            "CONFIG_CC_VERSION_TEXT",
            "CONFIG_GCC_VERSION",
            "CONFIG_PAHOLE_VERSION",
            "CONFIG_RUSTC_LLVM_VERSION",
            "CONFIG_RUSTC_VERSION_TEXT",
            "UTS_RELEASE",
            "LINUX_VERSION_SUBLEVEL",
        ] {
            assert!(names_release(name), "{name}");
        }
        for name in [
            "CONFIG_MODVERSIONS",
            "CONFIG_ARCH_WANT_COMPAT_IPC_PARSE_VERSION",
            "CONFIG_LOCALVERSION",
            "CONFIG_X86_64",
            "GFP_KERNEL",
        ] {
            assert!(!names_release(name), "{name}");
        }
    }

    #[test]
    fn arch() {
        assert_eq!(
            arch_from_config("CONFIG_64BIT=y\nCONFIG_X86_64=y\n"),
            "x86_64"
        );
        assert_eq!(arch_from_config("CONFIG_ARM64=y\n"), "arm64");
        // An arm64 .config names CONFIG_ARM (unset) and ARM64 options too.
        let arm64 = "CONFIG_ARM64=y\nCONFIG_64BIT=y\n# CONFIG_ARM is not set\nCONFIG_ARM64_BTI_KERNEL=y\nCONFIG_ARM64_VA_BITS=48\n";
        assert_eq!(arch_from_config(arm64), "arm64");
        assert!(arch::arch(arch_from_config(arm64)).is_some());
        assert_eq!(arch_from_config("# CONFIG_X86_64 is not set\n"), "unknown");
    }
}
