//! Layout variants: a tree older than the committed set of its name makes
//! `<set>@<version>` (or nothing, when a set of the family has the same
//! files), never replaces the set; `--check` and `--refresh` take a variant
//! only with the tree of its own release, and a base never with an older one.

mod common;

use std::fs;

use common::*;

fn full(env: &Env, set: &str) -> Vec<(String, String)> {
    kernel_tree::store::read_set(&env.sets.join(set)).unwrap()
}

fn set_names(env: &Env) -> Vec<String> {
    kernel_gen::committed_sets(&env.sets).unwrap()
}

#[test]
fn older_releases_make_variants_and_are_checked_with_their_own_tree() {
    let env = Env::new("variant");
    let new = env.tree("linux-headers-1.2.0-9-fake", "1.2.0-9-fake", (1, 2, 5));
    let old = env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    let out = env.gen(&["1.2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(set_names(&env), ["1.2-fake"]);
    let base = snapshot(&env.sets.join("1.2-fake"));

    // The older release, with the same layout: nothing to write.
    let out = env.gen(&["1.2.0-7-fake"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "gen: 1.2.0-7-fake: served by set 1.2-fake (identical bindings, wrappers and \
             layout); nothing written"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(set_names(&env), ["1.2-fake"]);

    // With another layout: a variant named by its version, stored as
    // deltas of the base, which stays as it was.
    grow_fake_thing(&old);
    let out = env.gen(&["1.2.0-7-fake"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "gen: 1.2.0-7-fake: wrote layout variant 1.2-fake@1.2.3 of set 1.2-fake (made from \
             1.2.0-9-fake): "
        ),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("size of struct fake_thing: 16 -> 24"),
        "{}",
        stderr(&out)
    );
    assert_eq!(set_names(&env), ["1.2-fake", "1.2-fake@1.2.3"]);
    assert_eq!(snapshot(&env.sets.join("1.2-fake")), base);
    let variant = full(&env, "1.2-fake@1.2.3");
    let meta = &variant.iter().find(|(n, _)| n == "meta.toml").unwrap().1;
    for line in [
        "set = \"1.2-fake@1.2.3\"",
        "release = \"1.2.0-7-fake\"",
        "version = \"1.2.3\"",
    ] {
        assert!(meta.contains(line), "{meta}");
    }
    let storage = kernel_tree::store::storage(&env.sets.join("1.2-fake@1.2.3")).unwrap();
    assert_eq!(storage.map(|s| s.base).as_deref(), Some("1.2-fake"));

    // Again: the same variant, unchanged.
    let variants = snapshot(&env.sets);
    let out = env.gen(&["1.2.0-7-fake"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("served by set 1.2-fake@1.2.3 "),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&env.sets), variants);

    // The same version from another release, with that layout: served by
    // the variant; with the base's, by the base.
    let other = env.tree("linux-headers-1.2.3+x-fake", "1.2.3+x-fake", (1, 2, 3));
    let out = env.gen(&["1.2.3+x-fake"]);
    assert!(
        stderr(&out).contains("gen: 1.2.3+x-fake: served by set 1.2-fake "),
        "{}",
        stderr(&out)
    );
    grow_fake_thing(&other);
    let out = env.gen(&["1.2.3+x-fake"]);
    assert!(
        stderr(&out).contains("gen: 1.2.3+x-fake: served by set 1.2-fake@1.2.3 "),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&env.sets), variants);
    fs::remove_dir_all(&other).unwrap();

    // Check: each with its own release; by the variant's full name too.
    let out = env.gen(&["--check"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("ok 1.2-fake (1.2.0-9-fake): identical"));
    assert!(stdout(&out).contains("ok 1.2-fake@1.2.3 (1.2.0-7-fake): identical"));
    let out = env.gen(&["--check", "1.2-fake@1.2.3"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("ok 1.2-fake "), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("ok 1.2-fake@1.2.3 "),
        "{}",
        stdout(&out)
    );

    // --list names the variant, its release, and what each tree makes.
    let list = stdout(&env.gen(&["--list"]));
    assert!(
        list.lines().any(|l| l.contains("1.2-fake@1.2.3")
            && l.contains("1.2.0-7-fake")
            && l.contains("headers installed")),
        "{list}"
    );

    // A newer base re-stores the variant, unchanged.
    env.tree("linux-headers-1.2.0-10-fake", "1.2.0-10-fake", (1, 2, 6));
    let out = env.gen(&["1.2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(full(&env, "1.2-fake@1.2.3"), variant);
    let out = env.gen(&["--check"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("ok 1.2-fake (1.2.0-10-fake): identical"));
    assert!(stdout(&out).contains("ok 1.2-fake@1.2.3 (1.2.0-7-fake): identical"));
    fs::remove_dir_all(&new).unwrap();

    // Without the base's tree, the older one is no tree of the base: the
    // base is skipped, not stale, and --refresh leaves it alone.
    fs::remove_dir_all(env.search.join("linux-headers-1.2.0-10-fake")).unwrap();
    let committed = snapshot(&env.sets);
    let out = env.gen(&["--check"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains(
            "skipped 1.2-fake: headers of 1.2.0-10-fake or a newer release not installed \
             (older: 1.2.0-7-fake makes 1.2-fake@1.2.3)"
        ),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("ok 1.2-fake@1.2.3 (1.2.0-7-fake): identical"));
    let out = env.gen(&["--refresh"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("up to date 1.2-fake@1.2.3 (1.2.0-7-fake)"));
    assert_eq!(snapshot(&env.sets), committed);

    // Without the variant's own release, it is skipped (never stale against
    // another release of the series), and --refresh leaves it alone.
    fs::remove_dir_all(&old).unwrap();
    env.tree("linux-headers-1.2.0-8-fake", "1.2.0-8-fake", (1, 2, 4));
    let out = env.gen(&["--check", "1.2-fake@1.2.3"]);
    assert_one_line_error(&out, "none has its headers installed");
    assert!(
        stdout(&out)
            .contains("skipped 1.2-fake@1.2.3: headers not installed (made from 1.2.0-7-fake)"),
        "{}",
        stdout(&out)
    );
    let out = env.gen(&["--refresh", "1.2-fake"]);
    assert!(!stdout(&out).contains("refreshed"), "{}", stdout(&out));
    assert_eq!(snapshot(&env.sets), committed);
}

#[test]
fn the_same_version_from_another_release_with_other_files_gets_a_name_of_its_own() {
    let env = Env::new("variant-twice");
    env.tree("linux-headers-1.2.0-9-fake", "1.2.0-9-fake", (1, 2, 5));
    let old = env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    let twin = env.tree("linux-headers-1.2.3+y-fake", "1.2.3+y-fake", (1, 2, 3));
    assert!(env.gen(&["1.2.0-9-fake"]).status.success());
    grow_fake_thing(&old);
    assert!(env.gen(&["1.2.0-7-fake"]).status.success());
    // The same upstream version, built apart, with a layout of its own.
    let api = twin.join("include/fake/api.h");
    let text = fs::read_to_string(&api).unwrap();
    write(
        &api,
        &text.replace(
            "struct fake_thing {\n",
            "struct fake_thing {\n\tint second;\n",
        ),
    );
    let out = env.gen(&["1.2.3+y-fake"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("gen: 1.2.3+y-fake: wrote layout variant 1.2-fake@1.2.3-2 "),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        set_names(&env),
        ["1.2-fake", "1.2-fake@1.2.3", "1.2-fake@1.2.3-2"]
    );
    // Each keeps its name: made again, checked, from its own release.
    let sets = snapshot(&env.sets);
    let out = env.gen(&["1.2.3+y-fake"]);
    assert!(
        out.status.success() && stderr(&out).contains("served by set 1.2-fake@1.2.3-2 "),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&env.sets), sets);
    let out = env.gen(&["--check"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    for line in [
        "ok 1.2-fake (1.2.0-9-fake): identical",
        "ok 1.2-fake@1.2.3 (1.2.0-7-fake): identical",
        "ok 1.2-fake@1.2.3-2 (1.2.3+y-fake): identical",
    ] {
        assert!(stdout(&out).contains(line), "{}", stdout(&out));
    }
}
