//! counter: a periodic timer and work items count, and files show it.
//! A 10 ms timer counts ticks and queues a work item on the system
//! workqueue every 10th tick; a delayed work item on the module's own
//! workqueue counts every 50 ms. `/proc/rust_counter` shows all three
//! counts, and root may write `reset` to it to zero them;
//! `/sys/module/counter/ticks` shows the ticks, and root may write a
//! number to it to set them. debugfs has `rust_counter/kicks` (read-only)
//! and `rust_counter/sweeps` (root may write a number to set it).
#![no_std]

use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use kernel::debugfs::Dir;
use kernel::prelude::*;
use kernel::procfs::{ProcEntry, ProcShow};
use kernel::seq_file::{SeqFile, SeqShow};
use kernel::sysfs::{AttributeOps, ModuleAttribute, SysfsBuffer};
use kernel::time::msecs_to_jiffies;
use kernel::timer::{Timer, TimerCallback};
use kernel::workqueue::{DelayedWork, DelayedWorkHandler, Queue, Work, WorkHandler};

const TICK_MS: u32 = 10;
const SWEEP_MS: u32 = 50;

#[derive(Default)]
struct Counts {
    ticks: AtomicU64,
    kicks: AtomicU64,
    sweeps: AtomicU64,
}

/// The timer's state: it queues `kick` from softirq context.
struct Tick {
    counts: Arc<Counts>,
    kick: Pin<Box<Work<Kick>>>,
}

impl TimerCallback for Tick {
    fn run(timer: &Timer<Self>) {
        let ticks = timer.counts.ticks.fetch_add(1, Relaxed) + 1;
        if ticks.is_multiple_of(10) {
            timer.kick.queue();
        }
        timer.start(msecs_to_jiffies(TICK_MS));
    }
}

struct Kick(Arc<Counts>);

impl WorkHandler for Kick {
    fn run(work: &Work<Self>) {
        work.0.kicks.fetch_add(1, Relaxed);
    }
}

struct Sweep(Arc<Counts>);

impl DelayedWorkHandler for Sweep {
    fn run(work: &DelayedWork<Self>) {
        work.0.sweeps.fetch_add(1, Relaxed);
        work.queue(msecs_to_jiffies(SWEEP_MS));
    }
}

struct Report(Arc<Counts>);

impl ProcShow for Report {
    fn show(&self, m: &mut SeqFile) -> Result {
        let c = &self.0;
        let _ = writeln!(m, "ticks {}", c.ticks.load(Relaxed));
        let _ = writeln!(m, "kicks {}", c.kicks.load(Relaxed));
        let _ = writeln!(m, "sweeps {}", c.sweeps.load(Relaxed));
        Ok(())
    }

    fn store(&self, input: &[u8]) -> Result {
        if input.trim_ascii() != b"reset" {
            return Err(EINVAL);
        }
        let c = &self.0;
        for count in [&c.ticks, &c.kicks, &c.sweeps] {
            count.store(0, Relaxed);
        }
        Ok(())
    }
}

/// One count as a debugfs file: shown as a number, set by writing one.
struct Count {
    counts: Arc<Counts>,
    pick: fn(&Counts) -> &AtomicU64,
}

impl SeqShow for Count {
    fn show(&self, m: &mut SeqFile) -> Result {
        let _ = writeln!(m, "{}", (self.pick)(&self.counts).load(Relaxed));
        Ok(())
    }

    fn store(&self, input: &[u8]) -> Result {
        let value = core::str::from_utf8(input)?.trim().parse()?;
        (self.pick)(&self.counts).store(value, Relaxed);
        Ok(())
    }
}

struct TicksFile(Arc<Counts>);

impl AttributeOps for TicksFile {
    fn show(&self, out: &mut SysfsBuffer<'_>) -> Result {
        writeln!(out, "{}", self.0.ticks.load(Relaxed)).map_err(|_| EFBIG)
    }

    fn store(&self, input: &[u8]) -> Result {
        let text = core::str::from_utf8(input)?.trim();
        self.0.ticks.store(text.parse()?, Relaxed);
        Ok(())
    }
}

struct Counter {
    // Fields drop in order: the files go first, then what feeds them.
    _proc: ProcEntry<Report>,
    _debug: Dir,
    _ticks_file: Pin<Box<ModuleAttribute<TicksFile>>>,
    _timer: Pin<Box<Timer<Tick>>>,
    _sweep: Pin<Box<DelayedWork<Sweep>>>,
    counts: Arc<Counts>,
}

impl Module for Counter {
    fn init() -> Result<Self> {
        let counts = Arc::try_alloc(Counts::default())?;
        let queue = Queue::try_new(c"rust_counter")?;
        let sweep = DelayedWork::new_on(&queue, Sweep(counts.clone()))?;
        let kick = Work::new(Kick(counts.clone()))?;
        let timer = Timer::new(Tick {
            counts: counts.clone(),
            kick,
        })?;
        let proc = ProcEntry::new_writable(c"rust_counter", Report(counts.clone()))?;
        let mut debug = Dir::new(c"rust_counter")?;
        let count = |pick| {
            Arc::try_alloc(Count {
                counts: counts.clone(),
                pick,
            })
        };
        debug.read_only_file(c"kicks", count(|c| &c.kicks)?)?;
        debug.read_write_file(c"sweeps", count(|c| &c.sweeps)?)?;
        let ticks_file = ModuleAttribute::new(c"ticks", 0o644, TicksFile(counts.clone()))?;
        timer.start(msecs_to_jiffies(TICK_MS));
        sweep.queue(msecs_to_jiffies(SWEEP_MS));
        pr_info!("counter: counting\n");
        Ok(Counter {
            _proc: proc,
            _debug: debug,
            _ticks_file: ticks_file,
            _timer: timer,
            _sweep: sweep,
            counts,
        })
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        // The timer and work items are still running here; they stop
        // when the fields drop, after this.
        let counted = self.counts.ticks.load(Relaxed) > 0;
        pr_info!(
            "counter: exit ({})\n",
            if counted { "counted" } else { "idle" }
        );
    }
}

module! {
    type: Counter,
    name: "counter",
    license: "GPL",
    author: "rust.ko contributors",
    description: "Counters fed by a timer and work items, shown in /proc, sysfs and debugfs",
}
