//! Memory allocation: the global allocator over `kmalloc`/`krealloc`/`kfree`
//! (`GFP_KERNEL`: may sleep, so never allocate with a spinlock held), and
//! fallible constructors for `Box` and `Vec`.
//!
//! `Box::new`, `vec![]`, `Vec::push`, ... abort on allocation failure:
//! the kernel's answer is a panic, i.e. an oops. Modules should use the
//! `try_*` functions of [`BoxExt`] and [`VecExt`] (and the standard
//! `Vec::try_reserve`), which return [`AllocError`] (→ `ENOMEM`).

use core::mem::MaybeUninit;
use core::pin::Pin;
use core::ptr::NonNull;
use rust_alloc::alloc::{alloc, Layout};
use rust_alloc::boxed::Box;
use rust_alloc::vec::Vec;

/// An allocation failed; converts to `ENOMEM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocError;

/// The alignment `kmalloc` guarantees for every size
/// (`ARCH_KMALLOC_MINALIGN` on x86_64).
pub const KMALLOC_MIN_ALIGN: usize = 8;

/// The size to ask `kmalloc` for so that the object is aligned to `align`:
/// `kmalloc` returns [`KMALLOC_MIN_ALIGN`]-aligned memory, and naturally
/// aligned memory for power-of-two sizes. `None` for alignments above a
/// page, which `kmalloc` cannot give.
pub const fn kmalloc_size(size: usize, align: usize, page_size: usize) -> Option<usize> {
    if align <= KMALLOC_MIN_ALIGN {
        Some(size)
    } else if align > page_size {
        None
    } else if size <= align {
        Some(align)
    } else {
        size.checked_next_power_of_two()
    }
}

/// Fallible `Box` constructors.
pub trait BoxExt<T>: Sized {
    /// `Box::new`, but an allocation failure is an error.
    fn try_alloc(value: T) -> Result<Self, AllocError>;
    /// `Box::pin`, but an allocation failure is an error.
    fn try_pin(value: T) -> Result<Pin<Self>, AllocError>;
    /// An uninitialised box, or an error.
    fn try_alloc_uninit() -> Result<Box<MaybeUninit<T>>, AllocError>;
}

impl<T> BoxExt<T> for Box<T> {
    fn try_alloc(value: T) -> Result<Self, AllocError> {
        Ok(Box::write(Self::try_alloc_uninit()?, value))
    }

    fn try_pin(value: T) -> Result<Pin<Self>, AllocError> {
        Ok(Box::into_pin(Self::try_alloc(value)?))
    }

    fn try_alloc_uninit() -> Result<Box<MaybeUninit<T>>, AllocError> {
        let layout = Layout::new::<MaybeUninit<T>>();
        if layout.size() == 0 {
            // SAFETY: a box of a zero-sized type owns no memory: any
            // aligned non-null pointer is valid (what Box::new uses).
            return Ok(unsafe { Box::from_raw(NonNull::dangling().as_ptr()) });
        }
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc(layout) }.cast::<MaybeUninit<T>>();
        if ptr.is_null() {
            return Err(AllocError);
        }
        // SAFETY: `ptr` was allocated by the global allocator with the
        // layout of `MaybeUninit<T>`, which needs no initialisation.
        Ok(unsafe { Box::from_raw(ptr) })
    }
}

/// A fallible `Arc` constructor (kernel builds only: it needs the
/// unstable `Arc::try_new`).
#[cfg(target_os = "none")]
pub trait ArcExt<T>: Sized {
    /// `Arc::new`, but an allocation failure is an error.
    fn try_alloc(value: T) -> Result<Self, AllocError>;
}

#[cfg(target_os = "none")]
impl<T> ArcExt<T> for rust_alloc::sync::Arc<T> {
    fn try_alloc(value: T) -> Result<Self, AllocError> {
        rust_alloc::sync::Arc::try_new(value).map_err(|_| AllocError)
    }
}

/// Fallible `Vec` operations (see also the standard `Vec::try_reserve`).
pub trait VecExt<T> {
    /// `push`, but an allocation failure is an error (the vector is unchanged).
    fn try_push(&mut self, value: T) -> Result<(), AllocError>;
    /// `extend_from_slice`, but an allocation failure is an error.
    fn try_extend_from_slice(&mut self, other: &[T]) -> Result<(), AllocError>
    where
        T: Clone;
    /// `resize`, but an allocation failure is an error.
    fn try_resize(&mut self, new_len: usize, value: T) -> Result<(), AllocError>
    where
        T: Clone;
}

// These write into the reserved capacity instead of calling `push`,
// `resize` or `extend_from_slice`, whose growth paths end in
// `handle_alloc_error`: a no-return function objtool does not know, so it
// would warn about the code after the call.
impl<T> VecExt<T> for Vec<T> {
    fn try_push(&mut self, value: T) -> Result<(), AllocError> {
        self.try_reserve(1).map_err(|_| AllocError)?;
        let len = self.len();
        self.spare_capacity_mut()[0].write(value);
        // SAFETY: the element after the old length was just written.
        unsafe { self.set_len(len + 1) };
        Ok(())
    }

