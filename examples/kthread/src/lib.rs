//! kthread: a kernel thread `rust_kthread` that wakes every 10 ms and
//! counts. `init` waits on a [`Completion`] until the thread has run once;
//! `rmmod` stops the thread and reports its result.
#![no_std]

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use kernel::kthread::{self, KThread};
use kernel::prelude::*;
use kernel::sync::Completion;
use kernel::time::msecs_to_jiffies;

struct Shared {
    started: Pin<Box<Completion>>,
    wakeups: AtomicU64,
}

struct KThreadModule {
    thread: Option<KThread>,
    shared: Arc<Shared>,
}

impl Module for KThreadModule {
    fn init() -> Result<Self> {
        let shared = Arc::try_alloc(Shared {
            started: Completion::new()?,
            wakeups: AtomicU64::new(0),
        })?;
        let mine = shared.clone();
        let thread = KThread::run(c"rust_kthread", move || {
            mine.started.complete_all();
            while !kthread::should_stop() {
                mine.wakeups.fetch_add(1, Relaxed);
                kthread::sleep_timeout(msecs_to_jiffies(10));
            }
            0
        })?;
        shared.started.wait_for_completion();
        pr_info!("kthread: thread running\n");
        Ok(KThreadModule {
            thread: Some(thread),
            shared,
        })
    }
}

impl Drop for KThreadModule {
    fn drop(&mut self) {
        let result = self.thread.take().map_or(0, KThread::stop);
        let woke = self.shared.wakeups.load(Relaxed) > 0;
        pr_info!(
            "kthread: stopped, result {}, {}\n",
            result,
            if woke { "woke" } else { "idle" }
        );
    }
}

module! {
    type: KThreadModule,
    name: "kthread",
    license: "GPL",
    author: "rust.ko contributors",
    description: "A kernel thread started with a completion and stopped at exit",
}
