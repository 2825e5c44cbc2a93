//! ioctl command numbers, as C's `_IO`, `_IOR`, `_IOW` and `_IOWR` make
//! them (the generic encoding of x86 and arm64): direction, size of the
//! argument type, a type byte and a number.
//!
//! ```
//! use kernel::ioctl::{_IO, _IOR, _IOC_NR, _IOC_SIZE};
//! const FIFO_CLEAR: u32 = _IO(b'f' as u32, 1);
//! const FIFO_LEN: u32 = _IOR::<u32>(b'f' as u32, 2);
//! assert_eq!(FIFO_CLEAR, 0x6601);
//! assert_eq!(FIFO_LEN, 0x8004_6602);
//! assert_eq!((_IOC_NR(FIFO_LEN), _IOC_SIZE(FIFO_LEN)), (2, 4));
//! ```
#![allow(non_snake_case)]

const NRBITS: u32 = 8;
const TYPEBITS: u32 = 8;
const SIZEBITS: u32 = 14;
const NRSHIFT: u32 = 0;
const TYPESHIFT: u32 = NRSHIFT + NRBITS;
const SIZESHIFT: u32 = TYPESHIFT + TYPEBITS;
const DIRSHIFT: u32 = SIZESHIFT + SIZEBITS;

/// No data transfer.
pub const _IOC_NONE: u32 = 0;
/// User space writes, the driver reads.
pub const _IOC_WRITE: u32 = 1;
/// The driver writes, user space reads.
pub const _IOC_READ: u32 = 2;

/// A command from its parts (`_IOC`); the size must fit in 14 bits.
pub const fn _IOC(dir: u32, ty: u32, nr: u32, size: usize) -> u32 {
    assert!(ty <= 0xff && nr <= 0xff && size < (1 << SIZEBITS));
    (dir << DIRSHIFT) | (ty << TYPESHIFT) | (nr << NRSHIFT) | ((size as u32) << SIZESHIFT)
}

/// A command without an argument.
pub const fn _IO(ty: u32, nr: u32) -> u32 {
    _IOC(_IOC_NONE, ty, nr, 0)
}

/// A command whose argument points to a `T` the driver writes.
pub const fn _IOR<T>(ty: u32, nr: u32) -> u32 {
    _IOC(_IOC_READ, ty, nr, core::mem::size_of::<T>())
}

/// A command whose argument points to a `T` the driver reads.
pub const fn _IOW<T>(ty: u32, nr: u32) -> u32 {
    _IOC(_IOC_WRITE, ty, nr, core::mem::size_of::<T>())
}

/// A command whose argument points to a `T` the driver reads and writes.
pub const fn _IOWR<T>(ty: u32, nr: u32) -> u32 {
    _IOC(_IOC_READ | _IOC_WRITE, ty, nr, core::mem::size_of::<T>())
}

/// The direction bits of a command.
pub const fn _IOC_DIR(cmd: u32) -> u32 {
    cmd >> DIRSHIFT
}

/// The type byte of a command.
pub const fn _IOC_TYPE(cmd: u32) -> u32 {
    (cmd >> TYPESHIFT) & ((1 << TYPEBITS) - 1)
}

/// The number of a command.
pub const fn _IOC_NR(cmd: u32) -> u32 {
    (cmd >> NRSHIFT) & ((1 << NRBITS) - 1)
}

/// The argument size of a command.
pub const fn _IOC_SIZE(cmd: u32) -> usize {
    ((cmd >> SIZESHIFT) & ((1 << SIZEBITS) - 1)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_c_macros() {
        // <linux/fs.h>: FS_IOC_GETFLAGS = _IOR('f', 1, long) on 64-bit.
        assert_eq!(_IOR::<u64>(b'f' as u32, 1), 0x8008_6601);
        // FIFREEZE = _IOWR('X', 119, int).
        assert_eq!(_IOWR::<i32>(b'X' as u32, 119), 0xc004_5877);
        assert_eq!(_IOW::<u32>(b'f' as u32, 3), 0x4004_6603);
        assert_eq!(_IOC_DIR(0xc004_5877), _IOC_READ | _IOC_WRITE);
        assert_eq!(_IOC_TYPE(0xc004_5877), b'X' as u32);
    }
}
