//! Check, refresh and diff modes: committed sets against what gen makes
//! from the installed headers.
//!
//! A set serves a kernel series, and its recorded release is provenance.
//! Against headers of the *same* release every file must come out
//! byte-identical. Against another release of the series the set is
//! *stale*: gen says what differs in interface terms (layout items,
//! functions, types, constants) and proves its own determinism by
//! generating twice, since there is nothing committed to compare bytes with.
//!
//! A layout variant (`6.1-amd64@6.1.158`, see `kernel_gen::variant`) is
//! checked against the tree of exactly the release it records, never
//! against another release of its series (skipped without it); a base
//! against the newest tree of its name that makes it, never an older one
//! (which makes a variant).

use std::path::Path;

use anyhow::{bail, Result};

use kernel_gen::generate::{self, SetFiles, META_TOML};
use kernel_gen::progress::Progress;
use kernel_gen::setdiff::{differing_files, read_set, Files, SetDiff};
use kernel_gen::shim::Shim;
use kernel_gen::tree::{supported_arch, Tree};
use kernel_gen::write::Staging;
use kernel_gen::{committed_sets, meta, store, variant};

/// What the command line selected: which sets, from which trees.
pub struct Selection<'a> {
    pub sets_dir: &'a Path,
    pub shim: &'a Shim,
    pub trees: &'a [Tree],
    pub filter: Option<&'a str>,
    pub flavor: Option<&'a str>,
    pub progress: &'a Progress,
}

/// One committed set and the installed tree it is checked against.
struct Target<'a> {
    name: String,
    /// The release its meta.toml records.
    recorded: String,
    committed: Files,
    tree: &'a Tree,
    /// The set `tree` makes (`variant::set_name`): `name`, unless the
    /// committed sets disagree with each other.
    makes: String,
}

impl Selection<'_> {
    /// The names of the selected committed sets.
    fn selected(&self) -> Result<Vec<String>> {
        let all = committed_sets(self.sets_dir)?;
        let selected: Vec<&String> = all
            .iter()
            // A set's name selects it and its variants (not 6.12-arm64-16k
            // for 6.12-arm64); anything else, the sets it prefixes (6.1).
            .filter(|name| match self.filter {
                None => true,
                Some(f) if all.iter().any(|n| n == f) => *name == f || variant::family(name) == f,
                Some(f) => *name == f || name.starts_with(&format!("{f}-")),
            })
            .filter(|name| {
                self.flavor
                    .is_none_or(|fl| variant::family(name).ends_with(&format!("-{fl}")))
            })
            .collect();
        if selected.is_empty() {
            bail!(
                "no committed set{} in {}",
                self.filter
                    .map(|f| format!(" matching {f}"))
                    .unwrap_or_default(),
                self.sets_dir.display()
            );
        }
        Ok(selected.into_iter().cloned().collect())
    }

    /// The selected sets whose headers are installed, but for `unreadable`
    /// ones; prints the others as skipped.
    fn targets(&self, unreadable: &[String]) -> Result<Vec<Target<'_>>> {
        let mut targets = Vec::new();
        for name in self.selected()? {
            if unreadable.contains(&name) {
                continue;
            }
            let dir = self.sets_dir.join(&name);
            let recorded = meta::read_value(&dir, "release").unwrap_or_default();
            match self.tree_of(&name, &recorded) {
                Err(why) => println!("skipped {name}: {why}"),
                Ok((tree, makes)) => targets.push(Target {
                    name: name.clone(),
                    recorded,
                    committed: read_set(&dir)?,
                    tree,
                    makes,
                }),
            }
        }
        // (Sets that cannot be read are failures already.)
        if targets.is_empty() && unreadable.is_empty() {
            bail!("no committed set could be checked: none has its headers installed");
        }
        Ok(targets)
    }

    /// The installed tree committed set `name` (made from release
    /// `recorded`) is checked against, and the set that tree makes; or why
    /// there is not. A variant's is the tree of exactly its release; a
    /// base's the newest tree of its name that makes it (`discover` sorts
    /// the trees of one set name newest first), never an older release,
    /// which makes a variant.
    fn tree_of(&self, name: &str, recorded: &str) -> Result<(&Tree, String), String> {
        let family = variant::family(name);
        let mut older = Vec::new();
        for tree in self
            .trees
            .iter()
            .filter(|t| supported_arch(&t.arch) && t.set_name() == family)
        {
            let makes = variant::set_name_in(self.sets_dir, tree);
            if variant::is_variant(name) {
                if tree.release == recorded {
                    return Ok((tree, makes));
                }
            } else if makes == name {
                return Ok((tree, makes));
            } else {
                older.push(format!("{} makes {makes}", tree.release));
            }
        }
        Err(match older.is_empty() {
            true => format!("headers not installed (made from {recorded})"),
            false => format!(
                "headers of {recorded} or a newer release not installed (older: {})",
                older.join(", ")
            ),
        })
    }

    /// Generates set `name` from `tree`; `like`: files it is expected to
    /// come out as (the committed set), which spares most of the pruning
    /// (see [`generate::generate_expecting`]).
    fn generate(&self, tree: &Tree, name: &str, like: &Files) -> Result<SetFiles> {
        generate::generate_expecting(tree, name, self.shim, self.progress, Some(like))
    }
}

