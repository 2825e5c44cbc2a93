//! Kernel error codes.

use core::ffi::c_int;

/// A kernel error: a positive errno such as `EINVAL`, reported to the
/// kernel as its negative value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error(c_int);

/// The result of fallible kernel operations.
pub type Result<T = ()> = core::result::Result<T, Error>;

impl Error {
    /// Invalid argument.
    pub const EINVAL: Error = Error(22);
    /// Out of memory.
    pub const ENOMEM: Error = Error(12);
    /// Device or resource busy.
    pub const EBUSY: Error = Error(16);

    /// The value a kernel entry point returns for this error (`-errno`).
    pub fn to_errno(self) -> c_int {
        -self.0
    }
}
