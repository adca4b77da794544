//! Ensembles of step paths: an uncertainty band for a multiscale forecast (issue 28).
//!
//! The multiscale coupling composes the available step sizes one fixed way. Other compositions
//! reach the same times: a step path is a sequence of step sizes summing to the horizon, drawn
//! at random (each step uniform among the steppers whose step fits in what is left, seeded with
//! numpy's legacy stream, [`crate::rng::RandomState`]). Each member forecasts every trajectory
//! along its path (all trajectories in one batch per call), linearly interpolated onto the steps
//! of dt; the members' mean is the ensemble forecast and their standard deviation (population,
//! over members) the band. [`calibration`] is the share of true points inside `mean +- k std`:
//! about 0.95 for `k = 2` when the spread matches the error, lower when it is overconfident.

use ndarray::{Array3, ArrayView2, ArrayView3, Axis};

use super::interp::interpolate_to_steps;
use super::metrics::states_tensor;
use super::multiscale::check_steppers;
use super::stepper::Stepper;
use crate::rng::RandomState;
use crate::{Error, Result};

/// What [`step_path_ensemble`] computed.
#[derive(Debug, Clone)]
pub struct EnsembleForecast {
    /// The members' mean `[n_traj, horizon, dim]`, index i = step i + 1.
    pub mean: Array3<f64>,
    /// The members' standard deviation, same shape.
    pub std: Array3<f64>,
    /// Each member's path: the step sizes in order, summing to the horizon.
    pub paths: Vec<Vec<usize>>,
    /// Stepper applications per trajectory, over all members.
    pub evaluations: usize,
}

/// `members` random step paths of `steppers` (any order; the smallest step must divide every
/// horizon reached, so a step of 1 dt is needed unless the horizon is a multiple of it) from
/// every row of `x0` over `horizon` steps of dt, seeded by `seed` (see the module docs).
pub fn step_path_ensemble(
    steppers: &[&dyn Stepper],
    x0: ArrayView2<f64>,
    horizon: usize,
    members: usize,
    seed: u32,
) -> Result<EnsembleForecast> {
    let dim = check_steppers(steppers)?;
    if members < 2 {
        return Err(Error::invalid(
            "members",
            format!("an ensemble needs at least 2 members for a spread, got {members}"),
        ));
    }
    let (n, d) = x0.dim();
    let mut by_step: Vec<&dyn Stepper> = steppers.to_vec();
    by_step.sort_by_key(|s| s.step_size());
    let smallest = by_step[0].step_size();
    if d != dim || horizon == 0 || !horizon.is_multiple_of(smallest) {
        return Err(Error::shape(
            "initial states x0 / horizon",
            format!(
                "[n_traj, {dim}] and a horizon that is a multiple of the smallest step {smallest}"
            ),
            format!("{:?}, horizon {horizon}", x0.dim()),
        ));
    }
    let device = by_step[0].device();
    let x0t = states_tensor(x0, &device)?;
    let mut rng = RandomState::new(seed);
    let mut sum = Array3::<f64>::zeros((n, horizon, dim));
    let mut sum_sq = Array3::<f64>::zeros((n, horizon, dim));
    let (mut paths, mut evaluations) = (Vec::with_capacity(members), 0usize);
    for _ in 0..members {
        let mut path = Vec::new();
        let (mut t, mut y) = (0usize, x0t.clone());
        let mut positions = vec![0.0];
        let mut values: Vec<f32> = y.flatten_all()?.to_vec1()?;
        while t < horizon {
            let fits: Vec<&&dyn Stepper> = by_step
                .iter()
                .filter(|s| s.step_size() <= horizon - t)
                .collect();
            let pick = fits[rng.random_interval(fits.len() as u64 - 1) as usize];
            y = pick.step(&y)?;
            t += pick.step_size();
            path.push(pick.step_size());
            positions.push(t as f64);
            values.extend(y.flatten_all()?.to_vec1::<f32>()?);
        }
        evaluations += path.len();
        let member = interpolate_to_steps(&positions, &values, n, dim, horizon)?;
        for (k, v) in member.into_iter().enumerate() {
            let v = v as f64;
            let (i, rest) = (k / (horizon * dim), k % (horizon * dim));
            let (s, c) = (rest / dim, rest % dim);
            sum[[i, s, c]] += v;
            sum_sq[[i, s, c]] += v * v;
        }
        paths.push(path);
    }
    let m = members as f64;
    let mean = sum.mapv(|v| v / m);
    let std = ndarray::Zip::from(&sum_sq)
        .and(&mean)
        .map_collect(|&q, &mu| (q / m - mu * mu).max(0.0).sqrt());
    if let Some(bad) = mean.iter().find(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "step-path ensemble".into(),
            value: *bad,
            at: "the members' mean".into(),
            hint: "; a member's path diverged".into(),
        });
    }
    Ok(EnsembleForecast {
        mean,
        std,
        paths,
        evaluations,
    })
}

/// The share of `truth` points (`[n_traj, steps, dim]`, every component of every step) inside
/// `mean +- k std`.
pub fn calibration(
    mean: ArrayView3<f64>,
    std: ArrayView3<f64>,
    truth: ArrayView3<f64>,
    k: f64,
) -> Result<f64> {
    if mean.dim() != truth.dim() || std.dim() != truth.dim() {
        return Err(Error::shape(
            "ensemble mean / spread / truth",
            format!("{:?} each", truth.dim()),
            format!("{:?}, {:?}", mean.dim(), std.dim()),
        ));
    }
    let inside = ndarray::Zip::from(&mean)
        .and(&std)
        .and(&truth)
        .fold(0usize, |acc, &mu, &sd, &y| {
            acc + usize::from((y - mu).abs() <= k * sd)
        });
    Ok(inside as f64 / truth.len().max(1) as f64)
}

/// The spread averaged over trajectories and components at every step (for a band figure).
pub fn mean_spread_per_step(std: ArrayView3<f64>) -> Vec<f64> {
    std.mean_axis(Axis(2))
        .and_then(|s| s.mean_axis(Axis(0)))
        .map(|s| s.to_vec())
        .unwrap_or_default()
}
