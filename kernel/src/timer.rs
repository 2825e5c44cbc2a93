//! [`Timer`]: a kernel timer (`timer_list`) that calls
//! [`TimerCallback::run`] in softirq context after a delay, once per
//! [`start`](Timer::start); the callback may start it again (a periodic
//! timer). Dropping the timer shuts it down and waits for a running
//! callback (`timer_shutdown_sync`, `del_timer_sync` before 6.2), so the
//! callback never sees freed memory.
//!
//! ```no_run
//! use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
//!
//! use kernel::prelude::*;
//! use kernel::time::msecs_to_jiffies;
//! use kernel::timer::{Timer, TimerCallback};
//!
//! struct Tick(AtomicU64);
//!
//! impl TimerCallback for Tick {
//!     fn run(timer: &Timer<Self>) {
//!         timer.0.fetch_add(1, Relaxed);
//!         timer.start(msecs_to_jiffies(10)); // again in 10 ms
//!     }
//! }
//!
//! # fn f() -> Result {
//! let timer = Timer::new(Tick(AtomicU64::new(0)))?;
//! timer.start(msecs_to_jiffies(10));
//! // ...
//! drop(timer); // stopped, no callback running
//! # Ok(())
//! # }
//! ```

use core::cell::UnsafeCell;
use core::marker::PhantomPinned;
use core::ops::Deref;
use core::pin::Pin;
use core::ptr::addr_of_mut;

use rust_alloc::boxed::Box;

use crate::alloc::BoxExt;
use crate::bindings::{self, timer_list};
use crate::error::Result;
use crate::time::{jiffies, Jiffies};

/// What a [`Timer`] runs. Called in softirq (atomic) context: it must not
/// sleep (no [`Mutex`](crate::sync::Mutex), no `GFP_KERNEL` allocation);
/// use atomics or a [`SpinLock`](crate::sync::SpinLock), or queue work.
pub trait TimerCallback: Sized + Send + Sync + 'static {
    /// The timer expired; `timer` derefs to the callback's own state.
    fn run(timer: &Timer<Self>);
}

/// A kernel timer owning its callback state `T`; see the module docs.
#[repr(C)]
pub struct Timer<T: TimerCallback> {
    // First field: the C callback finds the Timer from the timer_list.
    timer: UnsafeCell<timer_list>,
    data: T,
    _pin: PhantomPinned,
}

// SAFETY: the timer_list is only handed to the timer functions, which
// lock it; `T` is Send + Sync.
unsafe impl<T: TimerCallback> Send for Timer<T> {}
// SAFETY: as for Send: `&Timer` reaches the timer_list only through the
// kernel's timer functions, and `T` only as `&T`.
unsafe impl<T: TimerCallback> Sync for Timer<T> {}

impl<T: TimerCallback> Timer<T> {
    /// A new, stopped timer holding `data`, pinned in its own allocation.
    pub fn new(data: T) -> Result<Pin<Box<Self>>> {
        let mut uninit = Box::<Self>::try_alloc_uninit()?;
        let this = uninit.as_mut_ptr();
        // SAFETY: `this` points to an allocation for Self; every field is
        // written before `assume_init` (`_pin` is zero-sized), and the
        // timer is set up where it stays: the box is pinned below.
        unsafe {
            addr_of_mut!((*this).data).write(data);
            bindings::timer_setup(addr_of_mut!((*this).timer).cast(), Some(expired::<T>), 0);
            Ok(Pin::new_unchecked(uninit.assume_init()))
        }
    }

    /// (Re)starts the timer to expire `delay` ticks from now (see
    /// [`crate::time::msecs_to_jiffies`]); a pending expiry moves.
    /// Returns whether it was pending.
    pub fn start(&self, delay: Jiffies) -> bool {
        // SAFETY: the timer was set up in `new` and is pinned; mod_timer
        // may be called from any context, the callback included.
        unsafe { bindings::mod_timer(self.timer.get(), jiffies().wrapping_add(delay)) != 0 }
    }

    /// Stops the timer and waits for a running callback to finish; it may
    /// be started again. Returns whether it was pending. Must not be
    /// called from the callback.
    pub fn cancel(&self) -> bool {
        // SAFETY: set up in `new`; waits only for this timer's callback.
        unsafe { bindings::timer_delete_sync(self.timer.get()) != 0 }
    }
}

impl<T: TimerCallback> Deref for Timer<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: TimerCallback> Drop for Timer<T> {
    fn drop(&mut self) {
        // SAFETY: set up in `new`. Nobody else holds a reference (we have
        // `&mut`), so only the callback can re-arm it: shutdown forbids
        // that (6.2+), and del_timer_sync retries until the timer is
        // neither running nor pending.
        unsafe {
            #[cfg(kernel_at_least = "6.2")]
            bindings::timer_shutdown_sync(self.timer.get());
            #[cfg(not(kernel_at_least = "6.2"))]
            bindings::timer_delete_sync(self.timer.get());
        }
    }
}

unsafe extern "C" fn expired<T: TimerCallback>(timer: *mut timer_list) {
    // SAFETY: the timer_list is the first field of a live Timer<T>
    // (repr(C)): Drop waits for this callback before freeing it.
    let timer = unsafe { &*timer.cast::<Timer<T>>() };
    T::run(timer);
}
