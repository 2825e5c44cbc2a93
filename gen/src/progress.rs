//! Progress lines on a terminal for steps that take more than a second;
//! nothing when stderr is not a terminal.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Writes to its own copy of the terminal's descriptor, so that it keeps
/// working while libclang's stderr is silenced.
#[derive(Debug)]
pub struct Progress {
    out: Option<File>,
}

impl Default for Progress {
    fn default() -> Progress {
        Progress::new()
    }
}

impl Progress {
    pub fn new() -> Progress {
        let stderr = std::io::stderr();
        let out = stderr
            .is_terminal()
            .then(|| stderr.as_fd().try_clone_to_owned().ok())
            .flatten()
            .map(File::from);
        Progress { out }
    }

    /// Runs `f`; if it is still running after a second, says so, and then
    /// how long it took.
    pub fn step<T>(&self, what: &str, f: impl FnOnce() -> T) -> T {
        let Some(Ok(mut term)) = self.out.as_ref().map(File::try_clone) else {
            return f();
        };
        let start = Instant::now();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let what = what.to_string();
        let reporter = thread::spawn(move || {
            if done_rx.recv_timeout(Duration::from_secs(1)).is_ok() {
                return None;
            }
            let _ = write!(term, "gen: {what} ...");
            let _ = term.flush();
            let _ = done_rx.recv();
            Some(term)
        });
        let out = f();
        let _ = done_tx.send(());
        if let Ok(Some(mut term)) = reporter.join() {
            let _ = writeln!(term, " {:.1}s", start.elapsed().as_secs_f64());
        }
        out
    }

    /// A result line, shown on a terminal only.
    pub fn note(&self, msg: &str) {
        if let Some(mut term) = self.out.as_ref() {
            let _ = writeln!(term, "gen: {msg}");
        }
    }
}
