//! params: module parameters. `insmod params.ko who=kernel times=3` prints
//! `hello, kernel` three times; `times=abc` is rejected by insmod.
#![no_std]

use kernel::prelude::*;

struct Params;

impl Module for Params {
    fn init() -> Result<Self> {
        let times = module_parameters::times.get();
        if times > 100 {
            pr_err!("params: times={} is more than 100\n", times);
            return Err(EINVAL);
        }
        module_parameters::who.with(|who| -> Result {
            let who = who.to_str()?;
            for _ in 0..times {
                pr_info!("hello, {}\n", who);
            }
            Ok(())
        })?;
        if module_parameters::loud.get() {
            pr_info!("params: loud\n");
        }
        Ok(Params)
    }
}

impl Drop for Params {
    fn drop(&mut self) {
        pr_info!("params: exit\n");
    }
}

module! {
    type: Params,
    name: "params",
    license: "GPL",
    author: "rust.ko contributors",
    description: "Greets someone a given number of times",
    params: {
        who: str {
            default: "world",
            permissions: 0o444,
            description: "Whom to greet",
        },
        times: u32 {
            default: 1,
            permissions: 0o644,
            description: "How many times to greet (at most 100)",
        },
        loud: bool {
            default: false,
            description: "Say that we are loud",
        },
    },
}
