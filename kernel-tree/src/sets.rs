//! Binding sets as their `meta.toml` describes them, and the rule that picks
//! one for a kernel: the only reader of `meta.toml` besides gen's writer.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use super::{leading_version, KernelId};

/// The file in each set directory that says what the set was made from.
pub const META_TOML: &str = "meta.toml";

/// A committed (or generated) set: its name, directory and the kernel its
/// `meta.toml` records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetMeta {
    pub name: String,
    pub dir: PathBuf,
    pub kernel: KernelId,
}

/// A string value of a `meta.toml` (`key = "value"`). gen writes flat
/// `key = "value"` lines whose keys are unique in the file, so no TOML
/// parser is needed.
pub fn meta_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

impl SetMeta {
    /// Every set under `sets_dir` (directories with a `meta.toml`), sorted
    /// by name.
    pub fn read_all(sets_dir: &Path) -> Result<Vec<SetMeta>, String> {
        let entries = fs::read_dir(sets_dir)
            .map_err(|e| format!("cannot list {}: {e}", sets_dir.display()))?;
        let mut sets = Vec::new();
        for entry in entries.flatten() {
            let dir = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden && dir.join(META_TOML).is_file() {
                sets.push(SetMeta::read(&dir)?);
            }
        }
        sets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(sets)
    }

    /// The set in `dir`.
    pub fn read(dir: &Path) -> Result<SetMeta, String> {
        let meta = dir.join(META_TOML);
        let text = fs::read_to_string(&meta)
            .map_err(|e| format!("cannot read {}: {e}", meta.display()))?;
        let field = |key: &str| {
            meta_value(&text, key).ok_or_else(|| format!("{}: no `{key}`", meta.display()))
        };
        let version = field("version")?;
        Ok(SetMeta {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            dir: dir.to_path_buf(),
            kernel: KernelId {
                release: field("release")?,
                version: leading_version(&version)
                    .ok_or_else(|| format!("{}: bad version {version}", meta.display()))?,
                arch: field("arch")?,
                flavor: field("flavor")?,
                config: field("config_fingerprint")?,
            },
        })
    }
}

/// The set picked for a kernel, and why (for the build log).
#[derive(Debug, PartialEq, Eq)]
pub struct Choice<'a> {
    pub set: &'a SetMeta,
    pub reason: String,
}

/// No set fits: says which exist and how to make one.
#[derive(Debug, PartialEq, Eq)]
pub struct NoSet {
    pub kernel: KernelId,
    pub have: Vec<String>,
}

impl fmt::Display for NoSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = &self.kernel;
        write!(
            f,
            "no committed binding set for kernel {} ({} {}, flavor {}); committed sets: {}",
            k.release,
            k.arch,
            k.version.series(),
            k.flavor,
            if self.have.is_empty() {
                "none".to_string()
            } else {
                self.have.join(", ")
            }
        )
    }
}

