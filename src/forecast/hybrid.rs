//! Hybrid forecast: a coarse neural stepper plus classic RK4 inside every coarse interval.
//!
//! With a coarse stepper of step size S (the paper uses the largest, 1024 dt) and an RK4 step
//! h = c dt:
//!
//! 1. the stepper gives the coarse points x(0) = x0, x(S), x(2 S), ..., x(K S), K S >= n_steps;
//! 2. from EVERY coarse point x(j S), j < K, classic RK4 with step h advances S / c steps to
//!    fill the interval [j S, (j + 1) S) (all K n_traj starts in one batch); the RK4 end point of
//!    an interval is dropped in favour of the next coarse point;
//! 3. linear interpolation (c > 1) or subsampling (c < 1; exact copies) gives every step
//!    1..=`n_steps`.
//!
//! [`rk4_forecast`] is the baseline: RK4 with step h over the whole horizon from x0.
//! S must be a whole multiple of c. Both integrate autonomous systems (every RK4 run starts
//! at t = 0), which all the paper's systems are. Results are `f64`, `[n_traj, n_steps, dim]`.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use candle_core::{Device, Tensor};
//! use hits::forecast::{hybrid_forecast, FlowMapStepper};
//! use hits::systems::Harmonic;
//! let coarse = FlowMapStepper::harmonic(0.01, 64); // the exact flow as the "network"
//! let x0 = Tensor::new(&[[0.0f32, 1.0]], &Device::Cpu)?;
//! let pred = hybrid_forecast(&coarse, &Harmonic, 0.01, 2.0, &x0, 200)?; // h = 2 dt
//! assert_eq!(pred.dim(), (1, 200, 2));
//! assert!((pred[[0, 199, 0]] - 2f64.sin()).abs() < 1e-5);
//! # Ok(())
//! # }
//! ```

use candle_core::Tensor;
use ndarray::{Array3, ArrayView2};

use super::interp::interpolate_to_steps;
use super::stepper::{check_states, rk4_step};
use super::uniscale::rollout;
use super::{metrics::to_array3, Stepper};
use crate::{Error, Result, System};

/// Hybrid NN + RK4 forecast of `n_steps` steps of `dt` from `x0` (`[n_traj, dim]`), with the RK4
/// step `h = h_in_dt * dt`.
pub fn hybrid_forecast(
    coarse: &dyn Stepper,
    system: &dyn System,
    dt: f64,
    h_in_dt: f64,
    x0: &Tensor,
    n_steps: usize,
) -> Result<Array3<f64>> {
    let dim = system.dim();
    if coarse.dim() != dim {
        return Err(Error::shape(
            "coarse stepper",
            format!("dim {dim} (the system's)"),
            coarse.dim().to_string(),
        ));
    }
    let n_traj = check_states("initial states x0", x0, dim)?;
    check_steps(dt, h_in_dt, n_steps)?;
    let big = coarse.step_size();
    let ratio = big as f64 / h_in_dt;
    let n_sub = ratio.round() as usize;
    if n_sub == 0 || (ratio - n_sub as f64).abs() > 1e-9 * ratio {
        return Err(Error::invalid(
            "h",
            format!("the coarse step ({big} dt) must be a whole multiple of h ({h_in_dt} dt)"),
        ));
    }
    let k = n_steps.div_ceil(big);
    let coarse_pts = to_array3(&rollout(coarse, x0, k)?)?; // [n_traj, k + 1, dim]

    // RK4 from the coarse points 0..k, point-major: row j * n_traj + i.
    let starts = coarse_pts
        .slice(ndarray::s![.., ..k, ..])
        .permuted_axes([1, 0, 2]);
    let starts = starts
        .as_standard_layout()
        .into_shape_with_order((k * n_traj, dim))
        .map_err(shape_err)?;
    let fine = rk4_trajectories(system, starts.view(), h_in_dt * dt, n_sub)?; // [k n_traj, n_sub + 1, dim]

    let n_pts = k * n_sub + 1;
    let mut positions = Vec::with_capacity(n_pts);
    let mut values = vec![0.0f64; n_pts * n_traj * dim];
    for j in 0..k {
        for s in 0..n_sub {
            let q = j * n_sub + s;
            positions.push((j * big) as f64 + s as f64 * h_in_dt);
            for i in 0..n_traj {
                let src = fine.slice(ndarray::s![j * n_traj + i, s, ..]);
                for (d, v) in src.iter().enumerate() {
                    values[(q * n_traj + i) * dim + d] = *v;
                }
            }
        }
    }
    positions.push((k * big) as f64);
    for i in 0..n_traj {
        for d in 0..dim {
            values[((n_pts - 1) * n_traj + i) * dim + d] = coarse_pts[[i, k, d]];
        }
    }
    let out = interpolate_to_steps(&positions, &values, n_traj, dim, n_steps)?;
    Array3::from_shape_vec((n_traj, n_steps, dim), out).map_err(shape_err)
}

