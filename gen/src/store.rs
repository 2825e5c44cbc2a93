//! How gen stores committed sets (kernel-tree's `store` reads them): a set
//! whose series has a set of the plain arch flavor (`6.1-amd64` for
//! `6.1-rt-amd64`), its base, stores each large file as a line delta of the
//! base's, when that is smaller; bases are whole. This canonical form is a
//! function of the sets' full files, so `--check` can insist on it.
//!
//! Every write goes set by set, each swapped in atomically (`write`), in an
//! order that keeps every committed set decodable at every moment: sets
//! whose base is about to change are first stored whole, then bases are
//! written, then the sets stored as deltas against them. A run stopped
//! in between leaves sets whole, which `--check` reports as not canonical.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use kernel_tree::sets::meta_value;
use kernel_tree::store::{self as stored, Storage, DELTA_FILES, DELTA_SUFFIX};
use kernel_tree::{fingerprint_of, leading_version};

use crate::committed_sets;
use crate::delta;
use crate::generate::META_TOML;
use crate::setdiff::Files;
use crate::variant;
use crate::write::Staging;

/// The command that rewrites every committed set in canonical form.
pub const REPACK: &str = "cargo run -p gen -- --repack";

/// The set that set `name` is stored against if it is committed: its
/// series' plain arch flavor (`6.1-rt-amd64` -> `6.1-amd64`, `6.12-arm64-16k`
/// -> `6.12-arm64`); none for a set of that flavor itself. Debian's flavors
/// are `[variant-]arch[-page size]`: the arch is the last word that does not
/// start with a digit. A layout variant (see `variant`) is stored like its
/// family: `6.1-amd64@6.1.158` and `6.1-cloud-amd64@6.1.158` -> `6.1-amd64`.
pub fn default_base(name: &str) -> Option<String> {
    let family = variant::family(name);
    let (series, flavor) = family.split_once('-')?;
    let arch = flavor
        .rsplit('-')
        .find(|word| !word.starts_with(|c: char| c.is_ascii_digit()))?;
    (arch != flavor || family != name).then(|| format!("{series}-{arch}"))
}

/// The stored form of a set with the files `full`: against `base` (its
/// name and full files, when committed and of the same series and arch),
/// each of [`DELTA_FILES`] whose delta is smaller as `<file>.delta`, and
/// meta.toml with a storage section saying so; otherwise `full` itself.
pub fn stored_form(full: &Files, base: Option<(&str, &Files)>) -> Result<Files> {
    let meta = full
        .get(META_TOML)
        .ok_or_else(|| anyhow!("a set without {META_TOML}"))?;
    let Some((base_name, base_files)) = base.filter(|(_, b)| same_kernel_line(full, b)) else {
        return Ok(full.clone());
    };
    let mut out = Files::new();
    let mut fingerprints = Vec::new();
    for (file, text) in full {
        let base_text = base_files
            .get(file)
            .filter(|_| DELTA_FILES.contains(&file.as_str()));
        if let Some(base_text) = base_text {
            let d = delta::make(file, base_name, base_text, text)?;
            if d.len() < text.len() {
                out.insert(format!("{file}{DELTA_SUFFIX}"), d);
                fingerprints.push((file.clone(), fingerprint_of(base_text.bytes())));
                continue;
            }
        }
        out.insert(file.clone(), text.clone());
    }
    if !fingerprints.is_empty() {
        let storage = Storage {
            base: base_name.to_string(),
            fingerprints,
        };
        out.insert(META_TOML.to_string(), storage.append_to(meta));
    }
    Ok(out)
}

/// Same arch and series, by the sets' meta.toml.
fn same_kernel_line(a: &Files, b: &Files) -> bool {
    let facts = |files: &Files| {
        let meta = files.get(META_TOML).map_or("", String::as_str);
        let series = meta_value(meta, "version")
            .and_then(|v| leading_version(&v))
            .map(|v| v.series());
        (meta_value(meta, "arch"), series)
    };
    let (fa, fb) = (facts(a), facts(b));
    fa.0.is_some() && fa.1.is_some() && fa == fb
}

/// Writes the sets `sets` (name, full files) into `sets_dir`, each in
/// canonical form, and re-stores every committed set stored (or to be
/// stored) against one of them, read whole first, with the old base.
pub fn write_sets(sets_dir: &Path, sets: Vec<(String, Files)>) -> Result<()> {
    // Two gens writing one series at once (make gen KERNEL= for a base and
    // a flavor side by side) would each re-store the other's set as it read
    // it before: reading the sets and writing them is one step, under a lock.
    let _lock = SetsLock::take(sets_dir)?;
    let mut full: BTreeMap<String, Files> = sets.into_iter().collect();
    let new: BTreeSet<String> = full.keys().cloned().collect();
    for name in committed_sets(sets_dir)? {
        if new.contains(&name) {
            continue;
        }
        let dir = sets_dir.join(&name);
        let current_base = stored::storage(&dir).ok().flatten().map(|s| s.base);
        let depends = [current_base, default_base(&name)]
            .iter()
            .flatten()
            .any(|base| new.contains(base));
        if depends {
            full.insert(name, read_full(&dir)?);
        }
    }
    store(sets_dir, &full).map(|_| ())
}

