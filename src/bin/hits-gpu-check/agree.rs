//! CPU/CUDA agreement: one forward step, 100 training epochs, one multiscale forecast.
//!
//! Both devices start from the same weights (drawn on the host, [`hits::stepper::init`]) and
//! the same data, so any difference is the devices' f32 arithmetic (cuBLAS sums in another
//! order than gemm). Tolerances, relative to the largest magnitude of the CPU result:
//! - forward step: 1e-5 (one step, a few roundings of f32);
//! - training: 1e-3 on every training and validation loss of every check (rounding
//!   differences are fed back through 100 Adam steps; a wrong kernel is off by far more);
//! - multiscale forecast: 1e-4 (a composition of up to ~15 steps of 11 nets).

use candle_core::{Device, Module, Tensor};
use hits::forecast::{multiscale_forecast, StepperSet};
use hits::stepper::{windows_of, ResNetStepper, StepperData, TrainConfig, Trainer};
use ndarray::{Array2, Array3};
use serde_json::{json, Value};

use super::{Devices, Sizes};

/// Tolerances (see the module docs).
pub const TOL_FORWARD: f64 = 1e-5;
pub const TOL_TRAINING: f64 = 1e-3;
pub const TOL_FORECAST: f64 = 1e-4;

/// Trajectories of the harmonic oscillator `x' = y, y' = -x` sampled every 0.01,
/// `[n, points, 2]`, from starts on a deterministic spread of radii and phases.
pub fn rotations(n: usize, points: usize, seed: u64) -> Array3<f64> {
    Array3::from_shape_fn((n, points, 2), |(i, t, d)| {
        let u = ((i as u64 * 7919 + seed * 104_729) % 1000) as f64 / 1000.0;
        let r = 0.5 + u;
        let phase = std::f64::consts::TAU * ((i as f64 * 0.618_034 + seed as f64 * 0.1) % 1.0);
        let a = phase - 0.01 * t as f64;
        if d == 0 {
            r * a.cos()
        } else {
            r * a.sin()
        }
    })
}

/// Deterministic states `[n, dim]` in about (-1, 1).
pub fn states(n: usize, dim: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, dim), |(i, d)| {
        ((i * 31 + d * 17) % 200) as f64 / 100.0 - 1.0
    })
}

/// The steppers of the hierarchy, stepper of step `k` from seed `k`.
pub fn hierarchy(sizes: &Sizes, dev: &Device) -> hits::Result<Vec<ResNetStepper>> {
    sizes
        .steps
        .iter()
        .map(|&k| ResNetStepper::new(&sizes.arch, k, 0.01, k as u32, dev))
        .collect()
}

/// A trainer of the whole hierarchy (batched: all steppers in the same kernels) on rotations.
pub fn hierarchy_trainer(
    sizes: &Sizes,
    cfg: TrainConfig,
    train: &Array3<f64>,
    val: &Array3<f64>,
    dev: &Device,
) -> hits::Result<Trainer> {
    let nets = hierarchy(sizes, dev)?;
    let data = sizes
        .steps
        .iter()
        .map(|&k| {
            Ok(StepperData {
                train: windows_of(train.view(), k, cfg.n_forward, dev)?,
                val: windows_of(val.view(), k, cfg.n_forward, dev)?,
            })
        })
        .collect::<hits::Result<Vec<_>>>()?;
    Trainer::new(&nets.iter().collect::<Vec<_>>(), data, cfg)
}

/// The training data of the hierarchy: long enough for the coarsest step's windows.
pub fn hierarchy_data(sizes: &Sizes) -> (Array3<f64>, Array3<f64>) {
    let points = sizes.n_forward * sizes.steps.iter().max().copied().unwrap_or(1) + 1;
    (
        rotations(sizes.n_train, points, 1),
        rotations(sizes.n_val, points, 2),
    )
}

/// Largest `|a - b|` and largest `|a|`.
fn diff(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    let m = a.iter().map(|x| x.abs()).fold(0.0, f64::max);
    (d, m)
}

/// The JSON of one agreement and its verdict (pushed to `failures` when outside `tol`).
fn verdict(
    what: &str,
    cpu: &[f64],
    cuda: Option<&[f64]>,
    tol: f64,
    failures: &mut Vec<String>,
) -> Value {
    match cuda {
        None => json!({"max_abs_diff": null, "rel_diff": null, "tolerance_rel": tol, "pass": null}),
        Some(c) => {
            let (d, m) = diff(cpu, c);
            let rel = d / m.max(f64::MIN_POSITIVE);
            let pass = rel <= tol && c.iter().all(|v| v.is_finite());
            if !pass {
                failures.push(format!(
                    "{what}: CPU and CUDA differ by {rel:.2e} (relative), tolerance {tol:.0e}"
                ));
            }
            json!({"max_abs_diff": d, "max_abs": m, "rel_diff": rel, "tolerance_rel": tol, "pass": pass})
        }
    }
}

fn to_f64(t: &Tensor) -> hits::Result<Vec<f64>> {
    Ok(t.flatten_all()?
        .to_dtype(candle_core::DType::F64)?
        .to_vec1()?)
}

