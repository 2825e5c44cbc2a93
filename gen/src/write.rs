//! Writing a set atomically: files go to a temporary directory next to the
//! destination (same filesystem), which then replaces the set in one step.
//! A failed or interrupted run leaves the committed set as it was.

use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::setdiff::Files;
use crate::tempdir::{self, TempDir};

/// A set being written: created before the (slow) generation so that an
/// unwritable output fails at once.
#[derive(Debug)]
pub struct Staging {
    dir: TempDir,
    dest: PathBuf,
}

fn staging_prefix(name: &str) -> String {
    format!(".{name}.tmp-")
}

fn retired_prefix(name: &str) -> String {
    format!(".{name}.old-")
}

impl Staging {
    pub fn new(sets_dir: &Path, name: &str) -> Result<Staging> {
        fs::create_dir_all(sets_dir)
            .with_context(|| format!("output directory {} is not writable", sets_dir.display()))?;
        remove_stale(sets_dir, name);
        let dir = TempDir::new_in(sets_dir, &staging_prefix(name))
            .with_context(|| format!("output directory {} is not writable", sets_dir.display()))?;
        Ok(Staging {
            dir,
            dest: sets_dir.join(name),
        })
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Writes the files (as stored: see `store`) and moves them into place.
    pub fn commit(self, files: &Files) -> Result<()> {
        write_files(self.dir.path(), files)?;
        let sets_dir = self.dest.parent().unwrap_or(Path::new("."));
        if self.dest.exists() {
            // Swap both directories atomically, then drop the old one.
            exchange(self.dir.path(), &self.dest)
                .with_context(|| format!("cannot replace {}", self.dest.display()))?;
        } else {
            fs::rename(self.dir.path(), &self.dest)
                .with_context(|| format!("cannot create {}", self.dest.display()))?;
        }
        // The temporary name now holds the old set (or nothing): dropping
        // `self.dir` removes it.
        sync_dir(sets_dir);
        Ok(())
    }
}

/// Writes every file of `files` into the existing directory `dir`.
pub fn write_files(dir: &Path, files: &Files) -> Result<()> {
    for (name, text) in files {
        let path = dir.join(name);
        let mut f =
            fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// renameat2(RENAME_EXCHANGE); where the filesystem lacks it, two renames
/// (the old set is kept under a hidden name until the new one is in place).
fn exchange(a: &Path, b: &Path) -> Result<()> {
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD is always valid.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    if !matches!(err.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
        bail!(err);
    }
    let name = b.file_name().unwrap_or_default().to_string_lossy();
    let parent = b.parent().unwrap_or(Path::new("."));
    let retired = parent.join(format!("{}{}", retired_prefix(&name), std::process::id()));
    fs::rename(b, &retired)?;
    if let Err(e) = fs::rename(a, b) {
        let _ = fs::rename(&retired, b);
        bail!(e);
    }
    fs::rename(&retired, a)?;
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Removes what an interrupted run of gen left next to a set: its staging
/// directory, or (after a crash between the two fallback renames) restores
/// the retired committed set.
fn remove_stale(sets_dir: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(sets_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if tempdir::pid_of_stale(&file_name, &staging_prefix(name)).is_some() {
            let _ = fs::remove_dir_all(entry.path());
        } else if tempdir::pid_of_stale(&file_name, &retired_prefix(name)).is_some() {
            let dest = sets_dir.join(name);
            if dest.exists() {
                let _ = fs::remove_dir_all(entry.path());
            } else {
                let _ = fs::rename(entry.path(), dest);
            }
        }
    }
}
