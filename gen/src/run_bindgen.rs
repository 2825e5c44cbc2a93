//! Running bindgen (libclang) over the header list and the shims: the Rust
//! bindings and the C wrappers for static inline functions.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context, Result};
use bindgen::callbacks::{
    EnumVariantValue, IntKind, ItemInfo, ItemKind, MacroParsingBehavior, ParseCallbacks,
};

use crate::layout::Seen;
use crate::shim::{Shim, PREFIX};

/// The bindgen this gen is built with (checked against Cargo.lock by a test).
pub const BINDGEN_VERSION: &str = "0.73.2";
/// Suffix bindgen appends to the C name of a static inline function to name
/// its out-of-line wrapper: `kmalloc` -> `kmalloc__extern`.
pub const WRAPPER_SUFFIX: &str = "__extern";
/// Rust version the bindings are written for (the kernel side uses 1.96).
pub const RUST_TARGET: (u64, u64) = (85, 0);
const INPUT: &str = "gen-input.h";
const WRAPPERS: &str = "wrappers";

/// Types bindgen cannot express in Rust faithfully: kept as opaque blobs of
/// the right size and alignment (their fields are not needed by modules).
const OPAQUE: &[&str] = &[];
/// Items that do not compile in Rust and are not needed by modules.
const BLOCKLIST: &[&str] = &[];
/// Macros whose value bindgen's evaluator (cexpr) gets wrong for C, left out
/// of bindings.rs. gen's layout check finds them (the kernel's gcc computes
/// another value) and fails until they are listed here. A module that needs
/// one gets a typed constant from shim/consts.h, which clang evaluates as C.
const MISEVALUATED_MACROS: &[&str] = &[
    // linux/jiffies.h defines it, then #undefs and redefines it under an #if;
    // bindgen keeps the first definition (23 at HZ=250), C the last (24).
    "SEC_JIFFIE_SC",
    // `~VFS_CAP_REVISION_MASK` (0xFF000000, an unsigned int in C): C gives
    // 0x00FFFFFF, cexpr computes in i64 and gives -0xFF000001.
    "VFS_CAP_FLAGS_MASK",
    // uapi/linux/pkt_sched.h (through linux/netdevice.h): `#define
    // __TC_MQPRIO_MODE_MAX (__TC_MQPRIO_MODE_MAX - 1)` shadows the enumerator
    // of the same name; cexpr cannot evaluate the self-reference, so bindgen
    // keeps the enumerator (2) where C means the macro (1). Blocklisting
    // does not remove an enumerator from bindings.rs, so these stay there
    // with the enumerator's value; they are left out of the layout check.
    "__TC_MQPRIO_MODE_MAX",
    "__TC_MQPRIO_SHAPER_MAX",
];

#[derive(Debug)]
pub struct Output {
    pub bindings: String,
    /// The wrappers' C, still including bindgen's input header.
    pub wrappers: String,
    /// Functions renamed from `rust_shim_<name>` to `<name>`.
    pub shim_functions: Vec<String>,
    /// Integer macros and enumerators bindgen evaluated (for layout.c).
    pub seen: Seen,
}

/// Loads libclang, or says how to install it.
pub fn load_libclang() -> Result<()> {
    if clang_sys::is_loaded() {
        return Ok(());
    }
    clang_sys::load().map_err(|e| {
        anyhow!("libclang not found ({e}); install it: sudo apt-get install libclang-dev")
    })
}

/// libclang's builtin headers (`stddef.h`, `stdarg.h`, ...), which it leaves
/// out under `-nostdinc` (given for gcc's own, see `flags::CC_INCLUDE`):
/// `clang/<version>/include` beside the loaded library, or in Debian's
/// `/usr/lib/llvm-<major>/lib` (libclang itself is in `/usr/lib/<triple>`).
pub fn builtin_include() -> Result<PathBuf> {
    load_libclang()?;
    let library = clang_sys::get_library().context("libclang is not loaded")?;
    let path = library.path();
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut lib_dirs = vec![path.parent().unwrap_or(Path::new("/")).to_path_buf()];
    let version = bindgen::clang_version();
    if let Some((major, _)) = version.parsed {
        lib_dirs.push(PathBuf::from(format!("/usr/lib/llvm-{major}/lib")));
    }
    lib_dirs
        .iter()
        .flat_map(|dir| fs::read_dir(dir.join("clang")).into_iter().flatten().flatten())
        .map(|e| e.path().join("include"))
        .filter(|dir| dir.join("stddef.h").is_file())
        .max()
        .with_context(|| {
            format!(
                "libclang's builtin headers (clang/<version>/include/stddef.h) are not under {}: sudo apt-get install libclang-dev",
                lib_dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(" or ")
            )
        })
}

