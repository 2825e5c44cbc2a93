//! Sleeping and spinning locks: [`Mutex`] and [`SpinLock`].
//!
//! Kernel locks must not move once initialised, so they are created
//! pinned in their own allocation by [`new_mutex!`](crate::new_mutex) and
//! [`new_spinlock!`](crate::new_spinlock), which also give each call site
//! its own lock class (a `static` `lock_class_key`, as C's `mutex_init`
//! does), so lockdep kernels tell the locks of different sites apart.
//!
//! ```no_run
//! use kernel::prelude::*;
//!
//! # fn f() -> Result {
//! let counter: Pin<Box<Mutex<u32>>> = new_mutex!(0, "counter")?;
//! *counter.lock() += 1;
//! # Ok(())
//! # }
//! ```

use core::cell::UnsafeCell;
use core::ffi::CStr;
use core::marker::{PhantomData, PhantomPinned};
use core::mem::MaybeUninit;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;
use core::ptr::addr_of_mut;

use rust_alloc::boxed::Box;

use crate::alloc::BoxExt;
use crate::bindings;
use crate::error::Result;

mod completion;
mod condvar;
mod mutex;
pub mod poll;
mod spinlock;

pub use completion::Completion;
pub use condvar::CondVar;
pub use mutex::{Mutex, MutexBackend, MutexGuard};
pub use poll::{PollCondVar, PollTable};
pub use spinlock::{SpinLock, SpinLockBackend, SpinLockGuard};

/// A lock class for lockdep: one `static` per lock initialisation site.
pub struct LockClassKey(UnsafeCell<MaybeUninit<bindings::lock_class_key>>);

// SAFETY: the key is only handed to the kernel (lockdep synchronises its
// use of it); Rust never reads or writes it.
unsafe impl Sync for LockClassKey {}

impl LockClassKey {
    /// A key for a `static` (lockdep wants keys in static storage).
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        LockClassKey(UnsafeCell::new(MaybeUninit::zeroed()))
    }

    fn as_ptr(&'static self) -> *mut bindings::lock_class_key {
        self.0.get().cast()
    }
}

/// A kind of kernel lock, used by [`Lock`].
///
/// # Safety
///
/// `lock` and `unlock` must provide mutual exclusion on a state that
/// `init` initialised and that was not moved since.
pub unsafe trait Backend {
    /// The C lock type.
    type State;
    /// Whether a guard may be held across sleeping operations.
    const MAY_SLEEP: bool;

    /// # Safety
    ///
    /// `state` is valid for writes and never moves afterwards.
    unsafe fn init(
        state: *mut Self::State,
        name: *const core::ffi::c_char,
        key: *mut bindings::lock_class_key,
    );
    /// # Safety
    ///
    /// `state` was initialised by `init`.
    unsafe fn lock(state: *mut Self::State);
    /// # Safety
    ///
    /// `state` is locked by the current task.
    unsafe fn unlock(state: *mut Self::State);
}

/// A value of type `T` protected by a kernel lock of kind `B`.
pub struct Lock<T: ?Sized, B: Backend> {
    state: UnsafeCell<MaybeUninit<B::State>>,
    _pin: PhantomPinned,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one task at a time, so sharing or
// sending the lock only needs `T: Send` (as std's Mutex).
unsafe impl<T: ?Sized + Send, B: Backend> Send for Lock<T, B> {}
// SAFETY: through `&Lock` the data is only reached with the lock held
// (a `Guard`; `get_mut` needs `&mut`), i.e. by one task at a time, so
// sharing the lock only needs `T: Send`; the C lock state is made for
// concurrent use.
unsafe impl<T: ?Sized + Send, B: Backend> Sync for Lock<T, B> {}

impl<T, B: Backend> Lock<T, B> {
    /// A new lock holding `value`, pinned in its own allocation. Use
    /// [`new_mutex!`](crate::new_mutex) / [`new_spinlock!`](crate::new_spinlock),
    /// which supply a key per call site.
    pub fn new_pinned(
        value: T,
        name: &'static CStr,
        key: &'static LockClassKey,
    ) -> Result<Pin<Box<Self>>> {
        let mut uninit = Box::<Self>::try_alloc_uninit()?;
        let this = uninit.as_mut_ptr();
        // SAFETY: `this` points to an allocation for `Self`; both fields are
        // written before `assume_init` (`_pin` is zero-sized), and the lock
        // is initialised where it will stay: the box is pinned below.
        unsafe {
            addr_of_mut!((*this).data).write(UnsafeCell::new(value));
            B::init(
                addr_of_mut!((*this).state).cast(),
                name.as_ptr(),
                key.as_ptr(),
            );
            Ok(Pin::new_unchecked(uninit.assume_init()))
        }
    }
}

impl<T: ?Sized, B: Backend> Lock<T, B> {
    /// Locks (sleeping or spinning, by `B`) and returns a guard that
    /// unlocks when dropped.
    pub fn lock(&self) -> Guard<'_, T, B> {
        // SAFETY: `state` was initialised by `new_pinned` and is pinned.
        unsafe { B::lock(self.state.get().cast()) };
        Guard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// A mutable reference through exclusive access (no locking needed).
    pub fn get_mut(self: Pin<&mut Self>) -> &mut T {
        // SAFETY: `data` is not structurally pinned: handing out `&mut T`
        // never moves the lock state.
        unsafe { self.get_unchecked_mut() }.data.get_mut()
    }
}

/// Holds a [`Lock`] locked; gives access to the data. Dropping it unlocks.
/// Not `Send`: a lock is released by the task that took it.
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct Guard<'a, T: ?Sized, B: Backend> {
    lock: &'a Lock<T, B>,
    _not_send: PhantomData<*mut ()>,
}

// SAFETY: a shared guard only gives `&T`.
unsafe impl<T: ?Sized + Sync, B: Backend> Sync for Guard<'_, T, B> {}

impl<T: ?Sized, B: Backend> Deref for Guard<'_, T, B> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the lock is held: no one else accesses the data.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized, B: Backend> DerefMut for Guard<'_, T, B> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the lock is held: no one else accesses the data.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized, B: Backend> Drop for Guard<'_, T, B> {
    fn drop(&mut self) {
        // SAFETY: the guard exists only while this task holds the lock.
        unsafe { B::unlock(self.lock.state.get().cast()) };
    }
}

/// A pinned [`Mutex`] holding a value, with a lock class for this call
/// site: `new_mutex!(value, "name")` → `Result<Pin<Box<Mutex<T>>>>`
/// (`ENOMEM` if the allocation fails).
#[macro_export]
macro_rules! new_mutex {
    ($value:expr, $name:literal $(,)?) => {{
        static KEY: $crate::sync::LockClassKey = $crate::sync::LockClassKey::new();
        $crate::sync::Mutex::new_pinned($value, $crate::__cstr!($name), &KEY)
    }};
}

/// A pinned [`SpinLock`] holding a value, with a lock class for this call
/// site: `new_spinlock!(value, "name")` → `Result<Pin<Box<SpinLock<T>>>>`.
#[macro_export]
macro_rules! new_spinlock {
    ($value:expr, $name:literal $(,)?) => {{
        static KEY: $crate::sync::LockClassKey = $crate::sync::LockClassKey::new();
        $crate::sync::SpinLock::new_pinned($value, $crate::__cstr!($name), &KEY)
    }};
}
