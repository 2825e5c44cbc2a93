//! Check mode: regenerate committed sets and compare them file by file.

use std::fs;
use std::path::Path;

use anyhow::{bail, Result};

use kernel_gen::progress::Progress;
use kernel_gen::shim::Shim;
use kernel_gen::tempdir::TempDir;
use kernel_gen::tree::{Tree, SUPPORTED_ARCH};
use kernel_gen::{committed_sets, generate, meta, write};

pub fn check(
    sets_dir: &Path,
    shim: &Shim,
    trees: &[Tree],
    filter: Option<&str>,
    flavor: Option<&str>,
    progress: &Progress,
) -> Result<()> {
    let all = committed_sets(sets_dir)?;
    let selected: Vec<&String> = all
        .iter()
        .filter(|name| match filter {
            None => true,
            Some(f) => *name == f || name.starts_with(&format!("{f}-")),
        })
        .filter(|name| flavor.is_none_or(|fl| name.ends_with(&format!("-{fl}"))))
        .collect();
    if selected.is_empty() {
        bail!(
            "no committed set{} in {}",
            filter.map(|f| format!(" matching {f}")).unwrap_or_default(),
            sets_dir.display()
        );
    }
    let (mut checked, mut failed) = (0, Vec::new());
    for name in selected {
        let committed = sets_dir.join(name);
        let recorded = meta::read_value(&committed, "release").unwrap_or_default();
        let Some(tree) = newest_installed(trees, name) else {
            println!("skipped {name}: headers not installed (made from {recorded})");
            continue;
        };
        checked += 1;
        let set = generate::generate(tree, shim, progress)?;
        let fresh = TempDir::new(&format!("gen-check-{name}-"))?;
        write::write_files(fresh.path(), &set)?;
        let differing = compare(&committed, fresh.path())?;
        let stale = tree.release != recorded;
        if differing.is_empty() && !stale {
            println!("ok {name} ({})", tree.release);
            continue;
        }
        let kept = fresh.keep();
        let mut line = format!("FAILED {name}:");
        if stale {
            line.push_str(&format!(
                " set was made from {recorded} but the installed headers are {} (regenerate: cargo run -p gen -- {} --flavor {});",
                tree.release, tree.release, tree.flavor
            ));
        }
        if differing.is_empty() {
            line.push_str(" no file differs apart from that");
        } else {
            line.push_str(&format!(" differing files: {}", differing.join(", ")));
        }
        line.push_str(&format!(" (regenerated copy: {})", kept.display()));
        println!("{line}");
        failed.push(name.clone());
    }
    if checked == 0 {
        bail!("no committed set could be checked: none has its headers installed");
    }
    if !failed.is_empty() {
        bail!(
            "check failed for {} of {checked} sets: {}",
            failed.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

fn newest_installed<'a>(trees: &'a [Tree], set: &str) -> Option<&'a Tree> {
    // `discover` sorts the trees of one set newest first.
    trees
        .iter()
        .find(|t| t.arch == SUPPORTED_ARCH && t.set_name() == set)
}

/// Names of files that differ, or exist on one side only.
fn compare(committed: &Path, fresh: &Path) -> Result<Vec<String>> {
    let names = |dir: &Path| -> Result<Vec<String>> {
        let mut v: Vec<String> = fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        Ok(v)
    };
    let mut all = names(committed)?;
    all.extend(names(fresh)?);
    all.sort();
    all.dedup();
    Ok(all
        .into_iter()
        .filter(|n| fs::read(committed.join(n)).ok() != fs::read(fresh.join(n)).ok())
        .collect())
}
