//! Raw bindings to the target kernel.
//!
//! Interim: the few declarations the hello module needs. The generated,
//! per-kernel sets from `gen` replace this file.
#![no_std]

use core::ffi::{c_char, c_int};

extern "C" {
    /// The kernel's variadic print function (`printk` is a macro over it since 5.15).
    pub fn _printk(fmt: *const c_char, ...) -> c_int;
}
