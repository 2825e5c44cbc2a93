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
        // What BUG() does: x86's `ud2` raises the invalid-opcode trap,
        // arm64's `brk #0x800` (BUG_BRK_IMM) the kernel's BUG handler;
        // without a `__bug_table` entry the kernel oopses ("invalid opcode",
        // "Oops - BUG").
        // SAFETY: the instruction has no inputs or outputs; it only traps.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            core::arch::asm!("ud2", options(nomem, nostack))
        };
        // SAFETY: as above.
        #[cfg(target_arch = "aarch64")]
        unsafe {
            core::arch::asm!("brk #0x800", options(nomem, nostack))
        };
    }
}
