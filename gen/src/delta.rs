//! Making the line delta of a set file against its base's file (the format
//! is kernel-tree's `delta`, which also applies it): `similar`'s Myers diff
//! of the two files' lines, without a deadline so the result depends on the
//! input only.

use anyhow::{bail, Result};
use kernel_tree::delta::{self, Hunk};
use similar::{capture_diff_slices, Algorithm, DiffTag};

/// The delta of `file` that gives `new` from `base`, the file of set
/// `base_set`; checked by applying it.
pub fn make(file: &str, base_set: &str, base: &str, new: &str) -> Result<String> {
    let (old_lines, new_lines) = (delta::lines(base), delta::lines(new));
    let mut hunks: Vec<Hunk<'_>> = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines) {
        let (tag, old, added) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            continue;
        }
        // A delete next to an insert is one replacement.
        match hunks.last_mut() {
            Some(last) if last.start + last.deleted == old.start => {
                last.deleted += old.len();
                last.inserted.extend(&new_lines[added]);
            }
            _ => hunks.push(Hunk {
                start: old.start,
                deleted: old.len(),
                inserted: new_lines[added].to_vec(),
            }),
        }
    }
    let text = delta::render(file, base_set, &hunks, new);
    // A committed set must always decode: never store a delta that does not.
    if delta::apply(base, &text).ok().as_deref() != Some(new) {
        bail!("internal error: the delta of {file} against set {base_set} does not give the file");
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_apply() {
        let base = "a\nb\nc\nd\ne\n";
        for new in [
            "a\nb\nc\nd\ne\n",
            "x\nb\nc\nd\ne\n",
            "a\nc\ne\nf\n",
            "",
            "a\nb",
            "q\n",
        ] {
            let d = make("f", "1.2-fake", base, new).unwrap();
            assert_eq!(delta::apply(base, &d).unwrap(), new, "{d}");
        }
    }

    #[test]
    fn one_hunk_per_change() {
        let d = make("f", "1.2-fake", "a\nb\nc\n", "a\nB\nc\n").unwrap();
        assert!(d.ends_with("\n@ 2 -1 +1\n+B\n"), "{d}");
    }
}
