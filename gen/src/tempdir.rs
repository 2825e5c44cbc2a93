//! A directory removed again when dropped (gen's only temporary files).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};

static COUNTER: AtomicU32 = AtomicU32::new(0);

#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<parent>/<prefix><pid>-<n>`; `prefix` should make stale
    /// directories recognisable (see [`pid_of_stale`]).
    pub fn new_in(parent: &Path, prefix: &str) -> Result<TempDir> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!("{prefix}{}-{n}", std::process::id()));
        fs::create_dir(&path)
            .with_context(|| format!("cannot create directory {}", path.display()))?;
        Ok(TempDir { path })
    }

    /// In the system's temporary directory, after removing what runs that
    /// were killed left there under the same prefix.
    pub fn new(prefix: &str) -> Result<TempDir> {
        let parent = std::env::temp_dir();
        if let Ok(entries) = fs::read_dir(&parent) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                if pid_of_stale(&name.to_string_lossy(), prefix).is_some() {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        TempDir::new_in(&parent, prefix)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// For a name made by [`TempDir::new_in`] with `prefix`: the pid of its
/// creator, if that process no longer runs (the directory is stale).
pub fn pid_of_stale(name: &str, prefix: &str) -> Option<u32> {
    let rest = name.strip_prefix(prefix)?;
    let pid: u32 = rest.split('-').next()?.parse().ok()?;
    let alive = Path::new("/proc").join(pid.to_string()).exists();
    (!alive).then_some(pid)
}
