//! `hits forecast`: Table 5 (and Table 9 with `--hybrid`) for one problem: a built-in system
//! (`--system`) or a data folder of one's own (`--data-dir D`).
//!
//! Loads the steppers (our checkpoints from `models/<folder>/`, or with `--original` the
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
use hits::data::npy::{python_float as py_float, write_array_atomic};
use hits::data::DataSet;
use hits::experiments::ode::{ensure_data, original_steppers};
use hits::forecast::results::{recover, ResultSet};
use hits::forecast::{csv_table, evaluate, markdown_table, EvalOptions, StepperSet};
use hits::io::FolderLock;
use hits::problem::OdeProblem;
use hits::stepper::device::{select_device, DeviceChoice};
use hits::stepper::{load_hierarchy_expecting, ExpectedStepper, ResNetStepper};
use ndarray::Array2;

use super::problem::ProblemArgs;
use crate::{note, say};

/// Arguments of `hits forecast`.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    /// Folder of our checkpoints [default: models/<folder>/, quick mode models/quick/<folder>/].
    #[arg(long)]
    pub models: Option<PathBuf>,
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
    // The output folder first: locked and writable before any work.
    let out = problem.dir_under(&args.out);
    let lock = FolderLock::acquire(&out, "hits forecast")?;
    if let Some(n) = lock.removed_note() {
        note!("{n}");
    }
    for n in recover(&out)? {
        note!("{n}");
    }
    let t0 = Instant::now();
    let mut steppers = load_steppers(&args, &problem, &dev)?;
    steppers.sort_by_key(|s| s.step_size());
    let sizes: Vec<usize> = steppers.iter().map(|s| s.step_size()).collect();
    say!(
        "{name}: {} steppers {sizes:?} loaded in {:.2} s",
        steppers.len(),
        t0.elapsed().as_secs_f64()
    );

    let data = read_data(&args, &problem)?;
    let (val, test) = (&data.val, &data.test);
    if test.dim().0 == 0 {
        anyhow::bail!(
            "{name}: the test split is missing (test_noise{}.npy): nothing to forecast",
            py_float(args.noise)
        );
    }
    say!(
        "test set {:?}, validation set {:?}",
        test.shape(),
        val.shape()
    );

    let set = StepperSet::new(&steppers, &dev)?;
    let options = EvalOptions {
        select: args.select,
        hybrid: args.hybrid.clone(),
        noise: args.noise,
        keep_predictions: args.save_all,
        ..EvalOptions::default()
    };
    let ev = evaluate(
        &problem.eval_target(),
        &set.refs(),
        Some(val.view()),
        test.view(),
        &options,
    )?;
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
    let table = markdown_table(&ev.rows);
    say!("\n{table}");

    let noise = py_float(args.noise);
    let header = format!(
        "# {name}: forecast of the test set ({} trajectories, {} steps), noise {noise}{}\n\nsteppers: {}\n\n",
        test.dim().0,
        test.dim().1 - 1,
        if quick { ", QUICK run" } else { "" },
        if args.original { "original PyTorch models, imported" } else { "hits checkpoints" },
    );
    let mut set = ResultSet::begin(&out, &format!("forecast_noise{noise}"))?;
    set.write_bytes(
        &format!("forecast_noise{noise}.md"),
        (header + &table).as_bytes(),
    )?;
    set.write_bytes(
        &format!("forecast_noise{noise}.csv"),
        csv_table(&ev.rows).as_bytes(),
    )?;
    if let Some(ms) = &ev.multiscale {
        write_array_atomic(
            &set.path(&format!("multiscale_noise{noise}.npy"))?,
            &ms.mapv(|v| v as f32),
        )?;
    }
    for (i, pred) in &ev.predictions {
        let row = &ev.rows[*i];
        let name = match row.method.as_str() {
            "uni-scale" => format!("uni_D{}_noise{noise}.npy", row.step_sizes[0]),
            other => format!(
                "{}_{}_noise{noise}.npy",
                other.to_lowercase(),
                row.detail.replace([' ', '='], "")
            ),
        };
        write_array_atomic(&set.path(&name)?, &pred.mapv(|v| v as f32))?;
    }
    let n_steps = ev.rows[0].mse_per_step.len();
    let curves = Array2::from_shape_fn((ev.rows.len(), n_steps), |(r, t)| {
        ev.rows[r].mse_per_step[t]
    });
    write_array_atomic(
        &set.path(&format!("mse_per_step_noise{noise}.npy"))?,
        &curves,
    )?;
    set.commit()?;
    drop(lock);
    say!(
        "wrote {} in {:.1} s",
        out.display(),
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
) -> anyhow::Result<Vec<ResNetStepper>> {
    if !args.original {
        let dir = args
            .models
            .clone()
            .unwrap_or_else(|| problem.dir_under(std::path::Path::new("models")));
        let expected = ExpectedStepper {
            system: Some(problem.folder.clone()),
            dim: Some(problem.dim()),
            dt: Some(problem.dt),
            noise: Some(args.noise),
            ..ExpectedStepper::default()
        };
        let loaded = load_hierarchy_expecting(&dir, &expected, dev).with_context(|| {
            format!(
                "loading checkpoints from {}; train them (`hits train`) or pass --original",
                dir.display()
            )
        })?;
        return Ok(loaded.into_iter().map(|(s, _)| s).collect());
    }
    let dir = args
        .original_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("../shared/data/original_models").join(&problem.folder));
    original_steppers(problem, args.noise, &dir, dev)
        .with_context(|| format!("importing the original models from {}", dir.display()))
}
