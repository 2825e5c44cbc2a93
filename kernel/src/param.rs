//! Module parameters, declared in [`module!`](crate::module!)'s `params`
//! block and read through [`Param`].
//!
//! The kernel parses `insmod name=value` with its own `param_ops_*`
//! before the module's `init` runs; a value it cannot parse makes `insmod`
//! fail. Parameters with a non-zero `permissions` appear in
//! `/sys/module/<name>/parameters/` with those permissions; those with a
//! write bit can change at any time (sysfs writes, under the kernel's
//! `kernel_param_lock`), so:
//!
//! - integers and `bool` are stored in atomics: [`Param::get`] always sees a
//!   whole value (the latest or the previous one);
//! - a writable `str` parameter is only read under `kernel_param_lock`
//!   ([`Param::with`]), because a sysfs write frees the old string.
//!
//! | type in `module!` | Rust value | kernel type (`parmtype`) |
//! |---|---|---|
//! | `u8` | `u8` | `byte` |
//! | `i16`, `u16` | `i16`, `u16` | `short`, `ushort` |
//! | `i32`, `u32` | `i32`, `u32` | `int`, `uint` |
//! | `i64`, `u64` | `i64`, `u64` | `long`, `ulong` |
//! | `bool` | `bool` | `bool` (`y/n/1/0`; `name` alone means true) |
//! | `str` | `&CStr` in [`Param::with`] | `charp` (at most 1023 bytes) |

use core::sync::atomic::{AtomicBool, AtomicI16, AtomicI32, AtomicI64, AtomicU16};
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};

/// Whether `perm` is accepted for a parameter, by the rules of the C macro
/// `VERIFY_OCTAL_PERMISSIONS`: at most `0o777`, never writable by others,
/// readable by user >= group >= others, writable by user >= group.
pub const fn permissions_ok(perm: u16) -> bool {
    perm <= 0o777
        && (perm >> 6) & 4 >= (perm >> 3) & 4
        && (perm >> 3) & 4 >= perm & 4
        && (perm >> 6) & 2 >= (perm >> 3) & 2
        && perm & 2 == 0
}

/// Whether sysfs lets root change the parameter (any write bit).
pub const fn permissions_writable(perm: u16) -> bool {
    perm & 0o222 != 0
}

/// A module parameter's storage: the value the kernel's `param_ops_*`
/// write (at offset 0, as the C type), and whether it may change after
/// load.
#[repr(C)]
pub struct Param<S> {
    storage: S,
    writable: bool,
}

macro_rules! int_params {
    ($($atomic:ident => $value:ty,)*) => {$(
        impl Param<$atomic> {
            #[doc(hidden)]
            pub const fn new(default: $value, perm: u16) -> Self {
                Param { storage: $atomic::new(default), writable: permissions_writable(perm) }
            }

            /// The parameter's current value.
            pub fn get(&self) -> $value {
                self.storage.load(Ordering::Relaxed)
            }
        }
    )*};
}

int_params! {
    AtomicU8 => u8,
    AtomicI16 => i16,
    AtomicU16 => u16,
    AtomicI32 => i32,
    AtomicU32 => u32,
    AtomicI64 => i64,
    AtomicU64 => u64,
    AtomicBool => bool,
}

#[cfg(target_os = "none")]
mod kernel {
    use core::ffi::{c_char, c_void, CStr};
    use core::sync::atomic::{AtomicPtr, Ordering};

    use super::{permissions_ok, permissions_writable, Param};
    use crate::bindings::{self, kernel_param, kernel_param_ops, module};

    /// `THIS_MODULE`: the `struct module` modpost defines for this module.
    pub(crate) const THIS_MODULE: *mut module = &raw mut bindings::__this_module;

    /// The kernel's parsers, per parameter type.
    #[doc(hidden)]
    pub mod ops {
        use crate::bindings::{self, kernel_param_ops};
        pub const BYTE: *const kernel_param_ops = &raw const bindings::param_ops_byte;
        pub const SHORT: *const kernel_param_ops = &raw const bindings::param_ops_short;
        pub const USHORT: *const kernel_param_ops = &raw const bindings::param_ops_ushort;
        pub const INT: *const kernel_param_ops = &raw const bindings::param_ops_int;
        pub const UINT: *const kernel_param_ops = &raw const bindings::param_ops_uint;
        pub const LONG: *const kernel_param_ops = &raw const bindings::param_ops_long;
        pub const ULONG: *const kernel_param_ops = &raw const bindings::param_ops_ulong;
        pub const BOOL: *const kernel_param_ops = &raw const bindings::param_ops_bool;
        pub const CHARP: *const kernel_param_ops = &raw const bindings::param_ops_charp;
    }

    impl Param<AtomicPtr<c_char>> {
        #[doc(hidden)]
        pub const fn new(default: &'static CStr, perm: u16) -> Self {
            Param {
                // The kernel never writes through the pointer: a new value
                // replaces it (param_set_charp), and only strings it
                // allocated itself are freed.
                storage: AtomicPtr::new(default.as_ptr().cast_mut()),
                writable: permissions_writable(perm),
            }
        }

