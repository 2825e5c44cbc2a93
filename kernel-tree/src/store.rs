//! How a set's files are stored, and the one reader of them. Flavors of one
//! series differ in a few hundred lines, so, to keep every set within the
//! kernel-bindings package's size limit, a set may store its large files as
//! line deltas ([`delta`]) of the same files of another set of its
//! series and arch, its base (always stored whole: no chains).
//!
//! Stored, a set directory holds `meta.toml` (the set's own, then a last
//! `[storage]` section naming the base and a fingerprint of each base file
//! a delta was made against), `clang-args.txt`, and for each file of
//! [`DELTA_FILES`] either the file or `<file>.delta`. Everything else reads
//! full files through [`read_set_file`], [`read_set`] or a directory
//! [`materialize`]d from them; gen writes the stored form.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::delta;
use super::fingerprint_of;
use super::sets::META_TOML;

/// `bindings.rs.delta`: `bindings.rs` stored as a delta.
pub const DELTA_SUFFIX: &str = ".delta";

/// The files gen may store as deltas: the large generated ones.
pub const DELTA_FILES: &[&str] = &["bindings.rs", "wrappers.c", "layout.c", "layout.txt"];

/// What separates the set's meta.toml from its storage section.
const STORAGE_START: &str = "\n\n[storage]\n";
const BASE_KEY: &str = "delta_of";
const FINGERPRINTS_SECTION: &str = "[storage.base_fingerprints]";

/// A delta-stored set's base and the fingerprints of the base's files its
/// deltas were made against (file name, `fnv1a64:...`), sorted by file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Storage {
    pub base: String,
    pub fingerprints: Vec<(String, String)>,
}

impl Storage {
    /// The stored meta.toml: the set's own `meta` (ending in a newline),
    /// then this section.
    pub fn append_to(&self, meta: &str) -> String {
        let mut out = format!(
            "{meta}{}# How gen stores this set, not part of it: the files below are line deltas\n\
             # (<file>.delta) of the same files of set {base}, made when those had these\n\
             # fingerprints. Rewritten by `cargo run -p gen -- --repack`.\n\
             {BASE_KEY} = \"{base}\"\n\n{FINGERPRINTS_SECTION}\n",
            &STORAGE_START[1..],
            base = self.base
        );
        for (file, fp) in &self.fingerprints {
            out.push_str(&format!("\"{file}\" = \"{fp}\"\n"));
        }
        out
    }

    /// The fingerprint recorded for the base's `file`.
    pub fn fingerprint(&self, file: &str) -> Option<&str> {
        self.fingerprints
            .iter()
            .find(|(f, _)| f == file)
            .map(|(_, fp)| fp.as_str())
    }
}

/// A stored meta.toml as the set's own meta.toml and, if it has one, its
/// storage section.
pub fn split_meta(stored: &str) -> Result<(&str, Option<Storage>), String> {
    let Some(at) = stored.find(STORAGE_START) else {
        return Ok((stored, None));
    };
    let (meta, section) = (&stored[..=at], &stored[at + STORAGE_START.len()..]);
    let mut base = None;
    let mut fingerprints = Vec::new();
    let mut in_fingerprints = false;
    for line in section.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == FINGERPRINTS_SECTION {
            in_fingerprints = true;
            continue;
        }
        let (key, value) = line
            .split_once(" = ")
            .ok_or_else(|| format!("meta.toml [storage]: cannot read `{line}`"))?;
        let (key, value) = (key.trim_matches('"'), value.trim_matches('"'));
        if in_fingerprints {
            fingerprints.push((key.to_string(), value.to_string()));
        } else if key == BASE_KEY {
            base = Some(value.to_string());
        }
    }
    let base = base.ok_or_else(|| format!("meta.toml [storage]: no `{BASE_KEY}`"))?;
    fingerprints.sort();
    Ok((meta, Some(Storage { base, fingerprints })))
}