/// An exclusive `flock` on the sets directory itself (a directory can be
/// locked like a file, and no lock file is left behind), released when
/// dropped or when the process ends.
struct SetsLock {
    /// Held open: closing it releases the lock.
    _dir: fs::File,
}

impl SetsLock {
    fn take(sets_dir: &Path) -> Result<SetsLock> {
        use std::os::fd::AsRawFd;
        fs::create_dir_all(sets_dir)
            .with_context(|| format!("cannot create {}", sets_dir.display()))?;
        let dir = fs::File::open(sets_dir)
            .with_context(|| format!("cannot open {}", sets_dir.display()))?;
        // SAFETY: flock only acts on the descriptor, which `dir` owns and
        // keeps open for as long as the lock is held.
        if unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_EX) } != 0 {
            bail!(
                "cannot lock {}: {}",
                sets_dir.display(),
                std::io::Error::last_os_error()
            );
        }
        Ok(SetsLock { _dir: dir })
    }
}

/// `--repack`: every committed set in canonical form, full files unchanged;
/// the names of the sets rewritten.
pub fn repack(sets_dir: &Path) -> Result<Vec<String>> {
    let _lock = SetsLock::take(sets_dir)?;
    let mut full = BTreeMap::new();
    for name in committed_sets(sets_dir)? {
        let files = read_full(&sets_dir.join(&name))?;
        full.insert(name, files);
    }
    store(sets_dir, &full)
}

/// The selected committed sets that are not stored canonically or cannot
/// be read, each with what is wrong and the fix.
pub fn problems(sets_dir: &Path, selected: &[String]) -> Result<Vec<(String, String)>> {
    let mut full = BTreeMap::new();
    let mut problems = Vec::new();
    for name in committed_sets(sets_dir)? {
        match stored::read_set(&sets_dir.join(&name)) {
            Ok(files) => {
                full.insert(name, files.into_iter().collect::<Files>());
            }
            Err(e) if selected.contains(&name) => problems.push((name, e)),
            Err(_) => {}
        }
    }
    for name in selected {
        let Some(files) = full.get(name) else {
            continue;
        };
        let base = default_base(name).and_then(|b| full.get_key_value(&b));
        let canonical = stored_form(files, base.map(|(n, f)| (n.as_str(), f)))?;
        let current = on_disk(&sets_dir.join(name))?;
        if canonical != current {
            let what = match (has_deltas(&current), has_deltas(&canonical)) {
                (false, true) => format!(
                    "stored whole, canonically as deltas of {}",
                    base.map_or("?", |(n, _)| n.as_str())
                ),
                (true, false) => "stored as deltas, canonically whole".to_string(),
                _ => "its stored files are not the ones gen writes for it".to_string(),
            };
            problems.push((
                name.clone(),
                format!(
                    "storage is not canonical ({what}); rewrite it, full files unchanged: {REPACK}"
                ),
            ));
        }
    }
    Ok(problems)
}

