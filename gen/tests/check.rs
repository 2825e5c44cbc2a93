//! Check mode: regenerate committed sets and compare.

mod common;

use std::fs;

use common::*;

#[test]
fn check_passes_then_reports_differences_and_drift() {
    let env = Env::new("check");
    let tree = env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
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

    // A hand edit is found.
    let bindings = env.sets.join("1.2-fake/bindings.rs");
    let original = fs::read_to_string(&bindings).unwrap();
    fs::write(&bindings, format!("{original}// edited\n")).unwrap();
    let out = env.gen(&["--check"]);
    assert_one_line_error(&out, "check failed for 1 of 2 sets: 1.2-fake");
    let report = stdout(&out);
    assert!(
        report.contains("FAILED 1.2-fake: differing files: bindings.rs"),
        "{report}"
    );
    let kept = report
        .split("regenerated copy: ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    fs::remove_dir_all(kept).unwrap();
    fs::write(&bindings, original).unwrap();

    // Debian moved the ABI number: the set is stale even if nothing else changed.
    write(
        &tree.join("include/generated/utsrelease.h"),
        "#define UTS_RELEASE \"1.2.0-8-fake\"\n",
    );
    let out = env.gen(&["--check", "1.2-fake"]);
    assert_one_line_error(&out, "check failed");
    let report = stdout(&out);
    assert!(
        report
            .contains("set was made from 1.2.0-7-fake but the installed headers are 1.2.0-8-fake"),
        "{report}"
    );
    assert!(report.contains("meta.toml"), "{report}");
    let kept = report
        .split("regenerated copy: ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    fs::remove_dir_all(kept).unwrap();
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
