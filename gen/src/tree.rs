//! Kernel header trees: reading one (release, version, arch, flavor), finding
//! the installed ones, and choosing the ones a command line asks for.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use semver::{Version, VersionReq};
use walkdir::WalkDir;

/// The only architecture gen generates sets for (the bindings target).
pub const SUPPORTED_ARCH: &str = "x86_64";

/// Where header trees are searched by default: Debian's `/usr/src/linux-headers-*`
/// and `/lib/modules/<release>/build`.
pub const DEFAULT_SEARCH: &[&str] = &["/usr/src", "/lib/modules"];

#[derive(Debug, Clone)]
pub struct Tree {
    /// The tree as found (may be a symlink such as `/lib/modules/<r>/build`).
    pub path: PathBuf,
    /// `UTS_RELEASE`, e.g. `6.1.0-NN-amd64`.
    pub release: String,
    /// Upstream version, e.g. `6.1.100`.
    pub version: Version,
    /// `x86_64`, `arm64`, ... from the tree's `.config`.
    pub arch: String,
    /// Trailing words of the release after version and ABI number, e.g. `cloud-amd64`.
    pub flavor: String,
}

impl Tree {
    /// Reads a header tree; fails if `path` is not one.
    pub fn load(path: &Path) -> Result<Tree> {
        let uts = path.join("include/generated/utsrelease.h");
        if !uts.is_file() {
            bail!(
                "{} is not a kernel header tree (no include/generated/utsrelease.h)",
                path.display()
            );
        }
        let release = read_define_str(&uts, "UTS_RELEASE")?;
        let version = read_version(path, &release)?;
        let config = path.join(".config");
        let config_text = fs::read_to_string(&config)
            .with_context(|| format!("cannot read the kernel config {}", config.display()))?;
        let arch = arch_from_config(&config_text).to_string();
        let flavor = flavor_from_release(&release);
        Ok(Tree {
            path: path.to_path_buf(),
            release,
            version,
            arch,
            flavor,
        })
    }

    /// `<major>.<minor>-<flavor>`, e.g. `6.1-cloud-amd64`.
    pub fn set_name(&self) -> String {
        format!(
            "{}.{}-{}",
            self.version.major, self.version.minor, self.flavor
        )
    }

    pub fn ensure_supported_arch(&self) -> Result<()> {
        if self.arch != SUPPORTED_ARCH {
            bail!(
                "header tree {} (release {}) is for {}, but gen generates bindings for {} kernels only",
                self.path.display(),
                self.release,
                self.arch,
                SUPPORTED_ARCH
            );
        }
        Ok(())
    }
}

fn read_define_str(file: &Path, name: &str) -> Result<String> {
    let text =
        fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    define_value(&text, name)
        .map(|v| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
        .with_context(|| format!("no {name} in {}", file.display()))
}

/// The value of `#define NAME value` in a C header text.
fn define_value<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("#define")?.trim_start();
        let rest = rest.strip_prefix(name)?;
        rest.starts_with([' ', '\t']).then(|| rest.trim())
    })
}

/// Upstream version from `include/generated/uapi/linux/version.h`.
/// `LINUX_VERSION_CODE` caps the sublevel at 255; newer trees also have
/// `LINUX_VERSION_SUBLEVEL` (uncapped), older ones get it from kernel.release.
fn read_version(tree: &Path, release: &str) -> Result<Version> {
    let file = tree.join("include/generated/uapi/linux/version.h");
    let text =
        fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let num = |name: &str| define_value(&text, name).and_then(|v| v.parse::<u64>().ok());
    if let (Some(major), Some(minor), Some(patch)) = (
        num("LINUX_VERSION_MAJOR"),
        num("LINUX_VERSION_PATCHLEVEL"),
        num("LINUX_VERSION_SUBLEVEL"),
    ) {
        return Ok(Version::new(major, minor, patch));
    }
    let code = num("LINUX_VERSION_CODE")
        .with_context(|| format!("no LINUX_VERSION_CODE in {}", file.display()))?;
    let (major, minor, mut patch) = (code >> 16, (code >> 8) & 0xff, code & 0xff);
    // The sublevel is capped at 255 in the code: take it from a release
    // string such as `4.9.337` when that agrees on major.minor.
    let kernel_release = fs::read_to_string(tree.join("include/config/kernel.release"))
        .unwrap_or_else(|_| release.to_string());
    if let Some(v) = leading_version(kernel_release.trim()) {
        if v.major == major && v.minor == minor {
            patch = v.patch;
        }
    }
    Ok(Version::new(major, minor, patch))
}

