//! The compile command Kbuild recorded, translated for clang (libclang,
//! through bindgen): the flags that change how headers are parsed are kept,
//! with machine paths written as `$(srctree)`/`$(objtree)`; warnings, code
//! generation and GCC-only flags are dropped.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::generate::GENERATED;

/// Placeholders used in the recorded flags instead of machine paths.
pub const SRCTREE: &str = "$(srctree)";
pub const OBJTREE: &str = "$(objtree)";
/// The compiler's own header directory (`stddef.h`, `stdarg.h`): older
/// kernels (5.10) pass gcc's (`-isystem $(gcc -print-file-name=include)`)
/// after `-nostdinc`; libclang is given its own builtin headers instead.
pub const CC_INCLUDE: &str = "$(cc-include)";

#[derive(Debug, Clone)]
pub struct Flags {
    /// The compiler Kbuild ran, e.g. `gcc-12`.
    pub compiler: String,
    /// The flags kept for clang, paths written with `$(srctree)`/`$(objtree)`.
    pub portable: Vec<String>,
    /// The GCC flags dropped because they do not change how C is parsed
    /// (warnings, code generation, GCC-only options).
    pub dropped: Vec<String>,
    objtree: PathBuf,
    srctree: PathBuf,
}

impl Flags {
    /// clang-args.txt: the arguments gen gives libclang, one per line.
    pub fn render(&self, target: &str) -> String {
        let mut out = format!("# {GENERATED}\n");
        out.push_str(
            "# The clang arguments gen passed to libclang, one per line, translated from the\n\
             # compile command the kernel's Kbuild recorded for a one-file module.\n\
             # $(srctree)/$(objtree): the kernel source/build trees; $(shim): the kernel-bindings crate's shim/.\n",
        );
        out.push_str(&format!("{target}\n-w\n"));
        for a in &self.portable {
            out.push_str(a);
            out.push('\n');
        }
        out.push_str("-I$(shim)\n");
        out.push_str(&format!(
            "# Dropped (warnings, code generation, GCC-only), from `{}`:\n",
            self.compiler
        ));
        for d in &self.dropped {
            out.push_str(&format!("#   {d}\n"));
        }
        out
    }

    /// The kept flags with real paths, for libclang (`cc_include`: its
    /// builtin headers, see [`CC_INCLUDE`]).
    pub fn clang_args(&self, cc_include: &Path) -> Vec<String> {
        let obj = self.objtree.to_string_lossy();
        let src = self.srctree.to_string_lossy();
        let cc = cc_include.to_string_lossy();
        self.portable
            .iter()
            .map(|a| {
                a.replace(OBJTREE, &obj)
                    .replace(SRCTREE, &src)
                    .replace(CC_INCLUDE, &cc)
            })
            .collect()
    }
}

/// The compile command in a `.o.cmd` file: the `cmd_...` (or, since 6.3,
/// `savedcmd_...`) assignment, up to the first `;` (objtool follows).
pub fn recorded_command(text: &str) -> Option<Vec<String>> {
    let line = text
        .lines()
        .find(|l| (l.starts_with("cmd_") || l.starts_with("savedcmd_")) && l.contains(":="))?;
    let (_, command) = line.split_once(":=")?;
    let words = shell_words(command);
    let end = words.iter().position(|w| w == ";").unwrap_or(words.len());
    let words = words[..end].to_vec();
    (!words.is_empty()).then_some(words)
}

/// Splits a shell command into words (quotes, backslashes; a lone `;` is a word).
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        _ => cur.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            ';' if !in_word => words.push(";".to_string()),
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Options kept for clang: those that change how headers are parsed
/// (include paths, macros, language standard, target features that set
/// predefined macros or type layouts). Everything else is dropped.
const KEEP_EXACT: &[&str] = &[
    "-nostdinc",
    "-m64",
    "-m32",
    "-mno-sse",
    "-mno-sse2",
    "-mno-mmx",
    "-mno-3dnow",
    "-mno-avx",
    "-mno-80387",
    "-mno-red-zone",
    "-msoft-float",
    "-mgeneral-regs-only",
    "-mlittle-endian",
    "-fshort-wchar",
    "-funsigned-char",
    "-fsigned-char",
    "-fno-PIE",
    "-fno-pie",
    "-fms-extensions",
    "-O1",
    "-O2",
    "-O3",
    "-Os",
];
const KEEP_PREFIX: &[&str] = &["-std=", "-mcmodel=", "-fcf-protection", "-mregparm="];
/// Per-object macros of the probe module: meaningless for other modules.
const DROP_DEFINES: &[&str] = &["KBUILD_BASENAME", "KBUILD_MODNAME", "__KBUILD_MODNAME"];

