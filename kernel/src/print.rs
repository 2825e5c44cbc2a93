//! Printing to the kernel log through `_printk`.

use core::ffi::CStr;

use crate::bindings;

/// Kernel log levels (`KERN_EMERG` ... `KERN_INFO`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Emerg,
    Alert,
    Crit,
    Err,
    Warning,
    Notice,
    Info,
}

impl Level {
    /// The printk format for one message at this level: the level prefix
    /// (`KERN_SOH` + digit) and a single `%s`, so a message is never parsed
    /// as a format string.
    fn format(self) -> &'static CStr {
        match self {
            Level::Emerg => c"\x010%s\n",
            Level::Alert => c"\x011%s\n",
            Level::Crit => c"\x012%s\n",
            Level::Err => c"\x013%s\n",
            Level::Warning => c"\x014%s\n",
            Level::Notice => c"\x015%s\n",
            Level::Info => c"\x016%s\n",
        }
    }
}

/// Prints one line to the kernel log.
pub fn print_cstr(level: Level, message: &CStr) {
    // SAFETY: both pointers are valid NUL-terminated strings for the
    // duration of the call; the format consumes exactly one `%s` argument.
    unsafe { bindings::_printk(level.format().as_ptr(), message.as_ptr()) };
}

/// Turns a string literal into a `&'static CStr` at compile time
/// (an interior NUL is a compile error).
#[doc(hidden)]
#[macro_export]
macro_rules! __cstr {
    ($msg:literal) => {
        const {
            match ::core::ffi::CStr::from_bytes_with_nul(concat!($msg, "\0").as_bytes()) {
                Ok(s) => s,
                Err(_) => panic!("message contains a NUL byte"),
            }
        }
    };
}

/// Prints a string literal to the kernel log at `KERN_INFO` level.
#[macro_export]
macro_rules! pr_info {
    ($msg:literal $(,)?) => {
        $crate::print::print_cstr($crate::print::Level::Info, $crate::__cstr!($msg))
    };
}

/// Prints a string literal to the kernel log at `KERN_EMERG` level.
#[macro_export]
macro_rules! pr_emerg {
    ($msg:literal $(,)?) => {
        $crate::print::print_cstr($crate::print::Level::Emerg, $crate::__cstr!($msg))
    };
}
