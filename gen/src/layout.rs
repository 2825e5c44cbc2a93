//! layout.c and layout.txt: the set's layout and value assertions for the C
//! side. layout.c holds one array, `ko_layout[]` in section `.ko_layout`,
//! of compile-time constants (sizeof, __alignof__, offsetof, constant and
//! enumerator values), one per line; layout.txt holds, line for line, the
//! value bindgen computed for each and what it is. A module build compiles
//! layout.c with the target kernel's own Kbuild and compares the section
//! with layout.txt; bindings.rs asserts the same numbers on the Rust side.
//!
//! gen builds the list from its own libclang walk (C spellings, see
//! `clang_walk`) and bindgen's output (which items the set defines, the
//! values of macros), fails if the two disagree, compiles layout.c with the
//! kernel's Kbuild (gcc), drops the entries gcc rejects, and fails if gcc's
//! value of any remaining entry differs from bindgen's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::clang_walk::Headers;
use crate::generate::GENERATED;
use crate::kbuild;
use crate::shim::Shim;
use crate::tempdir::TempDir;
use crate::tree::Tree;

pub const LAYOUT_C: &str = "layout.c";
pub const LAYOUT_TXT: &str = "layout.txt";
/// The array and its section (the contract with mk/module.kbuild).
pub const ARRAY: &str = "ko_layout";
pub const SECTION: &str = ".ko_layout";
const MAX_ROUNDS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Size,
    Align,
    Offset,
    Value,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Size => "size",
            Kind::Align => "align",
            Kind::Offset => "offset",
            Kind::Value => "value",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: Kind,
    /// Human-readable: `struct file`, `struct file.f_mode`, `GFP_KERNEL`,
    /// `enum pid_type::PIDTYPE_PID`.
    pub what: String,
    /// The C constant expression (without the outer cast).
    pub expr: String,
    /// What bindgen (libclang) computed.
    pub expected: u64,
}

/// The Rust side: bindgen's layout assertions and integer constants.
#[derive(Debug, Default)]
pub struct RustSide {
    /// `Size of X` -> n.
    pub sizes: HashMap<String, u64>,
    pub aligns: HashMap<String, u64>,
    /// `X::field` -> n.
    pub offsets: HashMap<String, u64>,
    /// Top-level `pub const NAME: TYPE = VALUE;` with an integer value, in
    /// file order: (name, type, value as u64).
    pub consts: Vec<(String, String, u64)>,
}

impl RustSide {
    pub fn parse(bindings: &str) -> RustSide {
        let mut side = RustSide::default();
        for (marker, map) in [
            ("\"Size of ", &mut side.sizes),
            ("\"Alignment of ", &mut side.aligns),
            ("\"Offset of field: ", &mut side.offsets),
        ] {
            for (i, _) in bindings.match_indices(marker) {
                let rest = &bindings[i + marker.len()..];
                let Some(end) = rest.find('"') else { continue };
                let name = &rest[..end];
                // `... - 16usize]`: the number right before the next `usize]`.
                let Some(u) = rest.find("usize]") else {
                    continue;
                };
                let digits: String = rest[..u]
                    .chars()
                    .rev()
                    .take_while(char::is_ascii_digit)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if let Ok(n) = digits.parse() {
                    map.insert(name.to_string(), n);
                }
            }
        }
        let mut pending = String::new();
        for line in bindings.lines() {
            if pending.is_empty() && !line.starts_with("pub const ") {
                continue;
            }
            pending.push_str(line.trim());
            pending.push(' ');
            if !line.trim_end().ends_with(';') {
                continue;
            }
            if let Some(c) = parse_const(&pending) {
                side.consts.push(c);
            }
            pending.clear();
        }
        side
    }
}

/// `pub const NAME: TYPE = VALUE;` with an integer VALUE.
fn parse_const(text: &str) -> Option<(String, String, u64)> {
    let rest = text.strip_prefix("pub const ")?;
    let (name, rest) = rest.split_once(':')?;
    let (ty, value) = rest.split_once('=')?;
    let value = value.trim().strip_suffix(';')?.trim();
    let value = if let Some(neg) = value.strip_prefix('-') {
        neg.parse::<u64>().ok()?.wrapping_neg()
    } else {
        value.parse::<u64>().ok()?
    };
    Some((name.trim().to_string(), ty.trim().to_string(), value))
}

