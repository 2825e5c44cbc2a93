//! Static inline functions that cannot be compiled out of line: some only
//! build when inlined into a caller passing constants (BUILD_BUG_ON,
//! `__bad_mask()`, "i" asm constraints), some lose qualifiers in bindgen's
//! C. gen compiles wrappers.c with the kernel's own Kbuild and gcc, drops
//! every wrapper the compiler complains about (error or warning), repeats
//! until wrappers.c builds cleanly, and then has bindgen leave those
//! functions out of bindings.rs too.

use std::collections::BTreeSet;

use anyhow::{bail, Result};

use crate::bisect;
use crate::kbuild;
use crate::run_bindgen::WRAPPER_SUFFIX;
use crate::shim::Shim;
use crate::tree::Tree;
use crate::wrappers::{remove_wrappers, wrapper_name};

const WRAPPERS_FILE: &str = "wrappers.c";
/// Every shim of shim/, compiled together.
const SHIMS_FILE: &str = "shims.c";
const MAX_ROUNDS: usize = 6;

/// Compiles a wrappers.c text with the kernel's Kbuild: (log, success).
pub fn compile_wrappers(tree: &Tree, shim: &Shim, text: &str) -> Result<(String, bool)> {
    kbuild::compile(
        tree,
        &shim.dir.canonicalize()?,
        &[(WRAPPERS_FILE.to_string(), text.to_string())],
    )
}

/// Returns the names (C names without the suffix) of the wrappers to drop.
pub fn rejected_wrappers(tree: &Tree, shim: &Shim, wrappers: &str) -> Result<BTreeSet<String>> {
    let mut dropped = BTreeSet::new();
    let mut text = wrappers.to_string();
    for _ in 0..MAX_ROUNDS {
        // (Nothing left to compile: every wrapper was dropped.)
        if !dropped.is_empty() && !text.lines().any(|l| wrapper_name(l).is_some()) {
            return Ok(dropped);
        }
        let bad = blamed(tree, shim, &text, compile_wrappers(tree, shim, &text)?)?;
        if bad.is_empty() {
            return Ok(dropped);
        }
        text = remove_wrappers(&text, &bad);
        dropped.extend(bad);
    }
    bail!(
        "wrappers.c still does not compile cleanly after {MAX_ROUNDS} rounds of dropping wrappers"
    )
}

/// One round of [`rejected_wrappers`]: the wrappers the compiler, objtool
/// or the assembler blame in `text`, given what compiling it gave; none if
/// it compiled cleanly. A compile that is not clean but blames nobody is
/// an error.
pub fn blamed(
    tree: &Tree,
    shim: &Shim,
    text: &str,
    (log, ok): (String, bool),
) -> Result<BTreeSet<String>> {
    let shim_dir = shim.dir.canonicalize()?;
    let mut bad = complained_about(&log, text);
    if bad.is_empty() && log.contains("Assembler messages:") {
        let file = (WRAPPERS_FILE.to_string(), text.to_string());
        let (asm, messages) = kbuild::assembler_messages(tree, &shim_dir, &file)?;
        bad = assembler_culprits(&asm, &messages);
    }
    if bad.is_empty() && !ok && !log.contains("error:") && !log.contains("warning:") {
        bad = bisect::culprits(tree, &shim_dir, text)?;
    }
    if bad.is_empty() && (!ok || log.contains("warning:") || log.contains("error:")) {
        bail!(
            "wrappers.c does not compile cleanly with the kernel's Kbuild: {}",
            kbuild::first_diagnostic(&log)
        );
    }
    Ok(bad)
}

/// Compiles the shims, which must build cleanly as they are: they are
/// hand-written, so any diagnostic in them is the author's to fix.
pub fn check_shims(tree: &Tree, shim: &Shim) -> Result<()> {
    let shim_dir = shim.dir.canonicalize()?;
    let (log, ok) = kbuild::compile(tree, &shim_dir, &shim_sources(shim)?)?;
    let diagnostic = log
        .lines()
        .find(|l| l.contains("error:") || l.contains("warning:"))
        .map(str::to_string);
    if let Some(line) = diagnostic.or_else(|| (!ok).then(|| kbuild::first_diagnostic(&log))) {
        bail!(
            "the shims in shim/ do not compile cleanly for this kernel: {}",
            line.trim()
                .replace(&format!("{}/", shim_dir.display()), "shim/")
        );
    }
    Ok(())
}

