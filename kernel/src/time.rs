//! Kernel time in jiffies (the timer tick, `CONFIG_HZ` per second).

use crate::bindings;

/// A point or a span of time in timer ticks.
pub type Jiffies = core::ffi::c_ulong;

/// The current tick count (`jiffies`); it wraps around.
pub fn jiffies() -> Jiffies {
    // SAFETY: `jiffies` is a kernel global updated by the timer interrupt;
    // a volatile read of an aligned word is what C's READ_ONCE does.
    unsafe { core::ptr::addr_of!(bindings::jiffies).read_volatile() }
}

/// Milliseconds as ticks, rounded up (`msecs_to_jiffies`).
pub fn msecs_to_jiffies(msecs: u32) -> Jiffies {
    // SAFETY: a pure computation.
    unsafe { bindings::msecs_to_jiffies(msecs) }
}
