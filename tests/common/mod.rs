//! Small training problems shared by the stepper training tests: harmonic-oscillator
//! trajectories (exact flow), their windows, weight comparisons, and custom losses.

#![allow(dead_code)]

use std::path::PathBuf;

use candle_core::{Device, Module, Tensor};
use hits::stepper::{StepperData, TrainConfig, TrainWindows};
use ndarray::{Array2, Array3};

pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hits_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Trajectories of the harmonic oscillator (exact flow), `[n, n_points, 2]`, sampled every dt.
pub fn rotation_trajectories(n: usize, n_points: usize, dt: f64, seed: u64) -> Array3<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut u = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut a = Array3::zeros((n, n_points, 2));
    for i in 0..n {
        let (r, phi) = (0.5 + u(), (2.0 * u() - 1.0) * std::f64::consts::PI);
        for k in 0..n_points {
            let t = k as f64 * dt + phi;
            a[[i, k, 0]] = r * t.sin();
            a[[i, k, 1]] = r * t.cos();
        }
    }
    a
}

/// Windows x = X[:, 0], ys = X[:, s, 2s, ..., nf*s].
pub fn windows(traj: &Array3<f64>, step: usize, nf: usize) -> TrainWindows {
    let x: Array2<f64> = traj.slice(ndarray::s![.., 0, ..]).to_owned();
    let ys = traj
        .slice(ndarray::s![.., step..=nf * step;step, ..])
        .to_owned();
    TrainWindows::from_arrays(x.view(), ys.view(), &Device::Cpu).unwrap()
}

/// Training (40) and validation (16) windows of step `step` with `nf` steps, dt = 0.05.
pub fn data(step: usize, nf: usize) -> StepperData {
    let train = rotation_trajectories(40, 4 * 5 + 1, 0.05, 1);
    let val = rotation_trajectories(16, 4 * 5 + 1, 0.05, 2);
    StepperData {
        train: windows(&train, step, nf),
        val: windows(&val, step, nf),
    }
}

pub fn small_cfg(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        n_forward: 3,
        eval_every: 10,
        seed: 9,
        ..TrainConfig::default()
    }
}

/// The largest absolute difference between two stepper's layers.
pub fn max_diff(a: &[(Tensor, Tensor)], b: &[(Tensor, Tensor)]) -> f32 {
    a.iter()
        .zip(b)
        .flat_map(|((wa, ba), (wb, bb))| [(wa - wb).unwrap(), (ba - bb).unwrap()])
        .map(|d| {
            d.abs()
                .unwrap()
                .flatten_all()
                .unwrap()
                .max(0)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        })
        .fold(0.0, f32::max)
}

/// Custom losses of the loss tests.
pub mod losses {
    use candle_core::Tensor;
    use hits::stepper::Loss;

    /// The squared error of later steps weighted more: `sum_t (t + 1) e_t / (B n_forward dim)`.
    pub fn weighted_mse() -> Loss {
        Loss::custom("weighted_mse", |p, y| {
            let nf = p.dim(2)?;
            let w = Tensor::arange(1u32, nf as u32 + 1, p.device())?
                .to_dtype(p.dtype())?
                .reshape((1, 1, nf, 1))?;
            (p - y)?.sqr()?.broadcast_mul(&w)?.mean((1, 2, 3))
        })
    }

    /// The mean absolute error.
    pub fn l1() -> Loss {
        Loss::custom("l1", |p, y| (p - y)?.abs()?.mean((1, 2, 3)))
    }
}

/// The targets `ys: [K, B, n_forward, dim]` step by step, `[K, B, dim]` each.
pub fn steps(ys: &Tensor) -> Vec<Tensor> {
    (0..ys.dim(2).unwrap())
        .map(|t| {
            ys.narrow(2, t, 1)
                .unwrap()
                .squeeze(2)
                .unwrap()
                .contiguous()
                .unwrap()
        })
        .collect()
}

/// All values of `t` as f64.
pub fn vec1(t: &Tensor) -> Vec<f64> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

/// The mean absolute and mean squared errors of `stepper` rolled out `n_forward` steps from
/// the starts of windows `w`, computed apart from the trainer (the stepper's own forward,
/// host arithmetic in f64).
pub fn l1_and_mse_by_hand(stepper: &hits::stepper::ResNetStepper, w: &TrainWindows) -> (f64, f64) {
    let ys: Vec<f32> = w.ys.flatten_all().unwrap().to_vec1().unwrap();
    let (n, nf, d) = w.ys.dims3().unwrap();
    let mut y = w.x.clone();
    let (mut l1, mut se) = (0.0, 0.0);
    for t in 0..nf {
        y = stepper.forward(&y).unwrap();
        let p: Vec<f32> = y.flatten_all().unwrap().to_vec1().unwrap();
        for i in 0..n {
            for c in 0..d {
                let e = p[i * d + c] as f64 - ys[(i * nf + t) * d + c] as f64;
                l1 += e.abs();
                se += e * e;
            }
        }
    }
    let count = (n * nf * d) as f64;
    (l1 / count, se / count)
}
