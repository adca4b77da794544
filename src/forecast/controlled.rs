//! Adaptive multiscale stepping with error control, per trajectory: what neither HiTS nor AHiTS
//! has. AHiTS ([`crate::hierarchy::adaptive`]) fixes one schedule for every trajectory from the
//! validation set and a tolerance on the steppers' predicted change; here each trajectory gets
//! its own schedule from a local error estimate that needs no ground truth, with a tolerance in
//! the state's own units.
//!
//! **The estimate** is step doubling, as in adaptive Runge-Kutta integrators: from the same state
//! `y`, one step of the stepper of step `2s` against two steps of the stepper of step `s`,
//! `err = sqrt(mean_d (N_2s(y) - N_s(N_s(y)))_d^2)`. For steppers of local error `C h^p` the two
//! differ by about `(2^p - 2) C s^p`, more than the error `2 C s^p` of the two small steps, so
//! the estimate bounds the local error of the state it accepts (`tests/forecast_controlled.rs`
//! checks this on a linear system with a known flow).
//!
//! **The control.** Each trajectory holds a level, the pair `(s, 2s)` it tries, starting at the
//! largest. A try with `err <= tol` is accepted: the trajectory advances `2s` to the state of the
//! two small steps (both points are kept), and moves up a level when `err <= tol / 4`. A try
//! with `err > tol` is rejected: the trajectory moves down a level and tries again from the same
//! state. At the smallest pair a try is accepted whatever its error (counted as forced). A pair
//! that would pass the horizon is not tried; the last point is reached by the smallest stepper
//! alone when even the smallest pair does not fit.
//!
//! **One batch.** All trajectories advance together: each round, the trajectories that try the
//! same pair are gathered into one batch for the three stepper calls; the others wait (masked).
//! The states at each trajectory's own times are then interpolated linearly onto the steps
//! `1..=horizon` of dt, the layout of every forecast of [`crate::forecast`].

use candle_core::Tensor;
use ndarray::{Array3, ArrayView2};

use super::metrics::states_tensor;
use super::multiscale::check_steppers;
use super::stepper::Stepper;
use crate::{Error, Result};

/// What [`error_controlled_forecast`] computed.
#[derive(Debug, Clone)]
pub struct ControlledForecast {
    /// The forecast `[n_traj, horizon, dim]`, index i = step i + 1.
    pub forecast: Array3<f64>,
    /// Each trajectory's accepted advances in order (units of dt): `2s` for a checked pair, `s`
    /// for the last unchecked step.
    pub schedules: Vec<Vec<usize>>,
    /// Tries accepted with `err <= tol`.
    pub accepted: usize,
    /// Tries rejected (`err > tol`, tried again a level lower).
    pub rejected: usize,
    /// Tries at the smallest pair accepted although `err > tol`.
    pub forced: usize,
    /// Stepper applications per trajectory, averaged over the trajectories.
    pub evaluations: f64,
    /// Every accepted try: `(trajectory, time before it, advance, estimate)`.
    pub estimates: Vec<(usize, usize, usize, f64)>,
}

