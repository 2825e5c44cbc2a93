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
/// step, see [`write`]) and returns that directory.
pub fn generate_set(
    kdir: &Path,
    shim_dir: &Path,
    sets_dir: &Path,
    progress: &Progress,
) -> Result<PathBuf> {
    let tree = Tree::load(kdir)?;
    tree.ensure_supported_arch()?;
    let shim = Shim::load(shim_dir)?;
    generate_sets(sets_dir, &shim, std::slice::from_ref(&tree), progress)?;
    Ok(sets_dir.join(tree.set_name()))
}

/// Generates every set first and moves them into place only when all
/// succeeded (stored as deltas of their base where it is committed: see
/// [`store`]).
pub fn generate_sets(
    sets_dir: &Path,
    shim: &Shim,
    trees: &[Tree],
    progress: &Progress,
) -> Result<()> {
    run_bindgen::load_libclang()?;
    // An output that cannot be written fails before the slow part.
    for tree in trees {
        Staging::new(sets_dir, &tree.set_name())?;
    }
    let mut sets = Vec::new();
    for tree in trees {
        // The committed set of the same name, if any, is what gen will
        // likely make again (see `generate_expecting`). A new flavor's
        // series has the same dropped lists in its base set (6.1-amd64 for
        // 6.1-rt-amd64), but not the same files to compile.
        let like = setdiff::read_set(&sets_dir.join(tree.set_name()))
            .ok()
            .or_else(|| {
                let base = store::default_base(&tree.set_name())?;
                let mut files = setdiff::read_set(&sets_dir.join(base)).ok()?;
                files.retain(|name, _| name == generate::META_TOML || name == layout::LAYOUT_TXT);
                Some(files)
            });
        sets.push(generate::generate_expecting(
            tree,
            shim,
            progress,
            like.as_ref(),
        )?);
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
                .find(|t| t.set_name() == set.name)
                .map_or("?", |t| t.release.as_str()),
            set.stats.seconds,
            set.stats.wrappers,
            set.stats.shim_functions,
            set.stats.constants,
            set.stats.layout.items,
            set.stats.layout.dropped,
            set.stats.layout.compile_seconds
        ));
    }
    Ok(())
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
