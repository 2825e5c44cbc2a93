//! Misc character devices (`/dev/<name>`, dynamic minor).
//!
//! A [`MiscRegistration`] registers the device when created and
//! deregisters it when dropped. Every `open` creates a value of the
//! [`MiscDevice`] type (per-file state, dropped at the last `close`),
//! which gets the device-wide [`MiscDevice::Shared`] state as an `Arc`: a
//! file may outlive the registration. The file operations' owner is this
//! module, so `rmmod` is refused while a file is open.

use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int, CStr};
use core::marker::{PhantomData, PhantomPinned};
use core::mem::zeroed;
use core::pin::Pin;
use core::ptr::addr_of_mut;

use rust_alloc::boxed::Box;
use rust_alloc::sync::Arc;

use crate::alloc::BoxExt;
use crate::bindings::{self, file, file_operations, inode, loff_t, miscdevice};
use crate::error::{code, Error, Result};
use crate::param::THIS_MODULE;
use crate::user::{UserSliceReader, UserSliceWriter};

/// The operations of a misc device's open files; `Self` is the state of
/// one open file.
pub trait MiscDevice: Sized + Send + Sync + 'static {
    /// State shared by the device's files, given to [`MiscRegistration::register`].
    type Shared: Send + Sync + 'static;

    /// Called at `open()`; the error is returned to user space.
    fn open(shared: &Arc<Self::Shared>) -> Result<Self>;

    /// Called at `read()`: copy at most `out.len()` bytes to `out` for
    /// the file position `*offset`, advance `*offset`, return the count
    /// (0 at end of file). Default: `EINVAL`.
    fn read(&self, _out: &mut UserSliceWriter, _offset: &mut i64) -> Result<usize> {
        Err(code::EINVAL)
    }

    /// Called at `write()`: consume bytes of `input` at `*offset`, advance
    /// `*offset`, return the count. Default: `EINVAL`.
    fn write(&self, _input: &mut UserSliceReader, _offset: &mut i64) -> Result<usize> {
        Err(code::EINVAL)
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

struct VTable<T>(PhantomData<T>);

impl<T: MiscDevice> VTable<T> {
    const FOPS: file_operations = {
        // SAFETY: all-zero is a valid file_operations (no operations).
        let mut fops: file_operations = unsafe { zeroed() };
        fops.owner = THIS_MODULE;
        fops.open = Some(open::<T>);
        fops.release = Some(release::<T>);
        fops.read = Some(read::<T>);
        fops.write = Some(write::<T>);
        fops.llseek = Some(bindings::default_llseek);
        fops
    };
}

fn errno_ssize(error: Error) -> isize {
    error.to_errno() as isize
}

unsafe extern "C" fn open<T: MiscDevice>(_inode: *mut inode, file: *mut file) -> c_int {
    // SAFETY: misc_open set private_data to our miscdevice, the first
    // field of a live MiscRegistration<T>: misc_open holds misc_mtx while
    // calling us, and Drop's misc_deregister waits for it.
    let registration = unsafe { &*(*file).private_data.cast::<MiscRegistration<T>>() };
    let state = match T::open(&registration.shared).and_then(|s| Ok(Box::try_alloc(s)?)) {
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

unsafe extern "C" fn read<T: MiscDevice>(
    file: *mut file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut loff_t,
) -> isize {
    // SAFETY: set by open() to a Box<T> that lives until release().
    let state = unsafe { &*(*file).private_data.cast::<T>() };
    // SAFETY: `buf`/`count` are read()'s user buffer.
    let mut out = unsafe { UserSliceWriter::new(buf.cast(), count) };
    // SAFETY: the VFS passes a valid position for the call's duration.
    let mut pos = unsafe { *ppos };
    match T::read(state, &mut out, &mut pos) {
        Ok(n) => {
            // SAFETY: `ppos` is the VFS's position for this call, valid
            // for writes for its duration; no reference to it is alive.
            unsafe { *ppos = pos };
            n as isize
        }
        Err(error) => errno_ssize(error),
    }
}

unsafe extern "C" fn write<T: MiscDevice>(
    file: *mut file,
    buf: *const c_char,
    count: usize,
    ppos: *mut loff_t,
) -> isize {
    // SAFETY: set by open() to a Box<T> that lives until release().
    let state = unsafe { &*(*file).private_data.cast::<T>() };
    // SAFETY: `buf`/`count` are write()'s user buffer.
    let mut input = unsafe { UserSliceReader::new(buf.cast(), count) };
    // SAFETY: the VFS passes a valid position for the call's duration.
    let mut pos = unsafe { *ppos };
    match T::write(state, &mut input, &mut pos) {
        Ok(n) => {
            // SAFETY: `ppos` is the VFS's position for this call, valid
            // for writes for its duration; no reference to it is alive.
            unsafe { *ppos = pos };
            n as isize
        }
        Err(error) => errno_ssize(error),
    }
}
