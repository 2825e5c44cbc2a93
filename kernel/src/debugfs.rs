//! debugfs: a [`Dir`] in `/sys/kernel/debug` whose files show shared
//! state through a `seq_file` ([`SeqShow::show`]) and, when read-write,
//! take root's writes ([`SeqShow::store`]). Dropping the directory removes
//! it with its files, waiting for the file operations in progress, and
//! only then lets go of their data. An open file keeps the module loaded
//! (the file operations' owner).
//!
//! ```no_run
//! use core::fmt::Write;
//! use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
//!
//! use kernel::debugfs::Dir;
//! use kernel::prelude::*;
//! use kernel::seq_file::{SeqFile, SeqShow};
//!
//! struct Level(AtomicU64);
//!
//! impl SeqShow for Level {
//!     fn show(&self, m: &mut SeqFile) -> Result {
//!         let _ = writeln!(m, "{}", self.0.load(Relaxed));
//!         Ok(())
//!     }
//!
//!     fn store(&self, input: &[u8]) -> Result {
//!         self.0.store(core::str::from_utf8(input)?.trim().parse()?, Relaxed);
//!         Ok(())
//!     }
//! }
//!
//! # fn f() -> Result {
//! let level = Arc::try_alloc(Level(AtomicU64::new(0)))?;
//! let mut dir = Dir::new(c"my_driver")?;
//! // /sys/kernel/debug/my_driver/level, 0644
//! dir.read_write_file(c"level", level.clone())?;
//! // ...
//! drop(dir); // the files are gone, no read or write running
//! # Ok(())
//! # }
//! ```

use core::ffi::{c_int, c_void, CStr};
use core::marker::PhantomData;
use core::mem::zeroed;
use core::ptr::{null_mut, NonNull};

use rust_alloc::sync::Arc;
use rust_alloc::vec::Vec;

use crate::alloc::VecExt;
use crate::bindings::{self, dentry, file, file_operations, inode};
use crate::error::{Error, Result};
use crate::param::THIS_MODULE;
use crate::seq_file::{self, SeqShow};

/// A directory `/sys/kernel/debug/<name>` and its files.
pub struct Dir {
    dentry: NonNull<dentry>,
    // The data of the files, freed only after the files are gone.
    data: Vec<Arc<dyn SeqShow>>,
}

// SAFETY: the dentry is only handed to debugfs calls, which lock it
// themselves; the data is Send + Sync.
unsafe impl Send for Dir {}
// SAFETY: `&Dir` gives access to nothing.
unsafe impl Sync for Dir {}

impl Dir {
    /// Creates `/sys/kernel/debug/<name>` (debugfs copies `name`).
    /// `EEXIST` if it exists, `ENODEV` if debugfs is off (`debugfs=off`).
    pub fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid string for the call; a null parent is
        // debugfs's root.
        let dentry = unsafe { bindings::debugfs_create_dir(name.as_ptr(), null_mut()) };
        Ok(Dir {
            dentry: made(dentry)?,
            data: Vec::new(),
        })
    }

    /// Adds a file `name`, mode 0444, showing `data`.
    pub fn read_only_file<T: SeqShow>(&mut self, name: &CStr, data: Arc<T>) -> Result {
        self.add(name, 0o444, &Ops::<T>::READ_ONLY, data)
    }

    /// Adds a file `name`, mode 0644, showing `data` and giving root's
    /// writes to its [`SeqShow::store`], one `write` call each.
    pub fn read_write_file<T: SeqShow>(&mut self, name: &CStr, data: Arc<T>) -> Result {
        self.add(name, 0o644, &Ops::<T>::READ_WRITE, data)
    }

    fn add<T: SeqShow>(
        &mut self,
        name: &CStr,
        mode: u16,
        fops: &'static file_operations,
        data: Arc<T>,
    ) -> Result {
        // The data is kept first, so the file never outlives it; taken out
        // again if the file cannot be made. (No `push`: its growth path
        // ends in `handle_alloc_error`, a no-return call objtool does not
        // know, which it reports as an unexpected end of section.)
        let ptr = Arc::as_ptr(&data).cast_mut().cast::<c_void>();
        self.data.try_push(data)?;
        // SAFETY: `name` is valid for the call (copied); the directory is
        // live; `ptr` stays valid until Drop has removed the file; the
        // operations are static.
        let entry = unsafe {
            bindings::debugfs_create_file(name.as_ptr(), mode, self.dentry.as_ptr(), ptr, fops)
        };
        if let Err(error) = made(entry) {
            self.data.pop();
            return Err(error);
        }
        Ok(())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: made by debugfs_create_dir; debugfs_remove removes it and
        // its files, each after the operations in progress on it are done,
        // so `data` is freed after the last use.
        unsafe { bindings::debugfs_remove(self.dentry.as_ptr()) };
    }
}

/// A dentry from debugfs, or its error.
fn made(dentry: *mut dentry) -> Result<NonNull<dentry>> {
    // SAFETY: IS_ERR/PTR_ERR only look at the value.
    if unsafe { bindings::IS_ERR(dentry.cast()) } {
        // SAFETY: as above.
        let errno = unsafe { bindings::PTR_ERR(dentry.cast()) } as c_int;
        return Err(Error::from_errno(errno));
    }
    NonNull::new(dentry).ok_or(crate::error::code::ENOMEM)
}

struct Ops<T>(PhantomData<T>);

impl<T: SeqShow> Ops<T> {
    const READ_ONLY: file_operations = {
        // SAFETY: all-zero is a valid file_operations (no operations).
        let mut fops: file_operations = unsafe { zeroed() };
        fops.owner = THIS_MODULE;
        fops.open = Some(open::<T>);
        fops.read = Some(bindings::seq_read);
        fops.llseek = Some(bindings::seq_lseek);
        fops.release = Some(bindings::single_release);
        fops
    };
    const READ_WRITE: file_operations = {
        let mut fops = Self::READ_ONLY;
        fops.write = Some(seq_file::write_c::<T>);
        fops
    };
}

unsafe extern "C" fn open<T: SeqShow>(inode: *mut inode, file: *mut file) -> c_int {
    // SAFETY: debugfs_create_file put a live `T` in the inode's private
    // field, live until Dir's Drop has waited for this file's operations.
    unsafe { seq_file::single_open::<T>(file, (*inode).i_private) }
}
