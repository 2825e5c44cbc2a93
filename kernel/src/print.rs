//! Printing to the kernel log through `_printk`: `pr_emerg!` ... `pr_debug!`
//! and `pr_cont!`, with Rust format arguments.
//!
//! As in C and Rust-for-Linux, a message ends its line only with an explicit
//! `\n` (`pr_info!("x = {}\n", x)`); `pr_cont!` continues the current line.
//! A message that is a plain string literal costs one `_printk(fmt, msg)`
//! call and no formatting code. Formatted messages are written into a
//! bounded stack buffer ([`CHUNK`] bytes) and flushed in pieces, the
//! later ones as `KERN_CONT` continuations, so long messages are never cut
//! silently. Text is never parsed as a printk format (`%s` / `%.*s`).

use core::fmt;

/// Bytes of formatted text passed to one `_printk` call.
pub const CHUNK: usize = 256;

/// Kernel log levels (`KERN_EMERG` ... `KERN_DEBUG`) and `KERN_CONT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Emerg,
    Alert,
    Crit,
    Err,
    Warning,
    Notice,
    Info,
    Debug,
    /// `KERN_CONT`: continues the current line.
    Cont,
}

impl Level {
    /// The level's prefix: `KERN_SOH` and `'0'..='7'` or `'c'`.
    pub const fn prefix(self) -> [u8; 2] {
        [0x01, b"01234567c"[self as usize]]
    }

    /// The printk format `<prefix>%.*s` (NUL-terminated) for one piece of
    /// a message; pieces after the first are continuations.
    pub const fn piece_format(self, first: bool) -> [u8; 7] {
        let level = if first { self } else { Level::Cont };
        let [soh, c] = level.prefix();
        [soh, c, b'%', b'.', b'*', b's', 0]
    }
}

/// Whether a literal needs `format_args!` (it has `{` or `}`, e.g. an
/// inline `{x}` argument or an escaped `{{`).
#[doc(hidden)]
pub const fn has_braces(text: &str) -> bool {
    contains(text, b'{') || contains(text, b'}')
}

/// Whether `text` contains `byte` (usable in constants).
#[doc(hidden)]
pub const fn contains(text: &str, byte: u8) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == byte {
            return true;
        }
        i += 1;
    }
    false
}

/// Collects formatted text and hands it to `emit(piece, first)` in pieces
/// of at most `N` bytes.
pub struct Chunker<const N: usize, F: FnMut(&[u8], bool)> {
    buf: [u8; N],
    len: usize,
    first: bool,
    emit: F,
}

impl<const N: usize, F: FnMut(&[u8], bool)> Chunker<N, F> {
    pub fn new(emit: F) -> Self {
        Chunker {
            buf: [0; N],
            len: 0,
            first: true,
            emit,
        }
    }

    fn flush(&mut self) {
        if self.len > 0 {
            (self.emit)(&self.buf[..self.len], self.first);
            self.first = false;
            self.len = 0;
        }
    }

    /// Emits what is left.
    pub fn finish(mut self) {
        self.flush();
    }
}

impl<const N: usize, F: FnMut(&[u8], bool)> fmt::Write for Chunker<N, F> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s.as_bytes();
        while !rest.is_empty() {
            if self.len == N {
                self.flush();
            }
            let n = rest.len().min(N - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&rest[..n]);
            self.len += n;
            rest = &rest[n..];
        }
        Ok(())
    }
}

#[cfg(target_os = "none")]
mod kernel {
    use core::ffi::{c_int, CStr};
    use core::fmt::{self, Write};

    use super::{Chunker, Level, CHUNK};
    use crate::bindings;

