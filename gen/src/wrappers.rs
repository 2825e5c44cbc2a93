//! wrappers.c: bindgen's out-of-line copies of static inline functions,
//! made path-independent and warning-free for the kernel's Kbuild.

use std::collections::BTreeSet;

use anyhow::{bail, Result};

use crate::generate::GENERATED;
use crate::run_bindgen::WRAPPER_SUFFIX;
use crate::shim::{Shim, PREFIX};

/// bindgen's wrapper C `#include`s its input header by absolute path:
/// replace that with the listed headers (path-independent), and give every
/// wrapper a prototype (the kernel builds with -Wmissing-prototypes).
pub fn wrappers_c(raw: &str, shim: &Shim) -> Result<String> {
    let mut out = format!("// {GENERATED}\n");
    out.push_str(
        "// Out-of-line copies of the static inline functions of the headers in\n\
         // shim/headers.txt: `<name>__extern` calls `<name>`. A module build never\n\
         // compiles all of them (many reference symbols the kernel does not export,\n\
         // which modpost rejects): mk/select-wrappers.sh copies the #include lines and\n\
         // the lines of the wrappers its Rust code calls (one line per prototype and\n\
         // per definition) into one C file, compiled with the kernel's Kbuild and\n\
         // -I<kernel-bindings>/shim (for shim.h).\n",
    );
    out.push_str(&shim.wrapper_includes());
    let mut body = String::new();
    let mut saw_include = false;
    for line in raw.lines() {
        if line.starts_with("#include") {
            saw_include = true;
            continue;
        }
        if let Some(proto) = prototype(line) {
            out.push_str(&proto);
            out.push('\n');
        }
        body.push_str(line);
        body.push('\n');
    }
    if !saw_include {
        bail!("unexpected wrapper file from bindgen (no #include)");
    }
    if body.contains(PREFIX) {
        bail!("a shim ({PREFIX}*) ended up among the static inline wrappers");
    }
    out.push('\n');
    out.push_str(body.trim_start_matches('\n'));
    Ok(out)
}

/// Number of wrapper definitions.
pub fn count(wrappers: &str) -> usize {
    wrappers
        .lines()
        .filter(|l| l.ends_with('}') && wrapper_name(l).is_some())
        .count()
}

/// `ret name__extern(args) { return name(args); }` -> `ret name__extern(args);`
fn prototype(line: &str) -> Option<String> {
    let marker = format!("{WRAPPER_SUFFIX}(");
    if !line.contains(&marker) || line.starts_with(char::is_whitespace) {
        return None;
    }
    let brace = line.find(") {")?;
    Some(format!("{};", &line[..=brace]))
}

/// `type name__extern(args)...` -> `name`.
pub fn wrapper_name(line: &str) -> Option<String> {
    let end = line.find(&format!("{WRAPPER_SUFFIX}("))?;
    let start = line[..end]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &line[start..end];
    (!name.is_empty()).then(|| name.to_string())
}

pub fn remove_wrappers(text: &str, names: &BTreeSet<String>) -> String {
    text.lines()
        .filter(|l| wrapper_name(l).is_none_or(|n| !names.contains(&n)))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            wrapper_name(
                "struct task_struct * get_current__extern(void) { return get_current(); }"
            ),
            Some("get_current".to_string())
        );
        assert_eq!(wrapper_name("#include <linux/slab.h>"), None);
    }

    #[test]
    fn prototypes() {
        assert_eq!(
            prototype("void f__extern(void (*cb)(int)) { f(cb); }").as_deref(),
            Some("void f__extern(void (*cb)(int));")
        );
    }
}
