//! The panic handler: a panic in a module is a kernel bug. It prints the
//! message and location at `KERN_EMERG`, then traps like C's `BUG()`: the
//! kernel prints an oops (registers, call trace) and kills the current
//! task (e.g. `insmod`); the rest of the kernel keeps running, unless it is
//! configured to panic on oops.

use core::sync::atomic::{AtomicBool, Ordering};

/// Set while a panic message is formatted: a panic inside a `Display`
/// impl of the message (or a concurrent panic) prints a short line
/// instead of recursing.
static FORMATTING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    if FORMATTING.swap(true, Ordering::Acquire) {
        crate::pr_emerg!("rust: panic while printing a panic\n");
        trap();
    }
    match info.location() {
        Some(at) => crate::pr_emerg!(
            "rust: panic at {}:{}:{}: {}\n",
            at.file(),
            at.line(),
            at.column(),
            info.message()
        ),
        None => crate::pr_emerg!("rust: panic: {}\n", info.message()),
    }
    FORMATTING.store(false, Ordering::Release);
    trap()
}

fn trap() -> ! {
    loop {
        // An undefined instruction oopses the task, as x86's BUG() (`ud2`,
        // "invalid opcode") does. On arm64 `udf` ("Undefined instruction"),
        // not BUG()'s `brk`: a debug exception leaves the dying task with
        // every exception masked, which 7.x then warns about in
        // __switch_to ("Unexpected DAIF value").
        // SAFETY: the instruction has no inputs or outputs; it only traps.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            core::arch::asm!("ud2", options(nomem, nostack))
        };
        // SAFETY: as above.
        #[cfg(target_arch = "aarch64")]
        unsafe {
            core::arch::asm!("udf #0", options(nomem, nostack))
        };
    }
}
