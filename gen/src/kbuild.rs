//! Running the kernel's own Kbuild in throwaway external-module
//! directories: to learn its C flags, and to compile generated C with them.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::cache;
use crate::flags::{self, Flags};
use crate::tempdir::TempDir;
use crate::toolchain;
use crate::tree::Tree;

const PROBE: &str = "genprobe";

/// `GEN_VERBOSE=1` prints the Kbuild and assembler logs gen reads.
fn verbose() -> bool {
    std::env::var_os("GEN_VERBOSE").is_some_and(|v| v != "0")
}

/// `make -C <path> M=<dir> <targets>` with a neutral environment, for the
/// tree's arch: `ARCH` and, cross-building, `CROSS_COMPILE` (Debian's
/// trees force ARCH themselves but leave the compiler prefix to the caller).
fn make(tree: &Tree, path: &Path, dir: &Path) -> Result<Command> {
    let mut cmd = Command::new("make");
    cmd.arg("-C")
        .arg(path)
        .arg(format!("M={}", dir.display()))
        .arg(format!("ARCH={}", tree.target()?.kbuild))
        .arg(format!("CROSS_COMPILE={}", tree.cross_compile()?))
        .env("LC_ALL", "C")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .stdin(Stdio::null());
    Ok(cmd)
}

/// A binutils tool for the tree's arch (`objcopy`, or cross
/// `aarch64-linux-gnu-objcopy`): the host's build only knows its own arch.
pub fn binutil(tree: &Tree, tool: &str) -> Result<String> {
    Ok(format!("{}{tool}", tree.cross_compile()?))
}

/// Builds `genprobe.o` in a temporary external-module directory with
/// `make -C <tree> M=<tmp>` and reads the command Kbuild recorded in
/// `.genprobe.o.cmd`.
pub fn probe(tree: &Tree) -> Result<Flags> {
    let objtree = tree
        .path
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", tree.path.display()))?;
    let source = "int genprobe(void);\nint genprobe(void)\n{\n\treturn 0;\n}\n";
    let cache_source = format!(
        "{source}ARCH={} CROSS_COMPILE={}\n",
        tree.target()?.kbuild,
        tree.cross_compile()?
    );
    if let Some((text, dir)) = cache::probe_lookup(&objtree, &cache_source) {
        if let Some(command) = flags::recorded_command(&text) {
            return flags::translate(&command, &objtree, &dir);
        }
    }
    let dir = TempDir::new("gen-kbuild-")?;
    fs::write(dir.path().join("Kbuild"), format!("obj-m := {PROBE}.o\n"))?;
    fs::write(dir.path().join(format!("{PROBE}.c")), source)?;
    let output = make(tree, &objtree, dir.path())?
        .arg(format!("{PROBE}.o"))
        .output()
        .context("cannot run make (install it: sudo apt-get install make)")?;
    if !output.status.success() {
        bail!(
            "{}",
            probe_failure(tree, &String::from_utf8_lossy(&output.stderr))
        );
    }
    let cmd_file = dir.path().join(format!(".{PROBE}.o.cmd"));
    let text = fs::read_to_string(&cmd_file)
        .with_context(|| format!("Kbuild of {} wrote no {PROBE}.o.cmd", tree.path.display()))?;
    let command = flags::recorded_command(&text)
        .with_context(|| format!("no compile command in {}", cmd_file.display()))?;
    let flags = flags::translate(&command, &objtree, dir.path())?;
    cache::probe_store(
        &objtree,
        &cache_source,
        dir.path(),
        &format!("{PROBE}.o"),
        &text,
        &command[0],
    );
    Ok(flags)
}

/// The `arch/<dir>` a recorded compile command includes from
/// (`-I.../arch/x86/include`).
pub fn arch_dir(command: &str) -> Option<String> {
    command.split_whitespace().find_map(|w| {
        let rest = w.strip_prefix("-I")?;
        let (_, after) = rest.rsplit_once("/arch/")?;
        let (arch, tail) = after.split_once('/')?;
        (tail == "include").then(|| arch.to_string())
    })
}

/// Why the probe failed, in one line: the compiler's (or Kbuild's) first
/// error, and when the tree's compiler or another tool is not installed,
/// the package that provides it.
fn probe_failure(tree: &Tree, log: &str) -> String {
    let what = format!(
        "Kbuild of {} failed to compile a one-file test module: {}",
        tree.path.display(),
        first_diagnostic(log)
    );
    match toolchain::missing_command(log) {
        Some(command) => format!("{what}; {}", toolchain::install_advice(&command)),
        None => what,
    }
}

