//! mymod: a kernel module of your own on the `kernel` crate. `insmod
//! mymod.ko whom=you` greets you; the greeting also says which kernel
//! generation the module was built for (the `kernel_at_least` cfg).
#![no_std]

use kernel::prelude::*;

struct MyMod;

impl Module for MyMod {
    fn init() -> Result<Self> {
        module_parameters::whom.with(|whom| -> Result {
            pr_info!("mymod: hello, {}\n", whom.to_str()?);
            Ok(())
        })?;
        // One source, several kernels: cfgs set by the make fragment.
        #[cfg(kernel_at_least = "6.12")]
        pr_info!("mymod: built for 6.12 or later\n");
        #[cfg(not(kernel_at_least = "6.12"))]
        pr_info!("mymod: built for a kernel before 6.12\n");
        Ok(MyMod)
    }
}

impl Drop for MyMod {
    fn drop(&mut self) {
        pr_info!("mymod: exit\n");
    }
}

module! {
    type: MyMod,
    name: "mymod",
    license: "GPL",
    author: "Your Name <you@example.org>",
    description: "A kernel module of my own, in Rust",
    params: {
        whom: str {
            default: "world",
            permissions: 0o444,
            description: "Whom to greet",
        },
    },
}
