//! Safe Rust API for out-of-tree Linux kernel modules on stock distro kernels.
//!
//! All `unsafe` code of a module lives here or in `kernel-bindings`; module
//! crates use the safe items below and the [`module!`] macro.
#![no_std]

pub use kernel_bindings as bindings;

pub mod error;
pub mod module;
mod panic;
pub mod print;

pub use error::{Error, Result};
pub use module::Module;

/// Items a module crate needs in scope.
pub mod prelude {
    pub use crate::error::{Error, Result};
    pub use crate::module::Module;
    pub use crate::{module, pr_emerg, pr_info};
}