/// The C type for a Rust constant's type, to convert the C value to it
/// before widening (so `(1 << 31)`, an `int` in C, compares as bindgen's
/// `u32` 2147483648). `None`: not an integer type C can name.
fn c_type(rust: &str) -> Option<String> {
    let base = rust.strip_prefix("core::ffi::").unwrap_or(rust);
    let c = match base {
        "u8" | "c_uchar" => "unsigned char",
        "i8" | "c_schar" => "signed char",
        "c_char" => "char",
        "u16" | "c_ushort" => "unsigned short",
        "i16" | "c_short" => "short",
        "u32" | "c_uint" => "unsigned int",
        "i32" | "c_int" => "int",
        "u64" | "c_ulonglong" => "unsigned long long",
        "i64" | "c_longlong" => "long long",
        "usize" | "c_ulong" => "unsigned long",
        "isize" | "c_long" => "long",
        "bool" | "f32" | "f64" | "u128" | "i128" => return None,
        other => {
            // A C typedef bindgen kept by name (consts.h: gfp_t, __poll_t).
            let plain = !other.is_empty()
                && other.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !other.starts_with(|c: char| c.is_ascii_digit());
            return plain.then(|| other.to_string());
        }
    };
    Some(c.to_string())
}

/// What bindgen's parse reported besides the bindings.
#[derive(Debug, Default)]
pub struct Seen {
    /// Integer macros and their values, as bindgen evaluated them.
    pub macros: BTreeMap<String, i64>,
    /// Enumerators (C names) and their values (as u64).
    pub enumerators: BTreeMap<String, u64>,
}

/// Counts for the report and meta.toml.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub items: usize,
    pub dropped: usize,
    /// Seconds the final, clean compile of layout.c took.
    pub compile_seconds: f64,
}

