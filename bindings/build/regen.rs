//! Feature `regen` (`make REGEN=1`): generates the set for exactly the
//! target kernel at build time with gen's library, instead of using a
//! committed one (the libsqlite3-sys `buildtime_bindgen` model).
//!
//! The crate's `shim/` is copied, with the headers of `KO_KERNEL_INCLUDE`
//! (space-separated, e.g. `linux/netdevice.h`) added to its list, and the
//! set is generated with it, into `<dir>/{shim,sets}`: `KO_REGEN_DIR` (make
//! names it, and the set directory it will use), else `$OUT_DIR/regen`.
//! Every run starts from an empty directory: cargo reruns a build script
//! that did not finish, and nothing reads these files before this script
//! has succeeded (gen itself writes the set atomically).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use kernel_gen::progress::Progress;
use kernel_gen::shim::Shim;
use kernel_tree::KernelId;

/// Where the set is generated.
pub fn dir() -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed=KO_REGEN_DIR");
    match env::var_os("KO_REGEN_DIR") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => {
            Ok(PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("regen"))
        }
    }
}

pub fn generate(manifest: &Path, kdir: &Path, kernel: &KernelId) -> Result<(), String> {
    let shim_src = manifest.join("shim");
    println!("cargo:rerun-if-env-changed=KO_KERNEL_INCLUDE");
    // The directory for files added or removed, each file for edits (make
    // reads these from cargo's dep-info, and sees file times only).
    println!("cargo:rerun-if-changed={}", shim_src.display());
    for entry in fs::read_dir(&shim_src)
        .map_err(|e| format!("cannot read {}: {e}", shim_src.display()))?
        .flatten()
    {
        println!("cargo:rerun-if-changed={}", entry.path().display());
    }
    let extra: Vec<String> = env::var("KO_KERNEL_INCLUDE")
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect();
    let what = if extra.is_empty() {
        String::new()
    } else {
        format!(" + {}", extra.join(" "))
    };
    let fail = |e| {
        format!(
            "generating the binding set for {}{what} (REGEN=1): {}",
            kernel.release,
            kernel_gen::one_line(&e)
        )
    };
    let dest = dir()?;
    if dest.exists() {
        fs::remove_dir_all(&dest).map_err(|e| format!("cannot remove {}: {e}", dest.display()))?;
    }
    fs::create_dir_all(&dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let (shim_dir, sets_dir) = (dest.join("shim"), dest.join("sets"));
    Shim::copy_with_headers(&shim_src, &shim_dir, &extra).map_err(fail)?;
    kernel_gen::generate_set(kdir, &shim_dir, &sets_dir, &Progress::new()).map_err(fail)?;
    Ok(())
}
