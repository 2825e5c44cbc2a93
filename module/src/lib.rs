//! hello: the smallest useful Rust kernel module.
#![no_std]

use kernel::prelude::*;

struct Hello;

impl Module for Hello {
    fn init() -> Result<Self> {
        pr_info!("hello: init\n");
        pr_info!("hello from rust\n");
        Ok(Hello)
    }
}

impl Drop for Hello {
    fn drop(&mut self) {
        pr_info!("hello: exit\n");
    }
}

module! {
    type: Hello,
    name: "hello",
    license: "GPL",
    author: "rust.ko contributors",
    description: "Prints hello from Rust at load and unload",
}
