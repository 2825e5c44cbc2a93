//! Generates the kernel bindings at build time, as out-of-tree Rust module
//! projects commonly do: bindgen over the same header list (shim/headers.txt,
//! shim.h, consts.h) with the same options as gen, and the clang arguments of
//! the committed set for this kernel (KO_SET_DIR/clang-args.txt, placeholders
//! replaced by this machine's paths). Output: OUT_DIR/bindings.rs (for the
//! repository's bindings/src/lib.rs, through KO_BINDINGS_RS) and bindgen's
//! OUT_DIR/wrappers.c.
//!
//! The set is the committed one make chose for this kernel (KO_SET_DIR, as
//! for the real bindings build script), so the C side Kbuild compiles
//! (selected wrappers, and whatever else module.kbuild takes from a set) is
//! the same as for the committed-bindings build: only the Rust side differs.

use std::collections::BTreeSet;
use std::env;
use std::fs;
use std::path::PathBuf;
use std::sync::Mutex;

use bindgen::callbacks::{IntKind, ItemInfo, ItemKind, MacroParsingBehavior, ParseCallbacks};

const PREFIX: &str = "rust_shim_";

fn main() {
    let var = |name: &str| {
        println!("cargo:rerun-if-env-changed={name}");
        env::var(name).unwrap_or_else(|_| panic!("{name} is not set (bench/run.sh sets it)"))
    };
    let kdir = fs::canonicalize(var("KO_KDIR")).expect("KO_KDIR");
    let set = fs::canonicalize(var("KO_SET_DIR")).expect("KO_SET_DIR");
    let args_file = set.join("clang-args.txt");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let shim = fs::canonicalize(manifest.join("../../../bindings/shim")).expect("shim/");
    for f in ["headers.txt", "shim.h", "consts.h"] {
        println!("cargo:rerun-if-changed={}", shim.join(f).display());
    }
    println!("cargo:rerun-if-changed={}", args_file.display());

    // Debian's header trees: KDIR/Makefile includes the -common source tree.
    let makefile = fs::read_to_string(kdir.join("Makefile")).unwrap_or_default();
    let srctree = makefile
        .lines()
        .find_map(|l| l.strip_prefix("include ")?.strip_suffix("/Makefile"))
        .map(PathBuf::from)
        .unwrap_or_else(|| kdir.clone());
    let args: Vec<String> = fs::read_to_string(&args_file)
        .expect("clang-args.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.replace("$(srctree)", &srctree.to_string_lossy())
                .replace("$(objtree)", &kdir.to_string_lossy())
                .replace("$(shim)", &shim.to_string_lossy())
        })
        .collect();

    let headers = fs::read_to_string(shim.join("headers.txt")).expect("headers.txt");
    let includes: String = headers
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|h| !h.is_empty())
        .map(|h| format!("#include <{h}>\n"))
        .collect();
    let input = out.join("input.h");
    fs::write(
        &input,
        format!("{includes}#include \"shim.h\"\n#include \"consts.h\"\n"),
    )
    .unwrap();
    let consts = fs::read_to_string(shim.join("consts.h")).expect("consts.h");
    let consts = consts
        .split(PREFIX)
        .skip(1)
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect();

    let bindings = bindgen::Builder::default()
        .header(input.to_string_lossy())
        .clang_args(&args)
        .rust_target(bindgen::RustTarget::stable(85, 0).unwrap())
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
        .wrap_static_fns_suffix("__extern")
        .wrap_static_fns_path(out.join("wrappers"))
        .parse_callbacks(Box::new(Callbacks {
            consts,
            renamed: Mutex::default(),
        }))
        .generate()
        .expect("bindgen failed");
    bindings.write_to_file(out.join("bindings.rs")).unwrap();
    println!(
        "cargo:rustc-env=KO_BINDINGS_RS={}",
        out.join("bindings.rs").display()
    );
}

/// gen's naming rules, so the kernel crate sees the same names.
#[derive(Debug)]
struct Callbacks {
    /// Macros that consts.h turns into typed `rust_shim_<MACRO>` constants.
    consts: BTreeSet<String>,
    /// Shim functions renamed from `rust_shim_<name>` to `<name>`.
    renamed: Mutex<BTreeSet<String>>,
}

impl ParseCallbacks for Callbacks {
    /// consts.h gives these macros a type: do not emit them twice.
    fn will_parse_macro(&self, name: &str) -> MacroParsingBehavior {
        if self.consts.contains(name) {
            MacroParsingBehavior::Ignore
        } else {
            MacroParsingBehavior::Default
        }
    }

    /// `rust_shim_<name>` -> `<name>`.
    fn generated_name_override(&self, item: ItemInfo<'_>) -> Option<String> {
        let name = item.name.strip_prefix(PREFIX)?;
        if matches!(item.kind, ItemKind::Function) {
            self.renamed.lock().unwrap().insert(name.to_string());
        }
        Some(name.to_string())
    }

    /// Renamed shim functions still link against `rust_shim_<name>`.
    fn generated_link_name_override(&self, item: ItemInfo<'_>) -> Option<String> {
        let renamed = matches!(item.kind, ItemKind::Function)
            && self.renamed.lock().unwrap().contains(item.name);
        renamed.then(|| format!("{PREFIX}{}", item.name))
    }

    /// errno values are C `int`s.
    fn int_macro(&self, name: &str, value: i64) -> Option<IntKind> {
        let errno = name.len() > 1
            && name.starts_with('E')
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (1..4096).contains(&value);
        errno.then_some(IntKind::Int)
    }
}