/// Every agreement, as one JSON object.
pub fn all(sizes: &Sizes, devs: &Devices, failures: &mut Vec<String>) -> hits::Result<Value> {
    Ok(json!({
        "forward_step": forward(sizes, devs, failures)?,
        "training": training(sizes, devs, failures)?,
        "multiscale_forecast": forecast(sizes, devs, failures)?,
    }))
}

/// One step of one stepper on `batch` states: candle on the CPU, the fused CPU forward, CUDA.
fn forward(sizes: &Sizes, devs: &Devices, failures: &mut Vec<String>) -> hits::Result<Value> {
    let x0 = states(sizes.batch, sizes.arch[0]);
    let run = |dev: &Device| -> hits::Result<Vec<f64>> {
        let net = ResNetStepper::new(&sizes.arch, 1, 0.01, 0, dev)?;
        let x = hits::forecast::states_tensor(x0.view(), dev)?;
        to_f64(&net.forward(&x)?)
    };
    let cpu = run(&devs.cpu)?;
    let fused = {
        let net = ResNetStepper::new(&sizes.arch, 1, 0.01, 0, &devs.cpu)?;
        let fast = hits::forecast::CpuResNet::new(&net)?;
        let x = hits::forecast::states_tensor(x0.view(), &devs.cpu)?;
        to_f64(&hits::forecast::Stepper::step(&fast, &x)?)?
    };
    let cuda = devs.cuda.as_ref().map(run).transpose()?;
    Ok(json!({
        "what": format!("one step of a {:?} stepper on {} states", sizes.arch, sizes.batch),
        "cpu_vs_cuda": verdict("forward step", &cpu, cuda.as_deref(), TOL_FORWARD, failures),
        "candle_cpu_vs_fused_cpu": verdict("fused CPU forward", &cpu, Some(&fused), TOL_FORWARD, failures),
    }))
}

/// The loss curves of `agree_epochs` epochs of the batched hierarchy on each device.
fn training(sizes: &Sizes, devs: &Devices, failures: &mut Vec<String>) -> hits::Result<Value> {
    let (train, val) = hierarchy_data(sizes);
    let cfg = TrainConfig {
        epochs: sizes.agree_epochs,
        eval_every: sizes.agree_every,
        batch_size: sizes.batch,
        n_forward: sizes.n_forward,
        ..TrainConfig::default()
    };
    let curves = |dev: &Device| -> hits::Result<(Vec<f64>, Value)> {
        let mut t = hierarchy_trainer(sizes, cfg.clone(), &train, &val, dev)?;
        t.run(cfg.epochs, &mut |_| {})?;
        let reports = t.finish()?;
        let flat: Vec<f64> = reports
            .iter()
            .flat_map(|(_, r)| r.history.iter().flat_map(|&(_, tr, va)| [tr, va]))
            .collect();
        let per: Vec<Value> = reports
            .iter()
            .map(|(_, r)| json!({"step": r.step_size, "history": r.history}))
            .collect();
        Ok((flat, Value::Array(per)))
    };
    let (cpu, cpu_json) = curves(&devs.cpu)?;
    let cuda = devs.cuda.as_ref().map(curves).transpose()?;
    let v = verdict(
        "training losses",
        &cpu,
        cuda.as_ref().map(|c| c.0.as_slice()),
        TOL_TRAINING,
        failures,
    );
    Ok(json!({
        "what": format!(
            "{} epochs of the batched {}-stepper hierarchy {:?}, losses every {} epochs \
             (epoch, train, validation)",
            sizes.agree_epochs, sizes.steps.len(), sizes.arch, sizes.agree_every
        ),
        "cpu_vs_cuda": v,
        "cpu": cpu_json,
        "cuda": cuda.map(|c| c.1),
    }))
}

/// The multiscale forecast of the (untrained) hierarchy: fused CPU forward against CUDA.
fn forecast(sizes: &Sizes, devs: &Devices, failures: &mut Vec<String>) -> hits::Result<Value> {
    let x0 = states(sizes.forecast_traj.min(64), sizes.arch[0]);
    let n_steps = sizes.forecast_steps;
    let run = |dev: &Device| -> hits::Result<Vec<f64>> {
        let nets = hierarchy(sizes, dev)?;
        let set = StepperSet::new(&nets, dev)?;
        let pred = multiscale_forecast(&set.refs(), x0.view(), n_steps)?;
        Ok(pred.iter().copied().collect())
    };
    let cpu = run(&devs.cpu)?;
    let cuda = devs.cuda.as_ref().map(run).transpose()?;
    Ok(json!({
        "what": format!(
            "multiscale forecast of {} trajectories x {n_steps} steps with {} steppers \
             (CPU: the fused forward; CUDA: candle)",
            x0.nrows(), sizes.steps.len()
        ),
        "cpu_vs_cuda": verdict("multiscale forecast", &cpu, cuda.as_deref(), TOL_FORECAST, failures),
    }))
}