        /// Calls `f` with the parameter's current value; a parameter that
        /// sysfs may change is read under `kernel_param_lock`, so `f`
        /// should be short (it must not read other parameters).
        pub fn with<R>(&self, f: impl FnOnce(&CStr) -> R) -> R {
            struct Unlock;
            impl Drop for Unlock {
                fn drop(&mut self) {
                    // SAFETY: taken below, by this thread.
                    unsafe { bindings::kernel_param_unlock(THIS_MODULE) };
                }
            }
            let _unlock = self.writable.then(|| {
                // SAFETY: THIS_MODULE is this module; the lock is released
                // by `Unlock` (sleeping context, as for any parameter read).
                unsafe { bindings::kernel_param_lock(THIS_MODULE) };
                Unlock
            });
            let ptr = self.storage.load(Ordering::Relaxed);
            let value = if ptr.is_null() {
                c""
            } else {
                // SAFETY: the pointer is the default (a static C string)
                // or a string param_set_charp allocated; it is only freed
                // by a later write (excluded by the lock if writable) or at
                // unload, after the module's code ran.
                unsafe { CStr::from_ptr(ptr) }
            };
            f(value)
        }
    }

    /// One `struct kernel_param` for the `__param` section.
    #[doc(hidden)]
    #[repr(transparent)]
    pub struct ParamEntry(kernel_param);

    // SAFETY: the entry is immutable; the kernel synchronises its own use
    // of the pointers in it.
    unsafe impl Sync for ParamEntry {}

    impl ParamEntry {
        pub const fn new<S>(
            name: &'static CStr,
            param: &'static Param<S>,
            ops: *const kernel_param_ops,
            perm: u16,
        ) -> Self {
            assert!(
                permissions_ok(perm),
                "bad parameter permissions (at most 0o775, no write for others)"
            );
            ParamEntry(kernel_param {
                name: name.as_ptr(),
                mod_: THIS_MODULE,
                ops,
                perm,
                level: -1,
                flags: 0,
                __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 {
                    // The storage is the first field of the #[repr(C)] Param.
                    arg: param as *const Param<S> as *mut c_void,
                },
            })
        }
    }
}

#[cfg(target_os = "none")]
pub(crate) use kernel::THIS_MODULE;
#[cfg(target_os = "none")]
#[doc(hidden)]
pub use kernel::{ops, ParamEntry};

/// Maps a parameter type of `module!` to its pieces.
#[doc(hidden)]
#[macro_export]
macro_rules! __param {
    (storage u8) => { ::core::sync::atomic::AtomicU8 };
    (storage i16) => { ::core::sync::atomic::AtomicI16 };
    (storage u16) => { ::core::sync::atomic::AtomicU16 };
    (storage i32) => { ::core::sync::atomic::AtomicI32 };
    (storage u32) => { ::core::sync::atomic::AtomicU32 };
    (storage i64) => { ::core::sync::atomic::AtomicI64 };
    (storage u64) => { ::core::sync::atomic::AtomicU64 };
    (storage bool) => { ::core::sync::atomic::AtomicBool };
    (storage str) => { ::core::sync::atomic::AtomicPtr<::core::ffi::c_char> };
    (ops u8) => { $crate::param::ops::BYTE };
    (ops i16) => { $crate::param::ops::SHORT };
    (ops u16) => { $crate::param::ops::USHORT };
    (ops i32) => { $crate::param::ops::INT };
    (ops u32) => { $crate::param::ops::UINT };
    (ops i64) => { $crate::param::ops::LONG };
    (ops u64) => { $crate::param::ops::ULONG };
    (ops bool) => { $crate::param::ops::BOOL };
    (ops str) => { $crate::param::ops::CHARP };
    (typename u8) => { "byte" };
    (typename i16) => { "short" };
    (typename u16) => { "ushort" };
    (typename i32) => { "int" };
    (typename u32) => { "uint" };
    (typename i64) => { "long" };
    (typename u64) => { "ulong" };
    (typename bool) => { "bool" };
    (typename str) => { "charp" };
    (default str, $value:expr) => { $crate::__cstr!($value) };
    (default $other:ident, $value:expr) => { $value };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_follow_the_c_rules() {
        for ok in [
            0, 0o400, 0o444, 0o600, 0o644, 0o664, 0o440, 0o220, 0o200, 0o775,
        ] {
            assert!(permissions_ok(ok), "{ok:o}");
        }
        for bad in [0o1000, 0o666, 0o002, 0o044, 0o404, 0o020, 0o777] {
            assert!(!permissions_ok(bad), "{bad:o}");
        }
    }

    #[test]
    fn writable_means_any_write_bit() {
        assert!(!permissions_writable(0o444));
        assert!(permissions_writable(0o644));
        assert!(permissions_writable(0o220));
    }

    #[test]
    fn storage_is_at_offset_zero_with_the_c_size() {
        let p = Param::<AtomicI32>::new(-3, 0o444);
        assert_eq!(&p as *const _ as usize, &p.storage as *const _ as usize);
        assert_eq!(core::mem::size_of::<AtomicBool>(), 1);
        assert_eq!(p.get(), -3);
        assert!(Param::<AtomicBool>::new(true, 0o644).get());
        assert_eq!(Param::<AtomicU64>::new(u64::MAX, 0).get(), u64::MAX);
    }

    #[test]
    fn type_names_match_the_kernel() {
        assert_eq!(crate::__param!(typename str), "charp");
        assert_eq!(crate::__param!(typename u32), "uint");
        assert_eq!(crate::__param!(typename i64), "long");
    }
}
