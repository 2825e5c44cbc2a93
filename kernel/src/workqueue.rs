//! Work items run in process context by a workqueue's kernel threads:
//! [`Work`] (as soon as possible) and [`DelayedWork`] (after a delay), on
//! the system workqueue or on a [`Queue`] of the module's own. Each owns
//! its state `T` and is pinned; dropping it cancels it and waits for a
//! running handler (`cancel_work_sync`), so a handler never sees freed
//! memory. A work item keeps its queue alive.
//!
//! ```no_run
//! use kernel::prelude::*;
//! use kernel::time::msecs_to_jiffies;
//! use kernel::workqueue::{DelayedWork, DelayedWorkHandler, Queue, Work, WorkHandler};
//!
//! struct Hello;
//!
//! impl WorkHandler for Hello {
//!     fn run(_work: &Work<Self>) {
//!         pr_info!("hello from a workqueue thread\n");
//!     }
//! }
//!
//! struct Poll(u32);
//!
//! impl DelayedWorkHandler for Poll {
//!     fn run(work: &DelayedWork<Self>) {
//!         work.queue(msecs_to_jiffies(work.0)); // again, after the delay
//!     }
//! }
//!
//! # fn f() -> Result {
//! let hello = Work::new(Hello)?; // on the system workqueue
//! hello.queue();
//! let queue = Queue::try_new(c"my_queue")?;
//! let poll = DelayedWork::new_on(&queue, Poll(100))?;
//! poll.queue(msecs_to_jiffies(100));
//! // ...
//! drop(poll); // cancelled, its handler not running
//! # Ok(())
//! # }
//! ```

use core::cell::UnsafeCell;
use core::ffi::CStr;
use core::marker::PhantomPinned;
use core::ops::Deref;
use core::pin::Pin;
use core::ptr::{addr_of_mut, NonNull};

use rust_alloc::boxed::Box;
use rust_alloc::sync::Arc;

use crate::alloc::BoxExt;
use crate::bindings::{self, delayed_work, work_struct, workqueue_struct};
use crate::error::{code, Result};
use crate::time::Jiffies;

/// An unbound workqueue of the module's own (`alloc_workqueue`,
/// `WQ_UNBOUND`); destroyed, after
/// running what is queued, when the last `Arc` goes (which must not be in
/// one of its own work items).
pub struct Queue(NonNull<workqueue_struct>);

// SAFETY: a workqueue is made for use from any task.
unsafe impl Send for Queue {}
// SAFETY: as for Send: every operation on it locks internally.
unsafe impl Sync for Queue {}

impl Queue {
    /// A new workqueue named `name` (seen in `ps` as its workers' names).
    pub fn try_new(name: &'static CStr) -> Result<Arc<Queue>> {
        // Unbound (its workers run on any CPU): 7.x warns about a queue
        // that is neither unbound nor WQ_PERCPU, which older kernels lack.
        #[cfg(kernel_at_least = "6.7")]
        let flags = bindings::wq_flags_WQ_UNBOUND as core::ffi::c_uint;
        #[cfg(not(kernel_at_least = "6.7"))]
        let flags = bindings::WQ_UNBOUND as core::ffi::c_uint;
        // SAFETY: "%s" with one NUL-terminated string argument; the flags
        // and max_active 0 (the default) are valid.
        let wq = unsafe {
            #[cfg(kernel_at_least = "6.13")]
            let wq = bindings::alloc_workqueue_noprof(c"%s".as_ptr(), flags, 0, name.as_ptr());
            #[cfg(not(kernel_at_least = "6.13"))]
            let wq = bindings::alloc_workqueue(c"%s".as_ptr(), flags, 0, name.as_ptr());
            wq
        };
        let queue = Queue(NonNull::new(wq).ok_or(code::ENOMEM)?);
        Arc::try_new(queue).map_err(|_| code::ENOMEM)
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: made by alloc_workqueue; every work item that could be
        // queued on it holds an Arc, so none is left to queue it again.
        unsafe { bindings::destroy_workqueue(self.0.as_ptr()) };
    }
}

/// Where a work item is queued.
enum Target {
    System,
    Own(Arc<Queue>),
}

impl Target {
    fn as_ptr(&self) -> *mut workqueue_struct {
        match self {
            // SAFETY: system_wq is set up at boot and never changes.
            Target::System => unsafe { core::ptr::addr_of!(bindings::system_wq).read() },
            Target::Own(queue) => queue.0.as_ptr(),
        }
    }
}

/// `WORK_CPU_UNBOUND`: any CPU. It is `NR_CPUS` on every kernel (an enum
/// constant before 6.7, a macro bindgen does not export after).
const UNBOUND: core::ffi::c_int = bindings::NR_CPUS as core::ffi::c_int;

