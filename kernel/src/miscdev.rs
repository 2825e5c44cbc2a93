//! Misc character devices (`/dev/<name>`, dynamic minor).
//!
//! A [`MiscRegistration`] registers the device when created and
//! deregisters it when dropped. Every `open` creates a value of the
//! [`MiscDevice`] type (per-file state, dropped at the last `close`),
//! which gets the device-wide [`MiscDevice::Shared`] state as an `Arc`: a
//! file may outlive the registration. The file operations' owner is this
//! module, so `rmmod` is refused while a file is open.
//!
//! The file type cannot be inferred from the shared state, so name it:
//! `MiscRegistration::<MyFile>::register(c"name", shared)`, or, the same,
//! `MyFile::register(c"name", shared)` (without either, rustc stops with
//! `error[E0282]: type annotations needed` at the first use of the result).
//!
//! ```no_run
//! use kernel::fs::{File, OpenFile};
//! use kernel::miscdev::{MiscDevice, MiscRegistration};
//! use kernel::prelude::*;
//!
//! struct Hello;
//! impl MiscDevice for Hello {
//!     type Shared = ();
//!     fn open(file: &OpenFile<'_>, _shared: &Arc<()>) -> Result<Self> {
//!         file.nonseekable_open();
//!         Ok(Hello)
//!     }
//! }
//! # fn init() -> Result {
//! let device = MiscRegistration::<Hello>::register(c"hello", ())?;
//! # Ok(()) }
//! ```

use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int, c_long, c_uint, c_ulong, CStr};
use core::marker::{PhantomData, PhantomPinned};
use core::mem::zeroed;
use core::pin::Pin;
use core::ptr::addr_of_mut;

use rust_alloc::boxed::Box;
use rust_alloc::sync::Arc;

use crate::alloc::BoxExt;
use crate::bindings::{self, file, file_operations, inode, loff_t, miscdevice, poll_table};
use crate::error::{code, Error, Result};
use crate::fs::{File, OpenFile};
use crate::param::THIS_MODULE;
use crate::sync::poll::{self, PollTable};
use crate::user::{UserSliceReader, UserSliceWriter};

/// The events `poll` reports for a file without a `poll` operation
/// (`DEFAULT_POLLMASK`): always readable and writable.
pub const DEFAULT_POLLMASK: u32 =
    poll::EPOLLIN | poll::EPOLLOUT | poll::EPOLLRDNORM | poll::EPOLLWRNORM;

/// The operations of a misc device's open files; `Self` is the state of
/// one open file.
pub trait MiscDevice: Sized + Send + Sync + 'static {
    /// State shared by the device's files, given to [`MiscRegistration::register`].
    type Shared: Send + Sync + 'static;

    /// Called at `open()`; the error is returned to user space. `file`
    /// has the open flags ([`File::flags`]) and can be made a stream or
    /// non-seekable here ([`OpenFile::stream_open`]).
    fn open(file: &OpenFile<'_>, shared: &Arc<Self::Shared>) -> Result<Self>;

    /// Called at `read()`: copy at most `out.len()` bytes to `out` for
    /// the file position `*offset`, advance `*offset`, return the count
    /// (0 at end of file). A read that would block returns `EAGAIN` if
    /// [`File::is_nonblocking`]. Default: `EINVAL`.
    fn read(&self, _file: &File, _out: &mut UserSliceWriter, _offset: &mut i64) -> Result<usize> {
        Err(code::EINVAL)
    }

    /// Called at `write()`: consume bytes of `input` at `*offset`, advance
    /// `*offset`, return the count. Default: `EINVAL`.
    fn write(
        &self,
        _file: &File,
        _input: &mut UserSliceReader,
        _offset: &mut i64,
    ) -> Result<usize> {
        Err(code::EINVAL)
    }

    /// Called at `poll()`/`select()`/`epoll`: register the condition
    /// variables that announce changes ([`PollTable::register_wait`]) and
    /// return the events ready now ([`poll::EPOLLIN`], ...). An error is
    /// reported as `EPOLLERR`. Default: [`DEFAULT_POLLMASK`].
    fn poll(&self, _file: &File, _table: &PollTable<'_>) -> Result<u32> {
        Ok(DEFAULT_POLLMASK)
    }

    /// Called at `ioctl()` with the command (see [`crate::ioctl`]) and
    /// the argument, a number or a user address ([`crate::user::UserSlice`]).
    /// Default: `ENOTTY` (unknown command).
    fn ioctl(&self, _file: &File, _cmd: u32, _arg: usize) -> Result<isize> {
        Err(code::ENOTTY)
    }

    /// Called at `ioctl()` from a 32-bit process. Default: [`ioctl`](Self::ioctl)
    /// with the argument zero-extended (`compat_ptr_ioctl`), right for
    /// commands whose argument is a number or a pointer to data laid out
    /// alike in both ABIs.
    fn compat_ioctl(&self, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        self.ioctl(file, cmd, arg as u32 as usize)
    }

    /// Registers `/dev/<name>` with this file type: the same as
    /// `MiscRegistration::<Self>::register(name, shared)`.
    fn register(
        name: &'static CStr,
        shared: Self::Shared,
    ) -> Result<Pin<Box<MiscRegistration<Self>>>> {
        MiscRegistration::register(name, shared)
    }
}

