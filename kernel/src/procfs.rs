//! `/proc` files: a [`ProcEntry`] shows its state through a `seq_file`
//! ([`ProcShow::show`]) on every read and, when made writable, takes each
//! write ([`ProcShow::store`]); dropping it removes the file and waits for
//! reads and writes in progress (`proc_remove`).
//!
//! ```no_run
//! use core::fmt::Write;
//! use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
//!
//! use kernel::prelude::*;
//! use kernel::procfs::{ProcEntry, ProcShow};
//! use kernel::seq_file::SeqFile;
//!
//! struct Hits(AtomicU32);
//!
//! impl ProcShow for Hits {
//!     fn show(&self, m: &mut SeqFile) -> Result {
//!         let _ = writeln!(m, "hits {}", self.0.fetch_add(1, Relaxed) + 1);
//!         Ok(())
//!     }
//!
//!     fn store(&self, input: &[u8]) -> Result {
//!         if input.trim_ascii() != b"reset" {
//!             return Err(EINVAL);
//!         }
//!         self.0.store(0, Relaxed);
//!         Ok(())
//!     }
//! }
//!
//! # fn f() -> Result {
//! // /proc/hits, 0644: each read counts, root may write `reset`
//! let entry = ProcEntry::new_writable(c"hits", Hits(AtomicU32::new(0)))?;
//! // ...
//! drop(entry); // removed, no read or write running
//! # Ok(())
//! # }
//! ```

use core::ffi::{c_int, c_void, CStr};
use core::marker::PhantomData;
use core::mem::zeroed;
use core::pin::Pin;
use core::ptr::{null_mut, NonNull};

use rust_alloc::boxed::Box;

use crate::alloc::BoxExt;
use crate::bindings::{self, file, inode, proc_dir_entry, proc_ops};
use crate::error::{code, Result};
use crate::seq_file::{self, show_c};

/// What a [`ProcEntry`] shows (and takes, if writable): the trait of every
/// `seq_file`-backed file.
pub use crate::seq_file::SeqShow as ProcShow;

/// A file `/proc/<name>` showing `T`: mode 0444, or 0644 when made by
/// [`ProcEntry::new_writable`].
pub struct ProcEntry<T: ProcShow> {
    entry: NonNull<proc_dir_entry>,
    data: Pin<Box<T>>,
}

// SAFETY: the entry is only handed to proc_remove; `T` is Send + Sync.
unsafe impl<T: ProcShow> Send for ProcEntry<T> {}
// SAFETY: `&ProcEntry` gives only `&T`, which is Sync.
unsafe impl<T: ProcShow> Sync for ProcEntry<T> {}

impl<T: ProcShow> ProcEntry<T> {
    /// Creates a read-only `/proc/<name>`; `EEXIST`-like failures and
    /// `ENOMEM` are `ENOMEM` (proc_create does not say which).
    pub fn new(name: &'static CStr, data: T) -> Result<Self> {
        let data = Box::try_pin(data)?;
        let ptr: *const T = &*data;
        // SAFETY: `name` is static; `ptr` stays valid until Drop, which
        // removes the entry (waiting for readers) before freeing it.
        let entry = unsafe {
            bindings::proc_create_single_data(
                name.as_ptr(),
                0o444,
                null_mut(),
                Some(show_c::<T>),
                ptr.cast_mut().cast(),
            )
        };
        Self::made(entry, data)
    }

    /// Creates `/proc/<name>`, mode 0644: root's writes go to
    /// [`ProcShow::store`], one `write` call each.
    pub fn new_writable(name: &'static CStr, data: T) -> Result<Self> {
        let data = Box::try_pin(data)?;
        let ptr: *const T = &*data;
        // SAFETY: as in `new`; the operations are static.
        let entry = unsafe {
            bindings::proc_create_data(
                name.as_ptr(),
                0o644,
                null_mut(),
                &Ops::<T>::OPS,
                ptr.cast_mut().cast(),
            )
        };
        Self::made(entry, data)
    }

    fn made(entry: *mut proc_dir_entry, data: Pin<Box<T>>) -> Result<Self> {
        let entry = NonNull::new(entry).ok_or(code::ENOMEM)?;
        Ok(ProcEntry { entry, data })
    }
}

impl<T: ProcShow> core::ops::Deref for ProcEntry<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: ProcShow> Drop for ProcEntry<T> {
    fn drop(&mut self) {
        // SAFETY: made by proc_create_*data; proc_remove waits for every
        // file operation in progress, so `data` is freed after it.
        unsafe { bindings::proc_remove(self.entry.as_ptr()) };
    }
}

struct Ops<T>(PhantomData<T>);

impl<T: ProcShow> Ops<T> {
    const OPS: proc_ops = {
        // SAFETY: all-zero is a valid proc_ops (no operations, no flags).
        let mut ops: proc_ops = unsafe { zeroed() };
        ops.proc_open = Some(open::<T>);
        ops.proc_read = Some(bindings::seq_read);
        ops.proc_write = Some(seq_file::write_c::<T>);
        ops.proc_lseek = Some(bindings::seq_lseek);
        ops.proc_release = Some(bindings::single_release);
        ops
    };
}

unsafe extern "C" fn open<T: ProcShow>(inode: *mut inode, file: *mut file) -> c_int {
    // SAFETY: the inode of a /proc entry made by `new_writable`, whose
    // data is a live `T` until proc_remove has waited for this file.
    unsafe { seq_file::single_open::<T>(file, pde_data(inode)) }
}

/// The data pointer given to proc_create_data (a function until 5.17).
///
/// # Safety
///
/// `inode` is a live /proc inode.
unsafe fn pde_data(inode: *mut inode) -> *mut c_void {
    #[cfg(kernel_at_least = "5.17")]
    // SAFETY: per this function's contract.
    let data = unsafe { bindings::pde_data(inode) };
    #[cfg(not(kernel_at_least = "5.17"))]
    // SAFETY: per this function's contract.
    let data = unsafe { bindings::PDE_DATA(inode) };
    data
}