/// `6.12.9+deb12-amd64` -> 6.12.9.
fn leading_version(s: &str) -> Option<Version> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let mut parts = s[..end].split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next()??;
    let patch = parts.next().unwrap_or(Some(0))?;
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
        .find(|(sym, _)| config.lines().any(|l| l.trim() == format!("{sym}=y")))
        .map_or("unknown", |(_, arch)| arch)
}

/// The release's trailing flavor words: `6.1.0-NN-cloud-amd64` -> `cloud-amd64`,
/// `6.12.9+deb12-amd64` -> `amd64`. The version and all-digit words (the
/// Debian ABI number) are dropped. A release without any is flavor `default`.
pub fn flavor_from_release(release: &str) -> String {
    let words: Vec<&str> = release
        .split('-')
        .skip(1)
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    if words.is_empty() {
        "default".to_string()
    } else {
        words.join("-")
    }
}

/// All header trees below the search directories (one level, or two for
/// `/lib/modules/<release>/build`), each once, sorted by set name and release.
pub fn discover(search: &[PathBuf]) -> Vec<Tree> {
    let mut by_canonical: BTreeMap<PathBuf, Tree> = BTreeMap::new();
    for root in search {
        let walker = WalkDir::new(root)
            .min_depth(1)
            .max_depth(2)
            .follow_links(true)
            .sort_by_file_name();
        for entry in walker.into_iter().filter_map(|e| e.ok()) {
            let path = entry.path();
            if !entry.file_type().is_dir() || !path.join("include/generated/utsrelease.h").is_file()
            {
                continue;
            }
            let Ok(canonical) = path.canonicalize() else {
                continue;
            };
            if by_canonical.contains_key(&canonical) {
                continue;
            }
            // A directory that looks like a tree but cannot be read is skipped
            // here; `--kdir` on it reports why.
            if let Ok(tree) = Tree::load(path) {
                by_canonical.insert(canonical, tree);
            }
        }
    }
    let mut trees: Vec<Tree> = by_canonical.into_values().collect();
    trees.sort_by(|a, b| {
        a.set_name()
            .cmp(&b.set_name())
            .then_with(|| newer(a, b).reverse())
    });
    trees
}

/// What the user asked for on the command line.
#[derive(Debug)]
pub enum Query {
    /// `6`, `6.1`, `6.1.100`: every tree whose upstream version matches.
    Version(String, VersionReq),
    /// `6.1.0-NN-amd64`: the tree with exactly this release.
    Release(String),
}

impl Query {
    pub fn parse(arg: &str) -> Result<Query> {
        let parts: Vec<&str> = arg.split('.').collect();
        let numeric = |p: &&str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
        if parts.len() <= 3 && parts.iter().all(numeric) {
            // semver's `=6.1` matches every 6.1.x.
            let req = VersionReq::parse(&format!("={arg}"))
                .with_context(|| format!("unknown kernel version '{arg}'"))?;
            return Ok(Query::Version(arg.to_string(), req));
        }
        let looks_like_release = arg.starts_with(|c: char| c.is_ascii_digit())
            && leading_version(arg).is_some()
            && arg.contains(['-', '+'])
            && !arg.contains(char::is_whitespace)
            && !arg.contains('/');
        if looks_like_release {
            return Ok(Query::Release(arg.to_string()));
        }
        bail!(
            "unknown kernel version '{arg}': expected MAJOR.MINOR[.PATCH] such as 6.1, or a release such as 6.1.0-NN-amd64"
        )
    }

    fn matches(&self, tree: &Tree) -> bool {
        match self {
            Query::Version(_, req) => req.matches(&tree.version),
            Query::Release(release) => tree.release == *release,
        }
    }

    /// The Debian package to install when nothing matches.
    fn package_hint(&self, flavor: Option<&str>) -> String {
        let flavor = flavor.unwrap_or("amd64");
        match self {
            Query::Release(release) => format!("sudo apt-get install linux-headers-{release}"),
            Query::Version(text, _) => format!(
                "sudo apt-get install linux-headers-{text}-{flavor} (Debian meta package; Debian 12's own 6.1 kernel: linux-headers-{flavor})"
            ),
        }
    }