/// The candidate entries, in a fixed order: types (size, align, field
/// offsets) in header order, then enumerators in header order, then macro
/// constants in bindings.rs order. Fails where libclang (gen's walk) and
/// bindgen's bindings.rs disagree.
pub fn items(headers: &Headers, rust: &RustSide, seen: &Seen, shim: &Shim) -> Result<Vec<Item>> {
    let mut out = Vec::new();
    let mut disagree = Vec::new();
    let mut check = |what: &str, clang: u64, bindgen: Option<&u64>| {
        if let Some(b) = bindgen {
            if *b != clang {
                disagree.push(format!("{what}: libclang {clang}, bindings.rs {b}"));
            }
        }
    };
    for r in &headers.records {
        // Only what bindings.rs defines (and asserts) is checked.
        if !rust.sizes.contains_key(&r.rust_name) {
            continue;
        }
        check(
            &format!("size of {}", r.spelling),
            r.size,
            rust.sizes.get(&r.rust_name),
        );
        check(
            &format!("alignment of {}", r.spelling),
            r.align,
            rust.aligns.get(&r.rust_name),
        );
        out.push(Item {
            kind: Kind::Size,
            what: r.spelling.clone(),
            expr: format!("sizeof({})", r.spelling),
            expected: r.size,
        });
        out.push(Item {
            kind: Kind::Align,
            what: r.spelling.clone(),
            expr: format!("__alignof__({})", r.spelling),
            expected: r.align,
        });
        for f in &r.fields {
            if f.direct {
                // bindgen appends `_` to names that are Rust keywords.
                let key = format!("{}::{}", r.rust_name, f.name);
                let bindgen = rust
                    .offsets
                    .get(&key)
                    .or_else(|| rust.offsets.get(&format!("{key}_")));
                check(
                    &format!("offset of {}.{}", r.spelling, f.name),
                    f.offset,
                    bindgen,
                );
            }
            out.push(Item {
                kind: Kind::Offset,
                what: format!("{}.{}", r.spelling, f.name),
                expr: format!("__builtin_offsetof({}, {})", r.spelling, f.name),
                expected: f.offset,
            });
        }
    }
    let mut enumerators = BTreeSet::new();
    for e in &headers.enumerators {
        let Some(value) = seen.enumerators.get(&e.name) else {
            continue;
        };
        if !enumerators.insert(e.name.clone()) {
            continue;
        }
        check(&format!("enumerator {}", e.name), e.value, Some(value));
        let tag = e.tag.as_deref().unwrap_or("(anonymous)");
        out.push(Item {
            kind: Kind::Value,
            what: format!("enum {tag}::{}", e.name),
            expr: e.name.clone(),
            expected: e.value,
        });
    }
    for (name, ty, value) in &rust.consts {
        // CONFIG_* are the kernel configuration, which the set's config
        // fingerprint already identifies; checking thousands of them would
        // only make every module build slower.
        if name.starts_with("CONFIG_") {
            continue;
        }
        let from_macro = seen.macros.get(name);
        if from_macro.is_none() && !shim.consts.contains(name) {
            continue;
        }
        let Some(c_ty) = c_type(ty) else { continue };
        if let Some(m) = from_macro {
            check(&format!("macro {name}"), *m as u64, Some(value));
        }
        out.push(Item {
            kind: Kind::Value,
            what: name.clone(),
            expr: format!("({c_ty})({name})"),
            expected: *value,
        });
    }
    if !disagree.is_empty() {
        bail!(
            "libclang and bindings.rs disagree on {} item(s) (a gen bug): {}",
            disagree.len(),
            disagree
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    Ok(out)
}

/// First line of layout.c, after the "generated" line.
const C_HEADER: &str = "\
// Layout and value assertions of this binding set: each entry of ko_layout[]
// is a compile-time constant (sizeof, __alignof__, offsetof, a constant's or
// enumerator's value) whose expected value, as bindgen computed it, is on the
// same-numbered data line of layout.txt. A module build compiles this file with
// the target kernel's own Kbuild (-I<kernel-bindings>/shim) and compares section
// .ko_layout with layout.txt before linking.
";

/// layout.c for `items`, and the line of each entry (1-based).
pub fn render_c(items: &[Item], shim: &Shim) -> (String, Vec<usize>) {
    let mut out = format!("// {GENERATED}\n{C_HEADER}");
    out.push_str(&shim.wrapper_includes());
    out.push('\n');
    let _ = writeln!(
        out,
        "const unsigned long long {ARRAY}[] __attribute__((section(\"{SECTION}\"), used, aligned(8))) = {{"
    );
    let mut line = out.lines().count();
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        let _ = writeln!(out, "\t(unsigned long long)({}),", item.expr);
        line += 1;
        lines.push(line);
    }
    out.push_str("};\n");
    (out, lines)
}

/// layout.txt: one line per entry, `<expected> <kind> <what>`.
pub fn render_txt(set: &str, items: &[Item], dropped: &[(String, String)]) -> String {
    let mut out = format!("# {GENERATED}\n");
    let count = |k: Kind| items.iter().filter(|i| i.kind == k).count();
    let _ = writeln!(
        out,
        "# {} checks for {set} ({} sizes, {} alignments, {} field offsets, {} values),\n\
         # one line per entry of {ARRAY}[] in {LAYOUT_C}, in the same order:\n\
         # <expected value as unsigned 64-bit decimal> <size|align|offset|value> <what>\n\
         # Values are converted to the type bindings.rs gives the constant first.\n\
         # Not checked: CONFIG_* macros (the config fingerprint in meta.toml covers\n\
         # them), bitfields, string constants, types only declared.",
        items.len(),
        count(Kind::Size),
        count(Kind::Align),
        count(Kind::Offset),
        count(Kind::Value),
    );
    if !dropped.is_empty() {
        let _ = writeln!(
            out,
            "# Left out because the kernel's gcc rejects them ({}):",
            dropped.len()
        );
        for (what, why) in dropped {
            let _ = writeln!(out, "#   {what}: {why}");
        }
    }
    for item in items {
        let _ = writeln!(out, "{} {} {}", item.expected, item.kind.word(), item.what);
    }
    out
}

/// What [`verify`] kept and left out.
#[derive(Debug)]
pub struct Verified {
    /// The entries gcc compiled to bindgen's values.
    pub items: Vec<Item>,
    /// `<kind> <what>` and gcc's message, for entries gcc rejects.
    pub dropped: Vec<(String, String)>,
    /// How long the final compile took.
    pub seconds: f64,
}

/// A compile of layout.c: Kbuild's log, whether it succeeded, and the
/// build directory with the object.
pub type Compiled = (String, bool, TempDir);

/// Compiles a layout.c text with the tree's Kbuild.
pub fn compile(tree: &Tree, shim: &Shim, text: &str) -> Result<Compiled> {
    kbuild::compile_in(
        tree,
        &shim.dir.canonicalize()?,
        &[(LAYOUT_C.to_string(), text.to_string())],
    )
}

/// What the committed set's layout says [`verify`] will find: the entries
/// left out (`<kind> <what>`, gcc's message, in layout.txt's order), and
/// its layout.c with what compiling it gave, if known.
pub struct Guess {
    pub dropped: Vec<(String, String)>,
    pub compiled: Option<(String, Compiled)>,
}

/// The entries a layout.txt lists as left out, with gcc's message.
pub fn dropped_in(layout_txt: &str) -> Vec<(String, String)> {
    layout_txt
        .lines()
        .take_while(|l| l.starts_with('#'))
        .skip_while(|l| !l.starts_with("# Left out because"))
        .skip(1)
        .filter_map(|l| l.strip_prefix("#   ")?.split_once(": "))
        .map(|(what, why)| (what.to_string(), why.to_string()))
        .collect()
}

/// Compiles layout.c with the tree's Kbuild, drops the entries gcc rejects
/// (returned with gcc's reason), and checks that gcc's values are bindgen's.
/// With a `guess`, that is first tried as a proof instead of a search:
/// each guessed entry is rejected on its own with the same message, and
/// the rest compiles cleanly. The same headers give the same result either
/// way (the search is deterministic and made the guess).
pub fn verify(
    tree: &Tree,
    shim: &Shim,
    items: Vec<Item>,
    guess: Option<Guess>,
) -> Result<Verified> {
    let items = match guess {
        Some(guess) => match proven(tree, shim, items, guess)? {
            Ok(verified) => return Ok(verified),
            Err(items) => items,
        },
        None => items,
    };
    search(tree, shim, items)
}

/// [`verify`]'s proof of a guess: `Err(items)` back if it does not hold.
fn proven(
    tree: &Tree,
    shim: &Shim,
    items: Vec<Item>,
    guess: Guess,
) -> Result<std::result::Result<Verified, Vec<Item>>> {
    let label = |item: &Item| format!("{} {}", item.kind.word(), item.what);
    let wanted: HashMap<&str, &str> = guess
        .dropped
        .iter()
        .map(|(what, why)| (what.as_str(), why.as_str()))
        .collect();
    let (suspects, kept): (Vec<&Item>, Vec<&Item>) = items
        .iter()
        .partition(|i| wanted.contains_key(label(i).as_str()));
    if suspects.len() != wanted.len() || wanted.len() != guess.dropped.len() {
        return Ok(Err(items));
    }
    let kept: Vec<Item> = kept.into_iter().cloned().collect();
    let (text, lines) = render_c(&kept, shim);
    let (suspect_text, suspect_lines) =
        render_c(&suspects.iter().copied().cloned().collect::<Vec<_>>(), shim);
    let start = Instant::now();
    let (kept_result, suspect_result) = std::thread::scope(|s| {
        let suspect_result =
            (!suspects.is_empty()).then(|| s.spawn(|| compile(tree, shim, &suspect_text)));
        let kept_result = match guess.compiled {
            Some((committed, compiled)) if committed == text => Ok(compiled),
            _ => compile(tree, shim, &text),
        };
        (kept_result, suspect_result.map(|h| h.join()))
    });
    let seconds = start.elapsed().as_secs_f64();
    let (log, ok, dir) = kept_result?;
    let suspect_log = match suspect_result {
        None => String::new(),
        Some(Ok(Ok((log, _, _)))) => log,
        Some(_) => return Ok(Err(items)),
    };
    let refused = rejected(&suspect_log, &suspect_lines);
    let all_refused_alike = suspects.iter().enumerate().all(|(i, item)| {
        refused.get(&i).map(String::as_str) == wanted.get(label(item).as_str()).copied()
    });
    let clean = ok && !log.contains("error:") && !log.contains("warning:");
    if !all_refused_alike || !clean || !rejected(&log, &lines).is_empty() {
        return Ok(Err(items));
    }
    checked_values(tree, kept, &dir, guess.dropped, seconds).map(Ok)
}

/// The search: compile, drop what gcc rejects, again, until it compiles
/// cleanly.
fn search(tree: &Tree, shim: &Shim, mut items: Vec<Item>) -> Result<Verified> {
    let mut dropped = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let (text, lines) = render_c(&items, shim);
        let start = Instant::now();
        let (log, ok, dir) = compile(tree, shim, &text)?;
        let seconds = start.elapsed().as_secs_f64();
        let rejected = rejected(&log, &lines);
        if !rejected.is_empty() {
            let mut keep = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match rejected.get(&i) {
                    Some(why) => {
                        dropped.push((format!("{} {}", item.kind.word(), item.what), why.clone()))
                    }
                    None => keep.push(item),
                }
            }
            items = keep;
            continue;
        }
        if !ok || log.contains("error:") || log.contains("warning:") {
            bail!(
                "{LAYOUT_C} does not compile cleanly with the kernel's Kbuild: {}",
                kbuild::first_diagnostic(&log)
            );
        }
        return checked_values(tree, items, &dir, dropped, seconds);
    }
    bail!("{LAYOUT_C} still does not compile cleanly after {MAX_ROUNDS} rounds of dropping entries")
}