/// `--check`: fails for a set that gen does not reproduce, that cannot be
/// read or is not stored canonically (see `store`); a stale set (other
/// release of its series installed) fails only with `strict`.
pub fn check(sel: &Selection, strict: bool) -> Result<()> {
    let (mut failed, mut stale) = (Vec::new(), Vec::new());
    // Storage first: it needs no headers, and a set that cannot be read
    // cannot be compared.
    let mut unreadable = Vec::new();
    for (name, problem) in store::problems(sel.sets_dir, &sel.selected()?)? {
        println!("FAILED {name}: {problem}");
        if kernel_gen::setdiff::read_set(&sel.sets_dir.join(&name)).is_err() {
            unreadable.push(name.clone());
        }
        failed.push(name);
    }
    let targets = sel.targets(&unreadable)?;
    for t in &targets {
        let (name, release) = (&t.name, &t.tree.release);
        let fresh = files(&sel.generate(t.tree, &t.makes, &t.committed)?);
        if *release == t.recorded {
            let differing = differing_files(&t.committed, &fresh);
            if differing.is_empty() {
                println!("ok {name} ({release}): identical");
                continue;
            }
            // Same input, other output: a hand edit or a changed gen, unless
            // gen itself is not deterministic.
            let cause = match nondeterministic(sel, t, &fresh)? {
                Some(files) => format!("gen is not deterministic: two runs differ in {files}"),
                None => format!(
                    "{} differ from what gen makes of the same release ({}): a hand edit or a \
                     changed gen; regenerate: cargo run -p gen -- --refresh {name}",
                    differing.join(", "),
                    SetDiff::of(&t.committed, &fresh)
                ),
            };
            println!("FAILED {name} ({release}): {cause}");
            failed.push(name.clone());
            continue;
        }
        if let Some(files) = nondeterministic(sel, t, &fresh)? {
            println!(
                "FAILED {name} ({release}): gen is not deterministic: two runs differ in {files}"
            );
            failed.push(name.clone());
            continue;
        }
        println!(
            "stale {name} ({release}): made from {}; {}; refresh: cargo run -p gen -- --refresh {name}",
            t.recorded,
            drift(&t.committed, &fresh)
        );
        stale.push(name.clone());
    }
    if !failed.is_empty() {
        failed.sort();
        failed.dedup();
        bail!(
            "check failed for {} of {} sets: {}",
            failed.len(),
            targets.len() + unreadable.len(),
            failed.join(", ")
        );
    }
    if strict && !stale.is_empty() {
        bail!(
            "{} of {} sets are stale (--strict): {}; refresh: cargo run -p gen -- --refresh",
            stale.len(),
            targets.len(),
            stale.join(", ")
        );
    }
    Ok(())
}

/// `--refresh`: regenerates every selected set whose files are not what gen
/// makes from the installed headers, and says what changed.
pub fn refresh(sel: &Selection) -> Result<()> {
    for t in sel.targets(&[])? {
        let (name, release) = (&t.name, &t.tree.release);
        if t.makes != *name {
            println!(
                "skipped {name}: {release} now makes set {}; generate it: cargo run -p gen -- {release}",
                t.makes
            );
            continue;
        }
        // An output that cannot be written fails before the slow part.
        Staging::new(sel.sets_dir, name)?;
        let set = sel.generate(t.tree, name, &t.committed)?;
        let fresh = files(&set);
        if differing_files(&t.committed, &fresh).is_empty() {
            println!("up to date {name} ({release})");
            continue;
        }
        store::write_sets(sel.sets_dir, vec![(name.clone(), fresh.clone())])?;
        println!(
            "refreshed {name}: {} -> {release}: {}",
            t.recorded,
            drift(&t.committed, &fresh)
        );
    }
    Ok(())
}

/// `--repack`: rewrites how every committed set is stored (bases whole,
/// the others as deltas of their base) without changing any set's files.
pub fn repack(sets_dir: &Path) -> Result<()> {
    let rewritten = store::repack(sets_dir)?;
    if rewritten.is_empty() {
        println!("every set in {} is stored canonically", sets_dir.display());
    }
    for name in rewritten {
        let dir = sets_dir.join(&name);
        let how = match kernel_tree::store::storage(&dir).map_err(anyhow::Error::msg)? {
            Some(storage) => format!("as deltas of {}", storage.base),
            None => "whole".to_string(),
        };
        println!("repacked {name}: stored {how}");
    }
    Ok(())
}

/// `--diff OLD NEW`: the interface difference of two set directories;
/// with `strict`, fails when there is one.
pub fn diff(old: &Path, new: &Path, strict: bool) -> Result<()> {
    let diff = SetDiff::between(old, new)?;
    println!("{}: {diff}", new.display());
    if strict && !diff.is_empty() {
        bail!(
            "{} and {} differ in interfaces (--strict)",
            old.display(),
            new.display()
        );
    }
    Ok(())
}

/// What moved between a set and a fresh generation from another release.
fn drift(committed: &Files, fresh: &Files) -> String {
    let diff = SetDiff::of(committed, fresh);
    let other: Vec<String> = differing_files(committed, fresh)
        .into_iter()
        .filter(|f| f != META_TOML)
        .collect();
    match (diff.is_empty(), other.is_empty()) {
        (true, true) => "interfaces unchanged (only meta.toml's provenance differs)".into(),
        (true, false) => format!("interfaces unchanged, but {} differ", other.join(", ")),
        (false, _) => diff.to_string(),
    }
}

/// Generates the set of `t` a second time: the files that differ from
/// `first`, if any.
fn nondeterministic(sel: &Selection, t: &Target, first: &Files) -> Result<Option<String>> {
    // Every compile again: the cache would repeat the first run's logs.
    let second = files(&kernel_gen::cache::uncached(|| {
        sel.generate(t.tree, &t.makes, first)
    })?);
    let differing = differing_files(first, &second);
    Ok((!differing.is_empty()).then(|| differing.join(", ")))
}

fn files(set: &SetFiles) -> Files {
    set.files.iter().cloned().collect()
}
