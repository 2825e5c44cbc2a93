//! Character devices with a region of minors: a [`Registration`]
//! allocates a dynamic major with `minors` minors (`alloc_chrdev_region`),
//! adds a `cdev` serving them with the file operations of a
//! [`MiscDevice`] type (the same trait as misc devices; `open` can tell
//! the minors apart with [`OpenFile::minor`](crate::fs::OpenFile::minor)),
//! and creates a class `/sys/class/<name>` with one device per minor, so
//! devtmpfs/udev make `/dev/<name><minor>`. Dropping it removes all of
//! that; files still open keep the cdev (and the shared state) alive
//! until closed, and the module, through the file operations' owner.
//!
//! ```no_run
//! use kernel::chrdev::Registration;
//! use kernel::prelude::*;
//! use kernel::user::file_range;
//!
//! /// An open node: reads give its minor, as one digit and a newline.
//! struct Digit([u8; 2]);
//!
//! impl MiscDevice for Digit {
//!     type Shared = ();
//!
//!     fn open(file: &OpenFile<'_>, _shared: &Arc<()>) -> Result<Self> {
//!         let digit = b"0123"[file.minor() as usize % 4];
//!         Ok(Digit([digit, b'\n']))
//!     }
//!
//!     fn read(&self, _file: &File, out: &mut UserSliceWriter, offset: &mut i64) -> Result<usize> {
//!         let range = file_range(*offset, out.len(), self.0.len())?;
//!         let n = range.len();
//!         out.write_slice(&self.0[range])?;
//!         *offset += n as i64;
//!         Ok(n)
//!     }
//! }
//!
//! # fn f() -> Result {
//! // /dev/digit0 to /dev/digit3, in /sys/class/digit
//! let region = Registration::<Digit>::register(c"digit", 4, ())?;
//! // ...
//! drop(region); // nodes, class and region gone
//! # Ok(())
//! # }
//! ```

use core::cell::UnsafeCell;
use core::ffi::{c_int, CStr};
use core::marker::PhantomData;
use core::mem::zeroed;
use core::ptr::{addr_of_mut, NonNull};

use rust_alloc::boxed::Box;
use rust_alloc::sync::Arc;

use crate::alloc::BoxExt;
use crate::bindings::{self, cdev, class, dev_t, file, file_operations, inode, kobj_type, kobject};
use crate::error::{code, Error, Result};
use crate::miscdev::{self, MiscDevice};
use crate::param::THIS_MODULE;

/// The cdev and what its files share; freed by the cdev's kobject
/// release, after the last open file is closed.
#[repr(C)]
struct Inner<T: MiscDevice> {
    // First field (and the kobject first in it): release and open find
    // the whole from it.
    cdev: UnsafeCell<cdev>,
    shared: Arc<T::Shared>,
}

/// A registered character device region with its class and nodes.
pub struct Registration<T: MiscDevice> {
    inner: NonNull<Inner<T>>,
    shared: Arc<T::Shared>,
    first: dev_t,
    /// Minors in the region.
    minors: u32,
    /// Device nodes made so far (all minors once registered).
    devices: u32,
    class: NonNull<class>,
    _files: PhantomData<T>,
}

// SAFETY: the handle only calls the (process-context) teardown functions,
// from any task; the shared state is Send + Sync.
unsafe impl<T: MiscDevice> Send for Registration<T> {}
// SAFETY: `&Registration` only gives `&Arc<T::Shared>`.
unsafe impl<T: MiscDevice> Sync for Registration<T> {}

struct VTable<T>(PhantomData<T>);

impl<T: MiscDevice> VTable<T> {
    const FOPS: file_operations = miscdev::file_operations::<T>(open::<T>);

    const KTYPE: kobj_type = {
        // SAFETY: all-zero is a valid kobj_type (no attributes, no ops).
        let mut ktype: kobj_type = unsafe { zeroed() };
        ktype.release = Some(release_inner::<T>);
        ktype
    };
}

