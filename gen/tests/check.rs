//! Check mode: regenerate committed sets and compare.

mod common;

use std::fs;
use std::process::Command;

use common::*;

#[test]
fn check_passes_then_reports_differences_and_drift() {
    let env = Env::new("check");
    env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    env.tree(
        "linux-headers-1.2.0-7-rt-fake",
        "1.2.0-7-rt-fake",
        (1, 2, 3),
    );
    assert!(env.gen(&["1.2"]).status.success());

    let out = env.gen(&["--check"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("ok 1.2-fake (1.2.0-7-fake)"));
    assert!(stdout(&out).contains("ok 1.2-rt-fake (1.2.0-7-rt-fake)"));

    // One set by name.
    let out = env.gen(&["--check", "1.2-rt-fake"]);
    assert!(out.status.success());
    assert!(!stdout(&out).contains("ok 1.2-fake "));

    // A hand edit is found, and no copy is left behind. The edited file is
    // the base of 1.2-rt-fake's bindings.rs.delta, which can no longer be
    // read: named too, with the fix.
    assert!(env.sets.join("1.2-rt-fake/bindings.rs.delta").is_file());
    let tmp = env.scratch.join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    let tmp_env = [("TMPDIR", tmp.to_str().unwrap())];
    let bindings = env.sets.join("1.2-fake/bindings.rs");
    let original = fs::read_to_string(&bindings).unwrap();
    fs::write(&bindings, format!("{original}// edited\n")).unwrap();
    let out = env.gen_env(&["--check"], &tmp_env);
    assert_one_line_error(&out, "check failed for 2 of 2 sets: 1.2-fake, 1.2-rt-fake");
    let report = stdout(&out);
    assert!(
        report.contains(
            "FAILED 1.2-fake (1.2.0-7-fake): bindings.rs differ from what gen makes of the same release"
        ),
        "{report}"
    );
    assert!(report.contains("--refresh 1.2-fake"), "{report}");
    assert!(
        report.contains(
            "FAILED 1.2-rt-fake: set 1.2-rt-fake is stored as a delta of 1.2-fake, whose \
             bindings.rs has changed since (fingerprint fnv1a64:"
        ),
        "{report}"
    );
    assert_eq!(
        fs::read_dir(&tmp).unwrap().count(),
        0,
        "temporary files left"
    );
    fs::write(&bindings, original).unwrap();
}

#[test]
fn another_release_of_the_series_is_stale_not_failed() {
    let env = Env::new("stale");
    let tree = env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    assert!(env.gen(&["1.2"]).status.success());
    let committed = snapshot(&env.sets);

    // Debian moved to the next point release (ABI number, build salt and
    // upstream version): only provenance differs, which is no failure.
    let bump = |text: &str| {
        text.replace("1.2.0-7-fake", "1.2.0-8-fake")
            .replace("SUBLEVEL 3", "SUBLEVEL 4")
            .replace(
                &format!("CODE {}", (1 << 16) + (2 << 8) + 3),
                &format!("CODE {}", (1 << 16) + (2 << 8) + 4),
            )
    };
    for file in [
        "include/generated/utsrelease.h",
        "include/generated/uapi/linux/version.h",
        ".config",
    ] {
        let path = tree.join(file);
        write(&path, &bump(&fs::read_to_string(&path).unwrap()));
    }
    let out = env.gen(&["--check"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains(
            "stale 1.2-fake (1.2.0-8-fake): made from 1.2.0-7-fake; interfaces unchanged \
             (only meta.toml's provenance differs); refresh: cargo run -p gen -- --refresh 1.2-fake"
        ),
        "{}",
        stdout(&out)
    );
    assert_one_line_error(&env.gen(&["--check", "--strict"]), "1 of 1 sets are stale");

    // A struct grew: named in the summary, still exit 0 without --strict.
    grow_fake_thing(&tree);
    let out = env.gen(&["--check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(
        report.contains("stale 1.2-fake (1.2.0-8-fake): made from 1.2.0-7-fake; "),
        "{report}"
    );
    assert!(
        report.contains("size of struct fake_thing: 16 -> 24"),
        "{report}"
    );
    assert!(report.contains("type fake_thing"), "{report}");
    assert_eq!(snapshot(&env.sets), committed, "check wrote to the sets");

    // --diff says the same of two set directories.
    let fresh = env.scratch.join("fresh");
    let kdir = tree.to_str().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["--kdir", kdir, "--sets-dir", fresh.to_str().unwrap()])
        .arg("--shim-dir")
        .arg(&env.shim)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (old, new) = (env.sets.join("1.2-fake"), fresh.join("1.2-fake"));
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let out = env.gen(&["--diff", old, new]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("size of struct fake_thing: 16 -> 24"));
    assert_one_line_error(
        &env.gen(&["--diff", old, new, "--strict"]),
        "differ in interfaces",
    );
    assert!(stdout(&env.gen(&["--diff", new, new])).contains("interfaces unchanged"));

    // --refresh rewrites it and says what changed; then it is up to date.
    let out = env.gen(&["--refresh"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("refreshed 1.2-fake: 1.2.0-7-fake -> 1.2.0-8-fake: "),
        "{}",
        stdout(&out)
    );
    let out = env.gen(&["--check", "--strict"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok 1.2-fake (1.2.0-8-fake): identical"));
    assert!(stdout(&env.gen(&["--refresh"])).contains("up to date 1.2-fake (1.2.0-8-fake)"));
}

#[test]
fn check_without_installed_headers_fails() {
    let env = Env::new("checkmissing");
    let tree = env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    assert!(env.gen(&["1.2"]).status.success());
    fs::remove_dir_all(&tree).unwrap();
    let out = env.gen(&["--check"]);
    assert_one_line_error(&out, "none has its headers installed");
    assert!(stdout(&out).contains("skipped 1.2-fake"));
    let out = env.gen(&["--check", "7.7-nope"]);
    assert_one_line_error(&out, "no committed set matching 7.7-nope");
}