/// A registered misc device; dropping it removes `/dev/<name>`.
#[repr(C)]
pub struct MiscRegistration<T: MiscDevice> {
    // First field: `open` finds the registration from the miscdevice.
    misc: UnsafeCell<miscdevice>,
    shared: Arc<T::Shared>,
    _pin: PhantomPinned,
}

// SAFETY: the miscdevice is only touched by misc_register/deregister (from
// the owner) and read by the misc core under its own lock; `shared` is
// Send + Sync.
unsafe impl<T: MiscDevice> Sync for MiscRegistration<T> {}
// SAFETY: nothing in it belongs to the task that registered it: dropping
// it elsewhere calls misc_deregister, which any task in process context
// may call, and drops an `Arc<T::Shared>`, which is Send + Sync.
unsafe impl<T: MiscDevice> Send for MiscRegistration<T> {}

impl<T: MiscDevice> MiscRegistration<T> {
    /// Registers `/dev/<name>` with a dynamic minor; `EBUSY` if the name
    /// is taken, `ENOMEM`. The node is created by devtmpfs/udev with mode
    /// 0600 (root only).
    pub fn register(name: &'static CStr, shared: T::Shared) -> Result<Pin<Box<Self>>> {
        let shared = Arc::try_new(shared).map_err(|_| code::ENOMEM)?;
        let mut uninit = Box::<Self>::try_alloc_uninit()?;
        let this = uninit.as_mut_ptr();
        // SAFETY: an all-zero miscdevice is valid (null pointers, empty
        // list); `this` points to an allocation for Self whose fields are
        // all written before `assume_init`; misc_register keeps the
        // pointer, which stays valid because the box is pinned and Drop
        // deregisters before freeing.
        unsafe {
            let mut misc: miscdevice = zeroed();
            misc.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
            misc.name = name.as_ptr();
            misc.fops = &VTable::<T>::FOPS;
            addr_of_mut!((*this).misc).write(UnsafeCell::new(misc));
            addr_of_mut!((*this).shared).write(shared);
            let ret = bindings::misc_register(addr_of_mut!((*this).misc).cast());
            if ret < 0 {
                addr_of_mut!((*this).shared).drop_in_place();
                return Err(Error::from_errno(ret));
            }
            Ok(Pin::new_unchecked(uninit.assume_init()))
        }
    }

    /// The device-wide state.
    pub fn shared(&self) -> &Arc<T::Shared> {
        &self.shared
    }
}

impl<T: MiscDevice> Drop for MiscRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: registered in `register` (a failed registration never
        // becomes a MiscRegistration); files still open keep their own
        // Arc and the module (through fops.owner).
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }
}

/// A file's `open` operation, as `file_operations` holds it.
pub(crate) type OpenFn = unsafe extern "C" fn(*mut inode, *mut file) -> c_int;

/// The file operations of `T`'s files, opened by `open` (a misc device's
/// and a chrdev region's differ only in how `open` finds the shared state).
pub(crate) const fn file_operations<T: MiscDevice>(open: OpenFn) -> file_operations {
    // SAFETY: all-zero is a valid file_operations (no operations).
    let mut fops: file_operations = unsafe { zeroed() };
    fops.owner = THIS_MODULE;
    fops.open = Some(open);
    fops.release = Some(release::<T>);
    fops.read = Some(read::<T>);
    fops.write = Some(write::<T>);
    fops.poll = Some(poll_fn::<T>);
    fops.unlocked_ioctl = Some(ioctl::<T>);
    fops.compat_ioctl = Some(compat_ioctl::<T>);
    // Stream and non-seekable files refuse lseek before it gets here.
    fops.llseek = Some(bindings::default_llseek);
    fops
}

struct VTable<T>(PhantomData<T>);

impl<T: MiscDevice> VTable<T> {
    const FOPS: file_operations = file_operations::<T>(open::<T>);
}

fn errno_ssize(error: Error) -> isize {
    error.to_errno() as isize
}

unsafe extern "C" fn open<T: MiscDevice>(inode: *mut inode, file: *mut file) -> c_int {
    // SAFETY: misc_open set private_data to our miscdevice, the first
    // field of a live MiscRegistration<T>: misc_open holds misc_mtx while
    // calling us, and Drop's misc_deregister waits for it.
    let registration = unsafe { &*(*file).private_data.cast::<MiscRegistration<T>>() };
    // SAFETY: `file` and `inode` are being opened by this call.
    unsafe { open_with::<T>(inode, file, &registration.shared) }
}

