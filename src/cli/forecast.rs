//! `hits forecast`: Table 5 (and Table 9 with `--hybrid`) for one problem: a built-in system
//! (`--system`) or a data folder of one's own (`--data-dir D`).
//!
//! Loads the steppers (our checkpoints from `models/<folder>/`, with `--released` those released
//! in `models/released/<folder>/`, or with `--original` the
//! original PyTorch models imported on the fly), the data set (`data/<System>/` or `D`), forecasts the
//! test set with every single step size and the multiscale coupling (after model selection on
//! the validation set with `--select`), optionally the hybrid NN + RK4 stepper and plain RK4,
//! and writes to `results/<folder>/` (quick mode `results/quick/<folder>/`):
//! `forecast_noise<n>.md` / `.csv` (our MSE and time beside the paper's),
//! `multiscale_noise<n>.npy` (`[n_traj, n_steps, dim]`), `hybrid_h<h>_noise<n>.npy`,
//! `mse_per_step_noise<n>.npy` (`[n_rows, n_steps]`, rows in the table's order; a diverged
//! row holds `inf`/`NaN` from its step on), and last `forecast_noise<n>.manifest.json` (every
//! file of the set with its size and SHA-256).
//!
//! **Diverged forecasts.** A forecast that leaves the finite range is a row whose MSE cell says
//! `diverged at step N` (the CSV: an empty `mse` and N under `diverged_at`), never `NaN` or
//! `inf`. With `--select`, a candidate coupling that diverges on the validation set is dropped
//! (a note names it and the step); when every candidate diverged, the command fails (exit
//! status 1) naming the steppers and where each diverged, and writes nothing. Without
//! `--select`, a table whose every row diverged is written like any other (exit status 0, with
//! a note saying so).
//!
//! **One set.** The files are written as one result set ([`hits::forecast::results`]): staged
//! in a hidden folder `.hits-tmp-<pid>-<n>.forecast_noise<n>.set/` beside them and renamed into
//! place after the manifest is complete, so an interrupted or failed run leaves the old set
//! whole (or, killed during the final renames, a complete staging folder that the next
//! `hits forecast` of the folder publishes).
//!
//! The checkpoints must be the problem's (name, dt, dimension, noise level, checked on load) and
//! the data set too (`dataset.json`, no NaN, no empty split); the output folder is locked while
//! it is written. Quick mode reads the quick data and models (`<root>/quick/`; a data folder of
//! one's own: its first 16 validation and test trajectories) and writes `<out>/quick/`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use hits::data::DataSet;
use hits::experiments::forecast::{ForecastFolder, ForecastJob};
use hits::experiments::multiscale_hits::ORIGINAL_MODELS;
use hits::experiments::ode::ensure_data;
use hits::hierarchy::adaptive::paper_tolerance;
use hits::hierarchy::Hierarchy;
use hits::problem::OdeProblem;
use hits::stepper::device::{select_device, DeviceChoice};

use super::problem::ProblemArgs;

/// Where `--released` finds the checkpoints released with the repository (relative to the
/// working directory, as the other defaults).
pub const RELEASED_MODELS: &str = "models/released";
use crate::{note, say};