    fn describe(&self) -> String {
        match self {
            Query::Version(text, _) => format!("Linux {text}"),
            Query::Release(release) => format!("release {release}"),
        }
    }
}

/// The trees to generate for. The flavor rule: every flavor installed for the
/// requested kernel gets its own set unless `flavor` picks one; when several
/// trees map to one set (e.g. two Debian ABI numbers), the newest is used.
pub fn select(trees: &[Tree], query: &Query, flavor: Option<&str>) -> Result<Vec<Tree>> {
    let matching: Vec<&Tree> = trees.iter().filter(|t| query.matches(t)).collect();
    if matching.is_empty() {
        bail!(
            "no installed kernel headers for {}{}: install them with `{}`, or pass --kdir PATH",
            query.describe(),
            flavor.map(|f| format!(" ({f})")).unwrap_or_default(),
            query.package_hint(flavor)
        );
    }
    let native: Vec<&Tree> = matching
        .iter()
        .copied()
        .filter(|t| t.arch == SUPPORTED_ARCH)
        .collect();
    if native.is_empty() {
        let found: Vec<String> = matching
            .iter()
            .map(|t| format!("{} ({})", t.release, t.arch))
            .collect();
        bail!(
            "the installed headers for {} are for another architecture: {}; gen generates bindings for {} kernels only",
            query.describe(),
            found.join(", "),
            SUPPORTED_ARCH
        );
    }
    let flavored: Vec<&Tree> = match flavor {
        None => native,
        Some(f) => {
            let picked: Vec<&Tree> = native.iter().copied().filter(|t| t.flavor == f).collect();
            if picked.is_empty() {
                let mut have: Vec<&str> = native.iter().map(|t| t.flavor.as_str()).collect();
                have.dedup();
                bail!(
                    "no installed {} headers of flavor {f} (installed flavors: {}): install them with `{}`",
                    query.describe(),
                    have.join(", "),
                    query.package_hint(Some(f))
                );
            }
            picked
        }
    };
    let mut newest: BTreeMap<String, &Tree> = BTreeMap::new();
    for tree in flavored {
        newest
            .entry(tree.set_name())
            .and_modify(|cur| {
                if newer(tree, cur) == Ordering::Greater {
                    *cur = tree;
                }
            })
            .or_insert(tree);
    }
    Ok(newest.into_values().cloned().collect())
}

/// Orders trees by upstream version, then by release compared number-wise
/// (so ABI `-100` is newer than `-99`).
fn newer(a: &Tree, b: &Tree) -> Ordering {
    a.version
        .cmp(&b.version)
        .then_with(|| natural_cmp(&a.release, &b.release))
}

fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits > 0 {
                out.push((rest[..digits].parse().unwrap_or(u64::MAX), String::new()));
                rest = &rest[digits..];
            } else {
                let end = rest
                    .find(|c: char| c.is_ascii_digit())
                    .unwrap_or(rest.len());
                out.push((0, rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
        out
    }
    chunks(a).cmp(&chunks(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavors() {
        assert_eq!(flavor_from_release("6.1.0-1234-amd64"), "amd64");
        assert_eq!(flavor_from_release("6.1.0-1234-cloud-amd64"), "cloud-amd64");
        assert_eq!(flavor_from_release("6.1.0-1234-rt-amd64"), "rt-amd64");
        assert_eq!(flavor_from_release("6.12.9+deb12-amd64"), "amd64");
        assert_eq!(flavor_from_release("6.8.0"), "default");
    }

    #[test]
    fn queries() {
        assert!(matches!(Query::parse("6.1"), Ok(Query::Version(..))));
        assert!(matches!(Query::parse("6.1.100"), Ok(Query::Version(..))));
        assert!(matches!(
            Query::parse("6.1.0-1234-amd64"),
            Ok(Query::Release(..))
        ));
        assert!(Query::parse("banana").is_err());
        assert!(Query::parse("6.x").is_err());
        assert!(Query::parse("").is_err());
    }

    #[test]
    fn natural_order() {
        assert_eq!(
            natural_cmp("6.1.0-100-amd64", "6.1.0-99-amd64"),
            Ordering::Greater
        );
    }
}