/// The full text of `file` (`bindings.rs`, `meta.toml`, ...) of the set in
/// `set_dir`, whether it is stored whole or as a delta of its base (the
/// directory beside `set_dir` that meta.toml names). Errors are one line
/// that says what to do.
pub fn read_set_file(set_dir: &Path, file: &str) -> Result<String, String> {
    let name = set_name(set_dir);
    let whole = set_dir.join(file);
    let delta_path = set_dir.join(format!("{file}{DELTA_SUFFIX}"));
    match (whole.is_file(), delta_path.is_file()) {
        (true, true) => Err(format!(
            "set {name} has both {file} and {file}{DELTA_SUFFIX}; gen writes one: remove the \
             other (git status shows which is new), or regenerate: {}",
            regen_command(&name)
        )),
        (true, false) => {
            let text = read(&whole)?;
            if file == META_TOML {
                return Ok(split_meta(&text)
                    .map_err(|e| format!("set {name}: {e}"))?
                    .0
                    .to_string());
            }
            Ok(text)
        }
        (false, true) => {
            let storage = storage(set_dir)?.ok_or_else(|| {
                format!(
                    "set {name} has {file}{DELTA_SUFFIX} but its meta.toml names no base \
                     ([storage] {BASE_KEY}): regenerate it: {}",
                    regen_command(&name)
                )
            })?;
            let base = base_text(set_dir, &storage, file)?;
            delta::apply(&base, &read(&delta_path)?).map_err(|e| {
                format!(
                    "set {name}: {file}{DELTA_SUFFIX} of base {}: {e}; regenerate it: {}",
                    storage.base,
                    regen_command(&name)
                )
            })
        }
        (false, false) => Err(format!("set {name} ({}) has no {file}", set_dir.display())),
    }
}

/// Every file of the set in `set_dir`, full, sorted by name.
pub fn read_set(set_dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut names: Vec<String> = stored_names(set_dir)?
        .into_iter()
        .map(|n| {
            n.strip_suffix(DELTA_SUFFIX)
                .map_or(n.clone(), str::to_string)
        })
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| read_set_file(set_dir, &n).map(|text| (n, text)))
        .collect()
}

/// Whether `file` is stored whole (as itself) in `set_dir`: then a reader
/// may use that path instead of a copy. Never for meta.toml, whose stored
/// form may carry the storage section.
pub fn stored_whole(set_dir: &Path, file: &str) -> Option<PathBuf> {
    let path = set_dir.join(file);
    let delta = set_dir.join(format!("{file}{DELTA_SUFFIX}"));
    (file != META_TOML && path.is_file() && !delta.exists()).then_some(path)
}

/// Whether no file of the set is stored as a delta.
pub fn is_whole(set_dir: &Path) -> Result<bool, String> {
    Ok(!stored_names(set_dir)?
        .iter()
        .any(|n| n.ends_with(DELTA_SUFFIX)))
}

/// The stored files the set's full content comes from: its own, and the
/// base's files its deltas use (for rebuild tracking).
pub fn inputs(set_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let names = stored_names(set_dir)?;
    let mut paths: Vec<PathBuf> = names.iter().map(|n| set_dir.join(n)).collect();
    if let Some(storage) = storage(set_dir)? {
        let base_dir = base_dir(set_dir, &storage);
        paths.extend(
            names
                .iter()
                .filter_map(|n| n.strip_suffix(DELTA_SUFFIX))
                .map(|f| base_dir.join(f)),
        );
    }
    Ok(paths)
}

