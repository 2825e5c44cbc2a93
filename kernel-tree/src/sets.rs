//! Binding sets as their `meta.toml` describes them, and the rule that picks
//! one for a kernel: the only reader of `meta.toml` besides gen's writer.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use super::{leading_version, KernelId, Version};

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
///
/// A series and flavor may have *variants* besides its set
/// (`6.1-amd64@6.1.158`: made from an older point release whose layouts
/// differ). When it has and none was made from this very release,
/// `candidates` lists the family, nearest version first, and `set` is its first: the
/// build proves each one's layouts against the kernel and takes the first
/// that passes ([`choose_proven`]).
#[derive(Debug, PartialEq, Eq)]
pub struct Choice<'a> {
    pub set: &'a SetMeta,
    pub reason: String,
    pub candidates: Vec<&'a SetMeta>,
}

impl<'a> Choice<'a> {
    fn of(set: &'a SetMeta, reason: String) -> Choice<'a> {
        Choice {
            set,
            reason,
            candidates: Vec::new(),
        }
    }
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

/// The set for `kernel`: the same arch and major.minor are required; a set
/// made from this very release (and config) wins; then an identical config, then the
/// same flavor (whose layouts the build's proof still checks). Ties go to
/// the first by name. A chosen set with variants leaves the pick among them
/// to the layout proof (see [`Choice`]).
pub fn choose<'a>(kernel: &KernelId, sets: &'a [SetMeta]) -> Result<Choice<'a>, Box<NoSet>> {
    let candidates: Vec<&SetMeta> = sets
        .iter()
        .filter(|s| {
            s.kernel.arch == kernel.arch && s.kernel.version.series() == kernel.version.series()
        })
        .collect();
    // (The same release with another config is a kernel of its own.)
    let same =
        |s: &&&SetMeta| s.kernel.release == kernel.release && s.kernel.config == kernel.config;
    if let Some(set) = candidates.iter().find(same) {
        let reason = format!(
            "identical kernel config (generated from {})",
            set.kernel.release
        );
        return Ok(Choice::of(set, reason));
    }
    let Some((set, reason)) = by_config_or_flavor(kernel, &candidates) else {
        return Err(Box::new(no_set(kernel, sets)));
    };
    let family = family(set, &candidates, Some(kernel.version));
    if family.len() == 1 {
        return Ok(Choice::of(set, reason));
    }
    Ok(Choice {
        set: family[0],
        reason: format!(
            "{} sets of {} {} (its set and layout variants): the first whose proof passes, nearest version first",
            family.len(),
            kernel.version.series(),
            set.kernel.flavor
        ),
        candidates: family,
    })
}

/// [`choose`], after the build proved the layouts of the candidates:
/// `proven` names the first that passed (anything else: none did, and the
/// nearest is taken, for the build's proof to say why it does not fit).
pub fn choose_proven<'a>(
    kernel: &KernelId,
    sets: &'a [SetMeta],
    proven: &str,
) -> Result<Choice<'a>, Box<NoSet>> {
    let choice = choose(kernel, sets)?;
    let Some(first) = choice.candidates.first() else {
        return Ok(choice);
    };
    let n = choice.candidates.len();
    Ok(match choice.candidates.iter().find(|s| s.name == proven) {
        Some(set) => Choice::of(
            set,
            format!(
                "layout proof passed, the first of the {n} sets of {} {} to pass, nearest version first (generated from {})",
                kernel.version.series(),
                set.kernel.flavor,
                set.kernel.release
            ),
        ),
        None => Choice::of(
            first,
            format!(
                "no layout proof of the {n} sets of {} {} passed (the nearest is proven below)",
                kernel.version.series(),
                first.kernel.flavor
            ),
        ),
    })
}

/// What may serve a kernel known only by its release (its headers are not
/// here, so nothing can be proven yet): the set made from that release, or
/// else its series and flavor's set with its variants, newest first (the
/// build's layout proof picks). Empty: no set of its series and flavor.
pub fn for_release<'a>(release: &str, sets: &'a [SetMeta]) -> Vec<&'a SetMeta> {
    if let Some(set) = sets.iter().find(|s| s.kernel.release == release) {
        return vec![set];
    }
    let Some(version) = super::leading_version(release) else {
        return Vec::new();
    };
    let flavor = super::flavor_from_release(release);
    let same: Vec<&SetMeta> = sets
        .iter()
        .filter(|s| s.kernel.version.series() == version.series() && s.kernel.flavor == flavor)
        .collect();
    match same.first() {
        Some(first) => family(first, &same, None),
        None => Vec::new(),
    }
}

/// The rule before variants: an identical config, else the same flavor.
fn by_config_or_flavor<'a>(
    kernel: &KernelId,
    candidates: &[&'a SetMeta],
) -> Option<(&'a SetMeta, String)> {
    if let Some(set) = candidates.iter().find(|s| s.kernel.config == kernel.config) {
        let reason = format!(
            "identical kernel config (generated from {})",
            set.kernel.release
        );
        return Some((set, reason));
    }
    let set = candidates
        .iter()
        .find(|s| s.kernel.flavor == kernel.flavor)?;
    let reason = format!(
        "same {} and flavor {}, config differs from {} (layouts are checked)",
        kernel.version.series(),
        kernel.flavor,
        set.kernel.release
    );
    Some((set, reason))
}

