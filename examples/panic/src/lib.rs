//! panic: `insmod panic.ko now=1` panics in init; the panic handler prints
//! the message and location, then oopses in insmod's context. Without the
//! parameter it loads and unloads quietly.
#![no_std]

use kernel::prelude::*;

struct Panic;

impl Module for Panic {
    fn init() -> Result<Self> {
        let now = module_parameters::now.get();
        pr_info!("panic: init (now={})\n", now);
        if now {
            panic!("asked to panic (now={})", now);
        }
        Ok(Panic)
    }
}

impl Drop for Panic {
    fn drop(&mut self) {
        pr_info!("panic: exit\n");
    }
}

module! {
    type: Panic,
    name: "panic",
    license: "GPL",
    author: "rust.ko contributors",
    description: "Panics in init when asked to",
    params: {
        now: bool {
            default: false,
            description: "Panic in init",
        },
    },
}
