//! Times on the CPU and on CUDA, each figure beside the other.
//!
//! Training figures are ms per epoch (one Adam step on one minibatch of every stepper), timed
//! over `epochs` epochs after two warm-up epochs, the device synchronised at both ends. CPU
//! figures of the small ODE nets use one thread per matrix product (the `hits` command's
//! setting: faster for these nets); the KS nets, wide, use candle's default (every core).

use std::time::Instant;

use candle_core::Device;
use hits::experiments::table1::seq_hits::{effective_steps, sequence_windows};
use hits::experiments::table1::{SeqData, Table1Config};
use hits::forecast::{multiscale_forecast, StepperSet};
use hits::stepper::{windows_of, ResNetStepper, StepperData, TrainConfig, Trainer};
use ndarray::Array2;
use serde_json::{json, Value};

use super::agree::{hierarchy, hierarchy_data, hierarchy_trainer, rotations, states};
use super::{Devices, Sizes};

/// Warm-up epochs before timing (CUDA: module loading, cuBLAS handles).
const WARMUP: usize = 2;

/// ms per epoch of `trainer` over `epochs` epochs after [`WARMUP`].
fn ms_per_epoch(mut trainer: Trainer, epochs: usize, dev: &Device) -> hits::Result<f64> {
    trainer.run(WARMUP, &mut |_| {})?;
    dev.synchronize()?;
    let t0 = Instant::now();
    trainer.run(WARMUP + epochs, &mut |_| {})?;
    dev.synchronize()?;
    Ok(t0.elapsed().as_secs_f64() * 1e3 / epochs as f64)
}

/// One figure on both devices.
fn figure(
    what: String,
    unit: &str,
    devs: &Devices,
    measure: &dyn Fn(&Device) -> hits::Result<f64>,
) -> hits::Result<Value> {
    let cpu = measure(&devs.cpu)?;
    let cuda = devs.cuda.as_ref().map(measure).transpose()?;
    eprintln!(
        "hits-gpu-check: {what}: CPU {cpu:.3} {unit}, CUDA {}",
        cuda.map_or("-".into(), |c| format!("{c:.3} {unit}"))
    );
    Ok(json!({
        "what": what,
        "unit": unit,
        "cpu": cpu,
        "cuda": cuda,
        "cpu_over_cuda": cuda.map(|c| cpu / c),
    }))
}

fn config(sizes: &Sizes, epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs: WARMUP + epochs,
        // one check, at the end (it synchronises anyway)
        eval_every: WARMUP + epochs,
        batch_size: sizes.batch,
        n_forward: sizes.n_forward,
        ..TrainConfig::default()
    }
}

/// Every timing, as a JSON array.
pub fn all(sizes: &Sizes, devs: &Devices) -> hits::Result<Value> {
    let (train, val) = hierarchy_data(sizes);
    let one = figure(
        format!(
            "training one stepper {:?}, batch {}, n_forward {}",
            sizes.arch, sizes.batch, sizes.n_forward
        ),
        "ms/epoch",
        devs,
        &|dev| {
            let cfg = config(sizes, sizes.epochs_one);
            let points = sizes.n_forward + 1;
            let (tr, va) = (
                rotations(sizes.n_train, points, 1),
                rotations(sizes.n_val, points, 2),
            );
            let net = ResNetStepper::new(&sizes.arch, 1, 0.01, 0, dev)?;
            let data = StepperData {
                train: windows_of(tr.view(), 1, cfg.n_forward, dev)?,
                val: windows_of(va.view(), 1, cfg.n_forward, dev)?,
            };
            ms_per_epoch(
                Trainer::new(&[&net], vec![data], cfg)?,
                sizes.epochs_one,
                dev,
            )
        },
    )?;
    let batched = figure(
        format!(
            "training the batched {}-stepper hierarchy {:?} (all steppers in the same kernels)",
            sizes.steps.len(),
            sizes.arch
        ),
        "ms/epoch",
        devs,
        &|dev| {
            let cfg = config(sizes, sizes.epochs_hierarchy);
            let t = hierarchy_trainer(sizes, cfg, &train, &val, dev)?;
            ms_per_epoch(t, sizes.epochs_hierarchy, dev)
        },
    )?;
    let ks = ks_hits(sizes, devs)?;
    let forecast = figure(
        format!(
            "multiscale forecast {} x {} with {} steppers {:?} (CPU: fused forward)",
            sizes.forecast_traj,
            sizes.forecast_steps,
            sizes.steps.len(),
            sizes.arch
        ),
        "ms",
        devs,
        &|dev| {
            let nets = hierarchy(sizes, dev)?;
            let set = StepperSet::new(&nets, dev)?;
            let x0 = states(sizes.forecast_traj, sizes.arch[0]);
            // one warm-up forecast, then the timed one
            multiscale_forecast(&set.refs(), x0.view(), sizes.forecast_steps.min(64))?;
            let t0 = Instant::now();
            multiscale_forecast(&set.refs(), x0.view(), sizes.forecast_steps)?;
            Ok(t0.elapsed().as_secs_f64() * 1e3)
        },
    )?;
    Ok(json!([one, batched, ks, forecast]))
}