/// Plain RK4 with step `h = h_in_dt * dt` from `x0` (`[n_traj, dim]`) over `n_steps` steps of
/// `dt`, interpolated (or subsampled) to every step: `[n_traj, n_steps, dim]`.
pub fn rk4_forecast(
    system: &dyn System,
    dt: f64,
    h_in_dt: f64,
    x0: ArrayView2<f64>,
    n_steps: usize,
) -> Result<Array3<f64>> {
    let (n_traj, dim) = x0.dim();
    if dim != system.dim() {
        return Err(Error::shape(
            "initial states x0",
            format!("[n, {}]", system.dim()),
            format!("{:?}", x0.shape()),
        ));
    }
    check_steps(dt, h_in_dt, n_steps)?;
    let n_calls = (n_steps as f64 / h_in_dt - 1e-9).ceil().max(1.0) as usize;
    let traj = rk4_trajectories(system, x0, h_in_dt * dt, n_calls)?; // [n_traj, n_calls + 1, dim]
    let values = traj
        .permuted_axes([1, 0, 2])
        .as_standard_layout()
        .iter()
        .copied()
        .collect::<Vec<f64>>();
    let positions: Vec<f64> = (0..=n_calls).map(|s| s as f64 * h_in_dt).collect();
    let out = interpolate_to_steps(&positions, &values, n_traj, dim, n_steps)?;
    Array3::from_shape_vec((n_traj, n_steps, dim), out).map_err(shape_err)
}

/// Classic RK4 trajectories `[n, n_steps + 1, dim]` from the rows of `y0s` (`[n, dim]`),
/// trajectories in parallel.
fn rk4_trajectories(
    system: &dyn System,
    y0s: ArrayView2<f64>,
    h: f64,
    n_steps: usize,
) -> Result<Array3<f64>> {
    use rayon::prelude::*;
    let (n, dim) = y0s.dim();
    let y0s = y0s.as_standard_layout();
    let y0s = y0s.as_slice().expect("standard layout");
    let mut out = vec![0.0f64; n * (n_steps + 1) * dim];
    out.par_chunks_mut((n_steps + 1) * dim)
        .enumerate()
        .for_each(|(i, traj)| {
            let mut scratch = vec![0.0; 5 * dim];
            traj[..dim].copy_from_slice(&y0s[i * dim..(i + 1) * dim]);
            for s in 1..=n_steps {
                let (done, rest) = traj.split_at_mut(s * dim);
                let y = &mut rest[..dim];
                y.copy_from_slice(&done[(s - 1) * dim..]);
                rk4_step(system, (s - 1) as f64 * h, y, h, &mut scratch);
            }
        });
    Array3::from_shape_vec((n, n_steps + 1, dim), out).map_err(shape_err)
}

fn check_steps(dt: f64, h_in_dt: f64, n_steps: usize) -> Result<()> {
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(Error::invalid(
            "dt",
            format!("must be positive and finite, got {dt}"),
        ));
    }
    if !(h_in_dt > 0.0 && h_in_dt.is_finite()) {
        return Err(Error::invalid(
            "h",
            format!("must be a positive multiple of dt, got {h_in_dt} dt"),
        ));
    }
    if n_steps == 0 {
        return Err(Error::invalid("n_steps", "must be at least 1"));
    }
    Ok(())
}

fn shape_err(e: ndarray::ShapeError) -> Error {
    Error::shape(
        "hybrid forecast buffers",
        "a standard-layout array",
        e.to_string(),
    )
}
