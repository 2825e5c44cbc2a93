//! What differs between two sets in terms a maintainer acts on: layout
//! items (sizes, alignments, offsets, values of `layout.txt`), and the
//! functions, types and constants that `bindings.rs` declares. Used by
//! `--check` (a committed set against the installed headers), `--refresh`
//! and `--diff`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use anyhow::Result;

use crate::generate::BINDINGS_RS;
use crate::layout::LAYOUT_TXT;

/// How many differences a summary names.
const NAMED: usize = 5;

/// One kind of item: which differ, described (`size of struct file: 232 -> 240`).
#[derive(Debug, Default)]
pub struct Changes {
    pub total: usize,
    pub differing: Vec<String>,
}

#[derive(Debug, Default)]
pub struct SetDiff {
    pub layout: Changes,
    pub functions: Changes,
    pub types: Changes,
    pub constants: Changes,
}

impl SetDiff {
    /// Compares the sets in the directories `old` and `new`.
    pub fn between(old: &Path, new: &Path) -> Result<SetDiff> {
        Ok(SetDiff::of(&read_set(old)?, &read_set(new)?))
    }

    /// Compares two sets' files.
    pub fn of(old: &Files, new: &Files) -> SetDiff {
        let text = |files: &'_ Files, name: &str| files.get(name).cloned().unwrap_or_default();
        let (old_items, new_items) = (
            rust_items(&text(old, BINDINGS_RS)),
            rust_items(&text(new, BINDINGS_RS)),
        );
        SetDiff {
            layout: changes(
                &layout_items(&text(old, LAYOUT_TXT)),
                &layout_items(&text(new, LAYOUT_TXT)),
                |what, a, b| format!("{what}: {a} -> {b}"),
            ),
            functions: changes(&old_items.functions, &new_items.functions, |name, _, _| {
                format!("fn {name}")
            }),
            types: changes(&old_items.types, &new_items.types, |name, _, _| {
                format!("type {name}")
            }),
            constants: changes(&old_items.constants, &new_items.constants, |name, a, b| {
                format!("{name}: {} -> {}", const_value(a), const_value(b))
            }),
        }
    }

    /// No interface differs.
    pub fn is_empty(&self) -> bool {
        [&self.layout, &self.functions, &self.types, &self.constants]
            .iter()
            .all(|c| c.differing.is_empty())
    }
}

/// One line: `3 of 12937 layout items, 1 of 6675 functions, ... differ
/// (size of struct file: 232 -> 240, ...)`, or `interfaces unchanged`.
impl fmt::Display for SetDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return write!(f, "interfaces unchanged");
        }
        let kinds = [
            ("layout items", &self.layout),
            ("functions", &self.functions),
            ("types", &self.types),
            ("constants", &self.constants),
        ];
        let counts: Vec<String> = kinds
            .iter()
            .map(|(what, c)| format!("{} of {} {what}", c.differing.len(), c.total))
            .collect();
        let named: Vec<&str> = kinds
            .iter()
            .flat_map(|(_, c)| c.differing.iter().map(String::as_str))
            .take(NAMED)
            .collect();
        write!(f, "{} differ ({}", counts.join(", "), named.join(", "))?;
        let all: usize = kinds.iter().map(|(_, c)| c.differing.len()).sum();
        if all > named.len() {
            write!(f, ", ...")?;
        }
        write!(f, ")")
    }
}

/// A set's files by name.
pub type Files = BTreeMap<String, String>;

/// The full files of the set directory `dir`, whether stored whole or as
/// deltas (kernel-tree's `store` reads them).
pub fn read_set(dir: &Path) -> Result<Files> {
    Ok(kernel_tree::store::read_set(dir)
        .map_err(|e| anyhow::anyhow!(e))?
        .into_iter()
        .collect())
}

/// Names of the files that differ, or exist on one side only.
pub fn differing_files(old: &Files, new: &Files) -> Vec<String> {
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| old.get(*n) != new.get(*n))
        .cloned()
        .collect()
}

/// Items by name with their text, in file order.
type Items = Vec<(String, String)>;

/// The items that differ between `old` and `new` (a missing side shown as
/// `none`), in the order of `old`, then those only `new` has.
fn changes(old: &Items, new: &Items, describe: impl Fn(&str, &str, &str) -> String) -> Changes {
    let index = |items: &'_ Items| -> HashMap<String, String> { items.iter().cloned().collect() };
    let (old_map, new_map) = (index(old), index(new));
    let mut seen = HashSet::new();
    let names: Vec<&String> = old
        .iter()
        .chain(new)
        .map(|(name, _)| name)
        .filter(|name| seen.insert(*name))
        .collect();
    let differing = names
        .iter()
        .filter_map(|name| {
            let (a, b) = (old_map.get(*name), new_map.get(*name));
            (a != b).then(|| {
                describe(
                    name,
                    a.map_or("none", String::as_str),
                    b.map_or("none", String::as_str),
                )
            })
        })
        .collect();
    Changes {
        total: names.len(),
        differing,
    }
}

