//! Command-line interface: one file per subcommand, each a thin layer over a library call.

use clap::{Parser, Subcommand};

pub mod out;

mod data;
mod forecast;
mod generate;
mod import_torch;
mod problem;
mod reproduce;
mod sweep;
mod train;

/// `--noise` of every command: a number in [0, 1] ([`hits::data::check_noise`]).
pub(crate) fn parse_noise(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number"))?;
    hits::data::check_noise(v).map_err(|e| e.to_string())
}

/// Multiscale hierarchical neural time-steppers (HiTS): data, training, forecasting, figures.
#[derive(Debug, Parser)]
#[command(name = "hits", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a sequence data set of Figure 7 (ks, fluid, bach, flower) under data/<Name>/.
    Data(data::DataArgs),
    /// Generate the paper's ODE data sets (initial conditions from np.random.seed, scipy-compatible RK45).
    Generate(generate::GenerateArgs),
    /// Train the neural time-steppers of a system (all step sizes), writing checkpoints.
    Train(train::TrainArgs),
    /// Convert original PyTorch HiTS models (model_D<k>_noise<n>.pt) into hits checkpoints.
    ImportTorch(import_torch::ImportTorchArgs),
    /// Forecast a system's test set: every step size, the multiscale coupling, hybrid NN + RK4 (Tables 5, 9).
    Forecast(forecast::ForecastArgs),
    /// Reproduce a figure or table of the paper end to end, writing results/ (fig2: Figure 2).
    Reproduce(reproduce::ReproduceArgs),
    /// A heavy experiment as independent tasks: plan, run one task, Slurm scripts, collect.
    Sweep(sweep::SweepArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    // refused up front, also where --quick would make its value moot
    hits::data::quick_mode()?;
    match cli.command {
        Command::Data(args) => data::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Train(args) => train::run(args),
        Command::ImportTorch(args) => import_torch::run(args),
        Command::Forecast(args) => forecast::run(args),
        Command::Reproduce(args) => reproduce::run(args),
        Command::Sweep(args) => sweep::run(args),
    }
}