/// Forecast `horizon` steps of dt from every row of `x0` (`[n_traj, dim]`) with the steppers
/// (ascending by step size, each step twice the one before) under error control with tolerance
/// `tol` in the state's units (see the module docs).
pub fn error_controlled_forecast(
    steppers: &[&dyn Stepper],
    x0: ArrayView2<f64>,
    horizon: usize,
    tol: f64,
) -> Result<ControlledForecast> {
    let dim = check_steppers(steppers)?;
    if let Some(w) = steppers
        .windows(2)
        .find(|w| w[1].step_size() != 2 * w[0].step_size())
    {
        return Err(Error::invalid(
            "steppers",
            format!(
                "error control compares one step of 2s with two of s: the step sizes must double \
                 one after another, ascending; got {} then {}",
                w[0].step_size(),
                w[1].step_size()
            ),
        ));
    }
    if !(tol.is_finite() && tol > 0.0) {
        return Err(Error::invalid(
            "tol",
            format!("the error tolerance must be a positive number, got {tol}"),
        ));
    }
    let (n, d) = x0.dim();
    if d != dim || horizon == 0 {
        return Err(Error::shape(
            "initial states x0 / horizon",
            format!("[n_traj, {dim}] and a horizon >= 1"),
            format!("{:?}, horizon {horizon}", x0.dim()),
        ));
    }
    let device = steppers[0].device();
    let m = steppers.len();
    let sizes: Vec<usize> = steppers.iter().map(|s| s.step_size()).collect();
    // per trajectory: time, level (index of s in the pair (s, 2s)), state, its points
    let mut time = vec![0usize; n];
    let mut level = vec![m.saturating_sub(2); n];
    let mut state: Vec<Vec<f32>> = (0..n)
        .map(|i| x0.row(i).iter().map(|&v| v as f32).collect())
        .collect();
    let mut points: Vec<Vec<(usize, Vec<f32>)>> =
        (0..n).map(|i| vec![(0, state[i].clone())]).collect();
    let mut schedules = vec![Vec::new(); n];
    let (mut accepted, mut rejected, mut forced, mut calls) = (0, 0, 0, 0usize);
    let mut estimates = Vec::new();
    loop {
        // what each waiting trajectory tries this round: Some(level) for a pair, None for one
        // unchecked step of the smallest stepper
        let mut pair_groups: Vec<Vec<usize>> = vec![Vec::new(); m];
        let mut single: Vec<usize> = Vec::new();
        for i in 0..n {
            let left = horizon.saturating_sub(time[i]);
            if left == 0 {
                continue;
            }
            if m == 1 {
                single.push(i);
                continue;
            }
            while level[i] > 0 && 2 * sizes[level[i]] > left {
                level[i] -= 1;
            }
            if 2 * sizes[level[i]] > left {
                single.push(i);
            } else {
                pair_groups[level[i]].push(i);
            }
        }
        if single.is_empty() && pair_groups.iter().all(Vec::is_empty) {
            break;
        }
        if !single.is_empty() {
            let y = gather(&state, &single, dim, &device)?;
            let next = rows(&steppers[0].step(&y)?)?;
            calls += single.len();
            for (j, &i) in single.iter().enumerate() {
                time[i] += sizes[0];
                state[i] = next[j].clone();
                points[i].push((time[i], next[j].clone()));
                schedules[i].push(sizes[0]);
            }
        }
        for (k, group) in pair_groups.iter().enumerate() {
            if group.is_empty() {
                continue;
            }
            let y = gather(&state, group, dim, &device)?;
            let big = rows(&steppers[k + 1].step(&y)?)?;
            let half = steppers[k].step(&y)?;
            let two = steppers[k].step(&half)?;
            let (half, two) = (rows(&half)?, rows(&two)?);
            calls += 3 * group.len();
            for (j, &i) in group.iter().enumerate() {
                let err = rms_difference(&big[j], &two[j]);
                if !err.is_finite() {
                    return Err(Error::NonFinite {
                        what: format!(
                            "error-controlled forecast of trajectory {i}: the estimate of the \
                             steppers of steps {} and {}",
                            sizes[k],
                            sizes[k + 1]
                        ),
                        value: err,
                        at: format!("step {} of dt", time[i]),
                        hint: "; the steppers diverge from this state".into(),
                    });
                }
                if err <= tol || k == 0 {
                    if err <= tol {
                        accepted += 1;
                    } else {
                        forced += 1;
                    }
                    estimates.push((i, time[i], 2 * sizes[k], err));
                    points[i].push((time[i] + sizes[k], half[j].clone()));
                    time[i] += 2 * sizes[k];
                    points[i].push((time[i], two[j].clone()));
                    state[i] = two[j].clone();
                    schedules[i].push(2 * sizes[k]);
                    if err <= tol / 4.0 && k + 2 < m {
                        level[i] = k + 1;
                    }
                } else {
                    rejected += 1;
                    level[i] = k - 1;
                }
            }
        }
    }
    let forecast = interpolate(&points, n, horizon, dim);
    Ok(ControlledForecast {
        forecast,
        schedules,
        accepted,
        rejected,
        forced,
        evaluations: calls as f64 / n.max(1) as f64,
        estimates,
    })
}

fn gather(
    state: &[Vec<f32>],
    which: &[usize],
    dim: usize,
    device: &candle_core::Device,
) -> Result<Tensor> {
    let mut x = ndarray::Array2::<f64>::zeros((which.len(), dim));
    for (j, &i) in which.iter().enumerate() {
        for d in 0..dim {
            x[[j, d]] = state[i][d] as f64;
        }
    }
    states_tensor(x.view(), device)
}

fn rows(t: &Tensor) -> Result<Vec<Vec<f32>>> {
    Ok(t.to_dtype(candle_core::DType::F32)?.to_vec2::<f32>()?)
}

fn rms_difference(a: &[f32], b: &[f32]) -> f64 {
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| {
            let d = (*x as f64) - (*y as f64);
            d * d
        })
        .sum();
    (sum / a.len().max(1) as f64).sqrt()
}

/// Each trajectory's points (ascending times, from 0) interpolated linearly onto 1..=horizon.
fn interpolate(
    points: &[Vec<(usize, Vec<f32>)>],
    n: usize,
    horizon: usize,
    dim: usize,
) -> Array3<f64> {
    let mut out = Array3::<f64>::zeros((n, horizon, dim));
    for (i, pts) in points.iter().enumerate() {
        let mut j = 0;
        for t in 1..=horizon {
            while j + 1 < pts.len() && pts[j + 1].0 < t {
                j += 1;
            }
            let (t0, y0) = (&pts[j].0, &pts[j].1);
            let Some((t1, y1)) = pts.get(j + 1).map(|p| (&p.0, &p.1)) else {
                for d in 0..dim {
                    out[[i, t - 1, d]] = y0[d] as f64;
                }
                continue;
            };
            let w = (t - t0) as f64 / (t1 - t0) as f64;
            for d in 0..dim {
                out[[i, t - 1, d]] = (1.0 - w) * y0[d] as f64 + w * y1[d] as f64;
            }
        }
    }
    out
}