/// Opens `file` for `T` with the device's shared state: the per-file
/// state goes to private_data, where the other operations find it.
///
/// # Safety
///
/// `inode` and `file` are being opened by the current `open` call, whose
/// other file operations are this module's for `T`.
pub(crate) unsafe fn open_with<T: MiscDevice>(
    inode: *mut inode,
    file: *mut file,
    shared: &Arc<T::Shared>,
) -> c_int {
    // SAFETY: the caller's contract.
    let opening = unsafe { OpenFile::from_raw(file, inode) };
    let state = match T::open(&opening, shared).and_then(|s| Ok(Box::try_alloc(s)?)) {
        Ok(state) => state,
        Err(error) => return error.to_errno(),
    };
    // SAFETY: `file` is being opened by this call; release() takes it back.
    unsafe { (*file).private_data = Box::into_raw(state).cast() };
    0
}

unsafe extern "C" fn release<T: MiscDevice>(_inode: *mut inode, file: *mut file) -> c_int {
    // SAFETY: set by a successful open() to a Box<T>; the last close.
    drop(unsafe { Box::from_raw((*file).private_data.cast::<T>()) });
    0
}

/// The per-file state and the file of a file operation.
///
/// # Safety
///
/// `file` is a file of this device opened successfully by `open::<T>`, not
/// yet released, valid for `'a`.
unsafe fn state<'a, T: MiscDevice>(file: *mut file) -> (&'a T, &'a File) {
    // SAFETY: open() set private_data to a Box<T> that lives until
    // release(), which the VFS never runs during another operation.
    unsafe { (&*(*file).private_data.cast::<T>(), File::from_raw(file)) }
}

/// Runs a read or write at `*ppos`, which is null for stream files
/// (`stream_open`): they get offset 0, and what they do to it is dropped.
///
/// # Safety
///
/// `ppos` is null or the VFS's position for this call.
unsafe fn at_position(ppos: *mut loff_t, op: impl FnOnce(&mut i64) -> Result<usize>) -> isize {
    let mut pos = if ppos.is_null() {
        0
    } else {
        // SAFETY: a valid position for the call's duration (caller).
        unsafe { *ppos }
    };
    match op(&mut pos) {
        Ok(n) => {
            if !ppos.is_null() {
                // SAFETY: as above; no reference to it is alive.
                unsafe { *ppos = pos };
            }
            n as isize
        }
        Err(error) => errno_ssize(error),
    }
}

unsafe extern "C" fn read<T: MiscDevice>(
    file: *mut file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut loff_t,
) -> isize {
    // SAFETY: a file operation of an opened file of this device.
    let (state, file) = unsafe { state::<T>(file) };
    // SAFETY: `buf`/`count` are read()'s user buffer.
    let mut out = unsafe { UserSliceWriter::new(buf.cast(), count) };
    // SAFETY: the VFS passes read()'s position, or null for a stream.
    unsafe { at_position(ppos, |pos| T::read(state, file, &mut out, pos)) }
}

unsafe extern "C" fn write<T: MiscDevice>(
    file: *mut file,
    buf: *const c_char,
    count: usize,
    ppos: *mut loff_t,
) -> isize {
    // SAFETY: a file operation of an opened file of this device.
    let (state, file) = unsafe { state::<T>(file) };
    // SAFETY: `buf`/`count` are write()'s user buffer.
    let mut input = unsafe { UserSliceReader::new(buf.cast(), count) };
    // SAFETY: the VFS passes write()'s position, or null for a stream.
    unsafe { at_position(ppos, |pos| T::write(state, file, &mut input, pos)) }
}

unsafe extern "C" fn poll_fn<T: MiscDevice>(
    file: *mut file,
    table: *mut poll_table,
) -> bindings::__poll_t {
    // SAFETY: a file operation of an opened file of this device.
    let (state, file) = unsafe { state::<T>(file) };
    // SAFETY: the VFS's poll table for this call, or null.
    let table = unsafe { PollTable::from_raw(table) };
    T::poll(state, file, &table).unwrap_or(poll::EPOLLERR)
}

fn ioctl_result(result: Result<isize>) -> c_long {
    match result {
        Ok(n) => n as c_long,
        Err(error) => error.to_errno() as c_long,
    }
}

unsafe extern "C" fn ioctl<T: MiscDevice>(file: *mut file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: a file operation of an opened file of this device.
    let (state, file) = unsafe { state::<T>(file) };
    ioctl_result(T::ioctl(state, file, cmd, arg as usize))
}

unsafe extern "C" fn compat_ioctl<T: MiscDevice>(
    file: *mut file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_long {
    // SAFETY: a file operation of an opened file of this device.
    let (state, file) = unsafe { state::<T>(file) };
    ioctl_result(T::compat_ioctl(state, file, cmd, arg as usize))
}