/// What a [`Work`] runs, in process context (it may sleep).
pub trait WorkHandler: Sized + Send + Sync + 'static {
    /// The work item runs; `work` derefs to the state and may queue it again.
    fn run(work: &Work<Self>);
}

/// What a [`DelayedWork`] runs, in process context (it may sleep).
pub trait DelayedWorkHandler: Sized + Send + Sync + 'static {
    /// The work item runs; `work` derefs to the state and may queue it again.
    fn run(work: &DelayedWork<Self>);
}

macro_rules! work_type {
    ($name:ident, $handler:ident, $c:ident, $init:ident, $cancel:ident, $doc:literal) => {
        #[doc = $doc]
        #[repr(C)]
        pub struct $name<T: $handler> {
            // First field: the C function finds the item from it.
            work: UnsafeCell<$c>,
            target: Target,
            data: T,
            _pin: PhantomPinned,
        }

        // SAFETY: the C item is only handed to the workqueue functions,
        // which synchronise; `T` is Send + Sync, the target too.
        unsafe impl<T: $handler> Send for $name<T> {}
        // SAFETY: as for Send; `T` is only reached as `&T`.
        unsafe impl<T: $handler> Sync for $name<T> {}

        impl<T: $handler> $name<T> {
            fn with_target(target: Target, data: T) -> Result<Pin<Box<Self>>> {
                let mut uninit = Box::<Self>::try_alloc_uninit()?;
                let this = uninit.as_mut_ptr();
                // SAFETY: `this` points to an allocation for Self; every
                // field is written before `assume_init`, and the item is
                // initialised where it stays (the box is pinned below).
                unsafe {
                    addr_of_mut!((*this).data).write(data);
                    addr_of_mut!((*this).target).write(target);
                    bindings::$init(addr_of_mut!((*this).work).cast(), Some(run_c::<T>));
                    Ok(Pin::new_unchecked(uninit.assume_init()))
                }
            }

            /// A work item for the system workqueue, holding `data`.
            pub fn new(data: T) -> Result<Pin<Box<Self>>> {
                Self::with_target(Target::System, data)
            }

            /// A work item for the module's own `queue`, holding `data`.
            pub fn new_on(queue: &Arc<Queue>, data: T) -> Result<Pin<Box<Self>>> {
                Self::with_target(Target::Own(queue.clone()), data)
            }

            /// Stops a pending item and waits for a running handler; it
            /// may be queued again. Must not be called from the handler.
            pub fn cancel(&self) -> bool {
                // SAFETY: initialised in `with_target`, pinned.
                unsafe { bindings::$cancel(self.work.get()) }
            }
        }

        impl<T: $handler> Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.data
            }
        }

        impl<T: $handler> Drop for $name<T> {
            fn drop(&mut self) {
                // SAFETY: initialised, pinned; with `&mut` only the handler
                // could queue it again, and cancel_*_sync stops that too.
                unsafe { bindings::$cancel(self.work.get()) };
            }
        }

        unsafe extern "C" fn run_c<T: $handler>(work: *mut work_struct) {
            // SAFETY: the work_struct is the first field of the C item,
            // the first field of a live item (both repr(C)); Drop waits
            // for this handler before freeing it.
            let item = unsafe { &*work.cast::<$name<T>>() };
            T::run(item);
        }
    };
}

mod work {
    use super::*;
    work_type!(
        Work,
        WorkHandler,
        work_struct,
        init_work,
        cancel_work_sync,
        "A work item that runs [`WorkHandler::run`] once per [`queue`](Work::queue)."
    );

    impl<T: WorkHandler> Work<T> {
        /// Queues the item unless it is pending already; returns whether
        /// it was queued now.
        pub fn queue(&self) -> bool {
            // SAFETY: initialised and pinned; the target queue lives as
            // long as the item; callable from any context.
            unsafe { bindings::queue_work_on(UNBOUND, self.target.as_ptr(), self.work.get()) }
        }
    }
}

mod delayed {
    use super::*;
    work_type!(
        DelayedWork,
        DelayedWorkHandler,
        delayed_work,
        init_delayed_work,
        cancel_delayed_work_sync,
        "A work item that runs [`DelayedWorkHandler::run`] a delay after [`queue`](DelayedWork::queue)."
    );

    impl<T: DelayedWorkHandler> DelayedWork<T> {
        /// Queues the item to run `delay` ticks from now unless it is
        /// pending already; returns whether it was queued now.
        pub fn queue(&self, delay: Jiffies) -> bool {
            // SAFETY: initialised and pinned; the target queue lives as
            // long as the item; callable from any context.
            unsafe {
                bindings::queue_delayed_work_on(
                    UNBOUND,
                    self.target.as_ptr(),
                    self.work.get(),
                    delay,
                )
            }
        }
    }
}

pub use delayed::DelayedWork;
pub use work::Work;
