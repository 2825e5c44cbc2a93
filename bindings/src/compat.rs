//! Calls whose C signature changed between supported kernels, selected
//! with the `kernel_at_least` cfg (see the crate docs).

use core::ffi::c_char;

/// `class_create(name)`: creates a device class owned by this module.
///
/// # Safety
///
/// `name` must be a NUL-terminated string that outlives the class.
#[cfg(kernel_at_least = "6.4")]
pub unsafe fn class_create(name: *const c_char) -> *mut super::class {
    // SAFETY: the caller guarantees `name`; the function is exported since 6.4.
    unsafe { super::class_create(name) }
}

/// `class_create(THIS_MODULE, name)`: before 6.4 the macro took the owner
/// and hid a static lock class key, which is spelled out here.
///
/// # Safety
///
/// `name` must be a NUL-terminated string that outlives the class.
#[cfg(not(kernel_at_least = "6.4"))]
pub unsafe fn class_create(name: *const c_char) -> *mut super::class {
    use core::cell::UnsafeCell;

    struct Key(UnsafeCell<super::lock_class_key>);
    // SAFETY: the key is only handed to the kernel, which synchronises
    // lockdep's use of it; Rust never reads or writes it.
    unsafe impl Sync for Key {}
    static KEY: Key = Key(UnsafeCell::new(
        // SAFETY: lock_class_key has only integer and raw-pointer fields
        // (none without lockdep): all-zero is a valid value, and the
        // initial state of the static key C's class_create() declares.
        unsafe { core::mem::zeroed() },
    ));
    // SAFETY: `this_module()` is the module being built; the caller
    // guarantees `name`; KEY lives forever.
    unsafe { super::__class_create(super::this_module(), name, KEY.0.get()) }
}

/// The kernel's printk: a function named `_printk` since 5.15, where
/// `printk` became a macro around it; `printk` itself before.
#[cfg(kernel_at_least = "5.15")]
pub use super::_printk as printk;
#[cfg(not(kernel_at_least = "5.15"))]
pub use super::printk;

#[cfg(all(kernel_flavor = "rt-amd64", not(kernel_at_least = "5.15")))]
pub use super::{
    _mutex_trylock as mutex_trylock, _mutex_unlock as mutex_unlock, rt_spin_lock as spin_lock,
    rt_spin_unlock as spin_unlock,
};
/// Locking calls that 5.10's PREEMPT_RT patch set turns into macros around
/// rt-mutex based functions (`mutex_unlock(l)` is `_mutex_unlock(l)`,
/// `spin_lock(l)` is `rt_spin_lock(l)`); real functions or static inlines
/// everywhere else.
#[cfg(not(all(kernel_flavor = "rt-amd64", not(kernel_at_least = "5.15"))))]
pub use super::{mutex_trylock, mutex_unlock, spin_lock, spin_unlock};