pub fn translate(words: &[String], objtree: &Path, probe_dir: &Path) -> Result<Flags> {
    let compiler = words[0].clone();
    // Since 6.13 the prefix map of an external module names its own
    // directory (`$(srcroot)`); Debian's objtree Makefile includes the
    // source tree's.
    let srctree = words
        .iter()
        .find_map(|w| w.strip_prefix("-fmacro-prefix-map=")?.strip_suffix("/="))
        .map(PathBuf::from)
        .and_then(|p| p.canonicalize().ok())
        .filter(|p| !p.starts_with(probe_dir))
        .or_else(|| included_source_tree(objtree))
        .unwrap_or_else(|| objtree.to_path_buf());
    let paths = PathMap {
        objtree,
        srctree: &srctree,
    };
    let mut portable = Vec::new();
    let mut dropped = Vec::new();
    let mut it = words[1..].iter();
    while let Some(w) = it.next() {
        let w = w.as_str();
        // Options taking a path, attached or as the next word.
        if let Some((opt, attached)) = ["-I", "-isystem", "-include", "-iquote"]
            .iter()
            .find_map(|o| w.strip_prefix(o).map(|rest| (*o, rest)))
        {
            if opt == "-I" || attached.is_empty() {
                let value = if attached.is_empty() {
                    it.next()
                        .context("option without a value in Kbuild flags")?
                } else {
                    attached
                };
                if opt == "-I" {
                    portable.push(format!("-I{}", paths.portable(value)?));
                } else {
                    portable.push(opt.to_string());
                    portable.push(paths.portable(value)?);
                }
                continue;
            }
        }
        if let Some(def) = w.strip_prefix("-D").or_else(|| w.strip_prefix("-U")) {
            let def = if def.is_empty() {
                it.next().context("-D without a value in Kbuild flags")?
            } else {
                def
            };
            let name = def.split('=').next().unwrap_or(def);
            if DROP_DEFINES.contains(&name) {
                dropped.push(format!("{}{def}", &w[..2]));
            } else {
                portable.push(format!("{}{def}", &w[..2]));
            }
            continue;
        }
        if w == "-o" {
            it.next();
            continue;
        }
        if w == "-c" || w.starts_with("-Wp,") || w.starts_with(probe_dir.to_str().unwrap_or("\0")) {
            continue;
        }
        if KEEP_EXACT.contains(&w) || KEEP_PREFIX.iter().any(|p| w.starts_with(p)) {
            portable.push(w.to_string());
        } else {
            dropped.push(w.to_string());
        }
    }
    for arg in portable.iter().chain(&dropped) {
        if arg.contains(probe_dir.to_str().unwrap_or("\0")) {
            bail!("unexpected Kbuild flag naming the probe directory: {arg}");
        }
    }
    // Dropped flags are recorded too; machine paths must not leak there.
    let dropped = dropped
        .into_iter()
        .map(|d| paths.portable_in_flag(&d))
        .collect();
    Ok(Flags {
        compiler,
        portable,
        dropped,
        objtree: objtree.to_path_buf(),
        srctree,
    })
}

struct PathMap<'a> {
    objtree: &'a Path,
    srctree: &'a Path,
}

impl PathMap<'_> {
    /// `./include` or `/usr/src/linux-headers-X-common/include` ->
    /// `$(objtree)/include` or `$(srctree)/include`.
    fn portable(&self, value: &str) -> Result<String> {
        let path = self.objtree.join(value);
        let path = path.canonicalize().unwrap_or(path);
        for (root, name) in [(self.objtree, OBJTREE), (self.srctree, SRCTREE)] {
            if let Ok(rest) = path.strip_prefix(root) {
                let rest = rest.to_string_lossy();
                return Ok(if rest.is_empty() {
                    name.to_string()
                } else {
                    format!("{name}/{rest}")
                });
            }
        }
        if is_compiler_include(&path) {
            return Ok(CC_INCLUDE.to_string());
        }
        bail!(
            "Kbuild flags use a path outside the kernel tree ({value}); gen cannot record it portably"
        )
    }

    /// Replaces tree paths inside a dropped flag such as
    /// `-fmacro-prefix-map=/usr/src/...-common/=`.
    fn portable_in_flag(&self, flag: &str) -> String {
        let src = self.srctree.to_string_lossy();
        let obj = self.objtree.to_string_lossy();
        flag.replace(&*src, SRCTREE).replace(&*obj, OBJTREE)
    }
}

/// The tree Debian's objtree Makefile includes (`include <srctree>/Makefile`).
fn included_source_tree(objtree: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(objtree.join("Makefile")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("include ")?.trim().strip_suffix("/Makefile"))
        .and_then(|p| PathBuf::from(p).canonicalize().ok())
}

/// gcc's own header directory, `.../lib/gcc/<triple>/<version>/include`.
fn is_compiler_include(path: &Path) -> bool {
    let parts: Vec<_> = path.components().rev().take(5).collect();
    matches!(parts.as_slice(), [inc, _, _, gcc, _]
        if inc.as_os_str() == "include" && gcc.as_os_str() == "gcc")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(
            shell_words(r#"gcc -DX='"t"' -c a.c   ; objtool"#),
            ["gcc", r#"-DX="t""#, "-c", "a.c", ";", "objtool"]
        );
    }

    #[test]
    fn recorded() {
        let cmd =
            recorded_command("savedcmd_/x/t.o := gcc -O2 -c -o /x/t.o /x/t.c ; objtool\n").unwrap();
        assert_eq!(cmd, ["gcc", "-O2", "-c", "-o", "/x/t.o", "/x/t.c"]);
    }
}
