//! `hits forecast`: Table 5 (and Table 9 with `--hybrid`) for one system.
//!
//! Loads the steppers (our checkpoints from `models/<System>/`, or with `--original` the
//! original PyTorch models imported on the fly), the data set `data/<System>/`, forecasts the
//! test set with every single step size and the multiscale coupling (after model selection on
//! the validation set with `--select`), optionally the hybrid NN + RK4 stepper and plain RK4,
//! and writes to `results/<System>/`:
//! `forecast_noise<n>.md` / `.csv` (our MSE and time beside the paper's),
//! `multiscale_noise<n>.npy` (`[n_traj, n_steps, dim]`), `hybrid_h<h>_noise<n>.npy`,
//! `mse_per_step_noise<n>.npy` (`[n_rows, n_steps]`, rows in the table's order).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use hits::data::npy::{python_float as py_float, write_array_atomic};
use hits::data::DataSet;
use hits::experiments::ode::original_steppers;
use hits::forecast::{csv_table, evaluate, markdown_table, CpuResNet, EvalOptions, Stepper};
use hits::io::write_bytes_atomic;
use hits::stepper::{device, load_hierarchy, ResNetStepper};
use hits::SystemKind;
use ndarray::{s, Array2, Array3};

/// Arguments of `hits forecast`.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    /// The system.
    #[arg(long, value_enum)]
    pub system: SystemKind,
    /// Folder of our checkpoints [default: models/<System>/].
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
    /// Data root; reads <data>/<System>/{val,test}_noise<n>.npy (written by `hits generate`).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Noise level of the data and models (0.0, 0.01, 0.02).
    #[arg(long, default_value_t = 0.0)]
    pub noise: f64,
    /// Output root; files go to <out>/<System>/.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Also write every uni-scale prediction (uni_D<k>_noise<n>.npy; 13 MB each at paper size).
    #[arg(long)]
    pub save_all: bool,
    /// Run on the CPU even when a GPU is available.
    #[arg(long)]
    pub cpu: bool,
    /// Quick check (also HITS_QUICK=1): the first 32 validation and test trajectories only.
    #[arg(long)]
    pub quick: bool,
}

/// Run `hits forecast`.
pub fn run(args: ForecastArgs) -> anyhow::Result<()> {
    let quick = args.quick || hits::data::quick_mode();
    let kind = args.system;
    let dev = device(args.cpu)?;
    let t0 = Instant::now();
    let mut steppers = load_steppers(&args, kind, &dev)?;
    steppers.sort_by_key(|s| s.step_size());
    let sizes: Vec<usize> = steppers.iter().map(|s| s.step_size()).collect();
    println!(
        "{kind}: {} steppers {sizes:?} loaded in {:.2} s",
        steppers.len(),
        t0.elapsed().as_secs_f64()
    );

    let data_dir = args.data.join(kind.name());
    let data = DataSet::load_for(kind, &data_dir, args.noise).with_context(|| {
        format!(
            "reading the data set; make it with `hits generate --system {}`",
            kind.name().to_lowercase()
        )
    })?;
    let cut = |a: &Array3<f64>| {
        if quick {
            a.slice(s![..a.dim().0.min(32), .., ..]).to_owned()
        } else {
            a.clone()
        }
    };
    let (val, test) = (cut(&data.val), cut(&data.test));
    println!(
        "test set {:?}, validation set {:?}",
        test.shape(),
        val.shape()
    );

    // On the CPU, the fused forward (one gemm per layer, reused buffers) replaces candle's ops.
    let fused: Vec<CpuResNet> = if dev.is_cpu() {
        steppers
            .iter()
            .map(CpuResNet::new)
            .collect::<hits::Result<_>>()?
    } else {
        Vec::new()
    };
    let refs: Vec<&dyn Stepper> = if fused.is_empty() {
        steppers.iter().map(|s| s as &dyn Stepper).collect()
    } else {
        fused.iter().map(|s| s as &dyn Stepper).collect()
    };
    let options = EvalOptions {
        select: args.select,
        hybrid: args.hybrid.clone(),
        noise: args.noise,
        keep_predictions: args.save_all,
    };
    let ev = evaluate(kind, &refs, Some(val.view()), test.view(), &options, &dev)?;
    if let Some(sel) = &ev.selection {
        println!("model selection on the validation set:");
        for c in &sel.candidates {
            println!(
                "  steps {:?}: val MSE {:.3e}",
                &sizes[c.range.clone()],
                c.mse
            );
        }
        println!("  chosen: {:?}", &sizes[sel.range.clone()]);
    }
    let table = markdown_table(&ev.rows);
    println!("\n{table}");

    let out = args.out.join(kind.name());
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let noise = py_float(args.noise);
    let header = format!(
        "# {kind}: forecast of the test set ({} trajectories, {} steps), noise {noise}{}\n\nsteppers: {}\n\n",
        test.dim().0,
        test.dim().1 - 1,
        if quick { ", QUICK run (32 trajectories)" } else { "" },
        if args.original { "original PyTorch models, imported" } else { "hits checkpoints" },
    );
    write_bytes_atomic(
        &out.join(format!("forecast_noise{noise}.md")),
        (header + &table).as_bytes(),
    )?;
    write_bytes_atomic(
        &out.join(format!("forecast_noise{noise}.csv")),
        csv_table(&ev.rows).as_bytes(),
    )?;
    write_array_atomic(
        &out.join(format!("multiscale_noise{noise}.npy")),
        &ev.multiscale.mapv(|v| v as f32),
    )?;
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
        write_array_atomic(&out.join(name), &pred.mapv(|v| v as f32))?;
    }
    let n_steps = ev.rows[0].mse_per_step.len();
    let curves = Array2::from_shape_fn((ev.rows.len(), n_steps), |(r, t)| {
        ev.rows[r].mse_per_step[t]
    });
    write_array_atomic(&out.join(format!("mse_per_step_noise{noise}.npy")), &curves)?;
    println!(
        "wrote {} in {:.1} s",
        out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn load_steppers(
    args: &ForecastArgs,
    kind: SystemKind,
    dev: &candle_core::Device,
) -> anyhow::Result<Vec<ResNetStepper>> {
    if !args.original {
        let dir = args
            .models
            .clone()
            .unwrap_or_else(|| PathBuf::from("models").join(kind.name()));
        return load_hierarchy(&dir, args.noise, dev).with_context(|| {
            format!(
                "loading checkpoints from {}; train them (`hits train`) or pass --original",
                dir.display()
            )
        });
    }
    let dir = args
        .original_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("../shared/data/original_models").join(kind.name()));
    original_steppers(kind, args.noise, &dir, dev)
        .with_context(|| format!("importing the original models from {}", dir.display()))
}
