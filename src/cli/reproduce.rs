//! `hits reproduce <experiment>`: run one of the paper's experiments headless and write its
//! figures and tables into `results/`.

//!
//! Each experiment lives in its own file under `src/cli/reproduce/`; this file holds the shared
//! arguments and the dispatch.

use std::path::PathBuf;

use hits::stepper::device::{select_device, DeviceChoice};

mod adaptive;
pub(crate) mod all_ode;
mod data_generation;
mod fig2;
mod hybrid;
mod increment;
mod model_training;
mod multiscale_hits;
mod noisy;
pub(crate) mod table1;

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
    /// The same as `--device cuda` (strict: exit status 1 when CUDA is not usable here).
    #[arg(long, conflicts_with = "device")]
    pub cuda: bool,
    /// Where to train: `cpu` (the default); `cuda` (needs a `--features cuda` build and a GPU,
    /// otherwise an error, exit status 1); `auto` (CUDA when usable, else the CPU with a notice).
    #[arg(long, value_enum)]
    pub device: Option<DeviceChoice>,
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
    /// adaptive: the noise levels, comma-separated [default: every level the authors'
    /// checkpoints have, 0-20 % for Hyperbolic and Hopf, 0 for Cubic and Van der Pol].
    #[arg(long, value_delimiter = ',')]
    pub noise: Vec<f64>,
    /// adaptive: the folder of the authors' checkpoints (`original_models/`, `ahits_models/`).
    #[arg(long, default_value = "../shared/data")]
    pub authors_dir: PathBuf,
    /// adaptive: the authors' steppers only, without our quick-trained ones beside them.
    #[arg(long)]
    pub authors_only: bool,
    /// all-ode: experiments to leave out, comma-separated (data_generation, model_training,
    /// multiscale_hits, hybrid, noisy, increment); the report says "not run" for them.
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Sequence data sets of table1, comma-separated: ks, bach, fluid, flower [default: all].
    #[arg(long, value_delimiter = ',')]
    pub data: Vec<String>,
    /// table1: the hidden width of each HiTS stepper instead of the paper's, one per step size
    /// in step order, comma-separated (e.g. 256,164,16,4 for Fluid); use another --out and
    /// --models to keep the paper's run.
    #[arg(long, value_delimiter = ',')]
    pub hidden: Vec<usize>,
    /// table1: epochs of the LSTM and CW-RNN only (default: --epochs, else the paper's 10 000);
    /// one epoch is a pass over the whole sequence, far dearer than a HiTS epoch on a CPU.
    #[arg(long)]
    pub baseline_epochs: Option<usize>,
}

/// The experiments `hits reproduce` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Experiment {
    /// Figure 2: single time scales vs their multiscale coupling on the harmonic oscillator.
    Fig2,
    /// The five ODE data sets at 0, 1 and 2% noise (sizes, timing, phase portraits).
    DataGeneration,
    /// Train the eleven steppers of each --system (default Hyperbolic): loss curves, table; resumes.
    ModelTraining,
    /// Figure 6A, Figure 8, Tables 6-8: every system at 0, 1 and 2% measurement noise.
    Noisy,
    /// Figure 10: the increment x(t + Δ) - x(t) over a grid, exact and learned (trained steppers under --models).
    Increment,
    /// Figure 5, Table 5: every step size vs the multiscale coupling, timing (default: all five systems).
    MultiscaleHits,
    /// Figure 6B, Figure 9, Table 9: RK4 at h = 1..16 dt vs the hybrid NN + RK4 (default: all five systems).
    Hybrid,
    /// Table 1, Figure 7: HiTS vs LSTM, ESN, CW-RNN generating KS, Bach, Fluid, Flower (--data).
    Table1,
    /// AHiTS beside HiTS: the noise study to 20 %, per-step errors, accuracy against cost (with
    /// the error-controlled AHiTS and RK4), the step-path ensemble's band (default: Hyperbolic,
    /// Cubic, Van der Pol, Hopf; the authors' checkpoints, and ours quick-trained).
    Adaptive,
    /// Every ODE experiment in order (data, training, multiscale, hybrid, noise, increment) and
    /// results/REPORT.md; skips what is up to date.
    AllOde,
}

impl Experiment {
    /// Whether the experiment trains the paper's small ODE nets, which train fastest with
    /// one thread per matrix product and one stepper per core.
    fn trains_small_nets(self) -> bool {
        matches!(
            self,
            Experiment::Fig2
                | Experiment::ModelTraining
                | Experiment::Noisy
                | Experiment::MultiscaleHits
                | Experiment::Hybrid
                | Experiment::Adaptive
                | Experiment::AllOde
        )
    }
}

impl ReproduceArgs {
    /// The device asked for: `--device`, `--cuda` (= `--device cuda`), else the CPU.
    pub fn device_choice(&self) -> DeviceChoice {
        if self.cuda {
            DeviceChoice::Cuda
        } else {
            self.device.unwrap_or_default()
        }
    }

    /// Whether a GPU was asked for (`--cuda`, `--device cuda` or `--device auto`).
    pub fn wants_cuda(&self) -> bool {
        self.device_choice() != DeviceChoice::Cpu
    }

    /// The device to train on ([`hits::stepper::device::select_device`]): an error for
    /// `--device cuda` where CUDA is not usable.
    pub fn device(&self) -> hits::Result<candle_core::Device> {
        select_device(self.device_choice())
    }
}

/// Where an experiment's folder goes: `<out>/`, or `<out>/quick/` in quick mode (so a quick
/// run never overwrites a full one).
pub(crate) fn results_root(args: &ReproduceArgs, quick: bool) -> PathBuf {
    hits::data::quick_root(&args.out, quick)
}

pub fn run(args: ReproduceArgs) -> anyhow::Result<()> {
    let quick = args.quick || hits::data::quick_mode()?;
    // A GPU asked for strictly and not usable: an error before any work.
    if args.device_choice() == DeviceChoice::Cuda {
        args.device()?;
    }
    // The ODE steppers are small nets: one thread per matrix product, one stepper per core.
    if args.experiment.trains_small_nets() {
        hits::stepper::device::one_thread_per_matmul();
    }
    match args.experiment {
        Experiment::Fig2 => fig2::run(&args, quick),
        Experiment::DataGeneration => data_generation::run(&args, quick),
        Experiment::ModelTraining => model_training::run(&args, quick),
        Experiment::Noisy => noisy::run(&args, quick),
        Experiment::Increment => increment::run(&args, quick),
        Experiment::MultiscaleHits => multiscale_hits::run(&args, quick),
        Experiment::Hybrid => hybrid::run(&args, quick),
        Experiment::Table1 => table1::run(&args, quick),
        Experiment::Adaptive => adaptive::run(&args, quick),
        Experiment::AllOde => all_ode::run(&args, quick),
    }
}
