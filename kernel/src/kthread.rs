//! Kernel threads: [`KThread::run`] starts a thread running a closure;
//! the thread polls [`should_stop`] and returns when it is true. Stopping
//! ([`KThread::stop`], or dropping the handle) asks the thread to stop,
//! wakes it and waits until it has exited (`kthread_stop`), so nothing it
//! uses is freed under it.
//!
//! ```no_run
//! use kernel::kthread::{self, KThread};
//! use kernel::prelude::*;
//! use kernel::time::msecs_to_jiffies;
//!
//! # fn f() -> Result {
//! let thread = KThread::run(c"my_thread", || {
//!     let mut rounds = 0;
//!     while !kthread::should_stop() {
//!         rounds += 1;
//!         kthread::sleep_timeout(msecs_to_jiffies(100));
//!     }
//!     rounds
//! })?;
//! // ...
//! let rounds = thread.stop();
//! pr_info!("the thread ran {} rounds\n", rounds);
//! # Ok(())
//! # }
//! ```

use core::cell::UnsafeCell;
use core::ffi::{c_int, c_void, CStr};
use core::ptr::NonNull;

use rust_alloc::boxed::Box;

use crate::alloc::BoxExt;
use crate::bindings::{self, task_struct};
use crate::error::{Error, Result};
use crate::time::Jiffies;

/// The closure, owned by the handle (not the thread): if the thread is
/// stopped before it ever ran, kthread() never calls it and it is dropped
/// with the handle.
struct Payload<F> {
    f: UnsafeCell<Option<F>>,
}

/// A running (or finished, not yet stopped) kernel thread.
pub struct KThread {
    task: NonNull<task_struct>,
    payload: Option<Box<dyn Send>>,
    result: Option<c_int>,
}

// SAFETY: the handle only calls kthread_stop/put_task_struct, which any
// task may call; the payload is Send.
unsafe impl Send for KThread {}
// SAFETY: `&KThread` gives no access to anything.
unsafe impl Sync for KThread {}

impl KThread {
    /// Starts a thread named `name` (as `ps` shows it, at most 15 bytes)
    /// running `f`; its return value is what [`stop`](Self::stop) returns.
    pub fn run<F>(name: &'static CStr, f: F) -> Result<KThread>
    where
        F: FnOnce() -> c_int + Send + 'static,
    {
        let payload = Box::try_alloc(Payload {
            f: UnsafeCell::new(Some(f)),
        })?;
        let data: *const Payload<F> = &*payload;
        // Created stopped, so the reference below is taken before the
        // thread can run (and exit); woken after.
        // SAFETY: `data` stays valid until after the thread has exited:
        // the handle owns it and drops it after kthread_stop; `name` is
        // the argument of the "%s" format.
        let task = unsafe {
            bindings::kthread_create_on_node(
                Some(entry::<F>),
                data.cast_mut().cast(),
                bindings::NUMA_NO_NODE,
                c"%s".as_ptr(),
                name.as_ptr(),
            )
        };
        // SAFETY: IS_ERR/PTR_ERR only look at the value.
        if unsafe { bindings::IS_ERR(task.cast()) } {
            // SAFETY: as above.
            let errno = unsafe { bindings::PTR_ERR(task.cast()) } as c_int;
            return Err(Error::from_errno(errno));
        }
        // SAFETY: a live task that has not run yet; the reference keeps
        // its task_struct until `stop`, even if the thread exits first.
        // Then it may run.
        unsafe {
            bindings::get_task_struct(task);
            bindings::wake_up_process(task);
        }
        Ok(KThread {
            // SAFETY: not an error pointer, so not null.
            task: unsafe { NonNull::new_unchecked(task) },
            payload: Some(payload),
            result: None,
        })
    }

    /// Asks the thread to stop, wakes it, waits for it to exit and
    /// returns its result (`-EINTR` if it never ran).
    pub fn stop(mut self) -> c_int {
        self.stop_once()
    }

    fn stop_once(&mut self) -> c_int {
        if let Some(result) = self.result {
            return result;
        }
        // SAFETY: our reference keeps the task_struct; kthread_stop waits
        // for the thread to exit; then the reference is dropped.
        let result = unsafe {
            let result = bindings::kthread_stop(self.task.as_ptr());
            bindings::put_task_struct(self.task.as_ptr());
            result
        };
        // The thread is gone: nothing uses the closure any more.
        self.payload = None;
        self.result = Some(result);
        result
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        self.stop_once();
    }
}

unsafe extern "C" fn entry<F: FnOnce() -> c_int + Send + 'static>(data: *mut c_void) -> c_int {
    // SAFETY: the handle's payload, valid until this thread has exited;
    // only this thread touches `f`, once.
    let f = unsafe { (*(*data.cast::<Payload<F>>()).f.get()).take() };
    match f {
        Some(f) => f(),
        None => 0,
    }
}

/// Whether the current kernel thread was asked to stop: it should return.
/// Only for threads started by [`KThread::run`].
pub fn should_stop() -> bool {
    // SAFETY: called from a kthread (documented); reads its flag.
    unsafe { bindings::kthread_should_stop() }
}

/// Sleeps for up to `timeout` ticks; a stop request (or another wake-up)
/// ends it early. Returns the ticks left.
pub fn sleep_timeout(timeout: Jiffies) -> Jiffies {
    // SAFETY: process context; sets the task state itself.
    unsafe { bindings::schedule_timeout_interruptible(timeout as _) as Jiffies }
}