/// Names of wrappers (without suffix) that a diagnostic points at: by
/// `wrappers.c:LINE` or by `In function 'X__extern'`.
fn complained_about(log: &str, wrappers: &str) -> BTreeSet<String> {
    let lines: Vec<&str> = wrappers.lines().collect();
    let mut bad = BTreeSet::new();
    let marker = format!("{WRAPPERS_FILE}:");
    for l in log.lines() {
        for (i, _) in l.match_indices(&marker) {
            let rest = &l[i + marker.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<usize>() {
                if let Some(name) = n
                    .checked_sub(1)
                    .and_then(|i| lines.get(i))
                    .and_then(|l| wrapper_name(l))
                {
                    bad.insert(name);
                }
            }
        }
        if let Some(name) = objtool_function(l) {
            bad.insert(name);
        }
        if let Some(offset) = l
            .split("objtool: .altinstr_replacement+0x")
            .nth(1)
            .and_then(|r| r.split(':').next())
        {
            bad.extend(alternative_users(log, offset));
        }
        if let Some(name) = l
            .split(['‘', '’', '\''])
            .nth(1)
            .and_then(|n| n.strip_suffix(WRAPPER_SUFFIX))
            .filter(|_| l.contains("In function"))
        {
            bad.insert(name.to_string());
        }
    }
    bad
}

/// `wrappers.o: warning: objtool: name__extern+0xc: ...` -> `name`.
fn objtool_function(line: &str) -> Option<String> {
    let rest = line.split("objtool: ").nth(1)?;
    let symbol = rest.split(['+', '(', ':']).next()?;
    let name = symbol.strip_suffix(WRAPPER_SUFFIX)?;
    (!name.is_empty()).then(|| name.to_string())
}

/// The wrappers whose alternatives have their replacement code at `offset`
/// (hex) of `.altinstr_replacement`, from the `.rela.altinstructions`
/// listing of `readelf -rW` in the log. Each entry's original-site
/// relocation (naming the function's section `.text.<name>__extern`) comes 4
/// bytes before its replacement relocation. objtool may name an instruction
/// inside a replacement, so the replacement starting closest before `offset`
/// is taken; entries starting at the same place (an empty replacement next
/// to a real one) are all taken: dropping one wrapper too many is harmless.
fn alternative_users(log: &str, offset: &str) -> BTreeSet<String> {
    let Ok(offset) = u64::from_str_radix(offset.trim(), 16) else {
        return BTreeSet::new();
    };
    let mut entries: Vec<(u64, String)> = Vec::new();
    let mut in_section = false;
    let mut previous: Option<(u64, String)> = None;
    for line in log.lines() {
        if line.starts_with("Relocation section") {
            in_section = line.contains("'.rela.altinstructions'");
            previous = None;
            continue;
        }
        if !in_section {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(at) = fields.first().and_then(|f| u64::from_str_radix(f, 16).ok()) else {
            continue;
        };
        let target = fields.get(4).copied().unwrap_or("");
        let addend = fields.get(6).and_then(|a| u64::from_str_radix(a, 16).ok());
        if let (".altinstr_replacement", Some(addend), Some((prev_at, prev_target))) =
            (target, addend, &previous)
        {
            if prev_at + 4 == at {
                if let Some(name) = prev_target
                    .strip_prefix(".text.")
                    .and_then(|t| t.strip_suffix(WRAPPER_SUFFIX))
                {
                    entries.push((addend, name.to_string()));
                }
            }
        }
        previous = Some((at, target.to_string()));
    }
    let Some(start) = entries
        .iter()
        .map(|(a, _)| *a)
        .filter(|a| *a <= offset)
        .max()
    else {
        return BTreeSet::new();
    };
    entries
        .into_iter()
        .filter(|(a, _)| *a == start)
        .map(|(_, n)| n)
        .collect()
}

/// Wrappers whose assembly the assembler rejects: messages name lines of
/// `wrappers-plain.s`; the function is the closest `<name>__extern:` label
/// above.
fn assembler_culprits(asm: &str, messages: &str) -> BTreeSet<String> {
    let lines: Vec<&str> = asm.lines().collect();
    let marker = "-plain.s:";
    let mut bad = BTreeSet::new();
    for m in messages.lines() {
        let Some(i) = m.find(marker) else { continue };
        let digits: String = m[i + marker.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let Ok(n) = digits.parse::<usize>() else {
            continue;
        };
        let label = lines[..n.min(lines.len())].iter().rev().find_map(|l| {
            l.strip_suffix(':')
                .and_then(|l| l.strip_suffix(WRAPPER_SUFFIX))
                .filter(|name| !name.starts_with(['.', '\t', ' ']))
        });
        if let Some(name) = label {
            bad.insert(name.to_string());
        }
    }
    bad
}

fn shim_sources(shim: &Shim) -> Result<Vec<(String, String)>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&shim.dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "c") {
            names.push(
                path.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    names.sort();
    // One translation unit (shim.h is include-guarded): the kernel's
    // headers are parsed once, not once per shim file, which was a quarter
    // of gen's CPU time. gcc still names the shim file of a diagnostic.
    let text: String = names
        .iter()
        .map(|n| format!("#include \"{n}\"\n"))
        .collect();
    Ok(vec![(SHIMS_FILE.to_string(), text)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complaints() {
        let wrappers = "#include <x.h>\nint a__extern(void);\nint a__extern(void) { return a(); }\nint b__extern(void) { return b(); }\n";
        let log = "In function 'c',\n    inlined from 'b__extern' at wrappers.c:4:1:\nx.h:1:1: error: bad\nwrappers.c:2:5: warning: w\n";
        let bad = complained_about(log, wrappers);
        assert_eq!(bad.into_iter().collect::<Vec<_>>(), ["a", "b"]);
        // gcc-10 quotes with U+2018/U+2019 even under LC_ALL=C.
        let log = "x.h: In function \u{2018}c__extern\u{2019}:\nx.h:1:1: error: bad\n";
        let bad = complained_about(log, wrappers);
        assert_eq!(bad.into_iter().collect::<Vec<_>>(), ["c"]);
    }

    #[test]
    fn assembler() {
        let asm = "\t.text\nfoo__extern:\n\tnop\n\tbtl %edi\nbar__extern:\n\tret\n";
        let messages =
            "w-plain.s: Assembler messages:\nw-plain.s:4: Error: bad memory operand `%edi'\n";
        let bad = assembler_culprits(asm, messages);
        assert_eq!(bad.into_iter().collect::<Vec<_>>(), ["foo"]);
    }

    #[test]
    fn objtool() {
        let log = "wrappers.o: warning: objtool: stac__extern+0xc: return with UACCESS enabled\n\
                   wrappers.o: warning: objtool: .altinstr_replacement+0x446: redundant UACCESS disable\n\
                   Relocation section '.rela.altinstructions' at offset 0x1 contains 4 entries:\n\
                   \x20   Offset             Info             Type               Symbol's Value  Symbol's Name + Addend\n\
                   0000000000000f7a  00000ac400000002 R_X86_64_PC32          0000000000000000 .text.clac__extern + 19\n\
                   0000000000000f7e  000000b400000002 R_X86_64_PC32          0000000000000000 .altinstr_replacement + 446\n\
                   0000000000000f88  00000ac400000002 R_X86_64_PC32          0000000000000000 .text.other__extern + 19\n\
                   0000000000000f8c  000000b400000002 R_X86_64_PC32          0000000000000000 .altinstr_replacement + 44b\n\
                   wrappers.o: warning: objtool: .altinstr_replacement+0x44d: redundant UACCESS disable\n";
        let bad = complained_about(log, "");
        assert_eq!(
            bad.into_iter().collect::<Vec<_>>(),
            ["clac", "other", "stac"]
        );
    }
}
