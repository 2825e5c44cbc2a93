//! ko-facts: the kernel facts and the set choice for shell and make, from
//! the kernel-tree crate's own code (included below), so no script or
//! makefile parses a kernel header, `.config` or `meta.toml` itself.
//! Compiled with plain rustc (the crate has no dependencies) by
//! `bindings/mk/facts-tool.sh`, once per toolchain and source.
//!
//!   ko-facts get FIELD KDIR        release, version, series, arch, flavor,
//!                                  config, set-name: one value
//!   ko-facts set FIELD SET_DIR     release, version, arch, flavor, config of
//!                                  the kernel a set was made from
//!   ko-facts materialized SET_DIR CACHE
//!                                  a directory with the set's full files:
//!                                  SET_DIR, or (stored as deltas) its copy
//!                                  in CACHE/sets
//!   ko-facts releases              for each release on stdin (no tree needed):
//!                                  `<release> <series> <flavor> <set name>`
//!   ko-facts sets SETS_DIR         every set: `<name> <release it was made from>`
//!   ko-facts served SETS_DIR       for each release on stdin (no tree needed):
//!                                  `<release> <what may serve it>`
//!   ko-facts choose KDIR SETS_DIR  `<set>: <why>`, or exit 1 with the reason
//!   ko-facts make KDIR SETS_DIR SHIM_DIR CACHE
//!                                  make assignments (KO_RELEASE, KO_SET_DIR,
//!                                  KO_RUST_TARGET, ...) for bindings/mk/kmod.mk; a tree or
//!                                  choice that fails sets KO_FACTS_ERROR. A
//!                                  set stored as deltas is materialized in
//!                                  CACHE/sets: KO_SET_DIR has full files
//!                                  When the set has layout variants and none
//!                                  was made from this release, also
//!                                  KO_SET_CANDIDATES: their full directories,
//!                                  nearest version first, for the layout proof to pick
//!                                  from (bindings/mk/prove-sets.sh) ...
//!   ko-facts make KDIR SETS_DIR SHIM_DIR CACHE --proven NAME
//!                                  ... and then the same with the set it
//!                                  proved (NAME; `none`: none fits)
//!   ko-facts make KDIR --regen     the same without a choice (REGEN=1: the
//!                                  build generates the set KO_SET_NAME)

// The whole library; the tool uses part of its API.
#[allow(dead_code)]
#[path = "../src/lib.rs"]
mod kernel_tree;

