//! How sets are stored: flavors as deltas of their series' base, every set
//! readable after every write, `--check` insisting on the canonical form and
//! `--repack` restoring it.

mod common;

use std::fs;

use common::*;

/// The full files of a set, as kernel-tree reads them.
fn full(env: &Env, set: &str) -> Vec<(String, String)> {
    kernel_tree::store::read_set(&env.sets.join(set)).unwrap()
}

fn names(env: &Env, set: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(env.sets.join(set))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn flavors_are_deltas_of_their_base_and_stay_readable() {
    let env = Env::new("store");
    let base_tree = env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    env.tree(
        "linux-headers-1.2.0-7-rt-fake",
        "1.2.0-7-rt-fake",
        (1, 2, 3),
    );

    // Without its base, a flavor is stored whole ...
    let out = env.gen(&["1.2", "--flavor", "rt-fake"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!names(&env, "1.2-rt-fake")
        .iter()
        .any(|n| n.ends_with(".delta")));
    let rt = full(&env, "1.2-rt-fake");

    // ... and once the base is written, re-stored against it, unchanged.
    let out = env.gen(&["1.2", "--flavor", "fake"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(names(&env, "1.2-rt-fake").contains(&"bindings.rs.delta".to_string()));
    assert!(!names(&env, "1.2-fake")
        .iter()
        .any(|n| n.ends_with(".delta")));
    assert_eq!(full(&env, "1.2-rt-fake"), rt);
    let out = env.gen(&["--check"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("ok 1.2-rt-fake (1.2.0-7-rt-fake): identical"));

    // A base whose content changes: its flavor is read whole with the old
    // base first, and stored against the new one, unchanged.
    grow_fake_thing(&base_tree);
    let out = env.gen(&["1.2", "--flavor", "fake"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(full(&env, "1.2-rt-fake"), rt);
    assert_ne!(
        kernel_tree::store::storage(&env.sets.join("1.2-rt-fake")).unwrap(),
        None
    );

    // Stored whole by hand: not canonical, --check fails naming --repack,
    // which restores the canonical form without changing the files.
    let dir = env.sets.join("1.2-rt-fake");
    for name in names(&env, "1.2-rt-fake") {
        fs::remove_file(dir.join(name)).unwrap();
    }
    for (name, text) in &rt {
        fs::write(dir.join(name), text).unwrap();
    }
    let out = env.gen(&["--check", "1.2-rt-fake"]);
    assert_one_line_error(&out, "check failed for 1 of 1 sets: 1.2-rt-fake");
    assert!(
        stdout(&out).contains(
            "FAILED 1.2-rt-fake: storage is not canonical (stored whole, canonically as deltas \
             of 1.2-fake); rewrite it, full files unchanged: cargo run -p gen -- --repack"
        ),
        "{}",
        stdout(&out)
    );
    let out = env.gen(&["--repack"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("repacked 1.2-rt-fake: stored as deltas of 1.2-fake"));
    assert_eq!(full(&env, "1.2-rt-fake"), rt);
    assert!(stdout(&env.gen(&["--repack"])).contains("stored canonically"));
    assert!(env.gen(&["--check", "1.2-rt-fake"]).status.success());

    // A missing base: one line naming the set, its base and the fix.
    fs::remove_file(env.sets.join("1.2-fake/bindings.rs")).unwrap();
    let out = env.gen(&["--repack"]);
    assert_one_line_error(
        &out,
        "set 1.2-rt-fake is stored as a delta of 1.2-fake, which has no bindings.rs",
    );
    assert!(stderr(&out).contains("cargo run -p gen -- 1.2"));
}