/// Compiles C files with the tree's own Kbuild (gcc and the kernel's flags,
/// plus `-I<shim>` as a module build uses it, and `-ffunction-sections
/// -fdata-sections` so that each wrapper's code and tables sit in sections
/// named after it, which lets objtool's messages and `.altinstructions`
/// relocations be traced to one wrapper) in a temporary directory, one
/// object per file, continuing
/// after errors. Returns the build log (stdout and stderr) and whether every
/// object was built. When objtool names an alternative's replacement code
/// rather than a function, the objects' relocations (`readelf -rW`) are
/// appended to the log so the caller can find the function.
pub fn compile(tree: &Tree, shim_dir: &Path, files: &[(String, String)]) -> Result<(String, bool)> {
    compile_keeping(tree, shim_dir, files, false).map(|(log, ok, _)| (log, ok))
}

/// [`compile`], also returning the build directory (with the objects).
pub fn compile_in(
    tree: &Tree,
    shim_dir: &Path,
    files: &[(String, String)],
) -> Result<(String, bool, TempDir)> {
    compile_keeping(tree, shim_dir, files, true)
}

/// The Kbuild file of gen's compiles of `objects`. Each function in its own
/// section: a relocation then names its function (prune's readelf). -g0:
/// gen reads code, relocations and data, never debug info, and gcc's code
/// does not depend on -g (a quarter of wrappers.c's compile time is
/// Debian's DWARF).
fn kbuild_file(objects: &[String], shim_dir: &Path) -> String {
    format!(
        "obj-m := {}\nccflags-y := -I{} -ffunction-sections -fdata-sections -g0\n",
        objects.join(" "),
        shim_dir.display()
    )
}

/// [`compile_in`]; without `objects`, a result taken from the cache comes
/// without the objects (nobody reads them), and the cache keeps none.
fn compile_keeping(
    tree: &Tree,
    shim_dir: &Path,
    files: &[(String, String)],
    objects_wanted: bool,
) -> Result<(String, bool, TempDir)> {
    let dir = TempDir::new("gen-compile-")?;
    let objects: Vec<String> = files
        .iter()
        .map(|(name, _)| name.trim_end_matches(".c").to_string() + ".o")
        .collect();
    let kbuild = kbuild_file(&objects, shim_dir);
    fs::write(dir.path().join("Kbuild"), &kbuild)?;
    for (name, text) in files {
        fs::write(dir.path().join(name), text)?;
    }
    let mode = if objects_wanted { "objects" } else { "log" };
    let key = cache::key(tree, &kbuild, files, &["-k".to_string(), mode.to_string()]);
    if let Some((log, ok)) = key.as_deref().and_then(|k| cache::lookup(k, dir.path())) {
        if verbose() {
            crate::progress::diagnostic(&format!("gen: Kbuild log (cached):\n{log}"));
        }
        return Ok((log, ok, dir));
    }
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let output = crate::progress::timed(&format!("make {}", objects.join(" ")), || {
        make(tree, &tree.path, dir.path())?
            .arg("-k")
            .arg(format!("-j{jobs}"))
            .args(&objects)
            .output()
            .context("cannot run make (install it: sudo apt-get install make)")
    })?;
    let mut log = String::from_utf8_lossy(&output.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&output.stderr));
    if log.contains(".altinstr_replacement+") {
        // An objtool that crashed after its warning (5.10's does) left no
        // object to read: build it again without objtool.
        if objects.iter().any(|o| !dir.path().join(o).exists()) {
            make(tree, &tree.path, dir.path())?
                .arg("-k")
                .arg("OBJECT_FILES_NON_STANDARD=y")
                .args(&objects)
                .output()
                .context("cannot run make (install it: sudo apt-get install make)")?;
        }
        for object in &objects {
            let relocs = Command::new("readelf")
                .arg("-rW")
                .arg(dir.path().join(object))
                .env("LC_ALL", "C")
                .output()
                .context("cannot run readelf (install binutils)")?;
            log.push_str(&String::from_utf8_lossy(&relocs.stdout));
        }
    }
    // Report file names relative to the build directory.
    let log = log.replace(&format!("{}/", dir.path().display()), "");
    if verbose() {
        crate::progress::diagnostic(&format!("gen: Kbuild log:\n{log}"));
    }
    let ok = output.status.success();
    if let Some(key) = &key {
        let keep = if objects_wanted { &objects[..] } else { &[] };
        cache::store(key, tree, dir.path(), &objects, keep, &log, ok);
    }
    Ok((log, ok, dir))
}

