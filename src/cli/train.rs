//! `hits train`: train the steppers of one problem (all step sizes) and write checkpoints: a
//! built-in system (`--system`) or a data folder of one's own (`--data-dir D --dt 0.01`).

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use hits::data::npy::python_float as py_float;
use hits::data::npy::read_trajectories;
use hits::experiments::ode::ensure_data;
use hits::progress::Progress;
use hits::stepper::{device, train_hierarchy, HierarchyPlan, TrainConfig};
use ndarray::Array3;

use super::problem::{data_dir_of, ProblemArgs};

/// Arguments of `hits train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    /// Step sizes in units of dt, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,2,4,8,16,32,64,128,256,512,1024"
    )]
    pub step_sizes: Vec<usize>,
    /// Layer widths, e.g. 2,128,128,128,2 [default: the system's; dim, 128, 128, 128, dim for
    /// a data folder].
    #[arg(long, value_delimiter = ',')]
    pub arch: Option<Vec<usize>>,
    /// Maximum epochs (one minibatch each) [default: 100000; 1000 with --quick].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Minibatch size.
    #[arg(long, default_value_t = 320)]
    pub batch: usize,
    /// Recurrent prediction steps in the loss.
    #[arg(long, default_value_t = 5)]
    pub n_forward: usize,
    /// Epochs between validation checks (and checkpoints) [default: 1000; 250 with --quick].
    #[arg(long)]
    pub eval_every: Option<usize>,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Train all step sizes together with stacked weights (same results, fewer kernel calls).
    #[arg(long)]
    pub batched: bool,
    /// Device to train on.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,
    /// Short run for smoke tests (also HITS_QUICK=1).
    #[arg(long)]
    pub quick: bool,
    /// Continue an interrupted run from the state files in the output folder.
    #[arg(long)]
    pub resume: bool,
    /// Data root of the built-in systems: reads <data>/<System>/{train,val}_noise<noise>.npy
    /// (quick mode <data>/quick/<System>/).
    #[arg(long, default_value = "data", conflicts_with = "data_dir")]
    pub data: PathBuf,
    /// Model root: writes <out>/<folder>/model_D<k>_noise<noise>.safetensors + .json (quick
    /// mode <out>/quick/<folder>/); <folder> is the system's or the data folder's name.
    #[arg(long, default_value = "models")]
    pub out: PathBuf,
    /// Noise level of the data set.
    #[arg(long, default_value_t = 0.0)]
    pub noise: f64,
    /// Seed of initial weights (stepper k: seed + k) and minibatches.
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
}

/// Where to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    Cpu,
    Cuda,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    // Small nets: one thread per matrix product, one stepper per core (see the function).
    if !args.batched {
        hits::stepper::device::one_thread_per_matmul();
    }
    let quick = args.quick || hits::data::quick_mode();
    let problem = args.problem.problem(quick)?;
    let dim = problem.dim();
    let arch = args.arch.clone().unwrap_or_else(|| problem.arch.clone());
    let cfg = TrainConfig {
        epochs: args.epochs.unwrap_or(if quick { 1000 } else { 100_000 }),
        batch_size: args.batch,
        n_forward: args.n_forward,
        lr: args.lr,
        eval_every: args.eval_every.unwrap_or(if quick { 250 } else { 1000 }),
        seed: args.seed as u64,
        ..TrainConfig::default()
    };
    let (train, val) = match args.problem.system {
        // a data folder of one's own: float64 or float32, quick mode cuts it, other noise
        // levels come from their own files or are added to the noise-free ones in memory
        None => {
            let data = ensure_data(&problem, args.noise, &args.data).with_context(|| {
                format!(
                    "reading the data folder {}",
                    data_dir_of(&problem, &args.data).display()
                )
            })?;
            (data.train, data.val)
        }
        Some(kind) => {
            let data_dir = data_dir_of(&problem, &args.data);
            let read = |split: &str| -> anyhow::Result<Array3<f64>> {
                let p = hits::data::split_path(&data_dir, split, args.noise);
                read_trajectories(&p, dim).with_context(|| {
                    format!(
                        "reading the {split} split (generate it with `hits generate --system {}{}`)",
                        kind.name().to_lowercase(),
                        if quick { " --quick" } else { "" }
                    )
                })
            };
            (read("train")?, read("val")?)
        }
    };
    let dev = device(args.device == DeviceArg::Cpu)?;
    let out_dir = problem.dir_under(&args.out);
    let plan = HierarchyPlan {
        system: Some(problem.folder.clone()),
        arch: arch.clone(),
        dt: problem.dt,
        steps: args.step_sizes.clone(),
        noise: args.noise,
        seed: args.seed,
        out_dir: Some(out_dir.clone()),
        batched: args.batched,
        resume: args.resume,
    };
    eprintln!(
        "training {} steppers {:?} (arch {:?}) on {} train / {} val trajectories, {} epochs max, {}{}",
        problem.name,
        plan.steps,
        arch,
        train.dim().0,
        val.dim().0,
        cfg.epochs,
        if args.batched {
            "batched".to_string()
        } else if candle_core::utils::get_num_threads() == 1 && rayon::current_num_threads() > 1 {
            format!("{} at once (one per core)", rayon::current_num_threads())
        } else {
            "one after the other".to_string()
        },
        if quick { ", quick mode" } else { "" },
    );
    // A bar on a terminal; elsewhere (logs, notebooks) one whole line per stepper and check.
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| Progress::bar(format!("train {}", problem.folder), cfg.epochs as u64));
    let results = train_hierarchy(
        &plan,
        train.view(),
        val.view(),
        &cfg,
        &dev,
        &mut |p| match &bar {
            Some(bar) => {
                bar.set_position(p.epoch as u64);
                bar.set_message(format!(
                    "step {} train {:.2e} val {:.2e} ({:.0} epochs/s)",
                    p.step_size, p.train_loss, p.val_loss, p.epochs_per_second
                ));
            }
            None => eprintln!("{p}"),
        },
    )?;
    if let Some(bar) = bar {
        bar.finish();
    }
    for (s, r) in &results {
        println!(
            "step {:>4}: {} epochs, best validation loss {:.3e}{} -> {}",
            s.step_size(),
            r.epochs,
            r.best_val_loss,
            if r.stopped_early {
                " (target reached)"
            } else {
                ""
            },
            out_dir
                .join(format!(
                    "model_D{}_noise{}.safetensors",
                    s.step_size(),
                    py_float(args.noise)
                ))
                .display()
        );
    }
    Ok(())
}
