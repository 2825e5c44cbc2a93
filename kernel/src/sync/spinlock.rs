//! [`SpinLock`]: a `spinlock_t`. On ordinary kernels the holder must not
//! sleep (no `GFP_KERNEL` allocation, no [`Mutex`], no user copies); on
//! PREEMPT_RT kernels (Debian's `rt` flavor) `spin_lock` is an rtmutex
//! (`rt_spin_lock`), reached through the same static inline wrapper.
//!
//! [`Mutex`]: super::Mutex

use core::ffi::c_char;

use super::{Backend, Guard, Lock};
use crate::bindings;

/// The `spinlock_t` backend of [`SpinLock`].
pub struct SpinLockBackend;

// SAFETY: spin_lock/spin_unlock provide mutual exclusion on a spinlock_t
// initialised by spin_lock_init's expansion (through the shim).
unsafe impl Backend for SpinLockBackend {
    type State = bindings::spinlock_t;
    const MAY_SLEEP: bool = false;

    unsafe fn init(
        state: *mut bindings::spinlock_t,
        name: *const c_char,
        key: *mut bindings::lock_class_key,
    ) {
        // SAFETY: the caller passes writable, pinned memory; `name` and
        // `key` are static.
        unsafe { bindings::spin_lock_init_with_key(state, name, key) }
    }

    unsafe fn lock(state: *mut bindings::spinlock_t) {
        // SAFETY: `state` was initialised by `init` and has not moved
        // since (the caller's contract), as spin_lock requires.
        unsafe { bindings::compat::spin_lock(state) }
    }

    unsafe fn unlock(state: *mut bindings::spinlock_t) {
        // SAFETY: `state` is initialised and locked by the current task
        // (the caller's contract): spin_unlock releases the owner's lock.
        unsafe { bindings::compat::spin_unlock(state) }
    }
}

/// A value protected by a kernel `spinlock_t`; see [`new_spinlock!`](crate::new_spinlock).
pub type SpinLock<T> = Lock<T, SpinLockBackend>;
/// A locked [`SpinLock`].
pub type SpinLockGuard<'a, T> = Guard<'a, T, SpinLockBackend>;
