//! `hits train`: train the steppers of one problem (all step sizes) and write checkpoints: a
//! built-in system (`--system`) or a data folder of one's own (`--data-dir D --dt 0.01`).
//!
//! Everything is checked before the data is read and training starts: the settings, the step
//! sizes, and the output folder, which is locked (a second `hits` writing it is refused with
//! the first one's PID) and whose checkpoints are never replaced silently: without `--resume`
//! (continue them, also past a finished run's epochs) or `--overwrite` (start again) a folder
//! with checkpoints is refused. Quick mode reads and writes under `<data>/quick/` and
//! `<out>/quick/`, never beside full-size work (a data folder of one's own is read in place,
//! its first 32 / 16 trajectories in quick mode).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use hits::data::load_splits;
use hits::data::npy::python_float as py_float;
use hits::experiments::ode::ensure_data;
use hits::hierarchy::{preflight, train_hierarchy};
use hits::problem::OdeProblem;
use hits::progress::Progress;
use hits::stepper::{
    checkpoint_stem, device::select_device, device::DeviceChoice, HierarchySpec, TrainRun,
};
use ndarray::Array3;

use super::problem::{data_dir_of, ProblemArgs};
use crate::{note, say};

/// Arguments of `hits train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    /// Step sizes in units of dt, comma-separated, each once [default: the problem's, the
    /// paper's 1,2,4,...,1024].
    #[arg(long, value_delimiter = ',')]
    pub step_sizes: Option<Vec<usize>>,
    /// Layer widths, e.g. 2,128,128,128,2 [default: the system's; dim, 128, 128, 128, dim for
    /// a data folder].
    #[arg(long, value_delimiter = ',')]
    pub arch: Option<Vec<usize>>,
    /// Maximum epochs (one minibatch each), at least 1 [default: the problem's: 100000, 400
    /// with --quick].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Minibatch size [default: the problem's, 320].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Recurrent prediction steps in the loss [default: the problem's, 5].
    #[arg(long)]
    pub n_forward: Option<usize>,
    /// Epochs between validation checks (and checkpoints) [default: the problem's, 1000; 100
    /// with --quick; never more than --epochs].
    #[arg(long)]
    pub eval_every: Option<usize>,
    /// Adam learning rate [default: the problem's, 1e-3].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Train all step sizes together with stacked weights (same results, fewer kernel calls)
    /// [default: the problem's, off].
    #[arg(long)]
    pub batched: bool,
    /// Where to train: `cpu`; `cuda` (needs a `--features cuda` build and a GPU, otherwise an
    /// error, exit status 1, before any work); `auto` (CUDA when usable, else the CPU with a
    /// notice).
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
    /// Short run for smoke tests (also HITS_QUICK=1); reads <data>/quick/, writes <out>/quick/.
    #[arg(long)]
    pub quick: bool,
    /// Continue the checkpoints in the output folder: an interrupted run where it was saved, a
    /// finished one up to a larger --epochs. A changed --lr or --epochs starts a new phase of
    /// its history; other settings must be the run's.
    #[arg(long, conflicts_with = "overwrite")]
    pub resume: bool,
    /// Replace the checkpoints of these step sizes in the output folder, training from scratch.
    #[arg(long)]
    pub overwrite: bool,
    /// Data root of the built-in systems: reads <data>/<System>/{train,val}_noise<noise>.npy
    /// (quick mode <data>/quick/<System>/).
    #[arg(long, default_value = "data", conflicts_with = "data_dir")]
    pub data: PathBuf,
    /// Model root: writes <out>/<folder>/model_D<k>_noise<noise>.safetensors + .json (quick
    /// mode <out>/quick/<folder>/); <folder> is the system's or the data folder's name.
    #[arg(long, default_value = "models")]
    pub out: PathBuf,
    /// Noise level of the data set, in [0, 1].
    #[arg(long, default_value_t = 0.0, value_parser = crate::cli::parse_noise)]
    pub noise: f64,
    /// Seed of initial weights (stepper k: seed + k) and minibatches [default: the problem's,
    /// 0].
    #[arg(long)]
    pub seed: Option<u32>,
}

