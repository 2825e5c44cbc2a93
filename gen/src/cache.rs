//! A cache of gen's Kbuild compiles, like ccache's direct mode: a compile
//! whose inputs are all unchanged is not run again, its log, status and
//! objects are taken from the cache. Most of `gen --check`'s time is these
//! compiles (wrappers.c several times over, the shims, layout.c), and
//! between two checks of the same headers nothing they read changes.
//!
//! An entry is found by the full text of what the compile is given (the
//! tree, the Kbuild file, every C file, the make arguments, the identity of
//! the compiler, assembler and objtool binaries) and is used only if every
//! file the compiler read (gcc's dependency list: every header, the
//! kernel's configuration) still has the content it had: anything else is
//! a miss and the compile runs. So a cached result is the result the
//! compile would give; no check is loosened.
//!
//! Off unless the command line enables it (`GEN_CACHE=0` turns it off), so
//! the bindings build script (`make REGEN=1`) never writes outside its
//! `OUT_DIR`.

use std::collections::BTreeMap;
use std::fs;
use std::hash::Hasher;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::UNIX_EPOCH;

use anyhow::{Context, Result};

use crate::tempdir::TempDir;
use crate::tree::Tree;

const VERSION: &str = "gen-compile-cache 1";

static DIR: OnceLock<PathBuf> = OnceLock::new();
/// Per tree (canonical path): the identity of the tools its Kbuild runs.
static TOOLS: Mutex<BTreeMap<PathBuf, String>> = Mutex::new(BTreeMap::new());

/// Turns the cache on, in `dir` (created when first written).
pub fn enable(dir: PathBuf) {
    let _ = DIR.set(dir);
}