impl<T: MiscDevice> Registration<T> {
    /// Registers `minors` minors (1 to 256) under `name`, with nodes
    /// `/dev/<name>0`, `/dev/<name>1`, ...
    pub fn register(name: &'static CStr, minors: u32, shared: T::Shared) -> Result<Self> {
        if minors == 0 || minors > 256 {
            return Err(code::EINVAL);
        }
        let shared = Arc::try_new(shared).map_err(|_| code::ENOMEM)?;
        let mut first: dev_t = 0;
        // SAFETY: `first` is writable; `name` is static (the region keeps it).
        let ret = unsafe { bindings::alloc_chrdev_region(&mut first, 0, minors, name.as_ptr()) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        // SAFETY: allocated just above, not used by anything yet.
        let unregister = || unsafe { bindings::unregister_chrdev_region(first, minors) };
        let inner = match Self::add_cdev(first, minors, &shared) {
            Ok(inner) => inner,
            Err(error) => {
                unregister();
                return Err(error);
            }
        };
        // SAFETY: `name` is static; the class is destroyed in Drop.
        let cls = unsafe { bindings::compat::class_create(name.as_ptr()) };
        // SAFETY: IS_ERR/PTR_ERR only look at the value.
        let cls = match unsafe { bindings::IS_ERR(cls.cast()) } {
            false => NonNull::new(cls).ok_or(code::ENOMEM),
            // SAFETY: as above.
            true => Err(Error::from_errno(
                unsafe { bindings::PTR_ERR(cls.cast()) } as c_int
            )),
        };
        let cls = match cls {
            Ok(cls) => cls,
            Err(error) => {
                // SAFETY: added by add_cdev; the region is still ours.
                unsafe { bindings::cdev_del(inner.as_ptr().cast()) };
                unregister();
                return Err(error);
            }
        };
        let mut this = Registration {
            inner,
            shared,
            first,
            minors,
            devices: 0,
            class: cls,
            _files: PhantomData,
        };
        for minor in 0..minors {
            let devt = first + minor;
            // SAFETY: the class is live; "%s%u" with a static string and
            // an unsigned; no parent, no driver data.
            let dev = unsafe {
                bindings::device_create(
                    cls.as_ptr(),
                    core::ptr::null_mut(),
                    devt,
                    core::ptr::null_mut(),
                    c"%s%u".as_ptr(),
                    name.as_ptr(),
                    minor,
                )
            };
            // SAFETY: as above.
            if unsafe { bindings::IS_ERR(dev.cast()) } {
                // SAFETY: as above. Drop removes the devices made so far.
                return Err(Error::from_errno(
                    unsafe { bindings::PTR_ERR(dev.cast()) } as c_int
                ));
            }
            this.devices = minor + 1;
        }
        Ok(this)
    }

    fn add_cdev(first: dev_t, minors: u32, shared: &Arc<T::Shared>) -> Result<NonNull<Inner<T>>> {
        let mut uninit = Box::<Inner<T>>::try_alloc_uninit()?;
        let this = uninit.as_mut_ptr();
        // SAFETY: `this` is an allocation for Inner<T>; both fields are
        // written; from cdev_init on the kobject owns the allocation: its
        // release (our ktype's) frees it, also on cdev_add's failure.
        unsafe {
            addr_of_mut!((*this).shared).write(shared.clone());
            let c = addr_of_mut!((*this).cdev).cast::<cdev>();
            bindings::cdev_init(c, &VTable::<T>::FOPS);
            (*c).owner = THIS_MODULE;
            // (A `*mut` field before 6.x's constification; never written.)
            let ktype: *const kobj_type = &VTable::<T>::KTYPE;
            (*c).kobj.ktype = ktype.cast_mut();
            let inner = NonNull::new_unchecked(Box::into_raw(uninit).cast::<Inner<T>>());
            let ret = bindings::cdev_add(c, first, minors);
            if ret < 0 {
                bindings::kobject_put(addr_of_mut!((*c).kobj));
                return Err(Error::from_errno(ret));
            }
            Ok(inner)
        }
    }

    /// The state shared by the files.
    pub fn shared(&self) -> &Arc<T::Shared> {
        &self.shared
    }
}

impl<T: MiscDevice> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: the devices, class, cdev and region were made in
        // `register`; after cdev_del no new open starts, open files keep
        // the cdev's kobject (so Inner) until they are closed.
        unsafe {
            for minor in 0..self.devices {
                bindings::device_destroy(self.class.as_ptr(), self.first + minor);
            }
            bindings::class_destroy(self.class.as_ptr());
            bindings::cdev_del(self.inner.as_ptr().cast());
            bindings::unregister_chrdev_region(self.first, self.minors);
        }
    }
}

unsafe extern "C" fn release_inner<T: MiscDevice>(kobj: *mut kobject) {
    // SAFETY: the kobject is the first field of the cdev, the first field
    // of an Inner<T> allocated as a Box: this is its last reference.
    drop(unsafe { Box::from_raw(kobj.cast::<Inner<T>>()) });
}

unsafe extern "C" fn open<T: MiscDevice>(inode: *mut inode, file: *mut file) -> c_int {
    // SAFETY: chrdev_open found our cdev for this inode and holds a
    // reference on it for the file's life, so Inner<T> is live.
    let inner = unsafe { &*i_cdev(inode).cast::<Inner<T>>() };
    // SAFETY: `inode` and `file` are being opened by this call with our
    // file operations.
    unsafe { miscdev::open_with::<T>(inode, file, &inner.shared) }
}

/// `inode->i_cdev`, in an anonymous union whose bindgen name moved when
/// 7.x added an earlier union to struct inode.
///
/// # Safety
///
/// `inode` is a valid character device inode.
unsafe fn i_cdev(inode: *mut inode) -> *mut cdev {
    // SAFETY: the caller's contract; i_cdev is the member in use for a
    // character device inode.
    unsafe {
        #[cfg(kernel_at_least = "7.0")]
        let cdev = (*inode).__bindgen_anon_5.i_cdev;
        #[cfg(not(kernel_at_least = "7.0"))]
        let cdev = (*inode).__bindgen_anon_4.i_cdev;
        cdev
    }
}