    /// Prints a C string as it is (one `_printk` call).
    #[inline(always)]
    pub fn print_cstr(level: Level, message: &CStr) {
        let format: &CStr = match level {
            Level::Emerg => c"\x010%s",
            Level::Alert => c"\x011%s",
            Level::Crit => c"\x012%s",
            Level::Err => c"\x013%s",
            Level::Warning => c"\x014%s",
            Level::Notice => c"\x015%s",
            Level::Info => c"\x016%s",
            Level::Debug => c"\x017%s",
            Level::Cont => c"\x01c%s",
        };
        // SAFETY: both are valid NUL-terminated strings for the duration
        // of the call; the format consumes exactly one `%s` argument.
        unsafe { bindings::compat::printk(format.as_ptr(), message.as_ptr()) };
    }

    /// Prints a literal that is its own printk format: the level prefix
    /// and text without `%` (checked by the macros at compile time).
    #[inline(always)]
    pub fn print_format(format: &CStr) {
        // SAFETY: `format` is a valid NUL-terminated string without `%`,
        // so printk reads no arguments.
        unsafe { bindings::compat::printk(format.as_ptr()) };
    }

    /// Prints one piece of a message (`%.*s`: no NUL needed).
    fn print_piece(level: Level, piece: &[u8], first: bool) {
        let format = level.piece_format(first);
        // `piece` is at most CHUNK bytes: the length fits a c_int.
        let len = piece.len() as c_int;
        // SAFETY: `format` is NUL-terminated and consumes an int and a
        // pointer to at least that many readable bytes, which `piece` is.
        unsafe { bindings::compat::printk(format.as_ptr().cast(), len, piece.as_ptr()) };
    }

    /// Formats and prints a message (see the module docs).
    pub fn print_fmt(level: Level, args: fmt::Arguments<'_>) {
        let mut out = Chunker::<CHUNK, _>::new(|piece, first| print_piece(level, piece, first));
        // A Display impl may fail half-way: print what it wrote.
        let _ = out.write_fmt(args);
        out.finish();
    }
}

#[cfg(target_os = "none")]
pub use kernel::{print_cstr, print_fmt, print_format};