/// For assembler errors, which name no C function: compiles `file` to
/// assembly with the tree's Kbuild, drops the line directives (so the
/// assembler reports lines of the `.s` file rather than of a header) and
/// assembles it. Returns the assembly text and the assembler's messages.
pub fn assembler_messages(
    tree: &Tree,
    shim_dir: &Path,
    (name, text): &(String, String),
) -> Result<(String, String)> {
    let dir = TempDir::new("gen-asm-")?;
    let stem = name.trim_end_matches(".c");
    let kbuild = kbuild_file(&[format!("{stem}.o")], shim_dir);
    fs::write(dir.path().join("Kbuild"), &kbuild)?;
    fs::write(dir.path().join(name), text)?;
    let plain = dir.path().join(format!("{stem}-plain.s"));
    let key = cache::key(
        tree,
        &kbuild,
        &[(name.clone(), text.clone())],
        &[format!("{stem}.s"), "as".to_string()],
    );
    if let Some((messages, _)) = key.as_deref().and_then(|k| cache::lookup(k, dir.path())) {
        if let Ok(asm) = fs::read_to_string(&plain) {
            return Ok((asm, messages));
        }
    }
    let status = make(tree, &tree.path, dir.path())?
        .arg(format!("{stem}.s"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("cannot run make")?;
    let asm_path = dir.path().join(format!("{stem}.s"));
    if !status.success() || !asm_path.is_file() {
        bail!("Kbuild could not compile {name} to assembly");
    }
    let asm: String = fs::read_to_string(&asm_path)?
        .lines()
        .filter(|l| {
            // `.loc`/`.file` and the `# 376 "percpu.h" 1` line markers
            // gcc puts around inline asm make gas report header lines.
            let t = l.trim_start();
            let marker = t
                .strip_prefix("# ")
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
            !(t.starts_with(".loc") || t.starts_with(".file") || marker)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&plain, &asm)?;
    let mut assembler = Command::new(binutil(tree, "as")?);
    if tree.arch == "x86_64" {
        assembler.arg("--64");
    }
    let output = assembler
        .arg("-o")
        .arg("/dev/null")
        .arg(&plain)
        .env("LC_ALL", "C")
        .output()
        .context("cannot run as (install binutils)")?;
    let messages =
        String::from_utf8_lossy(&output.stderr).replace(&format!("{}/", dir.path().display()), "");
    if verbose() {
        crate::progress::diagnostic(&format!("gen: assembler messages:\n{messages}"));
    }
    if let Some(key) = &key {
        let kept = format!("{stem}-plain.s");
        cache::store(
            key,
            tree,
            dir.path(),
            &[format!("{stem}.s")],
            &[kept],
            &messages,
            true,
        );
    }
    Ok((asm, messages))
}

/// The line of a compiler/Kbuild log worth quoting: the first error, else
/// the first warning, else the last line that is not make's bookkeeping (a
/// failed recipe's `*** [...] Error N` only says that something above failed).
pub fn first_diagnostic(log: &str) -> String {
    log.lines()
        .find(|l| l.contains("error:"))
        .or_else(|| log.lines().find(|l| l.contains("warning:")))
        .or_else(|| {
            log.lines()
                .rfind(|l| !l.trim().is_empty() && !is_make_report(l))
        })
        .or_else(|| log.lines().rfind(|l| !l.trim().is_empty()))
        .unwrap_or("no output")
        .trim()
        .to_string()
}

/// `make[1]: *** [Makefile:255: x.o] Error 127`, `make: Leaving directory ...`.
fn is_make_report(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(who, what)| {
        let make = who == "make" || (who.starts_with("make[") && who.ends_with(']'));
        make && (what.starts_with("*** [")
            || what.starts_with("Entering directory")
            || what.starts_with("Leaving directory"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_diagnostic_skips_make_reports() {
        let log = "make: Entering directory '/k'\n  CC [M]  /m/x.o\n\
                   /bin/sh: 1: gcc-10: not found\n\
                   make[1]: *** [/k/scripts/Makefile.build:255: /m/x.o] Error 127\n\
                   make: *** [/k/Makefile:2065: /m] Error 2\n";
        assert_eq!(first_diagnostic(log), "/bin/sh: 1: gcc-10: not found");
        let log = "x.c:1:1: warning: w\nx.c:2:1: error: e\nmake: *** [x] Error 1\n";
        assert_eq!(first_diagnostic(log), "x.c:2:1: error: e");
        assert_eq!(
            first_diagnostic("make: *** [x] Error 2\n"),
            "make: *** [x] Error 2"
        );
        assert_eq!(first_diagnostic(""), "no output");
    }
}