/// gcc's values of a clean compile (in `dir`), checked against bindgen's.
fn checked_values(
    tree: &Tree,
    items: Vec<Item>,
    dir: &TempDir,
    dropped: Vec<(String, String)>,
    seconds: f64,
) -> Result<Verified> {
    let values = read_section(tree, &dir.path().join("layout.o"))?;
    if values.len() != items.len() {
        bail!(
            "{LAYOUT_C}: section {SECTION} holds {} values, expected {}",
            values.len(),
            items.len()
        );
    }
    let differ: Vec<String> = items
        .iter()
        .zip(&values)
        .filter(|(item, gcc)| item.expected != **gcc)
        .map(|(item, gcc)| {
            format!(
                "{} {}: clang (bindgen) {}, gcc {}",
                item.kind.word(),
                item.what,
                item.expected,
                gcc
            )
        })
        .collect();
    if !differ.is_empty() {
        bail!(
            "clang (bindgen) and the kernel's gcc disagree on {} layout item(s) of {}: {} \
             (a macro bindgen evaluates unlike C belongs in MISEVALUATED_MACROS in \
             gen/src/run_bindgen.rs; anything else is a bug to report)",
            differ.len(),
            tree.release,
            differ
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    Ok(Verified {
        items,
        dropped,
        seconds,
    })
}

/// Entries (index into the items) that gcc's diagnostics point at, with
/// the message: `layout.c:LINE:COL: error: ...`, or a header line's error
/// followed by `layout.c:LINE:COL: note: in expansion of macro ...`.
fn rejected(log: &str, lines: &[usize]) -> BTreeMap<usize, String> {
    let by_line: HashMap<usize, usize> = lines.iter().enumerate().map(|(i, l)| (*l, i)).collect();
    let marker = format!("{LAYOUT_C}:");
    let mut out = BTreeMap::new();
    let mut last = String::new();
    for l in log.lines() {
        let message = ["error: ", "warning: "]
            .iter()
            .find_map(|m| l.find(m).map(|i| plain_message(&l[i + m.len()..])));
        if let Some(m) = &message {
            last = m.clone();
        }
        for (i, _) in l.match_indices(&marker) {
            // Not `In file included from layout.c:N` (a header line).
            if l[..i].trim_end().ends_with("from") {
                continue;
            }
            let digits: String = l[i + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let Some(index) = digits.parse().ok().and_then(|n: usize| by_line.get(&n)) else {
                continue;
            };
            let why = message.clone().unwrap_or_else(|| last.clone());
            out.entry(*index).or_insert(why);
        }
    }
    out
}

/// gcc's message without what depends on its version or locale: typographic
/// quotes become ASCII ones, spelling suggestions go.
fn plain_message(message: &str) -> String {
    let message = message.replace(['\u{2018}', '\u{2019}'], "'");
    let message = message.split("; did you mean").next().unwrap_or("");
    message.trim().to_string()
}

/// The little-endian u64s of `section` in an object file, via the tree
/// arch's objcopy.
fn read_section(tree: &Tree, object: &Path) -> Result<Vec<u64>> {
    let bin = object.with_extension("bin");
    let out = Command::new(kbuild::binutil(tree, "objcopy")?)
        .args(["-O", "binary", &format!("--only-section={SECTION}")])
        .arg(object)
        .arg(&bin)
        .env("LC_ALL", "C")
        .output()
        .context("cannot run objcopy (install binutils)")?;
    if !out.status.success() {
        bail!(
            "objcopy failed on {}: {}",
            object.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let bytes = fs::read(&bin).with_context(|| format!("cannot read {}", bin.display()))?;
    if bytes.len() % 8 != 0 {
        bail!(
            "section {SECTION} is {} bytes, not a multiple of 8",
            bytes.len()
        );
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_side() {
        let rs = "pub struct list_head {\n}\nconst _: () = {\n    [\"Size of list_head\"][::core::mem::size_of::<list_head>() - 16usize];\n    [\n        \"Alignment of list_head\",\n    ][::core::mem::align_of::<list_head>()\n        - 8usize];\n    [\"Offset of field: list_head::prev\"][::core::mem::offset_of!(list_head, prev) - 8usize];\n};\npub const A: u32 = 7;\npub const B: i32 = -1;\npub const C: &[u8; 2] = b\"x\\0\";\npub const LONG_NAME: core::ffi::c_ulong =\n    4096;\n    pub const INNER: u32 = 1;\n";
        let side = RustSide::parse(rs);
        assert_eq!(side.sizes["list_head"], 16);
        assert_eq!(side.aligns["list_head"], 8);
        assert_eq!(side.offsets["list_head::prev"], 8);
        assert_eq!(
            side.consts,
            [
                ("A".to_string(), "u32".to_string(), 7),
                ("B".to_string(), "i32".to_string(), u64::MAX),
                (
                    "LONG_NAME".to_string(),
                    "core::ffi::c_ulong".to_string(),
                    4096
                ),
            ]
        );
    }

    #[test]
    fn c_types() {
        assert_eq!(c_type("u32").as_deref(), Some("unsigned int"));
        assert_eq!(c_type("core::ffi::c_long").as_deref(), Some("long"));
        assert_eq!(c_type("gfp_t").as_deref(), Some("gfp_t"));
        assert_eq!(c_type("&[u8; 3]"), None);
        assert_eq!(c_type("f64"), None);
    }

    #[test]
    fn gcc_rejections() {
        let lines = [10, 11, 12];
        let log = "In file included from layout.c:3:\n\
                   layout.c:11:30: error: invalid application of 'sizeof' to incomplete type 'struct x'\n\
                   include/a.h:5:9: error: \u{2018}Y\u{2019} undeclared here (not in a function); did you mean \u{2018}Z\u{2019}?\n\
                   layout.c:12:2: note: in expansion of macro 'X'\n";
        let r = rejected(log, &lines);
        assert_eq!(r.len(), 2);
        assert!(r[&1].contains("incomplete type"));
        assert_eq!(r[&2], "'Y' undeclared here (not in a function)");
    }
}
