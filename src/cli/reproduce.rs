//! `hits reproduce <experiment>`: run one of the paper's experiments headless and write its
//! figures and tables into `results/`.

//!
//! Each experiment lives in its own file under `src/cli/reproduce/`; this file holds the shared
//! arguments and the dispatch.

use std::path::PathBuf;

mod fig2;

/// Arguments of `hits reproduce`.
#[derive(Debug, clap::Args)]
pub struct ReproduceArgs {
    /// The experiment to reproduce.
    #[arg(value_enum)]
    pub experiment: Experiment,
    /// Small sizes and few epochs, for smoke tests (also HITS_QUICK=1).
    #[arg(long)]
    pub quick: bool,
    /// Where figures and tables go.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Where trained steppers are kept; an interrupted run resumes from them.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Train on CUDA (needs the `cuda` feature; falls back to the CPU with a message).
    #[arg(long)]
    pub cuda: bool,
    /// Systems of the ODE experiments, comma-separated [default: each experiment's own].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub system: Vec<hits::SystemKind>,
    /// Root of the ODE data sets: `<dir>/<System>/` (quick mode `<dir>/quick/<System>/`).
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Cap on the training epochs of each stepper (the paper: up to 100 000), for shorter
    /// full-size runs; results say when it was used.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Use the authors' public PyTorch models (../shared/data/original_models) where they exist,
    /// instead of training.
    #[arg(long)]
    pub pretrained: bool,
}

/// The experiments `hits reproduce` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Experiment {
    /// Figure 2: single time scales vs their multiscale coupling on the harmonic oscillator.
    Fig2,
}

pub fn run(args: ReproduceArgs) -> anyhow::Result<()> {
    let quick = args.quick || hits::data::quick_mode();
    match args.experiment {
        Experiment::Fig2 => fig2::run(&args, quick),
    }
}

