//! The last resort of pruning: wrappers that break the Kbuild compile
//! without any message naming them (5.10's objtool dies of a segfault on
//! some), found by compiling halves of the suspects until single ones fail.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;

use crate::kbuild;
use crate::tree::Tree;
use crate::wrappers::{remove_wrappers, wrapper_name};

/// The wrappers of `text` without which it builds. Each round compiles
/// every half of every failing group as one object, all in one Kbuild run.
pub fn culprits(tree: &Tree, shim_dir: &Path, text: &str) -> Result<BTreeSet<String>> {
    let all: BTreeSet<String> = text.lines().filter_map(wrapper_name).collect();
    let mut failing = vec![all.iter().cloned().collect::<Vec<_>>()];
    let mut bad = BTreeSet::new();
    while !failing.is_empty() {
        let halves: Vec<Vec<String>> = failing
            .iter()
            .flat_map(|g| {
                let (a, b) = g.split_at(g.len() / 2);
                [a.to_vec(), b.to_vec()]
            })
            .filter(|h| !h.is_empty())
            .collect();
        let files: Vec<(String, String)> = halves
            .iter()
            .enumerate()
            .map(|(i, half)| {
                let keep: BTreeSet<&String> = half.iter().collect();
                let others = all.iter().filter(|n| !keep.contains(n)).cloned().collect();
                (format!("part{i}.c"), remove_wrappers(text, &others))
            })
            .collect();
        let (log, _, dir) = kbuild::compile_in(tree, shim_dir, &files)?;
        let mut next = Vec::new();
        for (i, half) in halves.into_iter().enumerate() {
            let object = format!("part{i}.o");
            let built =
                dir.path().join(&object).exists() && !log.contains(&format!("{object}: warning"));
            if built {
                continue;
            }
            if half.len() == 1 {
                bad.extend(half);
            } else {
                next.push(half);
            }
        }
        // A group whose halves both build fails only whole: leave it out.
        if next.is_empty() && bad.is_empty() {
            bad.extend(failing.into_iter().flatten());
            break;
        }
        failing = next;
    }
    Ok(bad)
}
