//! kernel_gen: generates kernel binding sets (`bindings.rs`, `wrappers.c`,
//! `layout.c`, `layout.txt`, `meta.toml`, `clang-args.txt`) from installed
//! kernel header trees.
//!
//! Used by the `gen` command line (`cargo run -p gen`, which writes the
//! committed sets in `bindings/sets/`) and by the bindings crate's build
//! script with its feature `regen` (`make REGEN=1`), through
//! [`generate_set`]. Nothing here writes to stdout, which cargo reads from a
//! build script: progress goes to stderr, and only when it is a terminal.

pub mod cache;
pub mod generate;
pub mod meta;
pub mod progress;
pub mod setdiff;
pub mod shim;
pub mod store;
pub mod tempdir;
pub mod tree;
pub mod variant;
pub mod write;

mod bisect;
mod clang_walk;
mod delta;
mod flags;
mod kbuild;
mod layout;
mod prune;
mod run_bindgen;
mod toolchain;
mod wrappers;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use progress::Progress;
use shim::Shim;
use tree::Tree;
use write::Staging;

/// Generates the set for the header tree `kdir` with the shim directory
/// `shim_dir` into `sets_dir/<major>.<minor>-<flavor>` (replacing it in one
/// step, see [`write`]; a layout variant of it, or nothing, when that set was
/// made from a newer release: see [`generate_sets`]) and returns the
/// directory of the set that serves the tree.
pub fn generate_set(
    kdir: &Path,
    shim_dir: &Path,
    sets_dir: &Path,
    progress: &Progress,
) -> Result<PathBuf> {
    let tree = Tree::load(kdir)?;
    tree.ensure_supported_arch()?;
    let shim = Shim::load(shim_dir)?;
    let outcomes = generate_sets(sets_dir, &shim, std::slice::from_ref(&tree), progress)?;
    let set = outcomes
        .first()
        .map_or(tree.set_name(), |o| o.set().to_string());
    Ok(sets_dir.join(set))
}

/// What [`generate_sets`] made of one tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Wrote set `set` from release `release`. For a layout variant,
    /// `variant_of`: how it differs from its family's base (`of set
    /// 6.1-amd64 (made from ...): <interface differences>`, see [`setdiff`]).
    Wrote {
        release: String,
        set: String,
        variant_of: Option<String>,
    },
    /// Wrote nothing: the tree would make a variant, but the committed set
    /// `set` of its family has the same bindings, wrappers and layout.
    Served { release: String, set: String },
}

impl Outcome {
    /// The set that serves the tree.
    pub fn set(&self) -> &str {
        match self {
            Outcome::Wrote { set, .. } | Outcome::Served { set, .. } => set,
        }
    }

    /// A line for the user when the outcome is not the plain one (a set
    /// written under the tree's `set_name()`).
    pub fn remark(&self) -> Option<String> {
        match self {
            Outcome::Wrote {
                variant_of: None, ..
            } => None,
            Outcome::Wrote {
                release,
                set,
                variant_of: Some(how),
            } => Some(format!("{release}: wrote layout variant {set} {how}")),
            Outcome::Served { release, set } => Some(format!(
                "{release}: served by set {set} (identical bindings, wrappers and layout); nothing written"
            )),
        }
    }
}

/// Generates every set first and moves them into place only when all
/// succeeded (stored as deltas of their base where it is committed: see
/// [`store`]). Each tree makes the set [`variant::set_name_in`] names: its
/// family's base, or, when the committed base was made from a newer
/// release, a layout variant `<family>@<version>`, which is written only if
/// no committed set of the family has the same four generated files.
pub fn generate_sets(
    sets_dir: &Path,
    shim: &Shim,
    trees: &[Tree],
    progress: &Progress,
) -> Result<Vec<Outcome>> {
    run_bindgen::load_libclang()?;
    let names: Vec<String> = trees
        .iter()
        .map(|tree| variant::set_name_in(sets_dir, tree))
        .collect();
    // An output that cannot be written fails before the slow part.
    for name in &names {
        Staging::new(sets_dir, name)?;
    }
    let mut sets = Vec::new();
    let mut outcomes = Vec::new();
    for (tree, name) in trees.iter().zip(&names) {
        let family = tree.set_name();
        // The nearest committed set of the family (this very set, else the
        // base) is what gen will likely make again (see
        // `generate_expecting`). A new flavor's series has the same dropped
        // lists in its base set (6.1-amd64 for 6.1-rt-amd64), but not the
        // same files to compile.
        let like = setdiff::read_set(&sets_dir.join(name))
            .ok()
            .or_else(|| {
                (*name != family)
                    .then(|| setdiff::read_set(&sets_dir.join(&family)).ok())
                    .flatten()
            })
            .or_else(|| {
                let base = store::default_base(&family)?;
                let mut files = setdiff::read_set(&sets_dir.join(base)).ok()?;
                files.retain(|name, _| name == generate::META_TOML || name == layout::LAYOUT_TXT);
                Some(files)
            });
        let set = generate::generate_expecting(tree, name, shim, progress, like.as_ref())?;
        let release = tree.release.clone();
        let mut variant_of = None;
        if *name != family {
            let fresh: setdiff::Files = set.files.iter().cloned().collect();
            match variant::compare(sets_dir, &family, &fresh)? {
                variant::Against::Served(set) => {
                    outcomes.push(Outcome::Served { release, set });
                    continue;
                }
                variant::Against::Differs(how) => variant_of = Some(how),
            }
        }
        outcomes.push(Outcome::Wrote {
            release,
            set: name.clone(),
            variant_of,
        });
        sets.push(set);
    }
    if sets.is_empty() {
        return Ok(outcomes);
    }
    store::write_sets(
        sets_dir,
        sets.iter()
            .map(|s| (s.name.clone(), s.files.iter().cloned().collect()))
            .collect(),
    )?;
    for set in &sets {
        let dest = sets_dir.join(&set.name);
        progress.note(&format!(
            "wrote {} from {} in {:.1}s: {} static inline wrappers, {} shims, {} constants, \
             {} layout checks ({} dropped; layout.c compiles in {:.1}s)",
            dest.display(),
            trees
                .iter()
                .zip(&names)
                .find(|(_, name)| **name == set.name)
                .map_or("?", |(t, _)| t.release.as_str()),
            set.stats.seconds,
            set.stats.wrappers,
            set.stats.shim_functions,
            set.stats.constants,
            set.stats.layout.items,
            set.stats.layout.dropped,
            set.stats.layout.compile_seconds
        ));
    }
    Ok(outcomes)
}

/// Names of the set directories in `sets_dir` (those with a meta.toml),
/// sorted.
pub fn committed_sets(sets_dir: &Path) -> Result<Vec<String>> {
    if !sets_dir.exists() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(sets_dir)
        .with_context(|| format!("cannot read {}", sets_dir.display()))?
    {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && entry.path().join(generate::META_TOML).is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// An error as one line: the outermost context first, then the causes.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut line = err.to_string();
    for cause in err.chain().skip(1) {
        line.push_str(": ");
        line.push_str(&cause.to_string());
    }
    line.replace('\n', " ")
}
