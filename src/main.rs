//! The `hits` command-line program: runs every experiment headless.
//!
//! Each subcommand is one library call; see `hits --help`.

mod cli;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let args = cli::Cli::parse();
    cli::run(args)
}