/// Turns a string literal into a `&'static CStr` at compile time
/// (an interior NUL is a compile error).
#[doc(hidden)]
#[macro_export]
macro_rules! __cstr {
    ($msg:expr) => {
        const {
            match ::core::ffi::CStr::from_bytes_with_nul(concat!($msg, "\0").as_bytes()) {
                Ok(s) => s,
                Err(_) => panic!("string contains a NUL byte"),
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __print {
    // A literal without `%` is itself the printk format, behind the level
    // prefix: exactly the call C's pr_info("...") makes.
    ($level:ident, $prefix:literal, $fmt:literal $(,)?) => {
        if const { $crate::print::has_braces($fmt) } {
            $crate::print::print_fmt($crate::print::Level::$level, ::core::format_args!($fmt))
        } else if const { $crate::print::contains($fmt, b'%') } {
            $crate::print::print_cstr($crate::print::Level::$level, $crate::__cstr!($fmt))
        } else {
            $crate::print::print_format($crate::__cstr!(concat!($prefix, $fmt)))
        }
    };
    ($level:ident, $prefix:literal, $fmt:literal, $($arg:tt)*) => {
        $crate::print::print_fmt($crate::print::Level::$level, ::core::format_args!($fmt, $($arg)*))
    };
}

/// Prints at `KERN_EMERG` level: `pr_emerg!("x = {}\n", x)`.
#[macro_export]
macro_rules! pr_emerg { ($($arg:tt)*) => { $crate::__print!(Emerg, "\x010", $($arg)*) }; }
/// Prints at `KERN_ALERT` level.
#[macro_export]
macro_rules! pr_alert { ($($arg:tt)*) => { $crate::__print!(Alert, "\x011", $($arg)*) }; }
/// Prints at `KERN_CRIT` level.
#[macro_export]
macro_rules! pr_crit { ($($arg:tt)*) => { $crate::__print!(Crit, "\x012", $($arg)*) }; }
/// Prints at `KERN_ERR` level.
#[macro_export]
macro_rules! pr_err { ($($arg:tt)*) => { $crate::__print!(Err, "\x013", $($arg)*) }; }
/// Prints at `KERN_WARNING` level.
#[macro_export]
macro_rules! pr_warn { ($($arg:tt)*) => { $crate::__print!(Warning, "\x014", $($arg)*) }; }
/// Prints at `KERN_NOTICE` level.
#[macro_export]
macro_rules! pr_notice { ($($arg:tt)*) => { $crate::__print!(Notice, "\x015", $($arg)*) }; }
/// Prints at `KERN_INFO` level: `pr_info!("hello\n")`.
#[macro_export]
macro_rules! pr_info { ($($arg:tt)*) => { $crate::__print!(Info, "\x016", $($arg)*) }; }
/// Continues the current line (`KERN_CONT`).
#[macro_export]
macro_rules! pr_cont { ($($arg:tt)*) => { $crate::__print!(Cont, "\x01c", $($arg)*) }; }

/// Prints at `KERN_DEBUG` level in builds with debug assertions (the
/// default `kernel` profile); compiled out with `RELEASE=1`. There is no
/// dynamic debug: the kernel's console level decides what is shown.
#[macro_export]
macro_rules! pr_debug {
    ($($arg:tt)*) => {
        if cfg!(debug_assertions) {
            $crate::__print!(Debug, "\x017", $($arg)*)
        }
    };
}

// Host tests: std's infallible allocations are fine there (clippy.toml
// forbids them for the kernel).
#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use core::fmt::Write;

    fn pieces<const N: usize>(parts: &[&str]) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let mut w = Chunker::<N, _>::new(|p: &[u8], first| {
            out.push((String::from_utf8(p.to_vec()).unwrap(), first))
        });
        for part in parts {
            w.write_str(part).unwrap();
        }
        w.finish();
        out
    }

    #[test]
    fn short_message_is_one_first_piece() {
        assert_eq!(
            pieces::<16>(&["hello, ", "kernel\n"]),
            [("hello, kernel\n".into(), true)]
        );
    }

    #[test]
    fn long_message_is_split_not_cut() {
        let text = "abcdefghij".repeat(5);
        let got = pieces::<16>(&[&text]);
        assert_eq!(got.len(), 4);
        assert!(got[0].1 && got[1..].iter().all(|(_, first)| !first));
        assert!(got.iter().all(|(p, _)| p.len() <= 16));
        assert_eq!(
            got.iter().map(|(p, _)| p.as_str()).collect::<String>(),
            text
        );
    }

    #[test]
    fn exact_fill_has_no_empty_piece() {
        assert_eq!(pieces::<4>(&["ab", "cd"]), [("abcd".into(), true)]);
        assert_eq!(pieces::<4>(&["abcd", "e"]).len(), 2);
        assert!(pieces::<4>(&[""]).is_empty());
    }

    #[test]
    fn formats_through_write_fmt() {
        let mut s = Vec::new();
        let mut w = Chunker::<8, _>::new(|p: &[u8], _| s.extend_from_slice(p));
        write!(w, "{}-{:x}-{:?}", 42, 255, "q").unwrap();
        w.finish();
        assert_eq!(s, b"42-ff-\"q\"");
    }

    #[test]
    fn level_formats() {
        assert_eq!(Level::Emerg.prefix(), [1, b'0']);
        assert_eq!(Level::Info.prefix(), *b"\x016");
        assert_eq!(Level::Debug.prefix(), *b"\x017");
        assert_eq!(&Level::Info.piece_format(true), b"\x016%.*s\0");
        assert_eq!(&Level::Info.piece_format(false), b"\x01c%.*s\0");
        assert_eq!(&Level::Cont.piece_format(true), b"\x01c%.*s\0");
    }

    #[test]
    fn literal_detection() {
        assert!(!has_braces("hello: init\n"));
        assert!(has_braces("x = {x}"));
        assert!(has_braces("{{literal}}"));
        assert!(contains("100%\n", b'%'));
        assert!(!contains("hello from rust\n", b'%'));
    }
}
