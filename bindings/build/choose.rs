//! The committed sets and the rule that picks one for a kernel.

use std::fs;
use std::path::{Path, PathBuf};

use kernel_tree::{leading_version, KernelId};

/// What `bindings/sets/<name>/meta.toml` says about the kernel a set was
/// generated from.
pub struct SetMeta {
    pub name: String,
    pub dir: PathBuf,
    pub kernel: KernelId,
}

impl SetMeta {
    /// Every set under `sets_dir`, sorted by name.
    pub fn read_all(sets_dir: &Path) -> Result<Vec<SetMeta>, String> {
        let entries = fs::read_dir(sets_dir)
            .map_err(|e| format!("cannot list {}: {e}", sets_dir.display()))?;
        let mut sets = Vec::new();
        for entry in entries.flatten() {
            let dir = entry.path();
            let meta = dir.join("meta.toml");
            if meta.is_file() {
                sets.push(SetMeta::read(&dir, &meta)?);
            }
        }
        sets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(sets)
    }

    fn read(dir: &Path, meta: &Path) -> Result<SetMeta, String> {
        let text =
            fs::read_to_string(meta).map_err(|e| format!("cannot read {}: {e}", meta.display()))?;
        // meta.toml is written by gen: flat `key = "value"` lines; the
        // [kernel] table's keys are unique in the file.
        let field = |key: &str| -> Result<String, String> {
            text.lines()
                .find_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
                })
                .ok_or_else(|| format!("{}: no `{key}`", meta.display()))
        };
        let version = field("version")?;
        Ok(SetMeta {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            dir: dir.to_path_buf(),
            kernel: KernelId {
                release: field("release")?,
                version: leading_version(&version)
                    .ok_or_else(|| format!("{}: bad version {version}", meta.display()))?,
                arch: field("arch")?,
                flavor: field("flavor")?,
                config_sha256: field("config_sha256")?,
            },
        })
    }
}

/// The set for `kernel`, and why: same arch and major.minor are required;
/// then an identical config wins, else the same flavor.
pub fn choose<'a>(kernel: &KernelId, sets: &'a [SetMeta]) -> Option<(&'a SetMeta, String)> {
    let candidates = sets.iter().filter(|s| {
        s.kernel.arch == kernel.arch
            && s.kernel.version.major == kernel.version.major
            && s.kernel.version.minor == kernel.version.minor
    });
    let mut same_flavor = None;
    for set in candidates {
        if set.kernel.config_sha256 == kernel.config_sha256 {
            return Some((
                set,
                format!(
                    "identical kernel config (generated from {})",
                    set.kernel.release
                ),
            ));
        }
        if set.kernel.flavor == kernel.flavor && same_flavor.is_none() {
            same_flavor = Some(set);
        }
    }
    same_flavor.map(|set| {
        (
            set,
            format!(
                "same {}.{} and flavor {}, config differs from {} (layouts are checked)",
                kernel.version.major, kernel.version.minor, kernel.flavor, set.kernel.release
            ),
        )
    })
}
