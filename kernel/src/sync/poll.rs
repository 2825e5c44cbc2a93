//! `poll`/`select`/`epoll` support: a file's `poll` operation registers
//! the [`PollCondVar`]s whose notification may change its readiness in the
//! [`PollTable`] and returns the events ready now (`EPOLLIN | ...`).

use core::ffi::CStr;
use core::marker::PhantomData;
use core::ops::Deref;
use core::pin::Pin;

use rust_alloc::boxed::Box;

use super::{CondVar, LockClassKey};
use crate::bindings;
use crate::error::Result;
use crate::fs::File;

/// Readable.
pub const EPOLLIN: u32 = bindings::EPOLLIN;
/// Urgent data to read.
pub const EPOLLPRI: u32 = bindings::EPOLLPRI;
/// Writable.
pub const EPOLLOUT: u32 = bindings::EPOLLOUT;
/// Error condition.
pub const EPOLLERR: u32 = bindings::EPOLLERR;
/// Hang up (the other end is gone).
pub const EPOLLHUP: u32 = bindings::EPOLLHUP;
/// Normal data readable (report with `EPOLLIN`).
pub const EPOLLRDNORM: u32 = bindings::EPOLLRDNORM;
/// Normal data writable (report with `EPOLLOUT`).
pub const EPOLLWRNORM: u32 = bindings::EPOLLWRNORM;

/// The poll table of one `poll` call (maybe none: then registering is a
/// no-op, the caller only wants the current events).
pub struct PollTable<'a> {
    table: *mut bindings::poll_table,
    _call: PhantomData<&'a bindings::poll_table>,
}

impl PollTable<'_> {
    /// # Safety
    ///
    /// `table` is the `poll` operation's table (or null), valid for the call.
    pub(crate) unsafe fn from_raw(table: *mut bindings::poll_table) -> Self {
        PollTable {
            table,
            _call: PhantomData,
        }
    }

    /// Makes a notification of `cv` wake the polling task: `poll_wait`.
    pub fn register_wait(&self, file: &File, cv: &PollCondVar) {
        // SAFETY: the file and table are this poll call's; the poll
        // machinery may keep the wait queue after the call, which is why
        // only a PollCondVar (which evicts them when dropped) is accepted.
        unsafe { bindings::poll_wait(file.as_ptr(), cv.wait_queue(), self.table) };
    }
}

/// A [`CondVar`] that `poll` may register ([`PollTable::register_wait`]):
/// when dropped it removes every poll table's entry (`wake_up_pollfree`)
/// and waits an RCU grace period, so no epoll instance is left pointing at
/// freed memory. Made by [`new_poll_condvar!`](crate::new_poll_condvar).
#[repr(transparent)]
pub struct PollCondVar {
    inner: CondVar,
}

impl PollCondVar {
    /// A new, pinned PollCondVar; use [`new_poll_condvar!`](crate::new_poll_condvar).
    pub fn new_pinned(name: &'static CStr, key: &'static LockClassKey) -> Result<Pin<Box<Self>>> {
        let inner = CondVar::new_pinned(name, key)?;
        // SAFETY: PollCondVar is a transparent wrapper of CondVar, so the
        // allocation has its layout; the value never leaves its place,
        // and the new box stays pinned.
        Ok(unsafe {
            Pin::new_unchecked(Box::from_raw(
                Box::into_raw(Pin::into_inner_unchecked(inner)).cast::<PollCondVar>(),
            ))
        })
    }
}

impl Deref for PollCondVar {
    type Target = CondVar;
    fn deref(&self) -> &CondVar {
        &self.inner
    }
}

impl Drop for PollCondVar {
    fn drop(&mut self) {
        // SAFETY: the queue is initialised; __wake_up_pollfree wakes the
        // poll waiters with POLLFREE, which makes each remove its entry;
        // epoll may still read it under RCU until a grace period ends.
        unsafe {
            bindings::__wake_up_pollfree(self.inner.wait_queue());
            bindings::synchronize_rcu();
        }
    }
}

/// A pinned [`PollCondVar`] with a lock class for this call site:
/// `new_poll_condvar!("name")` → `Result<Pin<Box<PollCondVar>>>`.
#[macro_export]
macro_rules! new_poll_condvar {
    ($name:literal $(,)?) => {{
        static KEY: $crate::sync::LockClassKey = $crate::sync::LockClassKey::new();
        $crate::sync::PollCondVar::new_pinned($crate::__cstr!($name), &KEY)
    }};
}
