//! Points the crate at the binding set of the target kernel, so a module
//! build never runs bindgen; or, with the feature `regen`, generates the set
//! for exactly the target kernel first (see `regen.rs`).
//!
//! The contract with the make fragment (`mk/kmod.mk`), all through the
//! environment cargo passes to this script:
//!
//! - `KO_KDIR`: the target kernel's header tree (default: the running
//!   kernel's `/lib/modules/$(uname -r)/build`);
//! - `KO_SET_DIR`: the set make chose with `ko-facts` (kernel-tree's
//!   [`choose`], the same function as here). Without it (a plain `cargo
//!   build` or `cargo check`) this script chooses from `sets/` (or
//!   `KO_SETS_DIR`) itself;
//! - feature `regen`: `KO_REGEN_DIR`, where the set is generated (make
//!   passes the directory it named `KO_SET_DIR` after), and
//!   `KO_KERNEL_INCLUDE`, extra headers.
//!
//! Back to the crate it says `KO_BINDINGS_RS` (the set's full `bindings.rs`,
//! which `src/lib.rs` includes: read through kernel-tree's `store`, as sets
//! may store it as a delta of another set's; without bindgen's layout
//! assertions unless `KO_RUST_LAYOUT_ASSERTS=1`); on failure it prints one line starting with
//! `kernel-bindings: error:`, which make shows instead of cargo's report.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kernel_tree::sets::{choose, SetMeta};
use kernel_tree::{rust_asserts, store, KernelId};

const BINDINGS_RS: &str = "bindings.rs";

#[cfg(feature = "regen")]
mod regen;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kernel-bindings: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    for var in ["KO_KDIR", "KO_SET_DIR", "KO_SETS_DIR"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let kdir = match env::var_os("KO_KDIR") {
        Some(dir) => PathBuf::from(dir),
        None => running_kernel_dir()?,
    };
    for file in KernelId::inputs(&kdir) {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let kernel = KernelId::read(&kdir).map_err(|e| format!("target kernel: {e}"))?;

    #[cfg(feature = "regen")]
    regen::generate(&manifest, &kdir, &kernel)?;

    let set_dir = match env::var_os("KO_SET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => own_choice(&manifest, &kdir, &kernel)?,
    };
    for file in store::inputs(&set_dir)? {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    // A set of another arch would compile (it is only Rust) and lie about
    // every size and offset.
    let set = SetMeta::read(&set_dir)?;
    let rust_arch = env::var("CARGO_CFG_TARGET_ARCH").map_err(|e| e.to_string())?;
    let what = format!("set {}", set.name);
    if let Some(message) = kernel_tree::arch::target_mismatch(&set.kernel.arch, &rust_arch, &what) {
        return Err(message);
    }
    let bindings = bindings_rs(&set_dir, keep_layout_asserts())?;
    println!("cargo:rustc-env=KO_BINDINGS_RS={}", bindings.display());
    Ok(())
}

/// `KO_RUST_LAYOUT_ASSERTS=1` (make's `RUST_LAYOUT_ASSERTS=1`; `make test`
/// sets it): keep bindgen's layout assertions, which prove the set's Rust
/// side and cost 40 % of this crate's compile time (kernel-tree's
/// `rust_asserts`).
fn keep_layout_asserts() -> bool {
    println!("cargo:rerun-if-env-changed=KO_RUST_LAYOUT_ASSERTS");
    env::var_os("KO_RUST_LAYOUT_ASSERTS").is_some_and(|v| v == "1")
}

/// The set's `bindings.rs` as the crate includes it: without the layout
/// assertions (written to `OUT_DIR`), or, keeping them, the stored file
/// itself if the set stores it whole, else the full file its delta gives
/// (also written to `OUT_DIR`). Written only when it differs, so its time
/// says when it changed.
fn bindings_rs(set_dir: &Path, keep_asserts: bool) -> Result<PathBuf, String> {
    if keep_asserts {
        if let Some(path) = store::stored_whole(set_dir, BINDINGS_RS) {
            return Ok(path);
        }
    }
    let mut text = store::read_set_file(set_dir, BINDINGS_RS)?;
    if !keep_asserts {
        text = rust_asserts::strip(&text).map_err(|e| format!("{}: {e}", set_dir.display()))?;
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let path = out_dir.join(BINDINGS_RS);
    if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        let tmp = out_dir.join(format!("{BINDINGS_RS}.tmp"));
        fs::write(&tmp, &text)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(path)
}

/// Without make: the set [`choose`] picks from `sets/` (or `KO_SETS_DIR`; with
/// the feature `regen`, from what was just generated).
fn own_choice(manifest: &Path, kdir: &Path, kernel: &KernelId) -> Result<PathBuf, String> {
    let sets_dir = sets_dir(manifest)?;
    println!("cargo:rerun-if-changed={}", sets_dir.display());
    let sets = SetMeta::read_all(&sets_dir)?;
    let choice = choose(kernel, &sets).map_err(|e| {
        format!(
            "{e}; generate one with: cargo run -p gen -- --kdir {}",
            kdir.display()
        )
    })?;
    println!(
        "cargo:warning=binding set {}: {}",
        choice.set.name, choice.reason
    );
    Ok(choice.set.dir.clone())
}

/// Where a build without make chooses from: what REGEN=1 just generated.
#[cfg(feature = "regen")]
fn sets_dir(_manifest: &Path) -> Result<PathBuf, String> {
    Ok(regen::dir()?.join("sets"))
}

/// Where a build without make chooses from: `sets/`, or `KO_SETS_DIR`.
#[cfg(not(feature = "regen"))]
fn sets_dir(manifest: &Path) -> Result<PathBuf, String> {
    Ok(env::var_os("KO_SETS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("sets")))
}

fn running_kernel_dir() -> Result<PathBuf, String> {
    let release = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_err(|e| format!("cannot read the running kernel's release: {e}; set KO_KDIR"))?;
    Ok(PathBuf::from(format!(
        "/lib/modules/{}/build",
        release.trim()
    )))
}
