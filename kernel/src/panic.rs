//! The panic handler: a panic in a module is a kernel bug.

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    crate::pr_emerg!("rust: panic in kernel module");
    // `ud2` raises the invalid-opcode trap: the kernel prints an oops and
    // kills the current task instead of continuing in a broken state.
    loop {
        // SAFETY: `ud2` has no inputs or outputs; it only traps.
        unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
    }
}
