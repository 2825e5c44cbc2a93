//! Kernel error codes: [`Error`] wraps a positive errno (`EINVAL` is 22)
//! and is handed to the kernel as its negative value.

use core::ffi::c_int;
use core::fmt;

/// A kernel error: a positive errno such as `EINVAL`, reported to the
/// kernel as its negative value ([`Error::to_errno`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Error(c_int);

/// The result of fallible kernel operations.
pub type Result<T = (), E = Error> = core::result::Result<T, E>;

/// The largest errno a kernel function returns as `-errno` (`MAX_ERRNO`).
pub const MAX_ERRNO: c_int = 4095;

macro_rules! declare_codes {
    ($($name:ident = $value:literal: $doc:literal,)*) => {
        /// The errno constants, e.g. `code::EINVAL` (also in the prelude).
        pub mod code {
            $(
                #[doc = $doc]
                pub const $name: super::Error = super::Error($value);
            )*
        }

        impl Error {
            $(
                #[doc = $doc]
                pub const $name: Error = Error($value);
            )*

            /// The errno's name (`"EINVAL"`), if it is one of [`code`]'s.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }

        // The values are the kernel's ABI; check them against the target
        // kernel's headers anyway.
        #[cfg(target_os = "none")]
        const _: () = {
            $(assert!($value == crate::bindings::$name, stringify!($name));)*
        };
    };
}

declare_codes! {
    EPERM = 1: "Operation not permitted.",
    ENOENT = 2: "No such file or directory.",
    EINTR = 4: "Interrupted system call.",
    EIO = 5: "I/O error.",
    ENXIO = 6: "No such device or address.",
    E2BIG = 7: "Argument list too long.",
    EBADF = 9: "Bad file number.",
    EAGAIN = 11: "Try again.",
    ENOMEM = 12: "Out of memory.",
    EACCES = 13: "Permission denied.",
    EFAULT = 14: "Bad address.",
    EBUSY = 16: "Device or resource busy.",
    EEXIST = 17: "File exists.",
    ENODEV = 19: "No such device.",
    ENOTDIR = 20: "Not a directory.",
    EISDIR = 21: "Is a directory.",
    EINVAL = 22: "Invalid argument.",
    ENOTTY = 25: "Inappropriate ioctl for device.",
    EFBIG = 27: "File too large.",
    ENOSPC = 28: "No space left on device.",
    ESPIPE = 29: "Illegal seek.",
    EROFS = 30: "Read-only file system.",
    EPIPE = 32: "Broken pipe.",
    EDOM = 33: "Math argument out of domain.",
    ERANGE = 34: "Math result not representable.",
    ENOSYS = 38: "Invalid system call number.",
    EOVERFLOW = 75: "Value too large for defined data type.",
    EMSGSIZE = 90: "Message too long.",
    EOPNOTSUPP = 95: "Operation not supported.",
    ETIMEDOUT = 110: "Connection timed out.",
    ERESTARTSYS = 512: "Restart the system call (never seen by user space).",
    ENOTSUPP = 524: "Operation is not supported (kernel-internal).",
}

impl Error {
    /// The error a kernel function reported as `-errno` (`-4095..=-1`).
    /// Anything else is not an errno and becomes `EINVAL`, as in
    /// Rust-for-Linux.
    pub const fn from_errno(errno: c_int) -> Error {
        if errno < -MAX_ERRNO || errno >= 0 {
            Error::EINVAL
        } else {
            Error(-errno)
        }
    }

    /// The value a kernel entry point returns for this error (`-errno`).
    pub const fn to_errno(self) -> c_int {
        -self.0
    }

    /// The positive errno.
    pub const fn errno(self) -> c_int {
        self.0
    }
}

/// `Ok(ret)` for a non-negative return value, the error for `-errno`.
pub fn to_result(ret: c_int) -> Result<c_int> {
    if ret < 0 {
        Err(Error::from_errno(ret))
    } else {
        Ok(ret)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Error({})", self.0),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<crate::alloc::AllocError> for Error {
    fn from(_: crate::alloc::AllocError) -> Error {
        Error::ENOMEM
    }
}

impl From<rust_alloc::collections::TryReserveError> for Error {
    fn from(_: rust_alloc::collections::TryReserveError) -> Error {
        Error::ENOMEM
    }
}

impl From<core::str::Utf8Error> for Error {
    fn from(_: core::str::Utf8Error) -> Error {
        Error::EINVAL
    }
}

impl From<core::num::ParseIntError> for Error {
    fn from(_: core::num::ParseIntError) -> Error {
        Error::EINVAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_round_trip() {
        assert_eq!(code::EINVAL.to_errno(), -22);
        assert_eq!(Error::from_errno(-22), code::EINVAL);
        assert_eq!(Error::from_errno(-12).errno(), 12);
        assert_eq!(Error::from_errno(-4095).to_errno(), -4095);
    }

    #[test]
    fn non_errnos_become_einval() {
        for bad in [0, 1, 22, -4096, c_int::MIN, c_int::MAX] {
            assert_eq!(Error::from_errno(bad), code::EINVAL, "{bad}");
        }
    }

    #[test]
    fn to_result_splits_on_sign() {
        assert_eq!(to_result(0), Ok(0));
        assert_eq!(to_result(7), Ok(7));
        assert_eq!(to_result(-14), Err(code::EFAULT));
    }

    #[test]
    fn names_and_debug() {
        assert_eq!(format!("{:?}", code::ENOMEM), "ENOMEM");
        assert_eq!(format!("{}", Error::from_errno(-1000)), "Error(1000)");
        assert_eq!(code::ERESTARTSYS.name(), Some("ERESTARTSYS"));
    }

    #[test]
    fn conversions() {
        let mut v: Vec<u8> = Vec::new();
        let e: Error = v.try_reserve(usize::MAX).unwrap_err().into();
        assert_eq!(e, code::ENOMEM);
        let e: Error = "x".parse::<u32>().unwrap_err().into();
        assert_eq!(e, code::EINVAL);
    }
}