/// Arguments of `hits forecast`.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    /// Folder of our checkpoints [default: models/<folder>/, quick mode models/quick/<folder>/].
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Use the checkpoints released with the repository, `models/released/<folder>/` (Hyperbolic,
    /// Cubic, Van der Pol, Hopf at noise 0, 0.01, 0.02; 20 000 epochs each, see its README).
    #[arg(long, conflicts_with_all = ["models", "original"])]
    pub released: bool,
    /// Use the original PyTorch models (model_D<k>_noise<n>.pt), imported on the fly.
    #[arg(long)]
    pub original: bool,
    /// Folder of the original models [default: ../shared/data/original_models/<System>/].
    #[arg(long)]
    pub original_dir: Option<PathBuf>,
    /// Choose the multiscale steppers on the validation set (the paper's cross-validation).
    #[arg(long)]
    pub select: bool,
    /// Hybrid NN + RK4 (and plain RK4) with RK4 step h = this many dt; repeat or comma-separate
    /// (e.g. --hybrid 1,2,4,8,16).
    #[arg(long, value_delimiter = ',')]
    pub hybrid: Vec<f64>,
    /// Data root of the built-in systems; reads <data>/<System>/{val,test}_noise<n>.npy
    /// (written by `hits generate`; quick mode <data>/quick/<System>/).
    #[arg(long, default_value = "data", conflicts_with = "data_dir")]
    pub data: PathBuf,
    /// Noise level of the data and models (0.0, 0.01, 0.02), in [0, 1].
    #[arg(long, default_value_t = 0.0, value_parser = crate::cli::parse_noise)]
    pub noise: f64,
    /// Output root; files go to <out>/<folder>/ (quick mode <out>/quick/<folder>/).
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Also write every uni-scale prediction (uni_D<k>_noise<n>.npy; 13 MB each at paper size).
    #[arg(long)]
    pub save_all: bool,
    /// AHiTS too (adaptive step sizes, Hamid et al. 2024): prints its schedule and segments, adds
    /// a row `adaptive` (test MSE, time, network evaluations) and writes ahits.json.
    #[arg(long)]
    pub adaptive: bool,
    /// AHiTS's tolerance on a stepper's predicted change [default: the AHiTS notebook's for the
    /// system: Hyperbolic 1e-5, Cubic 5e-4, Van der Pol 8e-2, Hopf 5e-3].
    #[arg(long, requires = "adaptive")]
    pub tol: Option<f64>,
    /// Run on the CPU even when a GPU is available (the same as `--device cpu`).
    #[arg(long, conflicts_with = "device")]
    pub cpu: bool,
    /// Where to forecast: `auto` (the default: CUDA when usable, else the CPU with a notice);
    /// `cpu` (the fused CPU forward); `cuda` (strict: an error, exit status 1, when CUDA is not
    /// usable here).
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceChoice,
    /// Quick check (also HITS_QUICK=1): the quick data set (`hits generate --quick`), or the
    /// first 16 validation and test trajectories of a data folder; results under quick/.
    #[arg(long)]
    pub quick: bool,
}

