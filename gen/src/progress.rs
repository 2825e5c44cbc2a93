//! Progress lines on a terminal for steps that take more than a second;
//! nothing when stderr is not a terminal. `GEN_TIMING=1` prints every
//! step's wall time and CPU time (gen's own and its children's) to stderr,
//! terminal or not: the profile of a run.

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
        let f = || timed(what, f);
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

/// `GEN_TIMING=1`: one stderr line per step.
fn timing() -> bool {
    std::env::var_os("GEN_TIMING").is_some_and(|v| v != "0")
}

/// CPU seconds (user + system) of this process and of its waited-for
/// children so far.
fn cpu_seconds() -> (f64, f64) {
    let of = |who| {
        // SAFETY: getrusage only writes the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid, writable rusage.
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return 0.0;
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        secs(usage.ru_utime) + secs(usage.ru_stime)
    };
    (of(libc::RUSAGE_SELF), of(libc::RUSAGE_CHILDREN))
}

/// Runs `f`, and with `GEN_TIMING=1` says how long it took. (Steps that
/// run concurrently share the process's CPU counters.)
pub fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    if !timing() {
        return f();
    }
    let start = Instant::now();
    let (own, children) = cpu_seconds();
    let out = f();
    let (own2, children2) = cpu_seconds();
    diagnostic(&format!(
        "gen: time {what}: {:.2}s wall, {:.2}s cpu in gen, {:.2}s cpu in children",
        start.elapsed().as_secs_f64(),
        own2 - own,
        children2 - children
    ));
    out
}

/// A copy of stderr made before anything silences it (bindgen's runs do,
/// see `run_bindgen`).
static STDERR: std::sync::OnceLock<Option<File>> = std::sync::OnceLock::new();

/// Keeps a copy of stderr for [`diagnostic`]; called before fd 2 is
/// silenced.
pub fn keep_stderr() {
    STDERR.get_or_init(|| {
        std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .map(File::from)
    });
}

/// A line for stderr (`GEN_TIMING`, `GEN_VERBOSE`), also while bindgen
/// has fd 2 silenced in another thread.
pub fn diagnostic(line: &str) {
    keep_stderr();
    match STDERR.get().and_then(Option::as_ref) {
        Some(mut err) => {
            let _ = writeln!(err, "{line}");
        }
        None => eprintln!("{line}"),
    }
}
