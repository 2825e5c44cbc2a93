//! bindgen's layout assertions in a set's `bindings.rs`: the top-level
//! `const _: () = { ... };` blocks that make rustc check every struct's size,
//! alignment and field offsets against the numbers libclang gave at gen
//! time. They prove the Rust side of the committed file, which does not
//! depend on the kernel a module is built for (that is the C proof's job,
//! `layout.c` against the target's headers in every build), and they are
//! about 40 % of the bindings crate's compile time (on the 3 MB 6.1-amd64
//! set gen made before it bound only the listed headers' items: 879 blocks,
//! 5.4 s with them, 3.1 s without). So a module build drops them unless
//! asked to keep them, and `make test` keeps them for every set it builds.

/// The line that opens one assertion block, as bindgen (prettyplease) writes it.
const OPEN: &str = "const _: () = {";
/// The line that closes it.
const CLOSE: &str = "};";

/// `bindings` without its layout assertion blocks. An unterminated block
/// is an error: the file is not bindgen's.
pub fn strip(bindings: &str) -> Result<String, String> {
    let mut out = String::with_capacity(bindings.len());
    let mut inside = false;
    for line in bindings.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        if inside {
            inside = text != CLOSE;
        } else if text == OPEN {
            inside = true;
        } else {
            out.push_str(line);
        }
    }
    if inside {
        return Err(format!(
            "bindings.rs ends inside a layout assertion block (`{OPEN}` without `{CLOSE}`): regenerate the set"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "// Generated\n\
        #[repr(C)]\n\
        pub struct list_head {\n    pub next: *mut list_head,\n}\n\
        const _: () = {\n    [\"Size of list_head\"][::core::mem::size_of::<list_head>() - 16usize];\n};\n\
        pub const GFP: u32 = 1;\n\
        impl Default for x {\n    fn default() -> Self {\n        unsafe { zeroed() }\n    }\n}\n\
        const _: () = {\n    [\"a\"][0];\n};\n";

    #[test]
    fn drops_only_the_blocks() {
        let out = strip(SAMPLE).unwrap();
        assert_eq!(SAMPLE.matches(OPEN).count(), 2);
        assert!(!out.contains("size_of"));
        assert!(!out.contains("const _"));
        for kept in [
            "pub struct list_head",
            "pub const GFP",
            "impl Default",
            "}\n}\n",
        ] {
            assert!(out.contains(kept), "{kept} lost");
        }
        assert_eq!(out.lines().count(), SAMPLE.lines().count() - 6);
    }

    #[test]
    fn a_file_without_blocks_is_unchanged() {
        let text = "pub const A: u32 = 1;\npub const B: u32 = 2;";
        assert_eq!(strip(text).unwrap(), text);
    }

    #[test]
    fn an_unterminated_block_is_an_error() {
        let err = strip("const _: () = {\n    [\"a\"][0];\n").unwrap_err();
        assert!(err.contains("regenerate the set"), "{err}");
    }
}