/// Run `hits forecast`.
pub fn run(args: ForecastArgs) -> anyhow::Result<()> {
    // The device first: `--device cuda` where CUDA is not usable is refused before any work.
    let dev = select_device(if args.cpu {
        DeviceChoice::Cpu
    } else {
        args.device
    })?;
    let quick = args.quick || hits::data::quick_mode()?;
    let problem = args.problem.problem(quick)?;
    let name = problem.name.clone();
    if let Some(h) = args.hybrid.iter().find(|h| !(h.is_finite() && **h > 0.0)) {
        anyhow::bail!("--hybrid: every RK4 step must be a positive number of dt, got {h}");
    }
    let adaptive = match (args.adaptive, args.tol) {
        (false, _) => None,
        (true, Some(t)) if t.is_finite() && t > 0.0 => Some(t),
        (true, Some(t)) => {
            anyhow::bail!("--tol: the AHiTS tolerance must be a positive number, got {t}")
        }
        (true, None) => Some(paper_tolerance(&problem.folder).ok_or_else(|| {
            anyhow::anyhow!(
                "--adaptive: AHiTS has no published tolerance for {}; give one with --tol",
                problem.name
            )
        })?),
    };
    // The output folder first: locked and writable before any work.
    let folder = ForecastFolder::open(&problem, &args.out)?;
    for n in &folder.notes {
        note!("{n}");
    }
    let t0 = Instant::now();
    let hierarchy = load_steppers(&args, &problem, &dev)?;
    let sizes = hierarchy.step_sizes();
    say!(
        "{name}: {} steppers {sizes:?} loaded in {:.2} s",
        sizes.len(),
        t0.elapsed().as_secs_f64()
    );
    let data = read_data(&args, &problem)?;
    say!(
        "test set {:?}, validation set {:?}",
        data.test.shape(),
        data.val.shape()
    );
    let job = ForecastJob {
        select: args.select,
        hybrid: args.hybrid.clone(),
        noise: args.noise,
        save_all: args.save_all,
        steppers: if args.original {
            "original PyTorch models, imported".into()
        } else if args.released {
            format!("released checkpoints ({RELEASED_MODELS}/{})", problem.folder)
        } else {
            "hits checkpoints".into()
        },
        adaptive,
    };
    let out = folder.forecast(&problem, &hierarchy, &data, &job)?;
    let ev = &out.evaluation;
    if let Some(sel) = &ev.selection {
        say!("model selection on the validation set:");
        for c in &sel.candidates {
            say!(
                "  steps {:?}: val MSE {}",
                &sizes[c.range.clone()],
                c.score().describe(|v| format!("{v:.3e}"))
            );
        }
        for c in sel.dropped() {
            note!(
                "steps {:?} dt dropped from the selection: {} on the validation set",
                &sizes[c.range.clone()],
                c.score().describe(|_| String::new())
            );
        }
        say!("  chosen: {:?}", &sizes[sel.range.clone()]);
    }
    if ev.rows.iter().all(|r| r.score().is_diverged()) {
        // a result like any other (the table says where each diverged), but worth a word
        let list: Vec<String> = ev
            .rows
            .iter()
            .map(|r| format!("{} {}", r.label(), r.score().describe(|_| String::new())))
            .collect();
        note!(
            "{name}: every forecast diverged ({}); no score is a number",
            list.join("; ")
        );
    }
    if let Some(a) = &out.ahits {
        let counts: Vec<String> = a
            .step_counts
            .iter()
            .map(|(k, c)| format!("{c} x {k} dt"))
            .collect();
        say!(
            "AHiTS (tol {:e}): schedule of {} steps: {}{}",
            a.tol,
            a.steps_used.len(),
            counts.join(", "),
            if a.past_horizon > 0 {
                format!(" (the last ends {} dt past the horizon)", a.past_horizon)
            } else {
                String::new()
            }
        );
        for seg in &a.segments {
            say!("  {seg}");
        }
    }
    say!("\n{}", out.table);
    say!(
        "wrote {} in {:.1} s",
        out.dir.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The validation and test data: a data folder's own files, or the built-in system's data set
/// under `--data` (read as it is, checked against its `dataset.json`: never generated or
/// replaced here).
fn read_data(args: &ForecastArgs, problem: &OdeProblem) -> anyhow::Result<DataSet> {
    let dir = super::problem::data_dir_of(problem, &args.data);
    let Some(kind) = args.problem.system else {
        return ensure_data(problem, args.noise, &args.data)
            .with_context(|| format!("reading the data folder {}", dir.display()));
    };
    problem.load_data(&dir, args.noise).with_context(|| {
        let missing = !hits::data::split_path(&dir, "test", args.noise).exists();
        if missing && args.data == std::path::Path::new("data") {
            format!(
                "reading the data set {}; make it with `hits generate --system {}{}`",
                dir.display(),
                kind.name().to_lowercase(),
                if problem.quick { " --quick" } else { "" }
            )
        } else {
            format!("reading the data set {}", dir.display())
        }
    })
}

fn load_steppers(
    args: &ForecastArgs,
    problem: &OdeProblem,
    dev: &candle_core::Device,
) -> anyhow::Result<Hierarchy> {
    if !args.original {
        let dir = match (&args.models, args.released) {
            (_, true) => PathBuf::from(RELEASED_MODELS).join(&problem.folder),
            (Some(dir), false) => dir.clone(),
            (None, false) => problem.dir_under(std::path::Path::new("models")),
        };
        return Hierarchy::load(&dir, &problem.expected_steppers(args.noise), dev).with_context(
            || {
                let hint = if args.released {
                    "the released checkpoints are Hyperbolic, Cubic, VanDerPol and Hopf at noise \
                     0, 0.01 and 0.02 (models/released/README.md); run from the repository's root"
                } else {
                    "train them (`hits train`), pass --released or --original"
                };
                format!("loading checkpoints from {}; {hint}", dir.display())
            },
        );
    }
    let dir = args
        .original_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(ORIGINAL_MODELS).join(&problem.folder));
    Hierarchy::import_original(&dir, args.noise, problem.dt, dev)
        .with_context(|| format!("importing the original models from {}", dir.display()))
}
