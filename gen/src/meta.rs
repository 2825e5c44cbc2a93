//! The set's `meta.toml`: what kernel it is for and what made it.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use crate::generate::{Stats, GENERATED};
use crate::run_bindgen;
use crate::shim::{Shim, PREFIX};
use crate::tree::Tree;

#[derive(Debug, Clone)]
pub struct Meta {
    pub set: String,
    pub release: String,
    pub version: String,
    pub arch: String,
    pub flavor: String,
    pub config_fingerprint: String,
    pub compiler: String,
    pub compiler_command: String,
    pub clang: String,
    pub headers: Vec<String>,
    pub dropped: Vec<String>,
    pub stats: Stats,
}

impl Meta {
    /// The meta.toml of set `name` made from `tree`.
    pub fn new(
        tree: &Tree,
        name: &str,
        compiler_command: &str,
        shim: &Shim,
        stats: &Stats,
        dropped: &BTreeSet<String>,
    ) -> Result<Meta> {
        let config_path = tree.path.join(".config");
        let config = fs::read_to_string(&config_path)
            .with_context(|| format!("cannot read {}", config_path.display()))?;
        Ok(Meta {
            set: name.to_string(),
            release: tree.release.clone(),
            version: tree.version.to_string(),
            arch: tree.arch.clone(),
            flavor: tree.flavor.clone(),
            config_fingerprint: tree.config.clone(),
            compiler: config_value(&config, "CONFIG_CC_VERSION_TEXT")
                .unwrap_or_else(|| compiler_command.to_string()),
            compiler_command: compiler_command.to_string(),
            clang: run_bindgen::clang_version(),
            headers: shim.headers.clone(),
            dropped: dropped.iter().cloned().collect(),
            stats: stats.clone(),
        })
    }
}

fn config_value(config: &str, key: &str) -> Option<String> {
    config.lines().find_map(|l| {
        let v = l.strip_prefix(key)?.strip_prefix('=')?;
        Some(v.trim_matches('"').to_string())
    })
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn render(m: &Meta) -> String {
    let mut s = format!("# {GENERATED}\n\n");
    s.push_str(&format!("set = {}\n\n", quote(&m.set)));
    s.push_str("[kernel]\n");
    for (k, v) in [
        ("release", &m.release),
        ("version", &m.version),
        ("arch", &m.arch),
        ("flavor", &m.flavor),
        ("config_fingerprint", &m.config_fingerprint),
        ("compiler", &m.compiler),
        ("compiler_command", &m.compiler_command),
    ] {
        s.push_str(&format!("{k} = {}\n", quote(v)));
    }
    s.push_str("\n[generator]\n");
    for (k, v) in [
        ("gen", env!("CARGO_PKG_VERSION")),
        ("bindgen", run_bindgen::BINDGEN_VERSION),
        ("clang", &m.clang),
        ("rust_target", &format!("1.{}", run_bindgen::RUST_TARGET.0)),
    ] {
        s.push_str(&format!("{k} = {}\n", quote(v)));
    }
    s.push_str("\n[symbols]\n");
    s.push_str(&format!(
        "# C name of the wrapper of static inline function <f>: <f>{}\n",
        run_bindgen::WRAPPER_SUFFIX
    ));
    s.push_str(&format!(
        "wrapper_suffix = {}\n",
        quote(run_bindgen::WRAPPER_SUFFIX)
    ));
    s.push_str("# C name of the shim of macro <m> (see shim/shim.h): <prefix><m in lower case>\n");
    s.push_str(&format!("shim_prefix = {}\n", quote(PREFIX)));
    s.push_str(&format!("static_inline_wrappers = {}\n", m.stats.wrappers));
    s.push_str(&format!("shim_functions = {}\n", m.stats.shim_functions));
    s.push_str(&format!("constants = {}\n", m.stats.constants));
    s.push_str(
        "\n[layout]\n# layout.c/layout.txt: sizes, alignments, field offsets and values checked\n\
         # against the target kernel's gcc in every module build; dropped: rejected by gcc\n",
    );
    s.push_str(&format!("checks = {}\n", m.stats.layout.items));
    s.push_str(&format!("dropped_checks = {}\n", m.stats.layout.dropped));
    s.push_str("\n[input]\n# shim/headers.txt\nheaders = [\n");
    for h in &m.headers {
        s.push_str(&format!("    {},\n", quote(h)));
    }
    s.push_str("]\n");
    s.push_str(
        "\n[dropped]\n# Static inline functions left out of wrappers.c and bindings.rs because the\n\
         # kernel's gcc rejects (or warns about) them out of line: they need constant\n\
         # arguments (BUILD_BUG_ON, \"i\" asm constraints), lose qualifiers, or leave\n\
         # UACCESS enabled (objtool).\nfunctions = [\n",
    );
    for d in &m.dropped {
        s.push_str(&format!("    {},\n", quote(d)));
    }
    s.push_str("]\n");
    s
}

/// A string value from a committed meta.toml (`key = "value"`), for `--list`
/// and `--check`, read the way the build's set choice reads it.
pub fn read_value(set_dir: &Path, key: &str) -> Option<String> {
    let text = fs::read_to_string(set_dir.join(crate::generate::META_TOML)).ok()?;
    kernel_tree::sets::meta_value(&text, key)
}

/// The `[dropped] functions` of a meta.toml.
pub fn dropped_functions(meta: &str) -> BTreeSet<String> {
    meta.split_once("\n[dropped]\n")
        .and_then(|(_, rest)| rest.split_once("functions = [\n"))
        .map(|(_, list)| {
            list.lines()
                .take_while(|l| l.trim() != "]")
                .filter_map(|l| {
                    let l = l.trim().trim_end_matches(',');
                    l.strip_prefix('"')?.strip_suffix('"').map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}
