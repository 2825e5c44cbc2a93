//! Files in the module's sysfs directory, `/sys/module/<module>/<name>`:
//! a [`ModuleAttribute`] shows its state ([`AttributeOps::show`]) and, if
//! writable, takes writes ([`AttributeOps::store`]). Dropping it removes
//! the file and waits for reads and writes in progress.
//!
//! ```no_run
//! use core::fmt::Write;
//! use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
//!
//! use kernel::prelude::*;
//! use kernel::sysfs::{AttributeOps, ModuleAttribute, SysfsBuffer};
//!
//! struct Level(AtomicU32);
//!
//! impl AttributeOps for Level {
//!     fn show(&self, out: &mut SysfsBuffer<'_>) -> Result {
//!         writeln!(out, "{}", self.0.load(Relaxed)).map_err(|_| EFBIG)
//!     }
//!
//!     fn store(&self, input: &[u8]) -> Result {
//!         let level = core::str::from_utf8(input)?.trim().parse()?;
//!         self.0.store(level, Relaxed);
//!         Ok(())
//!     }
//! }
//!
//! # fn f() -> Result {
//! // /sys/module/<this module>/level, root may write it
//! let file = ModuleAttribute::new(c"level", 0o644, Level(AtomicU32::new(0)))?;
//! // ...
//! drop(file); // removed, no show or store running
//! # Ok(())
//! # }
//! ```

use core::cell::UnsafeCell;
use core::ffi::{c_char, CStr};
use core::fmt;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::addr_of_mut;

use rust_alloc::boxed::Box;

use crate::alloc::BoxExt;
use crate::bindings::{self, module_attribute, module_kobject};
use crate::error::{code, Error, Result};
use crate::param::THIS_MODULE;

/// What a [`ModuleAttribute`] shows and stores; process context.
pub trait AttributeOps: Send + Sync + 'static {
    /// Writes the file's contents (at most a page) to `out`.
    fn show(&self, out: &mut SysfsBuffer<'_>) -> Result;
    /// Takes a write of `input` (at most a page, as written). Default:
    /// `EACCES` (read-only files have no write permission anyway).
    fn store(&self, _input: &[u8]) -> Result {
        Err(code::EACCES)
    }
}

/// The page a sysfs show fills; `write!` to it. Text past the page is
/// an error (`EFBIG`), the show's output is then dropped.
pub struct SysfsBuffer<'a> {
    page: &'a mut [u8],
    len: usize,
}

impl fmt::Write for SysfsBuffer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        self.page
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

// 7.x passes the attribute as `const` (constified in 6.14).
#[cfg(kernel_at_least = "6.14")]
type AttrPtr = *const module_attribute;
#[cfg(not(kernel_at_least = "6.14"))]
type AttrPtr = *mut module_attribute;

/// A file `/sys/module/<module>/<name>`; see the module docs.
#[repr(C)]
pub struct ModuleAttribute<T: AttributeOps> {
    // First field: show/store find the whole from the attribute.
    attr: UnsafeCell<module_attribute>,
    data: T,
    _pin: PhantomPinned,
}

// SAFETY: the C attribute is only read by sysfs after creation; `T` is
// Send + Sync.
unsafe impl<T: AttributeOps> Send for ModuleAttribute<T> {}
// SAFETY: as for Send; `T` is only reached as `&T`.
unsafe impl<T: AttributeOps> Sync for ModuleAttribute<T> {}

impl<T: AttributeOps> ModuleAttribute<T> {
    /// Creates the file with `mode` 0o444 (read-only) or 0o644 (root may
    /// write); other modes are `EINVAL`, a taken name `EEXIST`.
    pub fn new(name: &'static CStr, mode: u16, data: T) -> Result<Pin<Box<Self>>> {
        if mode != 0o444 && mode != 0o644 {
            return Err(code::EINVAL);
        }
        let mut uninit = Box::<Self>::try_alloc_uninit()?;
        let this = uninit.as_mut_ptr();
        // SAFETY: an all-zero module_attribute is valid (no callbacks,
        // null name); every field of Self is written before assume_init;
        // sysfs keeps a pointer to the attribute, which stays valid: the
        // box is pinned and Drop removes the file before freeing it.
        unsafe {
            let mut attr: module_attribute = core::mem::zeroed();
            attr.attr.name = name.as_ptr();
            attr.attr.mode = mode;
            attr.show = Some(show_c::<T>);
            if mode & 0o200 != 0 {
                attr.store = Some(store_c::<T>);
            }
            addr_of_mut!((*this).attr).write(UnsafeCell::new(attr));
            addr_of_mut!((*this).data).write(data);
            let kobj = addr_of_mut!((*THIS_MODULE).mkobj.kobj);
            let ret = bindings::sysfs_create_file(kobj, addr_of_mut!((*this).attr).cast());
            if ret < 0 {
                addr_of_mut!((*this).data).drop_in_place();
                return Err(Error::from_errno(ret));
            }
            Ok(Pin::new_unchecked(uninit.assume_init()))
        }
    }
}

impl<T: AttributeOps> core::ops::Deref for ModuleAttribute<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: AttributeOps> Drop for ModuleAttribute<T> {
    fn drop(&mut self) {
        // SAFETY: created in `new`; sysfs_remove_file waits for active
        // show/store calls (kernfs drains the node).
        unsafe {
            let kobj = addr_of_mut!((*THIS_MODULE).mkobj.kobj);
            bindings::sysfs_remove_file(kobj, self.attr.get().cast());
        }
    }
}

const PAGE_SIZE: usize = bindings::PAGE_SIZE as usize;

unsafe extern "C" fn show_c<T: AttributeOps>(
    attr: AttrPtr,
    _mk: *mut module_kobject,
    buf: *mut c_char,
) -> isize {
    // SAFETY: the module_attribute is the first field of a live
    // ModuleAttribute<T> (repr(C), UnsafeCell is transparent).
    let this = unsafe { &*attr.cast::<ModuleAttribute<T>>() };
    // SAFETY: sysfs hands show a zeroed page, ours for the call.
    let page = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) };
    let mut out = SysfsBuffer { page, len: 0 };
    match this.data.show(&mut out) {
        Ok(()) => out.len as isize,
        Err(error) => error.to_errno() as isize,
    }
}

unsafe extern "C" fn store_c<T: AttributeOps>(
    attr: AttrPtr,
    _mk: *mut module_kobject,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: as in show_c.
    let this = unsafe { &*attr.cast::<ModuleAttribute<T>>() };
    // SAFETY: sysfs passes the written bytes, `count` of them, for the call.
    let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), count) };
    match this.data.store(input) {
        Ok(()) => count as isize,
        Err(error) => error.to_errno() as isize,
    }
}
