//! The hand-written part of every set's input, in the repository's `shim/`:
//! `headers.txt` (the one header list), `shim.h` (macro wrappers) and
//! `consts.h` (typed constants for macros bindgen cannot evaluate).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// C symbols of shim functions and constants start with this; gen strips it
/// to get the Rust name.
pub const PREFIX: &str = "rust_shim_";
pub const HEADER_LIST: &str = "headers.txt";
pub const SHIM_HEADER: &str = "shim.h";
pub const CONSTS_HEADER: &str = "consts.h";

#[derive(Debug, Clone)]
pub struct Shim {
    pub dir: PathBuf,
    /// As written in `#include <...>`, in list order.
    pub headers: Vec<String>,
    /// Macro names that consts.h turns into typed constants.
    pub consts: BTreeSet<String>,
}

impl Shim {
    pub fn load(dir: &Path) -> Result<Shim> {
        let list = dir.join(HEADER_LIST);
        let text = fs::read_to_string(&list)
            .with_context(|| format!("cannot read the header list {}", list.display()))?;
        let headers = parse_header_list(&text)
            .with_context(|| format!("bad header list {}", list.display()))?;
        for name in [SHIM_HEADER, CONSTS_HEADER] {
            let file = dir.join(name);
            if !file.is_file() {
                bail!("missing {}", file.display());
            }
        }
        let consts_text = fs::read_to_string(dir.join(CONSTS_HEADER))
            .with_context(|| format!("cannot read {}", dir.join(CONSTS_HEADER).display()))?;
        if consts_text
            .lines()
            .any(|l| l.trim_start().starts_with("#include"))
        {
            bail!(
                "{} must not #include anything (it is read after headers.txt and shim.h)",
                dir.join(CONSTS_HEADER).display()
            );
        }
        Ok(Shim {
            dir: dir.to_path_buf(),
            headers,
            consts: const_names(&consts_text),
        })
    }

    /// Copies the shim directory `src` to `dest` (a directory that must not
    /// exist yet) and adds `extra` headers to the copy's list (those not
    /// listed yet, in order): the shim of a set that also binds them.
    pub fn copy_with_headers(src: &Path, dest: &Path, extra: &[String]) -> Result<Shim> {
        let base = Shim::load(src)?;
        for header in extra {
            if !is_header_path(header) {
                bail!("extra header '{header}' is not a header path like linux/netdevice.h");
            }
        }
        fs::create_dir(dest)
            .with_context(|| format!("cannot create directory {}", dest.display()))?;
        for entry in fs::read_dir(src).with_context(|| format!("cannot read {}", src.display()))? {
            let entry = entry?;
            if entry.file_type()?.is_file() && entry.file_name() != HEADER_LIST {
                let to = dest.join(entry.file_name());
                fs::copy(entry.path(), &to)
                    .with_context(|| format!("cannot write {}", to.display()))?;
            }
        }
        // Written anew rather than copied and appended to: the source may be
        // read-only (a vendored or registry crate).
        let mut list = fs::read_to_string(src.join(HEADER_LIST))?;
        let mut added: Vec<&String> = Vec::new();
        for header in extra {
            if !base.headers.contains(header) && !added.contains(&header) {
                added.push(header);
            }
        }
        if !added.is_empty() {
            if !list.is_empty() && !list.ends_with('\n') {
                list.push('\n');
            }
            list.push_str("# Added at build time (KERNEL_INCLUDE):\n");
            for header in added {
                list.push_str(header);
                list.push('\n');
            }
        }
        let to = dest.join(HEADER_LIST);
        fs::write(&to, list).with_context(|| format!("cannot write {}", to.display()))?;
        Shim::load(dest)
    }

    /// The header bindgen reads: the listed headers, then the shims.
    pub fn input_header(&self) -> String {
        let mut out = String::from("/* bindgen input made by gen */\n");
        out.push_str(&self.wrapper_includes());
        out.push_str(&format!("#include \"{CONSTS_HEADER}\"\n"));
        out
    }

    /// `#include <...>` lines for the listed headers.
    pub fn includes(&self) -> String {
        self.headers
            .iter()
            .map(|h| format!("#include <{h}>\n"))
            .collect()
    }

    /// bindgen's `allowlist_file` patterns: the listed headers wherever the
    /// include path finds them (`include/`, `include/uapi/`,
    /// `arch/<arch>/include/`, their `generated/` twins), and the shims'
    /// own headers. bindgen then binds what those files define and what
    /// that needs, not everything they include: on 6.1 that is 1157 of 3106
    /// static inline functions and 1092 of 13668 constants.
    pub fn allowlist_files(&self) -> Result<Vec<String>> {
        let dir = self
            .dir
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", self.dir.display()))?;
        // One pattern for all headers: bindgen matches every item's file
        // against each pattern, and 47 of them cost 5 s of a 9 s run.
        let headers: Vec<String> = self.headers.iter().map(|h| split_parts(h)).collect();
        Ok(vec![
            format!(".*/include(/generated)?(/uapi)?/({})", headers.join("|")),
            format!("{}/[^/]*\\.h", regex_literal(&dir.to_string_lossy())),
        ])
    }

