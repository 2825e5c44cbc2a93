//! [`CondVar`]: a condition variable over a kernel wait queue
//! (`wait_queue_head`). A task waits with a [`Mutex`] or [`SpinLock`]
//! guard, which is released while it sleeps and held again when it wakes;
//! another task changes the guarded state and calls
//! [`notify_one`](CondVar::notify_one) or [`notify_all`](CondVar::notify_all).
//! Wake-ups may be spurious: always wait in a loop that checks the state.
//!
//! [`Mutex`]: super::Mutex
//! [`SpinLock`]: super::SpinLock
//!
//! ```no_run
//! use kernel::prelude::*;
//!
//! /// Items counted under a mutex; takers sleep until there is one.
//! struct Stock {
//!     items: Pin<Box<Mutex<u32>>>,
//!     refilled: Pin<Box<CondVar>>,
//! }
//!
//! impl Stock {
//!     fn take(&self) -> Result {
//!         let mut items = self.items.lock();
//!         while *items == 0 {
//!             if self.refilled.wait_interruptible(&mut items) {
//!                 return Err(ERESTARTSYS); // a signal: the system call ends
//!             }
//!         }
//!         *items -= 1;
//!         Ok(())
//!     }
//!
//!     fn put(&self) {
//!         *self.items.lock() += 1;
//!         self.refilled.notify_one();
//!     }
//! }
//!
//! # fn f() -> Result {
//! let stock = Stock {
//!     items: new_mutex!(0, "stock_items")?,
//!     refilled: new_condvar!("stock_refilled")?,
//! };
//! stock.put();
//! stock.take()?;
//! # Ok(())
//! # }
//! ```

use core::cell::UnsafeCell;
use core::ffi::{c_int, CStr};
use core::marker::PhantomPinned;
use core::mem::MaybeUninit;
use core::pin::Pin;
use core::ptr::{self, addr_of_mut};

use rust_alloc::boxed::Box;

use super::{Backend, Guard, LockClassKey};
use crate::alloc::BoxExt;
use crate::bindings;
use crate::error::Result;

/// A wait queue that tasks sleep on until notified; see the module docs
/// and [`new_condvar!`](crate::new_condvar).
pub struct CondVar {
    wait: UnsafeCell<bindings::wait_queue_head>,
    _pin: PhantomPinned,
}

// SAFETY: the wait queue has its own lock; every operation on it is made
// for concurrent use from any task.
unsafe impl Send for CondVar {}
// SAFETY: as for Send: `&CondVar` only reaches the kernel's wait queue
// functions, which lock the queue.
unsafe impl Sync for CondVar {}

impl CondVar {
    /// A new condition variable, pinned in its own allocation. Use
    /// [`new_condvar!`](crate::new_condvar), which supplies a key per call site.
    pub fn new_pinned(name: &'static CStr, key: &'static LockClassKey) -> Result<Pin<Box<Self>>> {
        let mut uninit = Box::<Self>::try_alloc_uninit()?;
        let this = uninit.as_mut_ptr();
        // SAFETY: `this` points to an allocation for Self; the wait queue
        // is initialised where it stays (the box is pinned below), and
        // `_pin` is zero-sized; name and key are static.
        unsafe {
            bindings::init_waitqueue_head_with_key(
                addr_of_mut!((*this).wait).cast(),
                name.as_ptr(),
                key.as_ptr(),
            );
            Ok(Pin::new_unchecked(uninit.assume_init()))
        }
    }

    pub(crate) fn wait_queue(&self) -> *mut bindings::wait_queue_head {
        self.wait.get()
    }

    fn wait_in_state<T: ?Sized, B: Backend>(&self, state: u32, guard: &mut Guard<'_, T, B>) {
        let mut entry = MaybeUninit::<bindings::wait_queue_entry>::uninit();
        let entry = entry.as_mut_ptr();
        let lock = guard.lock.state.get().cast::<B::State>();
        // SAFETY: `entry` lives on this stack frame until finish_wait has
        // taken it off the queue; the queue was initialised in new_pinned.
        // The state is set before the lock is released, so a notify after
        // the unlock wakes us (schedule then returns at once). The guard
        // proves this task holds the lock: it is released around the
        // sleep and held again before the guard is used.
        unsafe {
            bindings::init_wait_entry(entry, 0);
            let _ = bindings::prepare_to_wait_exclusive(self.wait.get(), entry, state as c_int);
            B::unlock(lock);
            bindings::schedule();
            B::lock(lock);
            bindings::finish_wait(self.wait.get(), entry);
        }
    }

    /// Releases the lock, sleeps until notified (signals do not wake it),
    /// then takes the lock again.
    pub fn wait<T: ?Sized, B: Backend>(&self, guard: &mut Guard<'_, T, B>) {
        self.wait_in_state(bindings::TASK_UNINTERRUPTIBLE, guard);
    }

    /// As [`wait`](Self::wait), but a signal wakes the task too; returns
    /// whether a signal is pending, in which case the caller usually
    /// returns `ERESTARTSYS` (the system call is restarted or fails with
    /// `EINTR`, as the signal's handler asks).
    #[must_use = "a pending signal must end the wait loop"]
    pub fn wait_interruptible<T: ?Sized, B: Backend>(&self, guard: &mut Guard<'_, T, B>) -> bool {
        self.wait_in_state(bindings::TASK_INTERRUPTIBLE, guard);
        crate::task::signal_pending()
    }

    fn wake(&self, nr: c_int) {
        // SAFETY: the queue was initialised in new_pinned; __wake_up takes
        // its lock. TASK_NORMAL wakes interruptible and uninterruptible
        // sleepers. (Its result, void before 6.6, is of no use.)
        unsafe {
            bindings::__wake_up(self.wait.get(), bindings::TASK_NORMAL, nr, ptr::null_mut());
        }
    }

    /// Wakes one waiting task (and every `poll` waiter).
    pub fn notify_one(&self) {
        self.wake(1);
    }

    /// Wakes every waiting task.
    pub fn notify_all(&self) {
        self.wake(0);
    }
}

/// A pinned [`CondVar`] with a lock class for this call site:
/// `new_condvar!("name")` → `Result<Pin<Box<CondVar>>>`.
#[macro_export]
macro_rules! new_condvar {
    ($name:literal $(,)?) => {{
        static KEY: $crate::sync::LockClassKey = $crate::sync::LockClassKey::new();
        $crate::sync::CondVar::new_pinned($crate::__cstr!($name), &KEY)
    }};
}
