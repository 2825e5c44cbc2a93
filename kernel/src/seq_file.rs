//! [`SeqFile`]: the output of a `seq_file` show function; write to it
//! with `write!`/`writeln!` (`core::fmt::Write`).

use core::fmt;

use crate::bindings;

/// A `seq_file` being filled by a show function. Output that does not
/// fit is retried by the seq_file core with a larger buffer.
pub struct SeqFile(*mut bindings::seq_file);

impl SeqFile {
    /// # Safety
    ///
    /// `m` is the seq_file of a show call, valid for the whole use.
    pub(crate) unsafe fn from_raw(m: *mut bindings::seq_file) -> Self {
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
