//! Fake kernel header trees and a fake shim directory for gen's tests, in
//! temporary directories. The fake tree's Makefile plays Kbuild: it records a
//! compile command for the probe module and compiles objects with gcc.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Scratch {
    pub path: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "gen-test-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Scratch { path }
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.path.join(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

pub fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

const FAKE_MAKEFILE: &str = r#"# Plays Kbuild for gen's tests.
include $(M)/Kbuild
CC := gcc
FLAGS := -nostdinc -I$(CURDIR)/include -D__KERNEL__ -O2 -Wall $(ccflags-y)

genprobe.o:
	printf '%s\n' "cmd_$(M)/genprobe.o := $(CC) -Wp,-MMD,$(M)/.genprobe.o.d -nostdinc -I./include -D__KERNEL__ -DMODULE -O2 -Wall -fno-common -mno-red-zone -c -o $(M)/genprobe.o $(M)/genprobe.c   ; true" > $(M)/.genprobe.o.cmd

%.o:
	$(CC) $(FLAGS) -c -o $(M)/$@ $(M)/$*.c

%.s:
	$(CC) $(FLAGS) -S -o $(M)/$@ $(M)/$*.c
"#;

/// The fake kernel API every fake tree provides.
pub const FAKE_API: &str = r#"#ifndef FAKE_API_H
#define FAKE_API_H
#define FAKE_SIZE (1UL << 12)
#define EFAKE 14
#define FAKE_LEVEL "\001" "6"
#define ANSWER() 42
struct fake_thing {
	int a;
	long b;
};
struct list_head {
	struct list_head *next, *prev;
};
struct fake_anon {
	int kind;
	union {
		int i;
		long l;
	};
	unsigned int flag:1;
	int type;
};
typedef struct {
	int counter;
} fake_atomic_t;
struct fake_opaque;
extern struct fake_opaque *fake_opaque_get(void);
enum fake_color { FAKE_RED, FAKE_GREEN = 5 };
enum { FAKE_NEG = -2 };
#define FAKE_TEMP 3
#undef FAKE_TEMP
extern int fake_exported(struct fake_thing *t);
static inline int fake_add(int a, int b)
{
	return a + b;
}
static inline int fake_sub(int a, int b)
{
	return a - b;
}
extern void fake_bad(void) __attribute__((error("needs a constant")));
static inline int fake_const_only(int x)
{
	if (!__builtin_constant_p(x))
		fake_bad();
	return x;
}
static inline int fake_const_too(int x)
{
	if (!__builtin_constant_p(x))
		fake_bad();
	return -x;
}
#endif
"#;

/// A struct of the fake API grows by a field in `tree` (a layout change).
pub fn grow_fake_thing(tree: &Path) {
    let api = tree.join("include/fake/api.h");
    let text = fs::read_to_string(&api).unwrap();
    write(
        &api,
        &text.replace(
            "struct fake_thing {\n",
            "struct fake_thing {\n\tlong first;\n",
        ),
    );
}

/// A fake header tree: `release` like `1.2.0-7-fake`, `config` the `.config`.
pub fn fake_tree(
    root: &Path,
    dir: &str,
    release: &str,
    version: (u32, u32, u32),
    config: &str,
) -> PathBuf {
    let tree = root.join(dir);
    write(
        &tree.join("include/generated/utsrelease.h"),
        &format!("#define UTS_RELEASE \"{release}\"\n"),
    );
    let (a, b, c) = version;
    write(
        &tree.join("include/generated/uapi/linux/version.h"),
        &format!(
            "#define LINUX_VERSION_CODE {}\n#define LINUX_VERSION_MAJOR {a}\n#define LINUX_VERSION_PATCHLEVEL {b}\n#define LINUX_VERSION_SUBLEVEL {c}\n",
            (a << 16) + (b << 8) + c.min(255)
        ),
    );
    write(&tree.join(".config"), config);
    write(&tree.join("Makefile"), FAKE_MAKEFILE);
    write(&tree.join("include/fake/api.h"), FAKE_API);
    tree
}

pub const X86_CONFIG: &str = "# fake\nCONFIG_X86_64=y\nCONFIG_CC_VERSION_TEXT=\"gcc (fake) 1.0\"\n";
/// An architecture gen does not generate for.
pub const RISCV_CONFIG: &str = "CONFIG_RISCV=y\nCONFIG_CC_VERSION_TEXT=\"gcc (fake) 1.0\"\n";

/// A shim directory for the fake API.
pub fn fake_shim(root: &Path) -> PathBuf {
    let shim = root.join("shim");
    write(&shim.join("headers.txt"), "# fake\nfake/api.h\n");
    write(
        &shim.join("shim.h"),
        "#include <fake/api.h>\nint rust_shim_answer(void);\n",
    );
    write(
        &shim.join("consts.h"),
        "const unsigned long rust_shim_FAKE_SIZE = FAKE_SIZE;\n",
    );
    write(
        &shim.join("answer.c"),
        "#include \"shim.h\"\nint rust_shim_answer(void)\n{\n\treturn ANSWER();\n}\n",
    );
    shim
}

/// A scratch directory with a search root holding `trees`, a shim dir and
/// a sets dir path (not created).
pub struct Env {
    pub scratch: Scratch,
    pub search: PathBuf,
    pub shim: PathBuf,
    pub sets: PathBuf,
}

impl Env {
    pub fn new(name: &str) -> Env {
        let scratch = Scratch::new(name);
        let search = scratch.join("src");
        fs::create_dir_all(&search).unwrap();
        let shim = fake_shim(&scratch.path);
        let sets = scratch.join("sets");
        Env {
            scratch,
            search,
            shim,
            sets,
        }
    }

    pub fn tree(&self, dir: &str, release: &str, version: (u32, u32, u32)) -> PathBuf {
        fake_tree(&self.search, dir, release, version, X86_CONFIG)
    }

    pub fn gen(&self, args: &[&str]) -> Output {
        self.gen_env(args, &[])
    }

    pub fn gen_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gen"));
        cmd.arg("--search")
            .arg(&self.search)
            .arg("--shim-dir")
            .arg(&self.shim)
            .arg("--sets-dir")
            .arg(&self.sets)
            .args(args)
            // gen's compile cache: the test's own, not the user's.
            .env("GEN_CACHE_DIR", self.scratch.join("gen-cache"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts the run failed with one clear line on stderr and no panic.
pub fn assert_one_line_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "expected failure, got success: {err}"
    );
    assert_eq!(out.status.code(), Some(1), "exit code: {err}");
    assert_eq!(err.lines().count(), 1, "expected one line, got: {err}");
    assert!(err.starts_with("gen: error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

/// All files below `dir` (relative path, bytes), sorted.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A copy of an installed header tree (the first `/lib/modules/*/build`
/// with a `.kernelvariables`) whose `CC` names `gcc-<version>` instead, or
/// `None` when no such tree is installed. Only the arch-specific directory
/// is copied; its Makefile includes the shared `-common` tree by absolute
/// path, and its relative `scripts`/`tools` links are made absolute.
pub fn real_tree_with_gcc(root: &Path, version: &str) -> Option<PathBuf> {
    let original = installed_tree()?;
    let copy = root.join(original.file_name()?);
    let status = Command::new("cp")
        .arg("-a")
        .arg(&original)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success(), "cp -a {}", original.display());
    for entry in fs::read_dir(&copy).unwrap() {
        let link = entry.unwrap().path();
        if fs::read_link(&link).is_ok_and(|t| t.is_relative()) {
            let target = fs::canonicalize(original.join(link.file_name().unwrap())).unwrap();
            fs::remove_file(&link).unwrap();
            std::os::unix::fs::symlink(target, &link).unwrap();
        }
    }
    let variables = copy.join(".kernelvariables");
    let text = fs::read_to_string(&variables).unwrap();
    fs::write(&variables, with_gcc(&text, version)).unwrap();
    Some(copy)
}

/// The installed header tree gen's real-tree tests use, resolved.
fn installed_tree() -> Option<PathBuf> {
    let mut trees: Vec<PathBuf> = fs::read_dir("/lib/modules")
        .ok()?
        .filter_map(|e| fs::canonicalize(e.ok()?.path().join("build")).ok())
        .filter(|t| t.join(".kernelvariables").is_file())
        .collect();
    trees.sort();
    trees.into_iter().next()
}

/// `.kernelvariables` text with the `gcc-N` of its `CC` line replaced.
fn with_gcc(text: &str, version: &str) -> String {
    text.lines()
        .map(|line| match line.split_once("gcc-") {
            Some((head, tail)) if line.starts_with("CC ") || line.starts_with("CC=") => {
                let rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
                format!("{head}gcc-{version}{rest}\n")
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

/// Whether `command` is on PATH.
pub fn on_path(command: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(command).is_file()))
}