    /// What wrappers.c includes: everything bindgen saw but consts.h.
    pub fn wrapper_includes(&self) -> String {
        format!("{}#include \"{SHIM_HEADER}\"\n", self.includes())
    }
}

/// A listed header and the parts it is split into, as a regex: for
/// `linux/<name>.h`, also `linux/<name>/*.h` (6.1's `linux/atomic/`, where
/// `atomic_read` is), `asm-generic/<name>-*.h` (5.10's
/// `asm-generic/atomic-instrumented.h`, the same functions) and
/// `linux/<name>_rt.h` (PREEMPT_RT's `spin_lock`, `mutex_trylock`).
fn split_parts(header: &str) -> String {
    match header
        .strip_prefix("linux/")
        .and_then(|h| h.strip_suffix(".h"))
        .filter(|name| !name.contains('/'))
    {
        Some(name) => {
            let name = regex_literal(name);
            format!("linux/{name}(_rt)?\\.h|linux/{name}/[^/]*\\.h|asm-generic/{name}-[^/]*\\.h")
        }
        None => regex_literal(header),
    }
}

/// `text` as a regex that matches only itself.
fn regex_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_punctuation() && !matches!(c, '/' | '_' | '-') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn parse_header_list(text: &str) -> Result<Vec<String>> {
    let mut headers = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        if !is_header_path(entry) {
            bail!(
                "line {}: '{entry}' is not a header path like linux/slab.h",
                n + 1
            );
        }
        if headers.iter().any(|h| h == entry) {
            bail!("line {}: {entry} is listed twice", n + 1);
        }
        headers.push(entry.to_string());
    }
    if headers.is_empty() {
        bail!("it lists no headers");
    }
    Ok(headers)
}

/// A relative path below an include directory, like `linux/slab.h`.
fn is_header_path(entry: &str) -> bool {
    entry.ends_with(".h")
        && !entry.starts_with('/')
        && !entry.split('/').any(|c| c == ".." || c.is_empty())
        && entry
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-.".contains(c))
}

/// `NAME` for every `rust_shim_NAME` in consts.h.
fn const_names(text: &str) -> BTreeSet<String> {
    text.match_indices(PREFIX)
        .map(|(i, _)| {
            text[i + PREFIX.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_list() {
        let h = parse_header_list("# c\nlinux/slab.h # x\n\n  linux/fs.h\n").unwrap();
        assert_eq!(h, ["linux/slab.h", "linux/fs.h"]);
        assert!(parse_header_list("/abs/x.h").is_err());
        assert!(parse_header_list("linux/../x.h").is_err());
        assert!(parse_header_list("# only comments").is_err());
    }

    #[test]
    fn copy_with_extra_headers() {
        let tmp = crate::tempdir::TempDir::new("gen-shim-test-").unwrap();
        let src = tmp.path().join("shim");
        fs::create_dir(&src).unwrap();
        fs::write(src.join(HEADER_LIST), "linux/slab.h").unwrap();
        fs::write(src.join(SHIM_HEADER), "").unwrap();
        fs::write(src.join(CONSTS_HEADER), "").unwrap();
        fs::write(src.join("slab.c"), "/* shim */\n").unwrap();
        let extra = ["linux/fs.h", "linux/slab.h", "linux/fs.h"].map(String::from);
        let copy = Shim::copy_with_headers(&src, &tmp.path().join("copy"), &extra).unwrap();
        assert_eq!(copy.headers, ["linux/slab.h", "linux/fs.h"]);
        assert_eq!(copy.dir, tmp.path().join("copy"));
        assert!(copy.dir.join("slab.c").is_file());
        // The source is left alone; bad names are refused.
        assert_eq!(Shim::load(&src).unwrap().headers, ["linux/slab.h"]);
        let bad = ["../x.h".to_string()];
        assert!(Shim::copy_with_headers(&src, &tmp.path().join("bad"), &bad).is_err());
    }

    #[test]
    fn consts() {
        let n = const_names("const gfp_t rust_shim_GFP_KERNEL = GFP_KERNEL;\n/* rust_shim_ */");
        assert_eq!(n.into_iter().collect::<Vec<_>>(), ["GFP_KERNEL"]);
    }
}