/// Table 1's KS HiTS: the five steppers `[512, w, 512]` (w = 2048 .. 128, steps 1 .. 1296),
/// trained one after the other as `hits reproduce table1` does; ms per epoch of all five
/// together (the sum), on a synthetic sequence of KS's shape.
fn ks_hits(sizes: &Sizes, devs: &Devices) -> hits::Result<Value> {
    let mut cfg = Table1Config::paper(SeqData::Ks).hits;
    let (dim, frames) = (sizes.ks_dim, sizes.ks_frames);
    cfg.widths = cfg
        .widths
        .iter()
        .map(|w| (w / sizes.ks_width_divisor).max(4))
        .collect();
    let z = Array2::from_shape_fn((dim, frames), |(i, t)| {
        (0.05 * t as f64 + 0.3 * i as f64).sin() * (0.011 * t as f64 + 0.07 * i as f64).cos()
    });
    let plan = effective_steps(&cfg.steps, cfg.train.n_forward, frames);
    let what = format!(
        "training Table 1's KS HiTS: {} steppers {:?} on [{dim}, {frames}], batch {}, \
         n_forward {} (sum over the steppers, trained one after the other)",
        plan.len(),
        plan.iter()
            .map(|&(s, _)| cfg.arch(s, dim).unwrap_or_default())
            .collect::<Vec<_>>(),
        cfg.train.batch_size,
        cfg.train.n_forward
    );
    // Wide nets: candle's matrix products on every core (restored afterwards).
    let saved = std::env::var_os("RAYON_NUM_THREADS");
    std::env::remove_var("RAYON_NUM_THREADS");
    let result = figure(what, "ms/epoch", devs, &|dev| {
        let mut total = 0.0;
        for &(step, n_forward) in &plan {
            let windows = sequence_windows(z.view(), step, n_forward)?;
            let arch = cfg.arch(step, dim).unwrap_or_default();
            let net = ResNetStepper::new(&arch, step, 1.0, cfg.seed + step as u32, dev)?;
            let tc = TrainConfig {
                epochs: WARMUP + sizes.epochs_ks,
                eval_every: WARMUP + sizes.epochs_ks,
                n_forward,
                ..cfg.train.clone()
            };
            let data = StepperData {
                train: windows_of(windows.view(), step, n_forward, dev)?,
                val: windows_of(windows.view(), step, n_forward, dev)?,
            };
            total += ms_per_epoch(Trainer::new(&[&net], vec![data], tc)?, sizes.epochs_ks, dev)?;
        }
        Ok(total)
    });
    if let Some(v) = saved {
        std::env::set_var("RAYON_NUM_THREADS", v);
    }
    result
}
