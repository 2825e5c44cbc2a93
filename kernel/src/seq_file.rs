//! [`SeqFile`]: the output of a `seq_file` show function; write to it
//! with `write!`/`writeln!` (`core::fmt::Write`). [`SeqShow`] is what a
//! file shown through one (procfs, debugfs) shows and takes; the file
//! operations for it are shared here.

use core::ffi::{c_char, c_int, c_void};
use core::fmt;

use rust_alloc::vec::Vec;

use crate::bindings::{self, file, loff_t, seq_file};
use crate::error::{code, Result};
use crate::user::UserSliceReader;

/// What a `/proc` or debugfs file shows and, if it is writable, takes.
/// Both run in process context (they may sleep).
pub trait SeqShow: Send + Sync + 'static {
    /// Writes the file's whole contents to `m`; an error fails the read.
    fn show(&self, m: &mut SeqFile) -> Result;
    /// Takes one `write` of `input` (at most [`MAX_STORE`] bytes, as
    /// written). Default: `EACCES` (read-only files have no write
    /// permission anyway).
    fn store(&self, _input: &[u8]) -> Result {
        Err(code::EACCES)
    }
}

/// The longest write [`SeqShow::store`] is given; longer ones are
/// `EFBIG` (as a sysfs store gets one page at most).
pub const MAX_STORE: usize = bindings::PAGE_SIZE as usize;

/// A `seq_file` being filled by a show function. Output that does not
/// fit is retried by the seq_file core with a larger buffer.
pub struct SeqFile(*mut seq_file);

impl SeqFile {
    /// # Safety
    ///
    /// `m` is the seq_file of a show call, valid for the whole use.
    pub(crate) unsafe fn from_raw(m: *mut seq_file) -> Self {
        SeqFile(m)
    }
}

impl fmt::Write for SeqFile {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: the seq_file of the current show call (constructor);
        // seq_write copies `s` or marks the buffer as overflowed.
        unsafe { bindings::seq_write(self.0, s.as_ptr().cast(), s.len()) };
        // An overflow is not an error here: the core retries the show.
        Ok(())
    }
}

/// The show function of a `T` file: single_open's `data` is a live `T`.
pub(crate) unsafe extern "C" fn show_c<T: SeqShow>(m: *mut seq_file, _v: *mut c_void) -> c_int {
    // SAFETY: single_open put the file's data, a live `T` (its owner
    // removes the file, waiting for readers, before freeing it), in the
    // seq_file's private field.
    let data = unsafe { &*(*m).private.cast::<T>() };
    // SAFETY: `m` is this call's seq_file.
    let mut out = unsafe { SeqFile::from_raw(m) };
    match data.show(&mut out) {
        Ok(()) => 0,
        Err(error) => error.to_errno(),
    }
}

/// Opens `file` as a seq_file showing the `T` at `data`.
///
/// # Safety
///
/// `file` is being opened by the current `open` call; `data` is a live
/// `T` for as long as the file can be used (its owner removes the file,
/// waiting for users, before freeing it).
pub(crate) unsafe fn single_open<T: SeqShow>(file: *mut file, data: *mut c_void) -> c_int {
    // SAFETY: per this function's contract; single_release frees what
    // single_open allocates.
    unsafe { bindings::single_open(file, Some(show_c::<T>), data) }
}

/// The write operation of a `T` file opened by [`single_open`]: the whole
/// write goes to [`SeqShow::store`] at once.
pub(crate) unsafe extern "C" fn write_c<T: SeqShow>(
    file: *mut file,
    buf: *const c_char,
    count: usize,
    _ppos: *mut loff_t,
) -> isize {
    if count > MAX_STORE {
        return code::EFBIG.to_errno() as isize;
    }
    // SAFETY: single_open made private_data the seq_file, whose private
    // field is a live `T` (single_open's contract).
    let data = unsafe {
        &*(*(*file).private_data.cast::<seq_file>())
            .private
            .cast::<T>()
    };
    // SAFETY: `buf`/`count` are write()'s user buffer.
    let mut input = unsafe { UserSliceReader::new(buf.cast(), count) };
    let mut bytes = Vec::new();
    match input.read_all(&mut bytes).and_then(|()| data.store(&bytes)) {
        Ok(()) => count as isize,
        Err(error) => error.to_errno() as isize,
    }
}
