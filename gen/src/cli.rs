//! Command line: parsing and dispatching to generate, list and check.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Parser;
use kernel_gen::progress::Progress;
use kernel_gen::shim::Shim;
use kernel_gen::tree::{self, Query, Tree};
use kernel_gen::{committed_sets, generate_sets, meta, variant};

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
  cargo run -p gen -- --check --strict     stale sets fail too
  cargo run -p gen -- --refresh            regenerate what is stale, say what changed
  cargo run -p gen -- --diff OLD_SET_DIR NEW_SET_DIR
  cargo run -p gen -- --repack             store every set canonically (no headers needed)

Flavor rule: a version selects every installed flavor of it and each gets its own
set, bindings/sets/<major>.<minor>-<flavor> (flavor = the release's trailing words
after version and ABI number: amd64, cloud-amd64, rt-amd64). --flavor picks one.
If several installed trees map to the same set (e.g. two Debian ABI numbers), the
newest release is used.

A set serves every release of its kernel series: nothing that only names the
release (build salt, compiler version text, ...) is in its generated files, and the
release in its meta.toml is provenance. Check mode regenerates each committed set
from the newest installed tree of the same set name, in memory, and compares:
  ok      same release as recorded and every file byte-identical;
  FAILED  same release but a file differs (a hand edit, a changed gen, or gen not
          deterministic: then it generates again to tell), exit code 1;
  stale   another release of the series is installed: what differs in interface
          terms (layout items, functions, types, constants; the first few named),
          with gen run twice to prove it deterministic; exit code 0 unless --strict.
Sets whose headers are not installed are reported as skipped; a check that could
compare nothing fails. --refresh regenerates every set that is not what gen makes
from the installed headers and prints what changed; --diff compares two set
directories the same way.

Layout variants: a tree older than the committed set of its name (a lower upstream
version, or the same one from another release) never replaces it but makes the set
<set>@<version> (e.g. 6.1-amd64@6.1.158), written only if no set of that family has
identical bindings, wrappers and layout. --check (and --refresh) compares a variant
only with the tree of the release it records, and a set only with trees that make it.

Storage: a set whose series has a set of the plain arch flavor (6.1-amd64 for
6.1-rt-amd64 and for every variant, 6.1-amd64@... too), its base, stores each large
file as a line delta of the base's (<file>.delta) when smaller; bases are whole.
Writing a base re-stores the sets stored against it. --check also fails for a set not stored this way; --repack
rewrites the storage of every committed set without changing its files.

Output is written to a temporary directory next to the set and swapped into place;
a failed run leaves committed sets untouched (and every set readable). Progress is shown on a terminal only;
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
    /// (6.1.0-NN-amd64). With --check: a set name (6.1-amd64, with its
    /// variants; a variant's full name, 6.1-amd64@6.1.158) or version.
    #[arg(value_name = "KERNEL")]
    pub kernel: Option<String>,

    /// Generate from this header tree instead of searching for one.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["kernel", "list", "check", "refresh"])]
    pub kdir: Option<PathBuf>,

    /// Only the trees of this flavor (amd64, cloud-amd64, rt-amd64, ...).
    #[arg(long, value_name = "FLAVOR")]
    pub flavor: Option<String>,

    /// List installed header trees and committed sets.
    #[arg(long, conflicts_with = "check")]
    pub list: bool,

    /// Regenerate committed sets and compare: fail if one made from the
    /// installed release differs; report sets made from another release of
    /// the series as stale.
    #[arg(long, conflicts_with_all = ["refresh", "diff"])]
    pub check: bool,

    /// With --check: stale sets fail too. With --diff: fail when the
    /// interfaces differ.
    #[arg(long)]
    pub strict: bool,

    /// Regenerate every committed set (or those KERNEL names) whose files are
    /// not what gen makes from the installed headers, and print what changed.
    #[arg(long, conflicts_with_all = ["list", "diff"])]
    pub refresh: bool,

    /// Rewrite how every committed set is stored (bases whole, other
    /// flavors as line deltas of their base) without changing any set's
    /// files. Needs no headers.
    #[arg(long, conflicts_with_all = ["kernel", "kdir", "list", "check", "refresh", "diff"])]
    pub repack: bool,

    /// Compare two set directories: layout items, functions, types,
    /// constants.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], conflicts_with_all = ["list", "kernel", "kdir"])]
    pub diff: Option<Vec<PathBuf>>,

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
    if let Some(dir) = kernel_gen::cache::default_dir() {
        kernel_gen::cache::enable(dir);
    }
    let search: Vec<PathBuf> = if cli.search.is_empty() {
        tree::DEFAULT_SEARCH.iter().map(PathBuf::from).collect()
    } else {
        cli.search.clone()
    };
    if cli.list {
        return list(&cli, &search);
    }
    if let Some(dirs) = &cli.diff {
        return check::diff(&dirs[0], &dirs[1], cli.strict);
    }
    if cli.repack {
        return check::repack(&cli.sets_dir);
    }
    if cli.strict && !cli.check {
        bail!("--strict goes with --check or --diff");
    }
    let shim = Shim::load(&cli.shim_dir)?;
    if cli.check || cli.refresh {
        let trees = tree::discover(&search);
        let selection = check::Selection {
            sets_dir: &cli.sets_dir,
            shim: &shim,
            trees: &trees,
            filter: cli.kernel.as_deref(),
            flavor: cli.flavor.as_deref(),
            progress: &progress,
        };
        return if cli.check {
            check::check(&selection, cli.strict)
        } else {
            check::refresh(&selection)
        };
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
    // Not the plain outcome (a tree older than its committed set: a layout
    // variant, or nothing): said terminal or not.
    for outcome in generate_sets(&cli.sets_dir, &shim, &trees, &progress)? {
        if let Some(remark) = outcome.remark() {
            eprintln!("gen: {remark}");
        }
    }
    Ok(())
}

fn list(cli: &Cli, search: &[PathBuf]) -> Result<()> {
    let trees = tree::discover(search);
    println!("Installed header trees:");
    if trees.is_empty() {
        println!("  (none found; e.g. sudo apt-get install linux-headers-amd64)");
    }
    let makes: Vec<String> = trees
        .iter()
        .map(|t| variant::set_name_in(&cli.sets_dir, t))
        .collect();
    let width = makes.iter().map(String::len).max().unwrap_or(0).max(18);
    for (t, makes) in trees.iter().zip(&makes) {
        println!(
            "  {makes:<width$} {:<26} {:<10} {:<8} {}",
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
    let width = sets.iter().map(String::len).max().unwrap_or(0).max(18);
    for name in sets {
        let release =
            meta::read_value(&cli.sets_dir.join(&name), "release").unwrap_or_else(|| "?".into());
        // A variant serves exactly its release (see --check).
        let installed: Vec<&Tree> = trees
            .iter()
            .filter(|t| t.set_name() == variant::family(&name))
            .filter(|t| !variant::is_variant(&name) || t.release == release)
            .collect();
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
        println!("  {name:<width$} {release:<26} {status}");
    }
    Ok(())
}
