//! Against a real installed kernel header tree (skipped when none is
//! installed): the set has what modules need, and equals the committed set
//! when that was made from the same release.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// An installed x86_64 tree, preferring the newest amd64 one.
fn installed_tree() -> Option<(PathBuf, String)> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/lib/modules").ok()?.flatten() {
        let build = entry.path().join("build");
        let uts = fs::read_to_string(build.join("include/generated/utsrelease.h")).ok();
        let config = fs::read_to_string(build.join(".config")).unwrap_or_default();
        if let Some(uts) = uts {
            if config.lines().any(|l| l == "CONFIG_X86_64=y") {
                let release = uts.split('"').nth(1)?.to_string();
                found.push((build, release));
            }
        }
    }
    found.sort_by_key(|(_, r)| {
        (
            r.ends_with("-amd64") && !r.contains("-rt-") && !r.contains("-cloud-"),
            r.clone(),
        )
    });
    found.pop()
}

fn set_name(meta: &str) -> String {
    meta.lines()
        .find_map(|l| l.strip_prefix("set = "))
        .unwrap()
        .trim_matches('"')
        .to_string()
}

#[test]
fn real_headers_give_a_usable_set() {
    let Some((tree, release)) = installed_tree() else {
        eprintln!("skipped: no x86_64 kernel headers installed");
        return;
    };
    let scratch = Scratch::new("real");
    let sets = scratch.join("sets");
    let out = Command::new(env!("CARGO_BIN_EXE_gen"))
        .arg("--kdir")
        .arg(&tree)
        .arg("--sets-dir")
        .arg(&sets)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let set = fs::read_dir(&sets).unwrap().next().unwrap().unwrap().path();
    let rs = fs::read_to_string(set.join("bindings.rs")).unwrap();
    for f in [
        "kmalloc",
        "kzalloc",
        "kfree",
        "copy_to_user",
        "copy_from_user",
        "get_current",
        "current",
        "msecs_to_jiffies",
        "IS_ERR",
        "PTR_ERR",
        "ERR_PTR",
        "mutex_init",
        "mutex_lock",
        "mutex_unlock",
        "spin_lock_init",
        "spin_lock",
        "spin_unlock",
        "init_waitqueue_head",
        "wake_up_interruptible",
        "misc_register",
        "misc_deregister",
        "init_work",
        "schedule_work",
        "timer_setup",
        "mod_timer",
        "list_add",
        "list_del",
        "atomic_read",
        "atomic_inc",
        "ktime_get",
        "this_module",
        "_printk",
    ] {
        assert!(rs.contains(&format!("pub fn {f}(")), "{release}: no {f}");
    }
    for c in [
        "pub const GFP_KERNEL: gfp_t = ",
        "pub const PAGE_SIZE: core::ffi::c_ulong = 4096;",
        "pub const EFAULT: core::ffi::c_int = 14;",
        "pub const KERN_INFO: &[u8; 3] = b\"\\x016\\0\";",
    ] {
        assert!(rs.contains(c), "{release}: no {c}");
    }
    // layout.c and layout.txt: entry for entry, with a known layout.
    let txt = fs::read_to_string(set.join("layout.txt")).unwrap();
    let c = fs::read_to_string(set.join("layout.c")).unwrap();
    let data: Vec<&str> = txt.lines().filter(|l| !l.starts_with('#')).collect();
    let entries: Vec<&str> = c
        .lines()
        .filter(|l| l.starts_with("\t(unsigned long long)("))
        .collect();
    assert_eq!(
        data.len(),
        entries.len(),
        "{release}: layout.txt vs layout.c"
    );
    assert!(
        data.len() > 1000,
        "{release}: only {} layout checks",
        data.len()
    );
    for (line, entry) in [
        (
            "16 size struct list_head",
            "\t(unsigned long long)(sizeof(struct list_head)),",
        ),
        (
            "0 offset struct list_head.next",
            "\t(unsigned long long)(__builtin_offsetof(struct list_head, next)),",
        ),
        (
            "0 value enum pid_type::PIDTYPE_PID",
            "\t(unsigned long long)(PIDTYPE_PID),",
        ),
        (
            "4096 value PAGE_SIZE",
            "\t(unsigned long long)((unsigned long)(PAGE_SIZE)),",
        ),
    ] {
        let i = data
            .iter()
            .position(|l| *l == line)
            .unwrap_or_else(|| panic!("{release}: no `{line}` in layout.txt"));
        assert_eq!(entries[i], entry, "{release}: entry {i}");
    }
    assert!(data
        .iter()
        .any(|l| l.ends_with(" offset struct file.f_mode")));
    assert!(!data.iter().any(|l| l.contains(" CONFIG_")));

    let temp = std::env::temp_dir().display().to_string();
    for (name, text) in snapshot(&set) {
        let text = String::from_utf8(text).unwrap();
        for path in ["/usr/src", "/lib/modules", temp.as_str(), REPO] {
            assert!(!text.contains(path), "{name} contains {path}");
        }
    }

    // Same release as a committed set: byte-identical (gen is deterministic),
    // once the committed set's stored form (maybe deltas) is read whole.
    let meta = fs::read_to_string(set.join("meta.toml")).unwrap();
    let committed = Path::new(REPO).join("bindings/sets").join(set_name(&meta));
    let committed_meta = fs::read_to_string(committed.join("meta.toml")).unwrap_or_default();
    if committed_meta.contains(&format!("release = \"{release}\"")) {
        assert!(
            kernel_tree::store::read_set(&committed) == kernel_tree::store::read_set(&set),
            "set for {release} differs from the committed {}",
            committed.display()
        );
    } else {
        eprintln!("note: no committed set from {release} to compare with");
    }
}