/// The problem's hierarchy (`problem.hierarchy`: its training, step sizes, architecture, weight
/// seed and batching, as a notebook trains it) with every flag given replacing its field.
fn recipe(args: &TrainArgs, problem: &OdeProblem) -> HierarchySpec {
    let mut spec = problem.hierarchy.clone();
    let cfg = &mut spec.train;
    if let Some(e) = args.epochs {
        cfg.epochs = e;
        if args.eval_every.is_none() {
            cfg.eval_every = cfg.eval_every.min(e.max(1));
        }
    }
    if let Some(b) = args.batch {
        cfg.batch_size = b;
    }
    if let Some(n) = args.n_forward {
        cfg.n_forward = n;
    }
    if let Some(lr) = args.lr {
        cfg.lr = lr;
    }
    if let Some(e) = args.eval_every {
        cfg.eval_every = e;
    }
    if let Some(s) = args.seed {
        cfg.seed = s as u64;
    }
    if let Some(steps) = &args.step_sizes {
        spec.steps = steps.clone();
    }
    if let Some(arch) = &args.arch {
        spec.arch = arch.clone();
    }
    if let Some(seed) = args.seed {
        spec.weight_seed = seed;
    }
    spec.batched |= args.batched;
    spec
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    // The device first: `--device cuda` where CUDA is not usable is refused before any work.
    let dev = select_device(args.device)?;
    let quick = args.quick || hits::data::quick_mode()?;
    let problem = args.problem.problem(quick)?;
    let spec = recipe(&args, &problem);
    let (cfg, batched) = (&spec.train, spec.batched);
    // Small nets: one thread per matrix product, one stepper per core (see the function; on
    // CUDA it changes nothing that matters).
    if !batched && dev.is_cpu() {
        hits::stepper::device::one_thread_per_matmul();
    }
    let dim = problem.dim();
    let arch = &spec.arch;
    if arch.first() != Some(&dim) || arch.last() != Some(&dim) {
        anyhow::bail!(
            "--arch {arch:?}: {} is {dim}-dimensional, so the first and last widths must be {dim}",
            problem.name
        );
    }
    let data_dir = data_dir_of(&problem, &args.data);
    let out_dir = problem.dir_under(&args.out);
    let run = TrainRun {
        system: Some(problem.folder.clone()),
        dt: problem.dt,
        noise: args.noise,
        out_dir: Some(out_dir.clone()),
        resume: args.resume,
        overwrite: args.overwrite,
    };
    // Settings, step sizes, the output folder (locked) and what it holds: before any data.
    let checked = preflight(&spec, &run, &dev)?;
    if let Some(n) = checked.lock.as_ref().and_then(|l| l.removed_note()) {
        note!("{n}");
    }
    for line in &checked.existing {
        let verb = if args.overwrite {
            "replacing"
        } else {
            "resuming"
        };
        note!("{verb} {line}");
    }
    let (train, val) = read_data(&args, &problem, &data_dir, quick)?;
    note!(
        "training {} steppers {:?} (arch {:?}) on {} train / {} val trajectories from {}, {} epochs max, {}{}",
        problem.name,
        spec.steps,
        arch,
        train.dim().0,
        val.dim().0,
        data_dir.display(),
        cfg.epochs,
        if batched {
            "batched".to_string()
        } else if candle_core::utils::get_num_threads() == 1
            && rayon::current_num_threads().min(spec.steps.len()) > 1
        {
            let at_once = rayon::current_num_threads().min(spec.steps.len());
            format!("{at_once} at once (one per core)")
        } else {
            "one after the other".to_string()
        },
        if quick { ", quick mode" } else { "" },
    );
    // A bar on a terminal; elsewhere (logs, notebooks) one whole line per stepper and check.
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| Progress::bar(format!("train {}", problem.folder), cfg.epochs as u64));
    let hierarchy = train_hierarchy(
        &spec,
        &run,
        train.view(),
        val.view(),
        &dev,
        &mut |p| match &bar {
            Some(bar) => {
                bar.set_position(p.epoch as u64);
                bar.set_message(format!(
                    "step {} train {:.2e} val {:.2e} ({:.0} epochs/s)",
                    p.step_size, p.train_loss, p.val_loss, p.epochs_per_second
                ));
            }
            None => note!("{p}"),
        },
    )
    .with_context(|| {
        format!(
            "training stopped; {} keeps what was saved at the last check",
            out_dir.display()
        )
    })?;
    if let Some(bar) = bar {
        bar.finish();
    }
    drop(checked);
    for (s, r) in hierarchy.steppers.iter().zip(&hierarchy.reports) {
        let file = checkpoint_stem(&out_dir, s.step_size(), args.noise);
        say!(
            "step {:>4}: {} epochs, best validation loss {:.3e}{} -> {}.safetensors",
            s.step_size(),
            r.epochs,
            r.best_val_loss,
            if r.stopped_early {
                " (target reached)"
            } else {
                ""
            },
            file.display()
        );
    }
    Ok(())
}

/// The training and validation splits: a built-in system's data set under `--data` (checked
/// against its `dataset.json`), or a data folder of one's own (float64 or float32, cut in quick
/// mode; a noise level without files of its own is added to the noise-free data in memory).
fn read_data(
    args: &TrainArgs,
    problem: &OdeProblem,
    data_dir: &Path,
    quick: bool,
) -> anyhow::Result<(Array3<f64>, Array3<f64>)> {
    if args.problem.system.is_none() {
        let data = ensure_data(problem, args.noise, &args.data)
            .with_context(|| format!("reading the data folder {}", data_dir.display()))?;
        return Ok((data.train, data.val));
    }
    let loaded = load_splits(
        data_dir,
        args.noise,
        &["train", "val"],
        &problem.expected_data(),
    )
    .map_err(anyhow::Error::from)
    .with_context(|| read_hint(args, data_dir, problem, quick))?;
    let mut arrays = loaded.arrays.into_iter();
    match (arrays.next(), arrays.next()) {
        (Some(train), Some(val)) => Ok((train, val)),
        _ => anyhow::bail!(
            "{}: train and validation splits expected",
            data_dir.display()
        ),
    }
}

/// What to say when reading a split fails: how to make a missing one; nothing more for a
/// damaged or foreign file, whose error says what is wrong.
fn read_hint(args: &TrainArgs, data_dir: &Path, problem: &OdeProblem, quick: bool) -> String {
    let file = hits::data::split_path(data_dir, "train", args.noise);
    let missing = !data_dir.exists() || !file.exists();
    match (missing, args.data == Path::new("data")) {
        (true, true) => format!(
            "reading the data set {}: make it with `hits generate --system {}{}{}`",
            data_dir.display(),
            problem.folder.to_lowercase(),
            if args.noise != 0.0 {
                format!(" --noise {}", py_float(args.noise))
            } else {
                String::new()
            },
            if quick { " --quick" } else { "" }
        ),
        (true, false) => format!(
            "reading the data set {}: --data {} must hold {}/<split>_noise{}.npy",
            data_dir.display(),
            args.data.display(),
            problem.folder,
            py_float(args.noise)
        ),
        (false, _) => format!("reading the data set {}", data_dir.display()),
    }
}
