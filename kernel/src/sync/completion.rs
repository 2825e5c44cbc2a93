//! [`Completion`]: a one-way event (`struct completion`). Tasks wait
//! until another task calls [`complete_all`](Completion::complete_all)
//! (every waiter, now and later, goes on) or [`complete`](Completion::complete)
//! (one waiter goes on).
//!
//! ```no_run
//! use kernel::kthread::{self, KThread};
//! use kernel::prelude::*;
//! use kernel::sync::Completion;
//! use kernel::time::msecs_to_jiffies;
//!
//! # fn f() -> Result {
//! let started = Arc::try_alloc(Completion::new()?)?;
//! let signal = started.clone();
//! let thread = KThread::run(c"worker", move || {
//!     signal.complete_all(); // the thread is up
//!     while !kthread::should_stop() {
//!         kthread::sleep_timeout(msecs_to_jiffies(100));
//!     }
//!     0
//! })?;
//! started.wait_for_completion(); // returns once the thread has run
//! thread.stop();
//! # Ok(())
//! # }
//! ```

use core::cell::UnsafeCell;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::addr_of_mut;

use rust_alloc::boxed::Box;

use crate::alloc::BoxExt;
use crate::bindings;
use crate::error::{code, Result};

/// A completion; see the module docs.
pub struct Completion {
    inner: UnsafeCell<bindings::completion>,
    _pin: PhantomPinned,
}

// SAFETY: a completion has its own lock; all its functions are made for
// concurrent use from any task.
unsafe impl Send for Completion {}
// SAFETY: as for Send.
unsafe impl Sync for Completion {}

impl Completion {
    /// A new, not completed completion, pinned in its own allocation.
    pub fn new() -> Result<Pin<Box<Self>>> {
        let mut uninit = Box::<Self>::try_alloc_uninit()?;
        let this = uninit.as_mut_ptr();
        // SAFETY: `this` points to an allocation for Self; the completion
        // is initialised where it stays (the box is pinned below).
        unsafe {
            let c = addr_of_mut!((*this).inner).cast::<bindings::completion>();
            // A macro around __init_completion before 6.1's sets.
            #[cfg(kernel_at_least = "6.1")]
            bindings::init_completion(c);
            #[cfg(not(kernel_at_least = "6.1"))]
            bindings::__init_completion(c);
            Ok(Pin::new_unchecked(uninit.assume_init()))
        }
    }

    /// Lets one waiter (now or the next to come) go on.
    pub fn complete(&self) {
        // SAFETY: initialised in `new`, pinned.
        unsafe { bindings::complete(self.inner.get()) }
    }

    /// Lets every waiter, now and later, go on.
    pub fn complete_all(&self) {
        // SAFETY: initialised in `new`, pinned.
        unsafe { bindings::complete_all(self.inner.get()) }
    }

    /// Sleeps until completed (signals do not wake it).
    pub fn wait_for_completion(&self) {
        // SAFETY: initialised in `new`, pinned; may sleep (process context).
        unsafe { bindings::wait_for_completion(self.inner.get()) }
    }

    /// Sleeps until completed or a signal arrives: `ERESTARTSYS` then.
    pub fn wait_for_completion_interruptible(&self) -> Result {
        // SAFETY: as in wait_for_completion.
        match unsafe { bindings::wait_for_completion_interruptible(self.inner.get()) } {
            0 => Ok(()),
            _ => Err(code::ERESTARTSYS),
        }
    }
}