/// The set for `kernel`: the same arch and major.minor are required; among
/// those an identical config wins, then the same flavor (whose layouts the
/// build's proof still checks). Ties go to the first by name.
pub fn choose<'a>(kernel: &KernelId, sets: &'a [SetMeta]) -> Result<Choice<'a>, Box<NoSet>> {
    let candidates: Vec<&SetMeta> = sets
        .iter()
        .filter(|s| {
            s.kernel.arch == kernel.arch && s.kernel.version.series() == kernel.version.series()
        })
        .collect();
    if let Some(set) = candidates.iter().find(|s| s.kernel.config == kernel.config) {
        return Ok(Choice {
            set,
            reason: format!(
                "identical kernel config (generated from {})",
                set.kernel.release
            ),
        });
    }
    if let Some(set) = candidates.iter().find(|s| s.kernel.flavor == kernel.flavor) {
        return Ok(Choice {
            set,
            reason: format!(
                "same {} and flavor {}, config differs from {} (layouts are checked)",
                kernel.version.series(),
                kernel.flavor,
                set.kernel.release
            ),
        });
    }
    Err(Box::new(NoSet {
        kernel: kernel.clone(),
        // A set whose name hides its arch (a renamed copy) says it.
        have: sets
            .iter()
            .map(|s| match s.kernel.arch == kernel.arch {
                true => s.name.clone(),
                false => format!("{} (for {})", s.name, s.kernel.arch),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::Version;
    use super::*;

    fn kernel(
        release: &str,
        version: (u64, u64),
        arch: &str,
        flavor: &str,
        config: &str,
    ) -> KernelId {
        KernelId {
            release: release.into(),
            version: Version::new(version.0, version.1, 0),
            arch: arch.into(),
            flavor: flavor.into(),
            config: config.into(),
        }
    }

    fn set(name: &str, k: KernelId) -> SetMeta {
        SetMeta {
            name: name.into(),
            dir: PathBuf::from(name),
            kernel: k,
        }
    }

    fn sets() -> Vec<SetMeta> {
        vec![
            set(
                "6.1-amd64",
                kernel("6.1.0-57-amd64", (6, 1), "x86_64", "amd64", "A"),
            ),
            set(
                "6.1-cloud-amd64",
                kernel("6.1.0-57-cloud-amd64", (6, 1), "x86_64", "cloud-amd64", "C"),
            ),
            set(
                "6.1-rt-amd64",
                kernel("6.1.0-57-rt-amd64", (6, 1), "x86_64", "rt-amd64", "R"),
            ),
            set(
                "6.12-amd64",
                kernel("6.12.117+deb12-amd64", (6, 12), "x86_64", "amd64", "B"),
            ),
            set(
                "6.1-arm64",
                kernel("6.1.0-57-arm64", (6, 1), "arm64", "arm64", "A"),
            ),
        ]
    }

    #[test]
    fn identical_config_wins_over_flavor() {
        let sets = sets();
        // A kernel named like amd64 whose config is the rt one's.
        let k = kernel("6.1.0-58-amd64", (6, 1), "x86_64", "amd64", "R");
        let choice = choose(&k, &sets).unwrap();
        assert_eq!(choice.set.name, "6.1-rt-amd64");
        assert_eq!(
            choice.reason,
            "identical kernel config (generated from 6.1.0-57-rt-amd64)"
        );
    }

    #[test]
    fn same_flavor_when_the_config_differs() {
        let sets = sets();
        let k = kernel(
            "6.1.0-58-cloud-amd64",
            (6, 1),
            "x86_64",
            "cloud-amd64",
            "other",
        );
        let choice = choose(&k, &sets).unwrap();
        assert_eq!(choice.set.name, "6.1-cloud-amd64");
        assert!(choice
            .reason
            .starts_with("same 6.1 and flavor cloud-amd64, config differs"));
    }

    #[test]
    fn no_set_of_that_series_or_flavor() {
        let sets = sets();
        let k = kernel("6.2.0-1-amd64", (6, 2), "x86_64", "amd64", "A");
        let err = choose(&k, &sets).unwrap_err();
        assert!(err.to_string().starts_with("no committed binding set for kernel 6.2.0-1-amd64 (x86_64 6.2, flavor amd64); committed sets: 6.1-amd64, "));
        let k = kernel("6.1.0-57-custom", (6, 1), "x86_64", "custom", "other");
        assert!(choose(&k, &sets).is_err());
        assert!(choose(&k, &[])
            .unwrap_err()
            .to_string()
            .ends_with("committed sets: none"));
    }

    #[test]
    fn never_a_set_of_another_arch() {
        let sets = sets();
        // Same series and config as the arm64 set, but an x86 kernel of an
        // unknown flavor: the amd64 set has the same config and wins...
        let k = kernel("6.1.0-57-arm64", (6, 1), "x86_64", "arm64", "A");
        assert_eq!(choose(&k, &sets).unwrap().set.name, "6.1-amd64");
        // ... and an arm64 kernel never gets an x86 set.
        let k = kernel("6.1.0-57-amd64", (6, 1), "arm64", "amd64", "B");
        assert!(choose(&k, &sets).is_err());
    }

    #[test]
    fn arm64_kernel_gets_the_arm64_set() {
        let sets = sets();
        // Another point release, another config: the same flavor serves.
        let k = kernel("6.1.0-58-arm64", (6, 1), "arm64", "arm64", "Z");
        let choice = choose(&k, &sets).unwrap();
        assert_eq!(choice.set.name, "6.1-arm64");
        assert!(choice.reason.starts_with("same 6.1 and flavor arm64"));
        // A config identical to the amd64 set's still never picks it.
        let k = kernel("6.1.0-58-arm64", (6, 1), "arm64", "arm64", "A");
        assert_eq!(choose(&k, &sets).unwrap().set.name, "6.1-arm64");
    }

    #[test]
    fn several_candidates_first_by_name() {
        let mut sets = sets();
        sets.insert(
            0,
            set(
                "6.1-amd64-old",
                kernel("6.1.0-50-amd64", (6, 1), "x86_64", "amd64", "X"),
            ),
        );
        let k = kernel("6.1.0-58-amd64", (6, 1), "x86_64", "amd64", "Y");
        assert_eq!(choose(&k, &sets).unwrap().set.name, "6.1-amd64-old");
        let k = kernel("6.1.0-58-amd64", (6, 1), "x86_64", "amd64", "A");
        assert_eq!(choose(&k, &sets).unwrap().set.name, "6.1-amd64");
    }

    #[test]
    fn reads_meta_values() {
        let text = "set = \"6.1-amd64\"\n[kernel]\nrelease = \"6.1.0-57-amd64\"\n";
        assert_eq!(
            meta_value(text, "release").as_deref(),
            Some("6.1.0-57-amd64")
        );
        assert_eq!(meta_value(text, "arch"), None);
    }
}