/// A directory with the set's full files: `set_dir` itself when it is
/// stored whole, else `<cache>/sets/<fingerprint of its inputs>/<name>`
/// (named like the set: build messages name sets by directory),
/// materialized there first unless an earlier run did. A changed set or
/// base gets a new directory, so a directory found there is always right.
pub fn materialized(set_dir: &Path, cache: &Path) -> Result<PathBuf, String> {
    if is_whole(set_dir)? {
        return Ok(set_dir.to_path_buf());
    }
    let mut bytes = Vec::new();
    for path in inputs(set_dir)? {
        // The file's name and its base or set, so moving the checkout
        // keeps the key.
        let label: Vec<_> = path.iter().rev().take(2).collect();
        bytes.extend(format!("{label:?}\0").bytes());
        // A missing input (say, the base): the reader's error names the fix.
        let text = read(&path).map_err(|e| read_set(set_dir).err().unwrap_or(e))?;
        bytes.extend(text.bytes());
        bytes.push(0);
    }
    let key = super::fnv1a64(bytes);
    let dest = cache
        .join("sets")
        .join(format!("{key:016x}"))
        .join(set_name(set_dir));
    if !dest.join(META_TOML).is_file() {
        materialize(set_dir, &dest)?;
    }
    Ok(dest)
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Writes the set's full files to the new directory `dest`, atomically:
/// into a temporary directory beside it, renamed to `dest` when complete,
/// so `dest` never exists half-written. If `dest` appears meanwhile (another
/// build materialized the same set), that one is kept.
pub fn materialize(set_dir: &Path, dest: &Path) -> Result<(), String> {
    let files = read_set(set_dir)?;
    let parent = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let dest_name = dest.file_name().unwrap_or_default().to_string_lossy();
    let tmp = parent.join(format!(
        ".{dest_name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write_files(&tmp, &files).and_then(|()| {
        fs::rename(&tmp, dest).or_else(|e| {
            if dest.join(META_TOML).is_file() {
                Ok(())
            } else {
                Err(format!("cannot create {}: {e}", dest.display()))
            }
        })
    });
    // Left over only when the rename did not happen.
    let _ = fs::remove_dir_all(&tmp);
    written
}

fn write_files(dir: &Path, files: &[(String, String)]) -> Result<(), String> {
    fs::create_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        fs::File::create(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The storage section of the set's stored meta.toml, if it has one.
pub fn storage(set_dir: &Path) -> Result<Option<Storage>, String> {
    let text = read(&set_dir.join(META_TOML))?;
    split_meta(&text)
        .map(|(_, storage)| storage)
        .map_err(|e| format!("set {}: {e}", set_name(set_dir)))
}

/// The base's `file`, checked against the fingerprint the delta was made
/// against.
fn base_text(set_dir: &Path, storage: &Storage, file: &str) -> Result<String, String> {
    let (name, base) = (set_name(set_dir), &storage.base);
    let dir = base_dir(set_dir, storage);
    let path = dir.join(file);
    let stored_as = |what: &str| {
        format!(
            "set {name} is stored as a delta of {base}, {what}: restore {base} as committed \
             (git checkout) or regenerate the series: {}",
            series_command(&name)
        )
    };
    if !path.is_file() {
        if dir.join(format!("{file}{DELTA_SUFFIX}")).is_file() {
            return Err(stored_as(&format!(
                "whose {file} is a delta itself (a base is stored whole)"
            )));
        }
        return Err(stored_as(&format!(
            "which has no {file} ({} is missing)",
            path.display()
        )));
    }
    let text = read(&path)?;
    let expected = storage.fingerprint(file).ok_or_else(|| {
        format!(
            "set {name}: meta.toml [storage] has no fingerprint of {base}'s {file}: regenerate \
             it: {}",
            regen_command(&name)
        )
    })?;
    let got = fingerprint_of(text.bytes());
    if got != expected {
        return Err(stored_as(&format!(
            "whose {file} has changed since (fingerprint {got}, the delta was made against \
             {expected})"
        )));
    }
    Ok(text)
}

fn base_dir(set_dir: &Path, storage: &Storage) -> PathBuf {
    set_dir
        .parent()
        .unwrap_or(Path::new("."))
        .join(&storage.base)
}

/// The names of the regular files in `set_dir` (not hidden), sorted.
fn stored_names(set_dir: &Path) -> Result<Vec<String>, String> {
    let entries =
        fs::read_dir(set_dir).map_err(|e| format!("cannot read {}: {e}", set_dir.display()))?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn set_name(set_dir: &Path) -> String {
    set_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| set_dir.display().to_string())
}

/// The gen command that regenerates set `name` (`6.1-rt-amd64`).
fn regen_command(name: &str) -> String {
    match name.split_once('-') {
        Some((series, flavor)) => format!("cargo run -p gen -- {series} --flavor {flavor}"),
        None => "cargo run -p gen -- --refresh".to_string(),
    }
}

/// The gen command that regenerates every flavor of set `name`'s series.
fn series_command(name: &str) -> String {
    let series = name.split_once('-').map_or(name, |(s, _)| s);
    format!("cargo run -p gen -- {series}")
}

#[cfg(test)]
mod tests {
    use super::super::delta::{render, Hunk};
    use super::*;

    /// A scratch directory under the system's temporary directory, removed
    /// when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("kernel-tree-store-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const META: &str = "# generated\nset = \"1.2-rt-fake\"\nflavor = \"rt-fake\"\n";
    const BASE_RS: &str = "a\nb\nc\n";
    const RT_RS: &str = "a\nB\nc\n";

    /// sets/1.2-fake (whole) and sets/1.2-rt-fake (bindings.rs a delta).
    fn two_sets(scratch: &Scratch) -> (PathBuf, PathBuf) {
        let (base, rt) = (scratch.0.join("1.2-fake"), scratch.0.join("1.2-rt-fake"));
        for dir in [&base, &rt] {
            fs::create_dir_all(dir).unwrap();
        }
        fs::write(base.join(META_TOML), "set = \"1.2-fake\"\n").unwrap();
        fs::write(base.join("bindings.rs"), BASE_RS).unwrap();
        let storage = Storage {
            base: "1.2-fake".into(),
            fingerprints: vec![("bindings.rs".into(), fingerprint_of(BASE_RS.bytes()))],
        };
        fs::write(rt.join(META_TOML), storage.append_to(META)).unwrap();
        let hunk = Hunk {
            start: 1,
            deleted: 1,
            inserted: vec!["B\n"],
        };
        fs::write(
            rt.join("bindings.rs.delta"),
            render("bindings.rs", "1.2-fake", &[hunk], RT_RS),
        )
        .unwrap();
        fs::write(rt.join("clang-args.txt"), "-w\n").unwrap();
        (base, rt)
    }

    #[test]
    fn meta_round_trip() {
        let storage = Storage {
            base: "6.1-amd64".into(),
            fingerprints: vec![
                ("bindings.rs".into(), "fnv1a64:0000000000000001".into()),
                ("layout.c".into(), "fnv1a64:0000000000000002".into()),
            ],
        };
        let stored = storage.append_to(META);
        assert!(stored.contains("\n\n[storage]\n# How gen stores this set"));
        assert_eq!(split_meta(&stored).unwrap(), (META, Some(storage)));
        assert_eq!(split_meta(META).unwrap(), (META, None));
        // Still a flat meta.toml for `meta_value`.
        assert_eq!(
            super::super::sets::meta_value(&stored, "delta_of").as_deref(),
            Some("6.1-amd64")
        );
        assert_eq!(
            super::super::sets::meta_value(&stored, "flavor").as_deref(),
            Some("rt-fake")
        );
    }

    #[test]
    fn reads_whole_and_delta_files() {
        let scratch = Scratch::new("read");
        let (base, rt) = two_sets(&scratch);
        assert_eq!(read_set_file(&rt, "bindings.rs").unwrap(), RT_RS);
        assert_eq!(read_set_file(&rt, META_TOML).unwrap(), META);
        assert_eq!(read_set_file(&base, "bindings.rs").unwrap(), BASE_RS);
        let names: Vec<String> = read_set(&rt).unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["bindings.rs", "clang-args.txt", "meta.toml"]);
        assert!(is_whole(&base).unwrap() && !is_whole(&rt).unwrap());
        assert_eq!(stored_whole(&rt, "bindings.rs"), None);
        assert_eq!(
            stored_whole(&rt, "clang-args.txt"),
            Some(rt.join("clang-args.txt"))
        );
        assert_eq!(stored_whole(&rt, META_TOML), None);
        assert!(inputs(&rt).unwrap().contains(&base.join("bindings.rs")));
    }

    #[test]
    fn a_changed_or_missing_base_names_the_fix() {
        let scratch = Scratch::new("base");
        let (base, rt) = two_sets(&scratch);
        fs::write(base.join("bindings.rs"), "a\nb\nc\nd\n").unwrap();
        let err = read_set_file(&rt, "bindings.rs").unwrap_err();
        assert!(
            err.starts_with(
                "set 1.2-rt-fake is stored as a delta of 1.2-fake, whose bindings.rs has changed \
                 since (fingerprint fnv1a64:"
            ),
            "{err}"
        );
        assert!(
            err.ends_with("regenerate the series: cargo run -p gen -- 1.2"),
            "{err}"
        );
        assert!(!err.contains('\n'));
        fs::remove_file(base.join("bindings.rs")).unwrap();
        let err = read_set_file(&rt, "bindings.rs").unwrap_err();
        assert!(
            err.contains("a delta of 1.2-fake, which has no bindings.rs"),
            "{err}"
        );
        // Both forms of one file.
        fs::write(rt.join("bindings.rs"), RT_RS).unwrap();
        let err = read_set_file(&rt, "bindings.rs").unwrap_err();
        assert!(
            err.contains("has both bindings.rs and bindings.rs.delta"),
            "{err}"
        );
        assert!(
            err.ends_with("cargo run -p gen -- 1.2 --flavor rt-fake"),
            "{err}"
        );
    }

    #[test]
    fn an_edited_delta_is_detected() {
        let scratch = Scratch::new("edited");
        let (_, rt) = two_sets(&scratch);
        let path = rt.join("bindings.rs.delta");
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replace("+B\n", "+X\n")).unwrap();
        let err = read_set_file(&rt, "bindings.rs").unwrap_err();
        assert!(
            err.starts_with("set 1.2-rt-fake: bindings.rs.delta of base 1.2-fake: gives a file"),
            "{err}"
        );
    }

    #[test]
    fn materializes_once_per_content() {
        let scratch = Scratch::new("materialize");
        let (base, rt) = two_sets(&scratch);
        let cache = scratch.0.join("cache");
        // A whole set is its own directory.
        assert_eq!(materialized(&base, &cache).unwrap(), base);
        let dir = materialized(&rt, &cache).unwrap();
        assert!(dir.starts_with(cache.join("sets")));
        assert!(dir.ends_with("1.2-rt-fake"));
        assert_eq!(fs::read_to_string(dir.join("bindings.rs")).unwrap(), RT_RS);
        assert_eq!(fs::read_to_string(dir.join(META_TOML)).unwrap(), META);
        assert!(is_whole(&dir).unwrap());
        // Reused; nothing temporary left beside it.
        assert_eq!(materialized(&rt, &cache).unwrap(), dir);
        let parent = dir.parent().unwrap();
        assert_eq!(fs::read_dir(parent).unwrap().count(), 1);
        // A change to the set gets a new directory.
        fs::write(rt.join("clang-args.txt"), "-w -O2\n").unwrap();
        let again = materialized(&rt, &cache).unwrap();
        assert_ne!(again, dir);
        // A changed or missing base fails instead of reusing an old copy.
        fs::write(base.join("bindings.rs"), "x\n").unwrap();
        assert!(materialized(&rt, &cache)
            .unwrap_err()
            .contains("has changed since"));
        fs::remove_dir_all(&base).unwrap();
        let err = materialized(&rt, &cache).unwrap_err();
        assert!(
            err.contains("a delta of 1.2-fake, which has no bindings.rs"),
            "{err}"
        );
    }
}
