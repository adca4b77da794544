//! Command-line interface: one file per subcommand, each a thin layer over a library call.

use clap::{Parser, Subcommand};

/// Multiscale hierarchical neural time-steppers (HiTS): data, training, forecasting, figures.
#[derive(Debug, Parser)]
#[command(name = "hits", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
    }
}