/// `layout.txt` entries: `size of struct file` -> `232`.
fn layout_items(text: &str) -> Items {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut words = l.splitn(3, ' ');
            let (value, kind, what) = (words.next()?, words.next()?, words.next()?);
            Some((format!("{kind} of {what}"), value.to_string()))
        })
        .collect()
}

#[derive(Default)]
struct RustItems {
    functions: Items,
    types: Items,
    constants: Items,
}

/// The declarations of `bindings.rs` by name, each as its whitespace-
/// normalised text: extern functions (`pub fn ...;`), top-level structs,
/// unions and type aliases, top-level constants. Methods and the layout
/// assertions are left out (the layout items cover what they assert).
fn rust_items(text: &str) -> RustItems {
    let mut items = RustItems::default();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let (list, rest, block) = if let Some(r) = line.strip_prefix("    pub fn ") {
            (&mut items.functions, r, false)
        } else if let Some(r) = line.strip_prefix("pub const ") {
            (&mut items.constants, r, false)
        } else if let Some(r) = line.strip_prefix("pub type ") {
            (&mut items.types, r, false)
        } else if let Some(r) = ["pub struct ", "pub union "]
            .iter()
            .find_map(|p| line.strip_prefix(p))
        {
            (&mut items.types, r, line.ends_with('{'))
        } else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let mut whole = line.trim().to_string();
        // A method with a body is not an extern function.
        if line.starts_with("    pub fn ") && whole.ends_with('{') {
            continue;
        }
        // A block ends at its `}` in column 0, anything else at `;`.
        while block || !(whole.ends_with(';') || whole.ends_with('}')) {
            let Some(next) = lines.next() else { break };
            whole.push(' ');
            whole.push_str(next.trim());
            if block && next == "}" {
                break;
            }
        }
        list.push((name, whole));
    }
    items
}

/// `pub const X: u32 = 5;` -> `5`.
fn const_value(decl: &str) -> &str {
    decl.rsplit_once(" = ")
        .map_or(decl, |(_, v)| v)
        .trim_end_matches(';')
}

#[cfg(test)]
mod tests {
    use super::*;

    const RS: &str = "\
pub const A: u32 = 1;
pub const B: &[u8; 3] = b\"ab\\0\";
#[repr(C)]
pub struct foo {
    pub a: core::ffi::c_int,
}
pub type bar = u64;
impl foo {
    pub fn get(&self) -> u32 {
        0
    }
}
unsafe extern \"C\" {
    pub fn f(a: core::ffi::c_int) -> core::ffi::c_int;
    pub fn g(
        a: core::ffi::c_int,
    );
}
";

    #[test]
    fn reads_declarations() {
        let items = rust_items(RS);
        let names = |items: &Items| items.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&items.constants), ["A", "B"]);
        assert_eq!(names(&items.functions), ["f", "g"]);
        assert_eq!(items.functions[1].1, "pub fn g( a: core::ffi::c_int, );");
        assert_eq!(
            items.types,
            [
                (
                    "foo".into(),
                    "pub struct foo { pub a: core::ffi::c_int, }".into()
                ),
                ("bar".into(), "pub type bar = u64;".into())
            ]
        );
    }

    #[test]
    fn summary_names_the_first_differences() {
        let old = layout_items("# c\n8 size struct a\n4 offset struct a.x\n");
        let new = layout_items("16 size struct a\n4 offset struct a.x\n1 value B\n");
        let layout = changes(&old, &new, |w, a, b| format!("{w}: {a} -> {b}"));
        assert_eq!(layout.total, 3);
        assert_eq!(
            layout.differing,
            ["size of struct a: 8 -> 16", "value of B: none -> 1"]
        );
        let diff = SetDiff {
            layout,
            ..SetDiff::default()
        };
        assert_eq!(
            diff.to_string(),
            "2 of 3 layout items, 0 of 0 functions, 0 of 0 types, 0 of 0 constants differ \
             (size of struct a: 8 -> 16, value of B: none -> 1)"
        );
        assert_eq!(SetDiff::default().to_string(), "interfaces unchanged");
    }
}
