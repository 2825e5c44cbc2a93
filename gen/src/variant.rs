//! Layout variants within a kernel series. A committed set
//! `<series>-<flavor>` (the *family*'s base, e.g. `6.1-amd64`) is made from
//! the newest point release of its series; an older point release whose
//! bindings, wrappers or layout differ gets a set of its own, a variant,
//! named `<series>-<flavor>@<upstream version>` (`6.1-amd64@6.1.158`: the
//! `version` its meta.toml records). A variant is stored like a flavor
//! (see `store::default_base`), and the build picks among a family by the
//! release each member records.

use std::path::Path;

use anyhow::Result;
use kernel_tree::{leading_version, KernelId, Version};

use kernel_tree::store::DELTA_FILES;

use crate::setdiff::{self, Files};
use crate::{committed_sets, meta};

/// What separates a variant's family from its version: `6.1-amd64@6.1.158`.
pub const MARK: char = '@';

/// The family of set `name`: its name without the variant's `@<version>`.
pub fn family(name: &str) -> &str {
    name.split_once(MARK).map_or(name, |(family, _)| family)
}

pub fn is_variant(name: &str) -> bool {
    name.contains(MARK)
}

/// What a committed set records of the tree it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub release: String,
    pub version: Version,
}

impl Recorded {
    /// From the meta.toml of the set in `set_dir`; none without one (or
    /// without a readable release and version).
    pub fn read(set_dir: &Path) -> Option<Recorded> {
        Some(Recorded {
            release: meta::read_value(set_dir, "release")?,
            version: leading_version(&meta::read_value(set_dir, "version")?)?,
        })
    }
}

/// The set that `tree` makes, given what the committed base of its family
/// (`tree.set_name()`) records, if there is one: a variant `<family>@<tree's
/// version>` when the base was made from a newer upstream version, or from
/// the same version but another release (`6.12.118+deb13` against a
/// `6.12.118+deb12` base); otherwise the family's name itself (no base, or
/// one made from an older version or from this very release), replaced as
/// ever.
pub fn set_name(tree: &KernelId, base: Option<&Recorded>) -> String {
    let family = tree.set_name();
    match base {
        Some(b)
            if tree.version < b.version
                || (tree.version == b.version && tree.release != b.release) =>
        {
            format!("{family}{MARK}{}", tree.version)
        }
        _ => family,
    }
}

/// [`set_name`], with the sets committed in `sets_dir`: a set of the family
/// made from this very release keeps its name (so checking or refreshing
/// it regenerates it under its own name), and a new variant whose name a
/// variant from another release has taken (the same upstream version
/// built twice, `+deb12` and `+deb13`) gets the first free `-2`, `-3`, ...
pub fn set_name_in(sets_dir: &Path, tree: &KernelId) -> String {
    let family = tree.set_name();
    let members = members(sets_dir, &family).unwrap_or_default();
    let recorded = |name: &str| Recorded::read(&sets_dir.join(name));
    if let Some(own) = members
        .iter()
        .find(|m| recorded(m).is_some_and(|r| r.release == tree.release))
    {
        return own.clone();
    }
    let name = set_name(tree, recorded(&family).as_ref());
    if !is_variant(&name) {
        return name;
    }
    (1..)
        .map(|n| match n {
            1 => name.clone(),
            n => format!("{name}-{n}"),
        })
        .find(|candidate| !members.contains(candidate))
        .unwrap_or(name)
}

/// The committed sets of `family` in `sets_dir`: its base (if committed)
/// first, then its variants, sorted.
pub fn members(sets_dir: &Path, family: &str) -> Result<Vec<String>> {
    let mut names: Vec<String> = committed_sets(sets_dir)?
        .into_iter()
        .filter(|name| self::family(name) == family)
        .collect();
    names.sort_by_key(|name| is_variant(name));
    Ok(names)
}

/// What a variant candidate's files `fresh` are to the committed sets of
/// its family.
pub enum Against {
    /// The committed set of that name has the same four generated files.
    Served(String),
    /// None has: how it differs from the base (`of set 6.1-amd64 (made from
    /// ...): <interface differences>`).
    Differs(String),
}

/// Compares `fresh` with each committed member of `family` (base first).
pub fn compare(sets_dir: &Path, family: &str, fresh: &Files) -> Result<Against> {
    let base_release =
        meta::read_value(&sets_dir.join(family), "release").unwrap_or_else(|| "?".into());
    let mut how = format!("of set {family} (made from {base_release})");
    for member in members(sets_dir, family)? {
        let Ok(files) = setdiff::read_set(&sets_dir.join(&member)) else {
            continue;
        };
        if DELTA_FILES.iter().all(|f| files.get(*f) == fresh.get(*f)) {
            return Ok(Against::Served(member));
        }
        if member == family {
            how = format!("{how}: {}", setdiff::SetDiff::of(&files, fresh));
        }
    }
    Ok(Against::Differs(how))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(release: &str, version: (u64, u64, u64)) -> KernelId {
        KernelId {
            release: release.to_string(),
            version: Version::new(version.0, version.1, version.2),
            arch: "x86_64".to_string(),
            flavor: "amd64".to_string(),
            config: String::new(),
        }
    }

    fn recorded(release: &str, version: (u64, u64, u64)) -> Recorded {
        Recorded {
            release: release.to_string(),
            version: Version::new(version.0, version.1, version.2),
        }
    }

    #[test]
    fn families() {
        assert_eq!(family("6.1-amd64@6.1.158"), "6.1-amd64");
        assert_eq!(family("6.1-amd64"), "6.1-amd64");
        assert!(is_variant("6.12-arm64-16k@6.12.95"));
        assert!(!is_variant("6.12-arm64-16k"));
    }

    #[test]
    fn older_releases_make_variants() {
        let base = recorded("6.1.0-57-amd64", (6, 1, 162));
        // Older: a variant, named by its upstream version.
        assert_eq!(
            set_name(&tree("6.1.0-47-amd64", (6, 1, 158)), Some(&base)),
            "6.1-amd64@6.1.158"
        );
        assert_eq!(
            set_name(
                &tree("5.10.0-30-amd64", (5, 10, 218)),
                Some(&recorded("5.10.0-46-amd64", (5, 10, 244)))
            ),
            "5.10-amd64@5.10.218"
        );
        // Newer, or the base's own release: the base, replaced as ever.
        assert_eq!(
            set_name(&tree("6.1.0-58-amd64", (6, 1, 170)), Some(&base)),
            "6.1-amd64"
        );
        assert_eq!(
            set_name(&tree("6.1.0-57-amd64", (6, 1, 162)), Some(&base)),
            "6.1-amd64"
        );
        // The same version from another release: a variant.
        assert_eq!(
            set_name(
                &tree("6.12.118+deb13-amd64", (6, 12, 118)),
                Some(&recorded("6.12.118+deb12-amd64", (6, 12, 118)))
            ),
            "6.12-amd64@6.12.118"
        );
        // No base: the base.
        assert_eq!(
            set_name(&tree("6.1.0-47-amd64", (6, 1, 158)), None),
            "6.1-amd64"
        );
    }
}
