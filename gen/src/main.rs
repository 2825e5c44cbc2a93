//! gen: generates the committed binding sets in `bindings/sets/` from
//! installed kernel header trees. See `cargo run -p gen -- --help`. The
//! work is done by the library (`kernel_gen`), which the bindings build
//! script also uses for `make REGEN=1`.

mod check;
mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gen: error: {}", kernel_gen::one_line(&err));
            ExitCode::FAILURE
        }
    }
}