    fn try_extend_from_slice(&mut self, other: &[T]) -> Result<(), AllocError>
    where
        T: Clone,
    {
        self.try_reserve(other.len()).map_err(|_| AllocError)?;
        let len = self.len();
        for (slot, value) in self.spare_capacity_mut().iter_mut().zip(other) {
            slot.write(value.clone());
        }
        // SAFETY: the `other.len()` elements after the old length were
        // just written (the reserve made room for all of them).
        unsafe { self.set_len(len + other.len()) };
        Ok(())
    }

    fn try_resize(&mut self, new_len: usize, value: T) -> Result<(), AllocError>
    where
        T: Clone,
    {
        let len = self.len();
        if new_len <= len {
            self.truncate(new_len);
            return Ok(());
        }
        let extra = new_len - len;
        self.try_reserve(extra).map_err(|_| AllocError)?;
        for slot in &mut self.spare_capacity_mut()[..extra] {
            slot.write(value.clone());
        }
        // SAFETY: the `extra` elements after the old length were just written.
        unsafe { self.set_len(new_len) };
        Ok(())
    }
}

#[cfg(all(target_os = "none", not(test)))]
mod kernel {
    use core::alloc::{GlobalAlloc, Layout};
    use core::ptr;

    use super::kmalloc_size;
    use crate::bindings::{self, gfp_t};

    const PAGE_SIZE: usize = bindings::PAGE_SIZE as usize;

    struct KernelAllocator;

    impl KernelAllocator {
        fn kmalloc(layout: Layout, flags: gfp_t) -> *mut u8 {
            match kmalloc_size(layout.size(), layout.align(), PAGE_SIZE) {
                // SAFETY: kmalloc accepts any size and flags; it returns
                // null or memory of at least `size` bytes.
                Some(size) => unsafe { bindings::kmalloc(size, flags) }.cast(),
                None => ptr::null_mut(),
            }
        }
    }

    // SAFETY: kmalloc_size() picks sizes for which kmalloc's memory has the
    // layout's alignment (or fails); kfree/krealloc take what kmalloc gave.
    unsafe impl GlobalAlloc for KernelAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            Self::kmalloc(layout, bindings::GFP_KERNEL)
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            Self::kmalloc(layout, bindings::GFP_KERNEL | bindings::__GFP_ZERO)
        }

        unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
            // SAFETY: the caller passes memory this allocator returned.
            unsafe { bindings::kfree(ptr.cast()) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            match kmalloc_size(new_size, layout.align(), PAGE_SIZE) {
                Some(size) => {
                    // SAFETY: `ptr` came from kmalloc/krealloc (caller's
                    // contract); krealloc keeps the contents up to the
                    // smaller size and, for a power-of-two size, the
                    // alignment.
                    unsafe { bindings::krealloc(ptr.cast(), size, bindings::GFP_KERNEL) }.cast()
                }
                None => ptr::null_mut(),
            }
        }
    }

    #[global_allocator]
    static ALLOCATOR: KernelAllocator = KernelAllocator;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_alignments_keep_the_size() {
        assert_eq!(kmalloc_size(1, 1, 4096), Some(1));
        assert_eq!(kmalloc_size(24, 8, 4096), Some(24));
        assert_eq!(kmalloc_size(100_000, 8, 4096), Some(100_000));
    }

    #[test]
    fn large_alignments_round_to_a_power_of_two() {
        assert_eq!(kmalloc_size(24, 16, 4096), Some(32));
        assert_eq!(kmalloc_size(8, 64, 4096), Some(64));
        assert_eq!(kmalloc_size(96, 32, 4096), Some(128));
        assert_eq!(kmalloc_size(5000, 4096, 4096), Some(8192));
        assert_eq!(kmalloc_size(usize::MAX, 16, 4096), None);
    }

    #[test]
    fn alignment_above_a_page_is_refused() {
        assert_eq!(kmalloc_size(8192, 8192, 4096), None);
    }

    #[test]
    fn every_result_is_aligned_by_kmalloc_rules() {
        for align in [1usize, 2, 4, 8, 16, 32, 64, 128, 256, 4096] {
            for size in 1..600 {
                let got = kmalloc_size(size, align, 4096).unwrap();
                assert!(got >= size);
                assert!(align <= KMALLOC_MIN_ALIGN || (got.is_power_of_two() && got >= align));
            }
        }
    }

    #[test]
    fn fallible_constructors() {
        let b = Box::try_alloc(7u64).unwrap();
        assert_eq!(*b, 7);
        let z = Box::try_alloc(()).unwrap();
        assert_eq!(*z, ());
        let p = Box::try_pin([1u8; 3]).unwrap();
        assert_eq!(*p, [1, 1, 1]);
        let mut v = Vec::new();
        v.try_push(1u8).unwrap();
        v.try_extend_from_slice(&[2, 3]).unwrap();
        v.try_resize(5, 9).unwrap();
        assert_eq!(v, [1, 2, 3, 9, 9]);
        v.try_resize(2, 0).unwrap();
        assert_eq!(v, [1, 2]);
        let mut s: Vec<String> = Vec::new();
        s.try_extend_from_slice(&["a".into(), "b".into()]).unwrap();
        s.try_resize(3, "c".into()).unwrap();
        s.try_push("d".into()).unwrap();
        assert_eq!(s, ["a", "b", "c", "d"]);
        let mut big: Vec<u64> = Vec::new();
        assert_eq!(big.try_resize(usize::MAX / 4, 0), Err(AllocError));
    }
}
