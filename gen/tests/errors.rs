//! Bad input: one clear line on stderr, exit code 1, nothing written.

mod common;

use common::*;

fn assert_nothing_written(env: &Env) {
    assert!(snapshot(&env.sets).is_empty(), "something was written");
}

#[test]
fn unknown_version() {
    let env = Env::new("unknown");
    env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    for arg in ["banana", "6.x", "1.2.3.4"] {
        let out = env.gen(&[arg]);
        assert_one_line_error(&out, "unknown kernel version");
    }
    assert_nothing_written(&env);
}

#[test]
fn no_matching_headers_names_the_package() {
    let env = Env::new("nomatch");
    env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    let out = env.gen(&["9.9"]);
    assert_one_line_error(&out, "sudo apt-get install linux-headers-9.9-amd64");
    let out = env.gen(&["9.9.0-1-amd64"]);
    assert_one_line_error(&out, "sudo apt-get install linux-headers-9.9.0-1-amd64");
    let out = env.gen(&["1.2", "--flavor", "rt-fake"]);
    assert_one_line_error(&out, "flavor rt-fake");
    let out = env.gen(&["--kdir", env.scratch.path.to_str().unwrap()]);
    assert_one_line_error(
        &out,
        "kernel header tree (no include/generated/utsrelease.h)",
    );
    let out = env.gen(&[]);
    assert_one_line_error(&out, "nothing to do");
    assert_nothing_written(&env);
}

#[test]
fn headers_for_another_arch() {
    let env = Env::new("arch");
    let tree = fake_tree(
        &env.search,
        "linux-headers-1.2.0-7-riscv64",
        "1.2.0-7-riscv64",
        (1, 2, 3),
        RISCV_CONFIG,
    );
    let out = env.gen(&["1.2"]);
    assert_one_line_error(&out, "another architecture");
    let out = env.gen(&["--kdir", tree.to_str().unwrap()]);
    assert_one_line_error(&out, "is for riscv");
    assert_nothing_written(&env);
}

#[test]
fn libclang_missing() {
    let env = Env::new("libclang");
    env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    let empty = env.scratch.join("no-libclang-here");
    std::fs::create_dir_all(&empty).unwrap();
    let out = env.gen_env(&["1.2"], &[("LIBCLANG_PATH", empty.to_str().unwrap())]);
    assert_one_line_error(&out, "libclang not found");
    assert!(stderr(&out).contains("apt-get install libclang-dev"));
    assert_nothing_written(&env);
}

#[test]
fn bindgen_failure() {
    let env = Env::new("bindgen");
    env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    write(
        &env.shim.join("headers.txt"),
        "fake/api.h\nfake/missing.h\n",
    );
    let out = env.gen(&["1.2"]);
    assert_one_line_error(&out, "bindgen failed");
    assert!(stderr(&out).contains("fake/missing.h"), "{}", stderr(&out));
    assert_nothing_written(&env);
}

#[test]
fn shim_that_does_not_compile() {
    let env = Env::new("shimfail");
    env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    write(
        &env.shim.join("answer.c"),
        "#include \"shim.h\"\nint rust_shim_answer(void)\n{\n\treturn undefined_thing;\n}\n",
    );
    let out = env.gen(&["1.2"]);
    assert_one_line_error(&out, "shims in shim/ do not compile");
    assert_nothing_written(&env);
}

#[test]
fn output_not_writable() {
    let env = Env::new("unwritable");
    env.tree("linux-headers-1.2.0-7-fake", "1.2.0-7-fake", (1, 2, 3));
    // A regular file where a directory should be: not writable even for root.
    let blocker = env.scratch.join("file");
    std::fs::write(&blocker, "").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gen"))
        .arg("--search")
        .arg(&env.search)
        .arg("--shim-dir")
        .arg(&env.shim)
        .arg("--sets-dir")
        .arg(blocker.join("sets"))
        .arg("1.2")
        .output()
        .unwrap();
    assert_one_line_error(&out, "is not writable");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"");
}

#[test]
fn kernel_compiler_not_installed() {
    if on_path("gcc-10") {
        eprintln!("skipped: gcc-10 is installed, so it cannot be the missing compiler");
        return;
    }
    let env = Env::new("nocc");
    let Some(tree) = real_tree_with_gcc(&env.scratch.path, "10") else {
        eprintln!("skipped: no installed header tree (/lib/modules/*/build with .kernelvariables)");
        return;
    };
    let out = env.gen(&["--kdir", tree.to_str().unwrap()]);
    assert_one_line_error(&out, "gcc-10: not found");
    assert!(
        stderr(&out).contains("sudo apt-get install gcc-10"),
        "{}",
        stderr(&out)
    );
    assert_nothing_written(&env);
}
