//! Kernel header trees: finding the installed ones and choosing the ones a
//! command line asks for. What a tree *is* (release, upstream version,
//! arch, flavor, config fingerprint) is read by the `kernel-tree` crate, the
//! same code the bindings build script uses to pick a set, so gen and the
//! build script cannot disagree about it.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use kernel_tree::{leading_version, KernelId};
use semver::VersionReq;
use walkdir::WalkDir;

/// Whether gen generates sets for `arch` (the architectures of
/// `kernel_tree::arch::ARCHES`, which the bindings can target).
pub fn supported_arch(arch: &str) -> bool {
    kernel_tree::arch::arch(arch).is_some()
}

/// The supported architectures, for messages: `x86_64, arm64`.
fn supported_arches() -> String {
    let names: Vec<&str> = kernel_tree::arch::ARCHES.iter().map(|a| a.name).collect();
    names.join(", ")
}

/// Where header trees are searched by default: Debian's `/usr/src/linux-headers-*`
/// and `/lib/modules/<release>/build`.
pub const DEFAULT_SEARCH: &[&str] = &["/usr/src", "/lib/modules"];

/// A header tree and what identifies it ([`KernelId`]: release, version,
/// arch, flavor, config fingerprint; also `set_name()`), reachable through
/// `Deref`.
#[derive(Debug, Clone)]
pub struct Tree {
    /// The tree as found (may be a symlink such as `/lib/modules/<r>/build`).
    pub path: PathBuf,
    pub id: KernelId,
}

impl Deref for Tree {
    type Target = KernelId;

    fn deref(&self) -> &KernelId {
        &self.id
    }
}

impl Tree {
    /// Reads a header tree; fails if `path` is not one.
    pub fn load(path: &Path) -> Result<Tree> {
        let id = KernelId::read(path).map_err(|e| anyhow!(e))?;
        Ok(Tree {
            path: path.to_path_buf(),
            id,
        })
    }

    pub fn ensure_supported_arch(&self) -> Result<()> {
        self.target().map(|_| ())
    }

    /// How to build for this tree's arch: Kbuild's ARCH, the compilers'
    /// targets, the cross prefix.
    pub fn target(&self) -> Result<&'static kernel_tree::arch::Arch> {
        kernel_tree::arch::arch(&self.arch).ok_or_else(|| {
            anyhow!(
                "header tree {} (release {}) is for {}, but gen generates bindings for {} kernels only",
                self.path.display(),
                self.release,
                self.arch,
                supported_arches()
            )
        })
    }

    /// `CROSS_COMPILE` for this tree's Kbuild on this machine (empty when
    /// native): Debian's trees name their compiler `$(CROSS_COMPILE)gcc-N`
    /// and leave the prefix to the caller.
    pub fn cross_compile(&self) -> Result<String> {
        Ok(self
            .target()?
            .cross_compile(kernel_tree::arch::host_debian_arch()))
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
            Query::Version(_, req) => {
                let v = &tree.version;
                req.matches(&semver::Version::new(v.major, v.minor, v.patch))
            }
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
        .filter(|t| supported_arch(&t.arch))
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
            supported_arches()
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
