//! User-space memory: [`UserSliceReader`] / [`UserSliceWriter`] copy from
//! and to a user buffer given to `read`/`write`, with `copy_from_user` /
//! `copy_to_user` (which check the address and survive faults): a copy that
//! is not complete is `EFAULT`. [`file_range`] computes what a read or
//! write at a file offset covers.

use core::ops::Range;

use crate::error::{code, Result};

/// The bytes `[offset, offset + count)` of a `size`-byte file that exist:
/// empty at or past the end. `EINVAL` for a negative offset.
pub fn file_range(offset: i64, count: usize, size: usize) -> Result<Range<usize>> {
    let start = usize::try_from(offset).map_err(|_| code::EINVAL)?;
    if start >= size {
        return Ok(size..size);
    }
    Ok(start..start + count.min(size - start))
}

#[cfg(target_os = "none")]
mod kernel {
    use core::ffi::{c_ulong, c_void};

    use rust_alloc::vec::Vec;

    use crate::bindings;
    use crate::error::{code, Result};

    /// A range of user memory named by its address, e.g. an `ioctl`
    /// argument; read it with [`reader`](Self::reader) or fill it with
    /// [`writer`](Self::writer). Safe to make from any address: every
    /// access goes through `copy_from_user`/`copy_to_user`, which refuse
    /// kernel addresses and survive faults.
    pub struct UserSlice {
        addr: usize,
        len: usize,
    }

    impl UserSlice {
        /// `len` bytes of user memory at `addr`.
        pub fn new(addr: usize, len: usize) -> Self {
            UserSlice { addr, len }
        }

        /// Reads the range front to back.
        pub fn reader(self) -> UserSliceReader {
            UserSliceReader {
                ptr: self.addr as *const u8,
                len: self.len,
            }
        }

        /// Writes the range front to back.
        pub fn writer(self) -> UserSliceWriter {
            UserSliceWriter {
                ptr: self.addr as *mut u8,
                len: self.len,
            }
        }
    }

    /// Reads a user buffer front to back.
    pub struct UserSliceReader {
        ptr: *const u8,
        len: usize,
    }

    impl UserSliceReader {
        /// # Safety
        ///
        /// `ptr` is a user-space address from the kernel (e.g. `write`'s
        /// buffer) with room for `len` bytes as far as the caller knows;
        /// copy_from_user checks it.
        pub(crate) unsafe fn new(ptr: *const u8, len: usize) -> Self {
            UserSliceReader { ptr, len }
        }

        /// Bytes not read yet.
        pub fn len(&self) -> usize {
            self.len
        }

        /// Whether everything was read.
        pub fn is_empty(&self) -> bool {
            self.len == 0
        }

        /// Copies `out.len()` bytes into `out`; `EFAULT` if there are fewer
        /// or the user memory is not readable.
        pub fn read_slice(&mut self, out: &mut [u8]) -> Result {
            // SAFETY: `out` is valid for `out.len()` bytes of writes.
            unsafe { self.read_raw(out.as_mut_ptr(), out.len()) }
        }

        /// Appends everything left to `out`; `ENOMEM` or `EFAULT`.
        pub fn read_all(&mut self, out: &mut Vec<u8>) -> Result {
            let n = self.len;
            out.try_reserve(n)?;
            let spare = out.spare_capacity_mut();
            // SAFETY: `spare` has room for at least `n` bytes.
            unsafe { self.read_raw(spare.as_mut_ptr().cast(), n)? };
            // SAFETY: the `n` bytes after the old length were just written.
            unsafe { out.set_len(out.len() + n) };
            Ok(())
        }

        /// Skips `n` bytes; `EFAULT` if there are fewer.
        pub fn skip(&mut self, n: usize) -> Result {
            if n > self.len {
                return Err(code::EFAULT);
            }
            // `ptr` is a user address: never dereferenced here.
            self.ptr = self.ptr.wrapping_add(n);
            self.len -= n;
            Ok(())
        }

        /// # Safety
        ///
        /// `to` is valid for `n` bytes of writes.
        unsafe fn read_raw(&mut self, to: *mut u8, n: usize) -> Result {
            if n > self.len {
                return Err(code::EFAULT);
            }
            // SAFETY: `to` is writable for `n` bytes (caller); the user
            // address is checked by copy_from_user, which returns the
            // number of bytes it could not copy.
            let left = unsafe {
                bindings::copy_from_user(to.cast(), self.ptr.cast::<c_void>(), n as c_ulong)
            };
            if left != 0 {
                return Err(code::EFAULT);
            }
            self.ptr = self.ptr.wrapping_add(n);
            self.len -= n;
            Ok(())
        }
    }

    /// Writes a user buffer front to back.
    pub struct UserSliceWriter {
        ptr: *mut u8,
        len: usize,
    }

    impl UserSliceWriter {
        /// # Safety
        ///
        /// `ptr` is a user-space address from the kernel (e.g. `read`'s
        /// buffer); copy_to_user checks it.
        pub(crate) unsafe fn new(ptr: *mut u8, len: usize) -> Self {
            UserSliceWriter { ptr, len }
        }

        /// Room left, in bytes.
        pub fn len(&self) -> usize {
            self.len
        }

        /// Whether the buffer is full.
        pub fn is_empty(&self) -> bool {
            self.len == 0
        }

        /// Copies all of `data`; `EFAULT` if it does not fit or the user
        /// memory is not writable.
        pub fn write_slice(&mut self, data: &[u8]) -> Result {
            if data.len() > self.len {
                return Err(code::EFAULT);
            }
            // SAFETY: `data` is readable; the user address is checked by
            // copy_to_user, which returns the number of bytes not copied.
            let left = unsafe {
                bindings::copy_to_user(
                    self.ptr.cast::<c_void>(),
                    data.as_ptr().cast(),
                    data.len() as c_ulong,
                )
            };
            if left != 0 {
                return Err(code::EFAULT);
            }
            self.ptr = self.ptr.wrapping_add(data.len());
            self.len -= data.len();
            Ok(())
        }
    }
}

#[cfg(target_os = "none")]
pub use kernel::{UserSlice, UserSliceReader, UserSliceWriter};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_within_the_file() {
        assert_eq!(file_range(0, 10, 100), Ok(0..10));
        assert_eq!(file_range(95, 10, 100), Ok(95..100));
        assert_eq!(file_range(4096, 4096, 5000), Ok(4096..5000));
    }

    #[test]
    fn ranges_at_or_past_the_end_are_empty() {
        assert!(file_range(100, 10, 100).unwrap().is_empty());
        assert!(file_range(i64::MAX, 10, 100).unwrap().is_empty());
        assert!(file_range(0, 0, 100).unwrap().is_empty());
        assert!(file_range(0, 5, 0).unwrap().is_empty());
    }

    #[test]
    fn negative_offsets_are_invalid() {
        assert_eq!(file_range(-1, 1, 10), Err(code::EINVAL));
    }
}