/// `set` and its variants (the sets of its series, arch and flavor) in the
/// order their proofs are tried: for a kernel of upstream version `near`,
/// nearest snapshot first (the newest made from that version or an older
/// one, then the older ones, newest first, then those made from newer
/// versions, oldest first: members whose layouts match may still differ in
/// functions, which the nearest gets right); without, newest first. Ties
/// by name.
fn family<'a>(
    set: &SetMeta,
    candidates: &[&'a SetMeta],
    near: Option<Version>,
) -> Vec<&'a SetMeta> {
    let mut family: Vec<&SetMeta> = candidates
        .iter()
        .copied()
        .filter(|s| s.kernel.flavor == set.kernel.flavor)
        .collect();
    let key = |s: &SetMeta| {
        let v = s.kernel.version;
        match near {
            Some(k) if v > k => (true, v.major, v.minor, v.patch),
            _ => (
                false,
                u64::MAX - v.major,
                u64::MAX - v.minor,
                u64::MAX - v.patch,
            ),
        }
    };
    family.sort_by(|a, b| key(a).cmp(&key(b)).then(a.name.cmp(&b.name)));
    family
}

fn no_set(kernel: &KernelId, sets: &[SetMeta]) -> NoSet {
    NoSet {
        kernel: kernel.clone(),
        // A set whose name hides its arch (a renamed copy) says it.
        have: sets
            .iter()
            .map(|s| match s.kernel.arch == kernel.arch {
                true => s.name.clone(),
                false => format!("{} (for {})", s.name, s.kernel.arch),
            })
            .collect(),
    }
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

    /// The 6.1 sets plus two amd64 variants made from older point releases.
    fn with_variants() -> Vec<SetMeta> {
        let mut sets = sets();
        for (name, release, patch) in [
            ("6.1-amd64@6.1.158", "6.1.0-47-amd64", 158),
            ("6.1-amd64@6.1.170", "6.1.0-53-amd64", 170),
        ] {
            let mut k = kernel(release, (6, 1), "x86_64", "amd64", "A");
            k.version.patch = patch;
            sets.push(set(name, k));
        }
        sets[0].kernel.version.patch = 192;
        sets
    }

    #[test]
    fn variants_are_candidates_nearest_first() {
        let sets = with_variants();
        let names = |patch| {
            let mut k = kernel("6.1.0-55-amd64", (6, 1), "x86_64", "amd64", "A");
            k.version.patch = patch;
            let choice = choose(&k, &sets).unwrap();
            assert_eq!(choice.set.name, choice.candidates[0].name);
            choice
                .candidates
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>()
        };
        // Nearest snapshot at or below the kernel's version first.
        assert_eq!(
            names(192),
            ["6.1-amd64", "6.1-amd64@6.1.170", "6.1-amd64@6.1.158"]
        );
        assert_eq!(
            names(175),
            ["6.1-amd64@6.1.170", "6.1-amd64@6.1.158", "6.1-amd64"]
        );
        assert_eq!(
            names(158),
            ["6.1-amd64@6.1.158", "6.1-amd64@6.1.170", "6.1-amd64"]
        );
        assert_eq!(
            names(100),
            ["6.1-amd64@6.1.158", "6.1-amd64@6.1.170", "6.1-amd64"]
        );
        let k = kernel("6.1.0-55-amd64", (6, 1), "x86_64", "amd64", "A");
        let choice = choose(&k, &sets).unwrap();
        assert!(choice
            .reason
            .starts_with("3 sets of 6.1 amd64 (its set and layout variants)"));
        // Another flavor of the series has none: chosen as before.
        let k = kernel("6.1.0-55-rt-amd64", (6, 1), "x86_64", "rt-amd64", "R");
        assert!(choose(&k, &sets).unwrap().candidates.is_empty());
    }

    #[test]
    fn the_release_a_set_was_made_from_needs_no_proof_round() {
        let sets = with_variants();
        let k = kernel("6.1.0-47-amd64", (6, 1), "x86_64", "amd64", "A");
        let choice = choose(&k, &sets).unwrap();
        assert_eq!(choice.set.name, "6.1-amd64@6.1.158");
        assert!(choice.candidates.is_empty());
        assert_eq!(
            choice.reason,
            "identical kernel config (generated from 6.1.0-47-amd64)"
        );
    }

    #[test]
    fn the_proof_picks_among_variants() {
        let sets = with_variants();
        let mut k = kernel("6.1.0-50-amd64", (6, 1), "x86_64", "amd64", "A");
        k.version.patch = 180;
        let choice = choose_proven(&k, &sets, "6.1-amd64@6.1.158").unwrap();
        assert_eq!(choice.set.name, "6.1-amd64@6.1.158");
        assert!(choice.candidates.is_empty());
        assert!(choice.reason.starts_with("layout proof passed"));
        // None passed: the nearest, whose proof then says why.
        let choice = choose_proven(&k, &sets, "none").unwrap();
        assert_eq!(choice.set.name, "6.1-amd64@6.1.170");
        assert!(choice.reason.starts_with("no layout proof of the 3 sets"));
        // Without variants the proven name changes nothing.
        let k = kernel("6.1.0-55-rt-amd64", (6, 1), "x86_64", "rt-amd64", "R");
        assert_eq!(
            choose_proven(&k, &sets, "none").unwrap().set.name,
            "6.1-rt-amd64"
        );
    }

    #[test]
    fn a_release_without_headers() {
        let sets = with_variants();
        let names = |r: &str| -> Vec<String> {
            for_release(r, &sets)
                .iter()
                .map(|s| s.name.clone())
                .collect()
        };
        assert_eq!(names("6.1.0-53-amd64"), ["6.1-amd64@6.1.170"]);
        assert_eq!(
            names("6.1.0-54-amd64"),
            ["6.1-amd64", "6.1-amd64@6.1.170", "6.1-amd64@6.1.158"]
        );
        assert_eq!(names("6.1.0-54-rt-amd64"), ["6.1-rt-amd64"]);
        assert!(names("6.2.0-1-amd64").is_empty());
        assert!(names("not-a-release").is_empty());
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
