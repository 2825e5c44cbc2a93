//! Open files: [`File`] (a `struct file` a file operation is called for)
//! and [`OpenFile`] (the same, during `open`, where it may still be made a
//! stream). [`flags`] holds the `O_*` bits of [`File::flags`].

use core::cell::UnsafeCell;

use crate::bindings;

/// The `O_*` flags of an open file (`file->f_flags`), as user space passed
/// them to `open()` or later to `fcntl(F_SETFL)`.
pub mod flags {
    use crate::bindings;

    /// Reads and writes return `EAGAIN` instead of sleeping.
    pub const O_NONBLOCK: u32 = bindings::O_NONBLOCK;
    /// Writes append.
    pub const O_APPEND: u32 = bindings::O_APPEND;
    /// The access mode bits: one of [`O_RDONLY`], [`O_WRONLY`], [`O_RDWR`].
    pub const O_ACCMODE: u32 = bindings::O_ACCMODE;
    /// Open for reading only.
    pub const O_RDONLY: u32 = bindings::O_RDONLY;
    /// Open for writing only.
    pub const O_WRONLY: u32 = bindings::O_WRONLY;
    /// Open for reading and writing.
    pub const O_RDWR: u32 = bindings::O_RDWR;
}

/// A file the kernel calls one of our file operations for; only ever
/// seen by reference, for the duration of that call.
#[repr(transparent)]
pub struct File(UnsafeCell<bindings::file>);

impl File {
    /// # Safety
    ///
    /// `ptr` is a file that stays valid for `'a` (a file operation's
    /// argument, for that call).
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a File {
        // SAFETY: `File` is a transparent wrapper of `struct file`; the
        // caller guarantees the lifetime.
        unsafe { &*ptr.cast::<File>() }
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::file {
        self.0.get()
    }

    /// The file's `O_*` flags (see [`flags`]). `fcntl(F_SETFL)` may change
    /// some of them (`O_NONBLOCK`, `O_APPEND`) at any time.
    pub fn flags(&self) -> u32 {
        // SAFETY: the file is valid (type invariant); f_flags is changed
        // by fcntl under f_lock, so the read is volatile, as C's
        // READ_ONCE-less readers of f_flags effectively are.
        unsafe { core::ptr::addr_of!((*self.as_ptr()).f_flags).read_volatile() }
    }

    /// Whether reads and writes must not sleep (`O_NONBLOCK`): return
    /// `EAGAIN` instead.
    pub fn is_nonblocking(&self) -> bool {
        self.flags() & flags::O_NONBLOCK != 0
    }
}

/// The file being opened, given to `open`: the file operations of a
/// [`File`] (through `Deref`), plus what only `open` may decide.
pub struct OpenFile<'a> {
    file: &'a File,
    inode: *mut bindings::inode,
}

impl<'a> OpenFile<'a> {
    /// # Safety
    ///
    /// `file` and `inode` are being opened by the current `open` call and
    /// valid for `'a`.
    pub(crate) unsafe fn from_raw(file: *mut bindings::file, inode: *mut bindings::inode) -> Self {
        OpenFile {
            // SAFETY: the caller guarantees the lifetime.
            file: unsafe { File::from_raw(file) },
            inode,
        }
    }

    /// The minor number of the device node being opened.
    pub fn minor(&self) -> u32 {
        // SAFETY: the inode is valid for the open call; iminor reads i_rdev.
        unsafe { bindings::iminor(self.inode) }
    }

    /// Makes the file a stream (`stream_open`): no file position, so
    /// `lseek`, `pread` and `pwrite` fail with `ESPIPE`, and reads and
    /// writes may run concurrently. The offset given to `read`/`write` is
    /// then always 0 and changes to it are ignored.
    pub fn stream_open(&self) {
        // SAFETY: the file is still being opened: no other task can see
        // it, so changing f_mode does not race. stream_open never fails.
        unsafe { bindings::stream_open(self.inode, self.file.as_ptr()) };
    }

    /// Makes the file non-seekable (`nonseekable_open`): `lseek`, `pread`
    /// and `pwrite` fail with `ESPIPE`; reads and writes still get the
    /// file position.
    pub fn nonseekable_open(&self) {
        // SAFETY: as in `stream_open`; nonseekable_open never fails.
        unsafe { bindings::nonseekable_open(self.inode, self.file.as_ptr()) };
    }
}

impl core::ops::Deref for OpenFile<'_> {
    type Target = File;
    fn deref(&self) -> &File {
        self.file
    }
}