/// Writes `full` (set name -> full files) in canonical form, in the order
/// described above; returns the names of the sets whose stored files changed.
fn store(sets_dir: &Path, full: &BTreeMap<String, Files>) -> Result<Vec<String>> {
    struct Entry {
        name: String,
        /// The set's full files stored whole, and in canonical form.
        whole: Files,
        canonical: Files,
        /// What is committed now (none: a new set), and the set its deltas
        /// are made against.
        now: Option<Files>,
        now_base: Option<String>,
    }
    let mut bases: BTreeMap<String, Files> = BTreeMap::new();
    let mut entries = Vec::new();
    for (name, files) in full {
        let dir = sets_dir.join(name);
        let now = dir.is_dir().then(|| on_disk(&dir)).transpose()?;
        let now_base = match &now {
            Some(stored) if has_deltas(stored) => stored::split_meta(&stored[META_TOML])
                .map_err(|e| anyhow!("set {name}: {e}"))?
                .1
                .map(|s| s.base),
            _ => None,
        };
        let base = match default_base(name) {
            Some(b) if full.contains_key(&b) => Some((b.clone(), full[&b].clone())),
            Some(b) if sets_dir.join(&b).join(META_TOML).is_file() => {
                if !bases.contains_key(&b) {
                    bases.insert(b.clone(), read_full(&sets_dir.join(&b))?);
                }
                Some((b.clone(), bases[&b].clone()))
            }
            _ => None,
        };
        let canonical = stored_form(files, base.as_ref().map(|(n, f)| (n.as_str(), f)))?;
        entries.push(Entry {
            name: name.clone(),
            whole: files.clone(),
            canonical,
            now,
            now_base,
        });
    }
    let changed: BTreeSet<String> = entries
        .iter()
        .filter(|e| e.now.as_ref() != Some(&e.canonical))
        .map(|e| e.name.clone())
        .collect();
    let write = |e: &mut Entry, files: &Files| -> Result<()> {
        if e.now.as_ref() != Some(files) {
            Staging::new(sets_dir, &e.name)?.commit(files)?;
            e.now = Some(files.clone());
        }
        Ok(())
    };
    // 1. Whole, while their base changes: sets stored against a changing set.
    for e in &mut entries {
        if e.now_base.as_ref().is_some_and(|b| changed.contains(b)) {
            let whole = e.whole.clone();
            write(e, &whole)?;
        }
    }
    // 2. Bases and other whole sets, 3. then the sets stored as deltas.
    for deltas in [false, true] {
        for e in &mut entries {
            if has_deltas(&e.canonical) == deltas {
                let canonical = e.canonical.clone();
                write(e, &canonical)?;
            }
        }
    }
    Ok(changed.into_iter().collect())
}

/// The set in `dir`, full.
fn read_full(dir: &Path) -> Result<Files> {
    Ok(stored::read_set(dir)
        .map_err(|e| anyhow!(e))?
        .into_iter()
        .collect())
}

/// The files in `dir` as stored.
fn on_disk(dir: &Path) -> Result<Files> {
    let mut files = Files::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && !name.starts_with('.') {
            let text = fs::read_to_string(entry.path())
                .with_context(|| format!("cannot read {}", entry.path().display()))?;
            files.insert(name, text);
        }
    }
    Ok(files)
}

fn has_deltas(files: &Files) -> bool {
    files.keys().any(|n| n.ends_with(DELTA_SUFFIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_by_name() {
        assert_eq!(default_base("6.1-rt-amd64").as_deref(), Some("6.1-amd64"));
        assert_eq!(
            default_base("6.12-cloud-amd64").as_deref(),
            Some("6.12-amd64")
        );
        assert_eq!(default_base("6.1-amd64"), None);
        assert_eq!(default_base("7.3-rt-arm64").as_deref(), Some("7.3-arm64"));
        assert_eq!(
            default_base("6.12-arm64-16k").as_deref(),
            Some("6.12-arm64")
        );
        assert_eq!(default_base("6.12-arm64"), None);
        // Layout variants: stored against their family's plain arch base.
        assert_eq!(
            default_base("6.1-amd64@6.1.158").as_deref(),
            Some("6.1-amd64")
        );
        assert_eq!(
            default_base("6.1-cloud-amd64@6.1.158").as_deref(),
            Some("6.1-amd64")
        );
        assert_eq!(
            default_base("6.12-arm64-16k@6.12.95").as_deref(),
            Some("6.12-arm64")
        );
        assert_eq!(
            default_base("5.10-amd64@5.10.226").as_deref(),
            Some("5.10-amd64")
        );
    }

    fn set(flavor: &str, version: &str, rs: &str) -> Files {
        let meta =
            format!("# m\nversion = \"{version}\"\narch = \"x86_64\"\nflavor = \"{flavor}\"\n");
        [
            (META_TOML.to_string(), meta),
            ("bindings.rs".to_string(), rs.to_string()),
            ("clang-args.txt".to_string(), "-w\n".to_string()),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn stored_as_deltas_only_when_smaller_and_of_the_same_series() {
        let rs: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let base = set("fake", "1.2.3", &rs);
        let rt = set("rt-fake", "1.2.3", &rs.replace("line 50\n", "line fifty\n"));
        let stored = stored_form(&rt, Some(("1.2-fake", &base))).unwrap();
        let names: Vec<&str> = stored.keys().map(String::as_str).collect();
        assert_eq!(names, ["bindings.rs.delta", "clang-args.txt", "meta.toml"]);
        assert!(stored[META_TOML].contains("delta_of = \"1.2-fake\""));
        // Nothing in common: whole.
        let other = set("rt-fake", "1.2.3", "something else\n");
        assert_eq!(
            stored_form(&other, Some(("1.2-fake", &base))).unwrap(),
            other
        );
        // Another series: whole.
        let later = set("rt-fake", "1.3.0", &rs);
        assert_eq!(
            stored_form(&later, Some(("1.2-fake", &base))).unwrap(),
            later
        );
    }
}
