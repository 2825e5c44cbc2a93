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
//!   ko-facts releases              for each release on stdin (no tree needed):
//!                                  `<release> <series> <flavor> <set name>`
//!   ko-facts choose KDIR SETS_DIR  `<set>: <why>`, or exit 1 with the reason
//!   ko-facts make KDIR SETS_DIR SHIM_DIR
//!                                  make assignments (KO_RELEASE, KO_SET_DIR,
//!                                  ...) for bindings/mk/kmod.mk; a tree or
//!                                  choice that fails sets KO_FACTS_ERROR
//!   ko-facts make KDIR --regen     the same without a choice (REGEN=1: the
//!                                  build generates the set KO_SET_NAME)

#[path = "../src/lib.rs"]
mod kernel_tree;

use std::env;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kernel_tree::sets::{choose, SetMeta};
use kernel_tree::KernelId;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match words.as_slice() {
        ["get", field, kdir] => get(field, Path::new(kdir)),
        ["set", field, dir] => SetMeta::read(Path::new(dir)).and_then(|s| field_of(&s.kernel, field)),
        ["releases"] => Ok(releases(std::io::stdin().lines().map_while(Result::ok))),
        ["choose", kdir, sets] => chosen(Path::new(kdir), Path::new(sets)),
        ["make", kdir, "--regen"] => Ok(make(Path::new(kdir), None)),
        ["make", kdir, sets, shim] => Ok(make(Path::new(kdir), Some((Path::new(sets), Path::new(shim))))),
        _ => Err("usage: ko-facts get FIELD KDIR | set FIELD SET_DIR | releases | choose KDIR SETS_DIR | make KDIR (SETS_DIR SHIM_DIR | --regen)".into()),
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

fn chosen(kdir: &Path, sets_dir: &Path) -> Result<String, String> {
    let kernel = KernelId::read(kdir)?;
    let sets = SetMeta::read_all(sets_dir)?;
    let choice = choose(&kernel, &sets).map_err(|e| e.to_string())?;
    Ok(format!("{}: {}\n", choice.set.name, choice.reason))
}

/// The make fragment's view of the target kernel and, given the sets and
/// shim directories, the set that serves it. Also `KO_FACTS_INPUTS`, the
/// files read (the fragment regenerates this output when one is newer).
/// Errors become `KO_FACTS_ERROR`, which the fragment reports.
fn make(kdir: &Path, sets: Option<(&Path, &Path)>) -> String {
    let mut inputs: Vec<PathBuf> = KernelId::inputs(kdir);
    let vars = match sets {
        Some((sets_dir, _)) => {
            inputs.push(sets_dir.to_path_buf());
            let metas = std::fs::read_dir(sets_dir).into_iter().flatten().flatten();
            inputs.extend(
                metas
                    .map(|e| e.path().join(kernel_tree::sets::META_TOML))
                    .filter(|m| m.is_file()),
            );
            make_vars(kdir, sets)
        }
        None => make_vars(kdir, None),
    };
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
    sets: Option<(&Path, &Path)>,
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
    if let Some((sets_dir, shim_dir)) = sets {
        let choice = SetMeta::read_all(sets_dir).and_then(|all| {
            let c = choose(&k, &all).map_err(|e| {
                format!(
                    "{e}; generate one with: cargo run -p gen -- --kdir {} (or build with REGEN=1)",
                    kdir.display()
                )
            })?;
            Ok((
                c.set.name.clone(),
                c.set.dir.to_string_lossy().into_owned(),
                c.reason,
            ))
        });
        match choice {
            Ok((name, dir, reason)) => vars.extend([
                ("KO_SET", name),
                ("KO_SET_DIR", dir),
                ("KO_SHIM_DIR", shim_dir.to_string_lossy().into_owned()),
                ("KO_SET_REASON", reason),
            ]),
            Err(message) => vars.push(("KO_FACTS_ERROR", message)),
        }
    }
    Ok(vars)
}

/// A value as make reads it literally on the right of `:=`.
fn make_escape(value: &str) -> String {
    value.replace('$', "$$").replace('#', "\\#")
}
