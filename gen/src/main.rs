//! gen: generates the committed binding sets in `bindings/sets/` from
//! installed kernel header trees. See `cargo run -p gen -- --help`.

mod check;
mod clang_walk;
mod cli;
mod flags;
mod generate;
mod kbuild;
mod layout;
mod meta;
mod progress;
mod prune;
mod run_bindgen;
mod shim;
mod tempdir;
mod tree;
mod wrappers;
mod write;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line: the outermost context first, then the causes.
            let mut line = format!("gen: error: {err}");
            for cause in err.chain().skip(1) {
                line.push_str(": ");
                line.push_str(&cause.to_string());
            }
            eprintln!("{}", line.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