pub fn clang_version() -> String {
    bindgen::clang_version().full
}

/// What a bindgen run binds.
#[derive(Debug, Clone, Copy)]
pub enum Items<'a> {
    /// Everything of the listed headers but these functions (static inlines
    /// that do not compile out of line).
    AllBut(&'a BTreeSet<String>),
    /// Only these functions, and nothing they refer to: for their wrappers.
    /// (Both are C names, which bindgen's patterns match as themselves.)
    Only(&'a BTreeSet<String>),
}

/// Runs bindgen in `work` (a temporary directory) with the given clang args.
pub fn run(shim: &Shim, clang_args: &[String], items: Items, work: &Path) -> Result<Output> {
    load_libclang()?;
    let input = work.join(INPUT);
    fs::write(&input, shim.input_header())?;
    let renamed = Arc::new(Mutex::new(BTreeSet::new()));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let callbacks = Callbacks {
        consts: shim.consts.clone(),
        renamed: renamed.clone(),
        seen: seen.clone(),
    };
    let (minor, patch) = RUST_TARGET;
    let target =
        bindgen::RustTarget::stable(minor, patch).map_err(|e| anyhow!("bad Rust target: {e}"))?;
    let mut builder = bindgen::Builder::default()
        .header(input.to_string_lossy())
        .clang_args(clang_args)
        .rust_target(target)
        .use_core()
        .ctypes_prefix("core::ffi")
        .formatter(bindgen::Formatter::Prettyplease)
        .disable_header_comment()
        .layout_tests(true)
        .derive_default(true)
        .derive_debug(false)
        .generate_comments(false)
        .merge_extern_blocks(true)
        .wrap_static_fns(true)
        .wrap_static_fns_suffix(WRAPPER_SUFFIX)
        .wrap_static_fns_path(work.join(WRAPPERS))
        .parse_callbacks(Box::new(callbacks));
    match items {
        Items::AllBut(skip) => {
            for pattern in shim.allowlist_files()? {
                builder = builder.allowlist_file(pattern);
            }
            for name in skip {
                builder = builder.blocklist_function(name);
            }
        }
        Items::Only(names) => {
            builder = builder.allowlist_recursively(false);
            for name in names {
                builder = builder.allowlist_function(name);
            }
        }
    }
    for item in OPAQUE {
        builder = builder.opaque_type(item);
    }
    for item in BLOCKLIST.iter().chain(MISEVALUATED_MACROS) {
        builder = builder.blocklist_item(item);
    }
    // libclang prints its diagnostics straight to stderr; they are in the
    // error bindgen returns, so keep them off the terminal.
    let bindings = with_stderr_silenced(|| builder.generate())
        .map_err(|e| anyhow!("{}", first_error(&e.to_string())))
        .context("bindgen failed")?;
    let bindings = bindings.to_string();
    let wrappers_path = work.join(WRAPPERS).with_extension("c");
    let wrappers = fs::read_to_string(&wrappers_path)
        .with_context(|| format!("bindgen wrote no {}", wrappers_path.display()))?;
    let shim_functions = renamed
        .lock()
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    let seen = seen
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    Ok(Output {
        bindings,
        wrappers,
        shim_functions,
        seen,
    })
}

/// How many threads are in [`with_stderr_silenced`], and the original fd 2
/// while any is (bindgen may run in two threads at once).
static SILENCED: Mutex<(usize, i32)> = Mutex::new((0, -1));

/// Runs `f` with file descriptor 2 pointing to /dev/null (for the whole
/// process: gen's own messages go through `progress::diagnostic`, which
/// writes to a copy of the original).
fn with_stderr_silenced<T>(f: impl FnOnce() -> T) -> T {
    use std::os::fd::AsRawFd;
    crate::progress::keep_stderr();
    {
        let Ok(mut state) = SILENCED.lock() else {
            return f();
        };
        if state.0 == 0 {
            let Ok(null) = fs::OpenOptions::new().write(true).open("/dev/null") else {
                return f();
            };
            // SAFETY: dup(2) only reads the descriptor table; whether fd 2 is
            // open or not, it returns a new descriptor or -1 and changes
            // nothing else.
            let saved = unsafe { libc::dup(2) };
            // SAFETY: `null` is an open descriptor owned here (alive until
            // the end of this block); dup2 onto fd 2 only replaces what fd 2
            // refers to, and the original is kept in `saved`, checked first.
            if saved < 0 || unsafe { libc::dup2(null.as_raw_fd(), 2) } < 0 {
                if saved >= 0 {
                    // SAFETY: `saved` is the descriptor dup returned above,
                    // owned here and closed once.
                    unsafe { libc::close(saved) };
                }
                return f();
            }
            state.1 = saved;
        }
        state.0 += 1;
    }
    let out = f();
    if let Ok(mut state) = SILENCED.lock() {
        state.0 -= 1;
        if state.0 == 0 {
            // SAFETY: `state.1` is the copy of the original fd 2 the first
            // silencing thread made (valid: checked `>= 0`), owned by this
            // state; putting it back on fd 2 and closing the copy once
            // leaves the descriptor table as it was before.
            unsafe {
                libc::dup2(state.1, 2);
                libc::close(state.1);
            }
            state.1 = -1;
        }
    }
    out
}

/// The first clang error of a diagnostic dump, for a one-line message.
fn first_error(diag: &str) -> String {
    diag.lines()
        .find(|l| l.contains("error:"))
        .unwrap_or_else(|| diag.lines().next().unwrap_or("unknown error"))
        .trim()
        .to_string()
}

#[derive(Debug)]
struct Callbacks {
    consts: BTreeSet<String>,
    renamed: Arc<Mutex<BTreeSet<String>>>,
    seen: Arc<Mutex<Seen>>,
}

impl ParseCallbacks for Callbacks {
    /// consts.h gives these macros a type: do not emit them twice. Macros
    /// that only name the release or toolchain (the ABI number in
    /// `CONFIG_BUILD_SALT`, ...) are no interface and would tie the set to
    /// one point release of its series.
    fn will_parse_macro(&self, name: &str) -> MacroParsingBehavior {
        if self.consts.contains(name) || kernel_tree::names_release(name) {
            MacroParsingBehavior::Ignore
        } else {
            MacroParsingBehavior::Default
        }
    }

    /// `rust_shim_<name>` -> `<name>`.
    fn generated_name_override(&self, item: ItemInfo<'_>) -> Option<String> {
        let name = item.name.strip_prefix(PREFIX)?;
        if matches!(item.kind, ItemKind::Function) {
            if let Ok(mut set) = self.renamed.lock() {
                set.insert(name.to_string());
            }
        }
        Some(name.to_string())
    }

    /// Renamed shim functions still link against `rust_shim_<name>`.
    fn generated_link_name_override(&self, item: ItemInfo<'_>) -> Option<String> {
        if !matches!(item.kind, ItemKind::Function) {
            return None;
        }
        let set = self.renamed.lock().ok()?;
        set.contains(item.name)
            .then(|| format!("{PREFIX}{}", item.name))
    }

    /// Records the enumerators for layout.c; keeps bindgen's names.
    fn enum_variant_name(
        &self,
        _enum_name: Option<&str>,
        name: &str,
        value: EnumVariantValue,
    ) -> Option<String> {
        let value = match value {
            EnumVariantValue::Boolean(b) => u64::from(b),
            EnumVariantValue::Signed(v) => v as u64,
            EnumVariantValue::Unsigned(v) => v,
        };
        // Shadowed by a macro of the same name that C means instead.
        if MISEVALUATED_MACROS.contains(&name) {
            return None;
        }
        if let Ok(mut seen) = self.seen.lock() {
            seen.enumerators.insert(name.to_string(), value);
        }
        None
    }

    /// Records integer macros for layout.c. errno values are C `int`s
    /// (`-EFAULT` is returned as int).
    fn int_macro(&self, name: &str, value: i64) -> Option<IntKind> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.macros.insert(name.to_string(), value);
        }
        let errno_like = name.len() > 1
            && name.starts_with('E')
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (1..4096).contains(&value);
        errno_like.then_some(IntKind::Int)
    }
}
