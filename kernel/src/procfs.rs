//! Read-only `/proc` files: a [`ProcEntry`] shows its state through a
//! `seq_file` ([`ProcShow::show`]) on every read; dropping it removes the
//! file and waits for reads in progress (`proc_remove`).

use core::ffi::{c_int, c_void, CStr};
use core::pin::Pin;
use core::ptr::{null_mut, NonNull};

use rust_alloc::boxed::Box;

use crate::alloc::BoxExt;
use crate::bindings::{self, proc_dir_entry, seq_file};
use crate::error::{code, Result};
use crate::seq_file::SeqFile;

/// What a [`ProcEntry`] shows. Runs in process context (it may sleep).
pub trait ProcShow: Send + Sync + 'static {
    /// Writes the file's whole contents to `m`; an error fails the read.
    fn show(&self, m: &mut SeqFile) -> Result;
}

/// A file `/proc/<name>` showing `T`, mode 0444.
pub struct ProcEntry<T: ProcShow> {
    entry: NonNull<proc_dir_entry>,
    data: Pin<Box<T>>,
}

// SAFETY: the entry is only handed to proc_remove; `T` is Send + Sync.
unsafe impl<T: ProcShow> Send for ProcEntry<T> {}
// SAFETY: `&ProcEntry` gives only `&T`, which is Sync.
unsafe impl<T: ProcShow> Sync for ProcEntry<T> {}

impl<T: ProcShow> ProcEntry<T> {
    /// Creates `/proc/<name>`; `EEXIST`-like failures and `ENOMEM` are
    /// `ENOMEM` (proc_create does not say which).
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
        // SAFETY: made by proc_create_single_data; proc_remove waits for
        // every show in progress, so `data` is freed after it.
        unsafe { bindings::proc_remove(self.entry.as_ptr()) };
    }
}

unsafe extern "C" fn show_c<T: ProcShow>(m: *mut seq_file, _v: *mut c_void) -> c_int {
    // SAFETY: single_open put the entry's data, a live `T` (see Drop), in
    // the seq_file's private field.
    let data = unsafe { &*(*m).private.cast::<T>() };
    // SAFETY: `m` is this call's seq_file.
    let mut out = unsafe { SeqFile::from_raw(m) };
    match data.show(&mut out) {
        Ok(()) => 0,
        Err(error) => error.to_errno(),
    }
}
