//! A command the kernel's build runs that is not installed (typically the
//! compiler a header tree names, say `gcc-10`): finding it in a Kbuild log
//! and naming the Debian package that provides it.

/// The command a log line says is missing, from the shell
/// (`/bin/sh: 1: gcc-10: not found`, `bash: line 1: gcc-10: command not
/// found`) or from make running it directly (`make[1]: gcc-10: No such file
/// or directory`).
pub fn missing_command(log: &str) -> Option<String> {
    log.lines().find_map(|line| {
        let line = line.trim();
        let rest = [": not found", ": command not found", ": Command not found"]
            .iter()
            .find_map(|s| line.strip_suffix(s))
            .or_else(|| {
                // Only make's own line: a compiler's "foo.h: No such file"
                // is about a header, not a command.
                line.strip_suffix(": No such file or directory")
                    .filter(|r| r.starts_with("make") && !r.contains("***"))
            })?;
        let command = rest.rsplit(": ").next()?.trim();
        (!command.is_empty() && !command.contains(' ')).then(|| command.to_string())
    })
}

/// What to do about the missing `command`: the package and the command
/// that installs it, or, for a command no known package provides, just
/// that it is missing.
pub fn install_advice(command: &str) -> String {
    match debian_package(command, &host_triplet()) {
        Some(package) => format!("{command} is not installed: sudo apt-get install {package}"),
        None => format!("{command} is not installed: install it or put it on PATH"),
    }
}

/// This machine's GNU triplet, as Debian's multiarch names it
/// (`x86_64-linux-gnu`): tools with this prefix come in the plain packages.
fn host_triplet() -> String {
    format!("{}-linux-gnu", std::env::consts::ARCH)
}

/// The Debian package providing `command` (a name or a path) on a machine
/// whose triplet is `host`: `gcc-N`, `<host>-gcc-N` → `gcc-N`;
/// `<cross>-gcc-N` → `gcc-N-<cross>`; `clang-N` → `clang-N`; `ld`, `as`
/// → `binutils` (`<cross>-ld` → `binutils-<cross>`); `make` → `make`.
/// `None` for anything else.
fn debian_package(command: &str, host: &str) -> Option<String> {
    let name = command.rsplit('/').next().unwrap_or(command);
    // A version suffix: the `12` of `gcc-12`.
    let (tool, version) = match name.rsplit_once('-') {
        Some((t, v)) if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            (t, Some(v))
        }
        _ => (name, None),
    };
    let (triplet, tool) = match tool.rsplit_once('-') {
        Some((t, tool)) if t != host => (Some(t), tool),
        Some((_, tool)) => (None, tool),
        None => (None, tool),
    };
    if triplet.is_some_and(|t| !t.contains("-linux-gnu")) {
        return None;
    }
    let cross = triplet.map(|t| format!("-{t}")).unwrap_or_default();
    let versioned = |base: &str| version.map_or(base.to_string(), |v| format!("{base}-{v}"));
    match (tool, triplet, version) {
        ("gcc", _, _) => Some(versioned("gcc") + &cross),
        // Debian's clang is one package for every target, and unprefixed.
        ("clang", None, _) => Some(versioned("clang")),
        ("ld" | "ld.bfd" | "ld.gold" | "as", _, None) => Some(format!("binutils{cross}")),
        ("make", None, None) => Some("make".to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMD64: &str = "x86_64-linux-gnu";

    fn package(command: &str) -> Option<String> {
        debian_package(command, AMD64)
    }

    #[test]
    fn compilers() {
        assert_eq!(package("gcc-10").as_deref(), Some("gcc-10"));
        assert_eq!(
            package("x86_64-linux-gnu-gcc-12").as_deref(),
            Some("gcc-12")
        );
        assert_eq!(package("/usr/bin/gcc-12").as_deref(), Some("gcc-12"));
        assert_eq!(
            package("aarch64-linux-gnu-gcc-12").as_deref(),
            Some("gcc-12-aarch64-linux-gnu")
        );
        assert_eq!(
            package("aarch64-linux-gnu-gcc").as_deref(),
            Some("gcc-aarch64-linux-gnu")
        );
        assert_eq!(package("clang-14").as_deref(), Some("clang-14"));
        assert_eq!(package("gcc").as_deref(), Some("gcc"));
    }

    #[test]
    fn the_host_decides_what_is_cross() {
        assert_eq!(
            debian_package("x86_64-linux-gnu-gcc-12", "aarch64-linux-gnu").as_deref(),
            Some("gcc-12-x86_64-linux-gnu")
        );
    }

    #[test]
    fn binutils_and_make() {
        assert_eq!(package("ld").as_deref(), Some("binutils"));
        assert_eq!(package("as").as_deref(), Some("binutils"));
        assert_eq!(package("x86_64-linux-gnu-ld").as_deref(), Some("binutils"));
        assert_eq!(
            package("aarch64-linux-gnu-ld").as_deref(),
            Some("binutils-aarch64-linux-gnu")
        );
        assert_eq!(package("make").as_deref(), Some("make"));
    }

    #[test]
    fn unknown_commands_name_no_package() {
        for command in [
            "banana",
            "foo-gcc",
            "make-4",
            "aarch64-linux-gnu-clang-14",
            "cc",
        ] {
            assert_eq!(package(command), None, "{command}");
        }
        assert_eq!(
            install_advice("banana"),
            "banana is not installed: install it or put it on PATH"
        );
    }

    #[test]
    fn missing_commands_in_logs() {
        let dash = "  CC [M]  x.o\n/bin/sh: 1: gcc-10: not found\n\
                    make[1]: *** [Makefile.build:255: x.o] Error 127\n";
        assert_eq!(missing_command(dash).as_deref(), Some("gcc-10"));
        let bash = "bash: line 1: x86_64-linux-gnu-gcc-10: command not found\n";
        assert_eq!(
            missing_command(bash).as_deref(),
            Some("x86_64-linux-gnu-gcc-10")
        );
        let make = "make[1]: gcc-10: No such file or directory\n";
        assert_eq!(missing_command(make).as_deref(), Some("gcc-10"));
        let header = "x.c:1:10: fatal error: foo.h: No such file or directory\n";
        assert_eq!(missing_command(header), None);
        assert_eq!(missing_command("x.c:3: error: expected ';'\n"), None);
    }

    #[test]
    fn advice_names_the_install_command() {
        assert!(install_advice("gcc-10").ends_with(": sudo apt-get install gcc-10"));
    }
}
