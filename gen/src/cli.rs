//! Command line: parsing and dispatching to generate, list and check.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Parser;
use kernel_gen::progress::Progress;
use kernel_gen::shim::Shim;
use kernel_gen::tree::{self, Query, Tree};
use kernel_gen::{committed_sets, generate_sets, meta};

use crate::check;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (bindgen 0.73.2)");

const AFTER_HELP: &str = "\
Examples:
  cargo run -p gen -- 6.1                  every installed 6.1 flavor (amd64, cloud-amd64, rt-amd64)
  cargo run -p gen -- 6.12 --flavor amd64  only 6.12-amd64
  cargo run -p gen -- 6.1.0-NN-rt-amd64    exactly this release (NN: Debian ABI number)
  cargo run -p gen -- --kdir /path/to/linux-headers-X
  cargo run -p gen -- --list
  cargo run -p gen -- --check              every committed set whose headers are installed
  cargo run -p gen -- --check 6.1-amd64

Flavor rule: a version selects every installed flavor of it and each gets its own
set, bindings/sets/<major>.<minor>-<flavor> (flavor = the release's trailing words
after version and ABI number: amd64, cloud-amd64, rt-amd64). --flavor picks one.
If several installed trees map to the same set (e.g. two Debian ABI numbers), the
newest release is used.

Check mode regenerates each committed set from the installed tree of the same set
name into a temporary directory and compares every file. When the installed
release differs from the one recorded in the set's meta.toml (e.g. Debian moved
the ABI number), the set is reported as stale and the check fails, whether or not
the bindings changed: regenerate the set and commit it. Sets whose headers are not
installed are reported as skipped; a check that could compare nothing fails.

Output is written to a temporary directory next to the set and swapped into place;
a failed run leaves committed sets untouched. Progress is shown on a terminal only;
GEN_VERBOSE=1 prints the Kbuild logs gen reads.";

#[derive(Parser, Debug)]
#[command(
    name = "gen",
    version = VERSION,
    about = "Generate kernel binding sets (bindings.rs, wrappers.c, layout.c, layout.txt, meta.toml) from installed headers",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Kernel to generate for: a version (6.1, 6.12, 6.1.100) or a release
    /// (6.1.0-NN-amd64). With --check: a set name (6.1-amd64) or version.
    #[arg(value_name = "KERNEL")]
    pub kernel: Option<String>,

    /// Generate from this header tree instead of searching for one.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["kernel", "list", "check"])]
    pub kdir: Option<PathBuf>,

    /// Only the trees of this flavor (amd64, cloud-amd64, rt-amd64, ...).
    #[arg(long, value_name = "FLAVOR")]
    pub flavor: Option<String>,

    /// List installed header trees and committed sets.
    #[arg(long, conflicts_with = "check")]
    pub list: bool,

    /// Regenerate committed sets into a temporary directory and fail if any
    /// file differs.
    #[arg(long)]
    pub check: bool,

    /// Where the sets live.
    #[arg(long, value_name = "DIR", default_value_os_t = Path::new(REPO).join("bindings/sets"))]
    pub sets_dir: PathBuf,

    /// The shim directory (headers.txt, shim.h, consts.h).
    #[arg(long, value_name = "DIR", default_value_os_t = Path::new(REPO).join("bindings/shim"))]
    pub shim_dir: PathBuf,

    /// Where to look for header trees (repeatable) [default: /usr/src, /lib/modules].
    #[arg(long = "search", value_name = "DIR")]
    pub search: Vec<PathBuf>,
}

pub fn parse() -> Cli {
    Cli::parse()
}

pub fn run(cli: Cli) -> Result<()> {
    let progress = Progress::new();
    let search: Vec<PathBuf> = if cli.search.is_empty() {
        tree::DEFAULT_SEARCH.iter().map(PathBuf::from).collect()
    } else {
        cli.search.clone()
    };
    if cli.list {
        return list(&cli, &search);
    }
    let shim = Shim::load(&cli.shim_dir)?;
    if cli.check {
        let trees = tree::discover(&search);
        return check::check(
            &cli.sets_dir,
            &shim,
            &trees,
            cli.kernel.as_deref(),
            cli.flavor.as_deref(),
            &progress,
        );
    }
    let trees = if let Some(kdir) = &cli.kdir {
        let tree = Tree::load(kdir)?;
        tree.ensure_supported_arch()?;
        if let Some(f) = &cli.flavor {
            if *f != tree.flavor {
                bail!(
                    "--flavor {f} does not match {} (flavor {})",
                    kdir.display(),
                    tree.flavor
                );
            }
        }
        vec![tree]
    } else {
        let Some(kernel) = &cli.kernel else {
            bail!("nothing to do: give a kernel version (e.g. 6.1), --kdir PATH, --list or --check (see --help)");
        };
        let query = Query::parse(kernel)?;
        tree::select(&tree::discover(&search), &query, cli.flavor.as_deref())?
    };
    generate_sets(&cli.sets_dir, &shim, &trees, &progress)
}

fn list(cli: &Cli, search: &[PathBuf]) -> Result<()> {
    let trees = tree::discover(search);
    println!("Installed header trees:");
    if trees.is_empty() {
        println!("  (none found; e.g. sudo apt-get install linux-headers-amd64)");
    }
    for t in &trees {
        println!(
            "  {:<18} {:<26} {:<10} {:<8} {}",
            t.set_name(),
            t.release,
            t.version,
            t.arch,
            t.path.display()
        );
    }
    println!("Committed sets ({}):", cli.sets_dir.display());
    let sets = committed_sets(&cli.sets_dir)?;
    if sets.is_empty() {
        println!("  (none)");
    }
    for name in sets {
        let release =
            meta::read_value(&cli.sets_dir.join(&name), "release").unwrap_or_else(|| "?".into());
        let installed: Vec<&Tree> = trees.iter().filter(|t| t.set_name() == name).collect();
        let status = if installed.is_empty() {
            "headers not installed".to_string()
        } else if installed.iter().any(|t| t.release == release) {
            "headers installed".to_string()
        } else {
            format!(
                "installed release differs: {}",
                installed
                    .iter()
                    .map(|t| t.release.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        println!("  {name:<18} {release:<26} {status}");
    }
    Ok(())
}