/// The cache directory the command line uses: `GEN_CACHE_DIR`, else
/// `<KO_CACHE or RUST_KO_CACHE or $XDG_CACHE_HOME/rust-ko or
/// ~/.cache/rust-ko>/gen-compile` (scripts/lib.sh's `ko_cache`); `None`
/// with `GEN_CACHE=0`.
pub fn default_dir() -> Option<PathBuf> {
    let env = |k| std::env::var_os(k).filter(|v| !v.is_empty());
    if env("GEN_CACHE").is_some_and(|v| v == "0") {
        return None;
    }
    if let Some(dir) = env("GEN_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let base = env("KO_CACHE")
        .or_else(|| env("RUST_KO_CACHE"))
        .map(PathBuf::from)
        .or_else(|| env("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("rust-ko")))
        .or_else(|| env("HOME").map(|d| PathBuf::from(d).join(".cache/rust-ko")))?;
    Some(base.join("gen-compile"))
}

/// Records which compiler the tree's Kbuild runs (the probe's `gcc-12`),
/// so that its compiles can be cached; without it they are not.
pub fn register(tree: &Tree, compiler: &str) {
    if DIR.get().is_none() {
        return;
    }
    let Ok(root) = tree.path.canonicalize() else {
        return;
    };
    let mut tools = String::new();
    let cross = tree.cross_compile().unwrap_or_default();
    let mut paths = vec![
        which(compiler),
        which(&format!("{cross}as")),
        Some(root.join("tools/objtool/objtool")),
    ];
    // The compiler proper, which the driver runs.
    if let Ok(out) = Command::new(compiler)
        .arg("-print-prog-name=cc1")
        .env("LC_ALL", "C")
        .output()
    {
        let cc1 = String::from_utf8_lossy(&out.stdout).trim().to_string();
        paths.push(Some(PathBuf::from(cc1)));
    }
    for path in paths.into_iter().flatten() {
        tools.push_str(&format!("{} {}\n", path.display(), stamp(&path)));
    }
    if let Ok(mut map) = TOOLS.lock() {
        map.insert(root, tools);
    }
}

fn which(command: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(command))
        .find(|p| p.is_file())
}

/// Size and modification time of a binary (or `missing`).
fn stamp(path: &Path) -> String {
    let Ok(meta) = fs::metadata(path) else {
        return "missing".to_string();
    };
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{} {mtime}", meta.len())
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

/// Content hashes already computed by this process: one gen run reads
/// the same headers for every compile it looks up.
static HASHED: Mutex<BTreeMap<PathBuf, String>> = Mutex::new(BTreeMap::new());

/// The content hash of a file, or `absent`.
fn file_hash(path: &Path) -> String {
    if let Some(h) = HASHED.lock().ok().and_then(|m| m.get(path).cloned()) {
        return h;
    }
    let h = match fs::read(path) {
        Ok(bytes) => format!("{:016x}", hash(&bytes)),
        Err(_) => "absent".to_string(),
    };
    if let Ok(mut m) = HASHED.lock() {
        m.insert(path.to_path_buf(), h.clone());
    }
    h
}

/// What identifies a compile: `None` when caching is off or the tree's
/// tools are not known.
pub fn key(
    tree: &Tree,
    kbuild: &str,
    files: &[(String, String)],
    args: &[String],
) -> Option<String> {
    DIR.get()?;
    let root = tree.path.canonicalize().ok()?;
    let tools = TOOLS.lock().ok()?.get(&root)?.clone();
    let mut key = format!(
        "{VERSION}\ntree {}\nrelease {}\nargs {}\nenv\n{}tools\n{tools}Kbuild\n{kbuild}\n",
        root.display(),
        tree.release,
        args.join(" "),
        kbuild_env()
    );
    for (name, text) in files {
        key.push_str(&format!("file {name} {}\n{text}\n", text.len()));
    }
    Some(key)
}

/// The environment Kbuild reads flags and tools from (`KCFLAGS`,
/// `KBUILD_*`, `LLVM`, `PATH`, ...), one `NAME=value` a line.
fn kbuild_env() -> String {
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .filter(|(k, _)| {
            k.starts_with('K')
                || k.starts_with("LLVM")
                || [
                    "PATH", "CC", "CPP", "AS", "LD", "CFLAGS", "CPPFLAGS", "LDFLAGS", "SRCARCH",
                    "SUBARCH", "HOSTCC",
                ]
                .contains(&k.as_str())
        })
        .collect();
    vars.sort();
    vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

/// The recorded probe command of a tree (`kbuild::probe`): the `.cmd`
/// text Kbuild wrote and the directory it was written in, if cached and
/// nothing it was made from has changed (the tree's makefiles and
/// configuration, the headers the probe read, the compiler).
pub fn probe_lookup(tree: &Path, source: &str) -> Option<(String, PathBuf)> {
    let key = probe_key(tree, source);
    let dir = entry_dir(&key)?;
    let tmp = TempDir::new("gen-probe-cache-").ok()?;
    let (log, _) = lookup(&key, tmp.path())?;
    let (probe_dir, text) = log.split_once('\n')?;
    Some((text.to_string(), PathBuf::from(probe_dir))).filter(|_| dir.is_dir())
}

/// Stores what [`probe_lookup`] finds: `text`, the `.cmd` file of the
/// probe object built in `dir`, whose compile ran `compiler`.
pub fn probe_store(
    tree: &Path,
    source: &str,
    dir: &Path,
    object: &str,
    text: &str,
    compiler: &str,
) {
    let key = probe_key(tree, source);
    let _ = (|| -> Result<()> {
        let entry = entry_dir(&key).context("no cache")?;
        let mut deps = dependencies(tree, dir, &[object.to_string()]).context("no deps")?;
        // What Kbuild computes the flags from.
        let srctree = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix("-fmacro-prefix-map=")?.strip_suffix("/="))
            .map(PathBuf::from);
        let arch = crate::kbuild::arch_dir(text);
        for root in std::iter::once(tree.to_path_buf()).chain(srctree) {
            for name in [
                "Makefile",
                ".config",
                ".kernelvariables",
                "scripts/Kbuild.include",
                "scripts/Makefile.compiler",
                "scripts/Makefile.build",
                "scripts/Makefile.lib",
                "scripts/Makefile.modpost",
                "scripts/Makefile.extrawarn",
                "include/config/auto.conf",
            ] {
                deps.push(root.join(name));
            }
            if let Some(arch) = &arch {
                deps.push(root.join(format!("arch/{arch}/Makefile")));
                deps.push(root.join(format!("arch/{arch}/Makefile.postlink")));
            }
        }
        deps.extend(which(compiler));
        if let Ok(out) = Command::new(compiler)
            .arg("-print-prog-name=cc1")
            .env("LC_ALL", "C")
            .output()
        {
            deps.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
        deps.sort();
        deps.dedup();
        let parent = entry.parent().context("cache entry without parent")?;
        fs::create_dir_all(parent)?;
        let staging = TempDir::new_in(parent, ".new-")?;
        let list: String = deps
            .iter()
            .map(|p| format!("{} {}\n", file_hash(p), p.display()))
            .collect();
        fs::write(staging.path().join("deps"), list)?;
        fs::write(
            staging.path().join("log"),
            format!("{}\n{text}", dir.display()),
        )?;
        fs::write(staging.path().join("ok"), "true")?;
        fs::create_dir(staging.path().join("objects"))?;
        fs::write(staging.path().join("key"), &key)?;
        let _ = fs::remove_dir_all(&entry);
        fs::rename(staging.path(), &entry)?;
        forget_old(parent);
        Ok(())
    })();
}

fn probe_key(tree: &Path, source: &str) -> String {
    format!(
        "{VERSION}\nprobe {}\nenv\n{}source\n{source}\n",
        tree.display(),
        kbuild_env()
    )
}

fn entry_dir(key: &str) -> Option<PathBuf> {
    Some(DIR.get()?.join(format!("{:016x}", hash(key.as_bytes()))))
}

/// Set while [`uncached`] runs.
static BYPASS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs `f` with every compile really run (their results still stored):
/// `--check`'s second generation, which proves gen deterministic, proves
/// it of the compiles too rather than of the cache.
pub fn uncached<T>(f: impl FnOnce() -> T) -> T {
    use std::sync::atomic::Ordering;
    let before = BYPASS.swap(true, Ordering::SeqCst);
    let out = f();
    BYPASS.store(before, Ordering::SeqCst);
    out
}

/// A cached compile of `key`, its objects copied into `dir`: (log, ok).
pub fn lookup(key: &str, dir: &Path) -> Option<(String, bool)> {
    if BYPASS.load(std::sync::atomic::Ordering::SeqCst) {
        return None;
    }
    let entry = entry_dir(key)?;
    if fs::read_to_string(entry.join("key")).ok()? != key {
        return None;
    }
    // Every file the compiler read, as it was.
    let deps = fs::read_to_string(entry.join("deps")).ok()?;
    for line in deps.lines() {
        let (h, path) = line.split_once(' ')?;
        if file_hash(Path::new(path)) != h {
            return None;
        }
    }
    // Used: kept for another MAX_AGE (see `forget_old`).
    if let Ok(file) = fs::File::options().append(true).open(entry.join("key")) {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
    let log = fs::read_to_string(entry.join("log")).ok()?;
    let ok = fs::read_to_string(entry.join("ok")).ok()? == "true";
    for object in fs::read_dir(entry.join("objects")).ok()? {
        let object = object.ok()?;
        fs::copy(object.path(), dir.join(object.file_name())).ok()?;
    }
    Some((log, ok))
}

/// The files a compile in `dir` read, from gcc's dependency files (kept
/// as `.<obj>.d` when the compile failed, folded into `.<obj>.cmd` by
/// Kbuild's fixdep when it succeeded); `None` if an object has neither.
fn dependencies(tree: &Path, dir: &Path, objects: &[String]) -> Option<Vec<PathBuf>> {
    let mut deps = vec![
        // fixdep replaces these by per-option stamps: read them whole.
        tree.join("include/generated/autoconf.h"),
        tree.join("include/config/auto.conf"),
    ];
    for object in objects {
        let d = dir.join(format!(".{object}.d"));
        let cmd = dir.join(format!(".{object}.cmd"));
        let text = fs::read_to_string(&d)
            .or_else(|_| fs::read_to_string(&cmd))
            .ok()?;
        let list = match text.split_once("deps_") {
            Some((_, rest)) if !d.exists() => rest.split_once(":=")?.1.to_string(),
            _ => text.split_once(": ")?.1.to_string(),
        };
        let list = list.split("\n\n").next().unwrap_or("");
        let mut wildcard = false;
        for word in list.split_whitespace() {
            if word == "\\" {
                continue;
            }
            if word.starts_with("$(wildcard") {
                wildcard = true;
                continue;
            }
            if wildcard {
                wildcard = !word.ends_with(')');
                continue;
            }
            if word.starts_with('$') || word.ends_with(':') {
                break;
            }
            let path = if word.starts_with('/') {
                PathBuf::from(word)
            } else {
                tree.join(word)
            };
            // The C files themselves are in the key.
            if !path.starts_with(dir) {
                deps.push(path);
            }
        }
    }
    deps.sort();
    deps.dedup();
    Some(deps)
}

/// Stores the compile of `key` that ran in `dir`: the log, the status and
/// the files `keep` of `dir`, valid while the files the compiles of
/// `targets` read are unchanged. Failing to store is not an error (the
/// cache only saves time); an entry appears whole or not at all (written
/// aside, then renamed).
pub fn store(
    key: &str,
    tree: &Tree,
    dir: &Path,
    targets: &[String],
    keep: &[String],
    log: &str,
    ok: bool,
) {
    let _ = try_store(key, tree, dir, (targets, keep), log, ok);
}

fn try_store(
    key: &str,
    tree: &Tree,
    dir: &Path,
    (targets, keep): (&[String], &[String]),
    log: &str,
    ok: bool,
) -> Result<()> {
    let Some(entry) = entry_dir(key) else {
        return Ok(());
    };
    let root = tree.path.canonicalize()?;
    let Some(deps) = dependencies(&root, dir, targets) else {
        return Ok(());
    };
    let parent = entry.parent().context("cache entry without parent")?;
    fs::create_dir_all(parent)?;
    let staging = TempDir::new_in(parent, ".new-")?;
    let mut list = String::new();
    for path in &deps {
        list.push_str(&format!("{} {}\n", file_hash(path), path.display()));
    }
    fs::write(staging.path().join("deps"), list)?;
    fs::write(staging.path().join("log"), log)?;
    fs::write(staging.path().join("ok"), if ok { "true" } else { "false" })?;
    let objdir = staging.path().join("objects");
    fs::create_dir(&objdir)?;
    for object in keep {
        match fs::copy(dir.join(object), objdir.join(object)) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    fs::write(staging.path().join("key"), key)?;
    let _ = fs::remove_dir_all(&entry);
    fs::rename(staging.path(), &entry)?;
    forget_old(parent);
    Ok(())
}

/// Entries not used for this long are removed (a Debian update replaces
/// the headers, and with them every key).
const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// Removes the entries of `dir` unused for [`MAX_AGE`], and staging
/// directories of runs that were killed.
fn forget_old(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if crate::tempdir::pid_of_stale(&name, ".new-").is_some() {
            let _ = fs::remove_dir_all(&path);
            continue;
        }
        let age = fs::metadata(path.join("key"))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok());
        if age.is_some_and(|a| a > MAX_AGE) {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_from_d_and_cmd_files() {
        let dir = std::env::temp_dir().join(format!("gen-cache-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let tree = Path::new("/k");
        // A failed compile: gcc's own list.
        fs::write(
            dir.join(".a.o.d"),
            format!(
                "a.o: {}/a.c \\\n /k/include/x.h \\\n include/generated/y.h\n",
                dir.display()
            ),
        )
        .unwrap();
        // A built one: fixdep's, with per-option stamps.
        fs::write(
            dir.join(".b.o.cmd"),
            format!(
                "savedcmd_b.o := gcc -c -o b.o b.c\n\nsource_b.o := b.c\n\ndeps_b.o := \\\n  \
                 /k/include/z.h \\\n    $(wildcard include/config/FOO) \\\n  {}/b.h \\\n\n\
                 b.o: $(deps_b.o)\n\n$(deps_b.o):\n",
                dir.display()
            ),
        )
        .unwrap();
        let deps = dependencies(tree, &dir, &["a.o".into(), "b.o".into()]).unwrap();
        let deps: Vec<String> = deps.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            deps,
            [
                "/k/include/config/auto.conf",
                "/k/include/generated/autoconf.h",
                "/k/include/generated/y.h",
                "/k/include/x.h",
                "/k/include/z.h",
            ]
        );
        assert!(dependencies(tree, &dir, &["c.o".into()]).is_none());
        fs::remove_dir_all(&dir).unwrap();
    }
}
