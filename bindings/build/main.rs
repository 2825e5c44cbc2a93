//! Picks the committed binding set that matches the target kernel, so a
//! module build never runs bindgen.
//!
//! The sets are `sets/` (or `KO_SETS_DIR`), the shim C `shim/` (or
//! `KO_SHIM_DIR`). The target kernel is the header tree in `KO_KDIR` (set by
//! mk/kmod.mk), or
//! the running kernel's `/lib/modules/$(uname -r)/build`. A set matches when
//! its arch and its major.minor version are the target's; among matches, an
//! identical kernel config wins, then the same flavor. The choice is written
//! to the file named by `KO_SET_CHOICE` (when set) for the make fragment:
//! line 1 the set directory, line 2 the shim directory, line 3 the reason.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kernel_tree::KernelId;

mod choose;
use choose::{choose, SetMeta};

fn main() -> ExitCode {
    // The make fragment prints `<choice>.error` instead of cargo's report
    // of a failed build script, so the user sees one line.
    let error_file = env::var_os("KO_SET_CHOICE").map(|c| {
        let mut path = PathBuf::from(c).into_os_string();
        path.push(".error");
        PathBuf::from(path)
    });
    match run() {
        Ok(()) => {
            if let Some(file) = error_file {
                let _ = fs::remove_file(file);
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            let line = format!("error: {message}");
            eprintln!("{line}");
            if let Some(file) = error_file {
                let _ = fs::write(file, line + "\n");
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    // KO_SETS_DIR: sets generated at build time (`make REGEN=1`) or by tests;
    // the committed ones otherwise.
    let sets_dir = env::var_os("KO_SETS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("sets"));
    let shim_dir = env::var_os("KO_SHIM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("shim"));
    println!("cargo:rerun-if-env-changed=KO_SETS_DIR");
    println!("cargo:rerun-if-env-changed=KO_SHIM_DIR");
    println!("cargo:rerun-if-env-changed=KO_KDIR");
    println!("cargo:rerun-if-env-changed=KO_SET_CHOICE");
    // Set by the make fragment when the choice file is missing.
    println!("cargo:rerun-if-env-changed=KO_CHOICE_NONCE");
    println!("cargo:rerun-if-changed={}", sets_dir.display());

    let kdir = match env::var_os("KO_KDIR") {
        Some(dir) => PathBuf::from(dir),
        None => running_kernel_dir()?,
    };
    for file in KernelId::inputs(&kdir) {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let kernel = KernelId::read(&kdir).map_err(|e| format!("target kernel: {e}"))?;

    let sets = SetMeta::read_all(&sets_dir)?;
    let (set, reason) = choose(&kernel, &sets).ok_or_else(|| {
        let have: Vec<&str> = sets.iter().map(|s| s.name.as_str()).collect();
        format!(
            "no committed binding set for kernel {} ({} {}, flavor {}); committed sets: {}; generate one with: cargo run -p gen -- --kdir {}",
            kernel.release,
            kernel.arch,
            format_args!("{}.{}", kernel.version.major, kernel.version.minor),
            kernel.flavor,
            if have.is_empty() { "none".to_string() } else { have.join(", ") },
            kdir.display()
        )
    })?;

    println!(
        "cargo:rustc-env=KO_BINDINGS_RS={}",
        set.dir.join("bindings.rs").display()
    );
    if let Some(choice) = env::var_os("KO_SET_CHOICE") {
        let text = format!(
            "{}\n{}\n{}\n",
            set.dir.display(),
            shim_dir.display(),
            reason
        );
        write_if_changed(Path::new(&choice), &text)?;
    }
    Ok(())
}

fn running_kernel_dir() -> Result<PathBuf, String> {
    let release = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_err(|e| format!("cannot read the running kernel's release: {e}; set KO_KDIR"))?;
    Ok(PathBuf::from(format!(
        "/lib/modules/{}/build",
        release.trim()
    )))
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
