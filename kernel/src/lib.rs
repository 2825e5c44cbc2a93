//! Safe Rust API for out-of-tree Linux kernel modules on stock distro kernels.
//!
//! All `unsafe` code of a module lives here or in `kernel-bindings`; module
//! crates use the safe items below and the [`module!`] macro.
//!
//! The parts that call the kernel only exist for the kernel target
//! (`target_os = "none"`); on the host, `cargo test -p kernel` builds and
//! tests the pure-Rust logic (formatting, chunking, sizes, offsets, errnos)
//! without kernel headers.
//!
//! `kernel/README.md` lists the API surface and what it leaves out.
#![cfg_attr(not(test), no_std)]
// `Arc::try_new` (fallible allocation); the kernel build sets
// RUSTC_BOOTSTRAP=1. Host builds do not compile the code that needs it.
#![cfg_attr(target_os = "none", feature(allocator_api))]

extern crate alloc as rust_alloc;

#[cfg(target_os = "none")]
pub use kernel_bindings as bindings;

pub mod alloc;
#[cfg(target_os = "none")]
pub mod chrdev;
#[cfg(target_os = "none")]
pub mod debugfs;
pub mod error;
#[cfg(target_os = "none")]
pub mod fs;
pub mod ioctl;
#[cfg(target_os = "none")]
pub mod kthread;
#[cfg(target_os = "none")]
pub mod miscdev;
pub mod module;
#[cfg(all(target_os = "none", not(test)))]
mod panic;
pub mod param;
pub mod print;
#[cfg(target_os = "none")]
pub mod procfs;
#[cfg(target_os = "none")]
pub mod seq_file;
#[cfg(target_os = "none")]
pub mod sync;
#[cfg(target_os = "none")]
pub mod sysfs;
#[cfg(target_os = "none")]
pub mod task;
#[cfg(target_os = "none")]
pub mod time;
#[cfg(target_os = "none")]
pub mod timer;
pub mod user;
#[cfg(target_os = "none")]
pub mod workqueue;

pub use error::{code, Error, Result};
pub use module::Module;

/// Items a module crate needs in scope.
pub mod prelude {
    #[cfg(target_os = "none")]
    pub use crate::alloc::ArcExt;
    pub use crate::alloc::{AllocError, BoxExt, VecExt};
    pub use crate::error::{code::*, Error, Result};
    pub use crate::module::Module;
    pub use crate::{module, pr_alert, pr_cont, pr_crit, pr_debug, pr_emerg, pr_err, pr_info};
    pub use crate::{pr_notice, pr_warn};
    pub use core::pin::Pin;
    pub use rust_alloc::{boxed::Box, string::String, sync::Arc, vec::Vec};

    #[cfg(target_os = "none")]
    pub use crate::fs::{File, OpenFile};
    #[cfg(target_os = "none")]
    pub use crate::miscdev::{MiscDevice, MiscRegistration};
    #[cfg(target_os = "none")]
    pub use crate::sync::{CondVar, Mutex, PollCondVar, SpinLock};
    #[cfg(target_os = "none")]
    pub use crate::user::{UserSliceReader, UserSliceWriter};
    #[cfg(target_os = "none")]
    pub use crate::{new_condvar, new_mutex, new_poll_condvar, new_spinlock};
}