use std::env;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kernel_tree::sets::{choose, choose_proven, SetMeta};
use kernel_tree::{store, KernelId};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match words.as_slice() {
        ["get", field, kdir] => get(field, Path::new(kdir)),
        ["set", field, dir] => {
            SetMeta::read(Path::new(dir)).and_then(|s| field_of(&s.kernel, field))
        }
        ["materialized", dir, cache] => store::materialized(Path::new(dir), Path::new(cache))
            .map(|d| format!("{}\n", d.display())),
        ["releases"] => Ok(releases(std::io::stdin().lines().map_while(Result::ok))),
        ["sets", sets] => SetMeta::read_all(Path::new(sets)).map(|all| {
            all.iter()
                .map(|s| format!("{} {}\n", s.name, s.kernel.release))
                .collect()
        }),
        ["served", sets] => SetMeta::read_all(Path::new(sets))
            .map(|all| served(&all, std::io::stdin().lines().map_while(Result::ok))),
        ["choose", kdir, sets] => chosen(Path::new(kdir), Path::new(sets)),
        ["make", kdir, "--regen"] => Ok(make(Path::new(kdir), None)),
        ["make", kdir, sets, shim, cache, rest @ ..] => match rest {
            [] | ["--proven", _] => Ok(make(
                Path::new(kdir),
                Some(SetsArgs {
                    sets: Path::new(sets),
                    shim: Path::new(shim),
                    cache: Path::new(cache),
                    proven: rest.get(1).copied(),
                }),
            )),
            _ => Err(USAGE.into()),
        },
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("ko-facts: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: ko-facts get FIELD KDIR | set FIELD SET_DIR | materialized SET_DIR CACHE | releases | sets SETS_DIR | served SETS_DIR | choose KDIR SETS_DIR | make KDIR (SETS_DIR SHIM_DIR CACHE [--proven NAME] | --regen)";

fn get(field: &str, kdir: &Path) -> Result<String, String> {
    field_of(&KernelId::read(kdir)?, field)
}

fn field_of(k: &KernelId, field: &str) -> Result<String, String> {
    let value = match field {
        "release" => k.release.clone(),
        "version" => k.version.to_string(),
        "series" => k.version.series(),
        "arch" => k.arch.clone(),
        "flavor" => k.flavor.clone(),
        "config" => k.config.clone(),
        "set-name" => k.set_name(),
        other => return Err(format!("unknown field {other}")),
    };
    Ok(format!("{value}\n"))
}

/// What a release string alone says, for releases whose headers are not
/// here (Debian's archive): series, flavor and the set name a tree of it
/// would have. Lines that are no release are skipped.
fn releases(lines: impl Iterator<Item = String>) -> String {
    let mut out = String::new();
    for release in lines {
        let release = release.trim();
        if let Some(version) = kernel_tree::leading_version(release) {
            let flavor = kernel_tree::flavor_from_release(release);
            let series = version.series();
            out.push_str(&format!("{release} {series} {flavor} {series}-{flavor}\n"));
        }
    }
    out
}

/// For `make kernels`: what serves each release whose headers are not here.
fn served(sets: &[SetMeta], lines: impl Iterator<Item = String>) -> String {
    let mut out = String::new();
    for release in lines {
        let release = release.trim();
        if release.is_empty() {
            continue;
        }
        let what = match kernel_tree::sets::for_release(release, sets).as_slice() {
            [] => format!(
                "none: no committed set {}",
                kernel_tree::leading_version(release)
                    .map(|v| format!(
                        "{}-{}",
                        v.series(),
                        kernel_tree::flavor_from_release(release)
                    ))
                    .unwrap_or_default()
            ),
            [set] if set.kernel.release == release => {
                format!("{} (generated from this release)", set.name)
            }
            [set] => format!(
                "{} (its series' set; the build's layout proof decides)",
                set.name
            ),
            [set, variants @ ..] => format!(
                "{} or a variant: {} (the build's layout proof picks)",
                set.name,
                variants
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push_str(&format!("{release} {what}\n"));
    }
    out
}

fn chosen(kdir: &Path, sets_dir: &Path) -> Result<String, String> {
    let kernel = KernelId::read(kdir)?;
    let sets = SetMeta::read_all(sets_dir)?;
    let choice = choose(&kernel, &sets).map_err(|e| e.to_string())?;
    Ok(format!("{}: {}\n", choice.set.name, choice.reason))
}

/// Where `make` finds sets and shims, the build cache (for sets stored
/// as deltas, which are materialized there) and, once the layout proof
/// picked among variants, the one it proved.
#[derive(Clone, Copy)]
struct SetsArgs<'a> {
    sets: &'a Path,
    shim: &'a Path,
    cache: &'a Path,
    proven: Option<&'a str>,
}

/// The make fragment's view of the target kernel and, given the sets and
/// shim directories, the set that serves it. Also `KO_FACTS_INPUTS`, the
/// files read (the fragment regenerates this output when one is newer or
/// gone: a set's stored files, or its materialized copy).
/// Errors become `KO_FACTS_ERROR`, which the fragment reports.
fn make(kdir: &Path, sets: Option<SetsArgs>) -> String {
    let mut inputs: Vec<PathBuf> = KernelId::inputs(kdir);
    if let Some(args) = sets {
        inputs.push(args.sets.to_path_buf());
        let metas = std::fs::read_dir(args.sets).into_iter().flatten().flatten();
        inputs.extend(
            metas
                .map(|e| e.path().join(kernel_tree::sets::META_TOML))
                .filter(|m| m.is_file()),
        );
    }
    let vars = make_vars(kdir, sets, &mut inputs);
    let mut text = String::from("# Written by ko-facts (kernel-tree/tool); do not edit.\n");
    let inputs: Vec<String> = inputs
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let vars = vars.unwrap_or_else(|message| vec![("KO_FACTS_ERROR", message)]);
    for (k, v) in vars.iter().chain([&("KO_FACTS_INPUTS", inputs.join(" "))]) {
        text.push_str(&format!("{k} := {}\n", make_escape(v)));
    }
    text
}

/// The kernel's facts, then (given the sets and shim directories) its set.
/// A failed choice keeps the facts, so the fragment can report a wrong
/// arch before a missing set.
fn make_vars(
    kdir: &Path,
    sets: Option<SetsArgs>,
    inputs: &mut Vec<PathBuf>,
) -> Result<Vec<(&'static str, String)>, String> {
    let k = KernelId::read(kdir)?;
    let mut vars = vec![
        ("KO_RELEASE", k.release.clone()),
        ("KO_VERSION", k.version.to_string()),
        ("KO_SERIES", k.version.series()),
        ("KO_ARCH", k.arch.clone()),
        ("KO_FLAVOR", k.flavor.clone()),
        ("KO_CONFIG", k.config.clone()),
        (
            "KO_AT_LEAST",
            kernel_tree::series_up_to(&k.version).join(" "),
        ),
        ("KO_SET_NAME", k.set_name()),
    ];
    // How to build for its arch from this machine (unsupported: empty,
    // which the fragment reports); KO_TREE_ARCH, the ARCH the tree forces
    // on Kbuild, tells a tree whose .config and Makefiles disagree.
    inputs.push(kdir.join(".kernelvariables"));
    let host = kernel_tree::arch::host_debian_arch();
    let arch = kernel_tree::arch::arch(&k.arch);
    vars.extend([
        ("KO_KBUILD_ARCH", arch.map_or("", |a| a.kbuild).to_string()),
        (
            "KO_CROSS_COMPILE",
            arch.map(|a| a.cross_compile(host)).unwrap_or_default(),
        ),
        (
            "KO_RUST_TARGET",
            arch.map_or("", |a| a.rust_target).to_string(),
        ),
        (
            "KO_TREE_ARCH",
            kernel_tree::arch::tree_kbuild_arch(kdir).unwrap_or_default(),
        ),
    ]);
    if let Some(args) = sets {
        match set_vars(&k, args, inputs) {
            Ok(set) => vars.extend(set),
            Err(message) => vars.push(("KO_FACTS_ERROR", message)),
        }
    }
    Ok(vars)
}

/// The set that serves `k` as make variables (and, with variants to prove,
/// `KO_SET_CANDIDATES`).
fn set_vars(
    k: &KernelId,
    args: SetsArgs,
    inputs: &mut Vec<PathBuf>,
) -> Result<Vec<(&'static str, String)>, String> {
    let all = SetMeta::read_all(args.sets)?;
    let choice = match args.proven {
        Some(name) => choose_proven(k, &all, name),
        None => choose(k, &all),
    };
    let c = choice.map_err(|e| {
        // `make gen KERNEL=` runs gen where this kernel builds (its
        // fetched tree with its compiler, or its build root).
        format!(
            "{e}; generate one in the rust.ko repository with: make gen KERNEL={} (or build with REGEN=1)",
            k.release
        )
    })?;
    let mut vars = vec![
        ("KO_SET", c.set.name.clone()),
        ("KO_SET_DIR", full_dir(c.set, args.cache, inputs)?),
        ("KO_SHIM_DIR", args.shim.to_string_lossy().into_owned()),
        ("KO_SET_REASON", c.reason.clone()),
    ];
    if !c.candidates.is_empty() {
        let dirs: Result<Vec<String>, String> = c
            .candidates
            .iter()
            .map(|s| full_dir(s, args.cache, inputs))
            .collect();
        vars.push(("KO_SET_CANDIDATES", dirs?.join(" ")));
    }
    Ok(vars)
}

/// Kbuild and the build script read full files: a set stored as deltas is
/// materialized, and its copy is an input too (gone: materialized again).
fn full_dir(set: &SetMeta, cache: &Path, inputs: &mut Vec<PathBuf>) -> Result<String, String> {
    inputs.extend(store::inputs(&set.dir)?);
    let dir = store::materialized(&set.dir, cache)?;
    if dir != set.dir {
        inputs.push(dir.join(kernel_tree::sets::META_TOML));
    }
    Ok(dir.to_string_lossy().into_owned())
}

/// A value as make reads it literally on the right of `:=`.
fn make_escape(value: &str) -> String {
    value.replace('$', "$$").replace('#', "\\#")
}
