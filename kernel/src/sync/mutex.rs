//! [`Mutex`]: a sleeping lock (`struct mutex`). Lock it only where the
//! task may sleep (not in atomic context, not under a [`SpinLock`]).
//!
//! [`SpinLock`]: super::SpinLock

use core::ffi::c_char;

use super::{Backend, Guard, Lock};
use crate::bindings;

/// The `struct mutex` backend of [`Mutex`].
pub struct MutexBackend;

// SAFETY: mutex_lock/mutex_unlock provide mutual exclusion on a mutex
// initialised by __mutex_init (through the shim).
unsafe impl Backend for MutexBackend {
    type State = bindings::mutex;
    const MAY_SLEEP: bool = true;

    unsafe fn init(
        state: *mut bindings::mutex,
        name: *const c_char,
        key: *mut bindings::lock_class_key,
    ) {
        // SAFETY: the caller passes writable, pinned memory; `name` and
        // `key` are static.
        unsafe { bindings::mutex_init_with_key(state, name, key) }
    }

    unsafe fn lock(state: *mut bindings::mutex) {
        // SAFETY: `state` was initialised by `init` and has not moved
        // since (the caller's contract), as mutex_lock requires.
        unsafe { bindings::mutex_lock(state) }
    }

    unsafe fn unlock(state: *mut bindings::mutex) {
        // SAFETY: `state` is initialised and locked by the current task
        // (the caller's contract): mutex_unlock releases the owner's lock.
        unsafe { bindings::compat::mutex_unlock(state) }
    }
}

/// A value protected by a kernel `struct mutex`; see [`new_mutex!`](crate::new_mutex).
pub type Mutex<T> = Lock<T, MutexBackend>;
/// A locked [`Mutex`].
pub type MutexGuard<'a, T> = Guard<'a, T, MutexBackend>;

impl<T: ?Sized> Lock<T, MutexBackend> {
    /// Locks unless the lock is taken; never sleeps.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        // SAFETY: initialised by `new_pinned` and pinned.
        let locked = unsafe { bindings::compat::mutex_trylock(self.state.get().cast()) };
        (locked != 0).then(|| Guard {
            lock: self,
            _not_send: core::marker::PhantomData,
        })
    }
}
