//! The current task.

use crate::bindings;

/// Whether a signal is pending for the current task: a sleep in progress
/// should end, usually with `ERESTARTSYS`.
pub fn signal_pending() -> bool {
    // SAFETY: current() is the running task, valid while it runs;
    // signal_pending only reads its flags.
    unsafe { bindings::signal_pending(bindings::current()) != 0 }
}
