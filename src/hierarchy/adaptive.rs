//! AHiTS, adaptive multiscale time-stepping (Hamid, Rafiq, Nahvi & Bazaz, "Hierarchical deep
//! learning-based adaptive time-stepping scheme for multiscale simulations", 2024): the step
//! size is chosen as the forecast goes instead of once for the whole horizon.
//!
//! **Offline** ([`Hierarchy::adaptive_schedule`]): from the first validation states, try the
//! steppers from the largest step to the smallest and take the first whose predicted change
//! `mean((N(y) - y)^2)` (over trajectories and components, in `f32` as the nets compute) is below
//! the tolerance, the smallest when none is; repeat from the states reached until the steps taken
//! reach the horizon. The list of steps is the schedule.
//!
//! **Online** ([`Hierarchy::adaptive_forecast`]): each run of equal steps of the schedule is a
//! segment. A run of `c` steps of `s` covers `c s - 1` points from its start (the next segment
//! starts at its last point, as the authors' code does); its candidates are the steppers from `s`
//! up to the one whose step is closest to that length (the smaller on a tie), and the candidate
//! sets `s..top`, `s..top/2`, ... are scored by the validation MSE of the segment's multiscale
//! forecast from the TRUE validation state at its start; the set with the lowest score wins, the
//! shorter one on a tie (largest steppers dropped while not worse). A run of one step uses that
//! stepper alone. The test set is then forecast segment by segment with the vectorized multiscale
//! coupling, each segment from the PREDICTED state where the previous one ended; the last run is
//! forecast to the horizon.
//!
//! The authors' code (`src/aHiTs.py` of DanishRaf32/Adaptive-HiTs, which does not run as
//! published; `tools/ahits_original.py` is our faithful port) slips in three places. Here:
//!
//! 1. **The segment's step.** Their segment length and candidate range read the step at schedule
//!    index `i - 1`, `i` being the run's last index: the previous run's step when the run has one
//!    step, and the schedule's LAST step (Python's index -1) when that run is the first. The final
//!    run reads the step before it the same way when it has one step. Here every segment uses its
//!    own run's step.
//! 2. **The last step past the horizon.** The schedule's last step may end past the horizon (the
//!    loop stops only once it is reached); their last segment then takes its candidate range from
//!    the run's full length, overshoot included. Here the schedule keeps that step (its
//!    [`AdaptiveSchedule::past_horizon`] says by how much) but the last segment's candidates come
//!    from its length to the horizon, the points it forecasts.
//! 3. **KS's tolerance.** Their notebook compares the system name with `'Ks'`, which never equals
//!    `'KS'`: KS gets no tolerance. [`paper_tolerance`] gives KS its 8e-6.
//!
//! Wherever no slip triggers, the schedule, the segments and the forecast are theirs
//! (`tests/ahits.rs` checks them against the port on the authors' checkpoints).

use std::time::Instant;

use ndarray::{s, Array3, ArrayView2, ArrayView3};
use serde::{Deserialize, Serialize};

use super::Hierarchy;
use crate::forecast::metrics::states_tensor;
use crate::forecast::{multiscale_forecast, Stepper};
use crate::{Error, Result};

/// The tolerances of the AHiTS notebook, by system (`Hyperbolic` 1e-5, `Cubic` 5e-4,
/// `VanDerPol` 8e-2, `Hopf` 5e-3, `KS` 8e-6; slip 3 of the module docs); `None` for others.
pub fn paper_tolerance(system: &str) -> Option<f64> {
    match system {
        "Hyperbolic" => Some(1e-5),
        "Cubic" => Some(5e-4),
        "VanDerPol" => Some(8e-2),
        "Hopf" => Some(5e-3),
        "KS" => Some(8e-6),
        _ => None,
    }
}

/// The offline schedule: the step sizes taken, in order (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveSchedule {
    /// The step sizes taken (units of dt), in order.
    pub steps: Vec<usize>,
    /// The horizon in steps of dt.
    pub horizon: usize,
    /// The tolerance on the predicted change.
    pub tol: f64,
}

impl AdaptiveSchedule {
    /// The runs of equal steps: `(step, count)` in order.
    pub fn runs(&self) -> Vec<(usize, usize)> {
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for &s in &self.steps {
            match runs.last_mut() {
                Some((step, count)) if *step == s => *count += 1,
                _ => runs.push((s, 1)),
            }
        }
        runs
    }

    /// How many steps of each size, ascending by size.
    pub fn counts(&self) -> Vec<(usize, usize)> {
        let mut counts: Vec<(usize, usize)> = Vec::new();
        for &s in &self.steps {
            match counts.iter_mut().find(|(k, _)| *k == s) {
                Some((_, c)) => *c += 1,
                None => counts.push((s, 1)),
            }
        }
        counts.sort_unstable();
        counts
    }

    /// How far the last step ends past the horizon (0 when the steps end on it).
    pub fn past_horizon(&self) -> usize {
        self.steps
            .iter()
            .sum::<usize>()
            .saturating_sub(self.horizon)
    }
}

/// One segment of the online forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveSegment {
    /// The point it starts from (0 = the initial state).
    pub start: usize,
    /// The points it forecasts, `start + 1 ..= start + points`.
    pub points: usize,
    /// The step of its run and how many steps the run has.
    pub run: (usize, usize),
    /// The candidate steppers (their step sizes).
    pub candidates: Vec<usize>,
    /// The steppers it forecast with.
    pub steps: Vec<usize>,
    /// The validation MSE of the chosen set over the segment (`None` for a run of one step,
    /// which takes its stepper without scoring).
    pub val_mse: Option<f64>,
}

impl std::fmt::Display for AdaptiveSegment {
    /// `segment from point 0, 320 points (5 x 64 dt): steppers [16, 32, 64]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "segment from point {:>5}, {:>5} points ({} x {} dt): steppers {:?}",
            self.start, self.points, self.run.1, self.run.0, self.steps
        )
    }
}

/// What [`Hierarchy::adaptive_forecast`] computed.
#[derive(Debug, Clone)]
pub struct AdaptiveForecast {
    pub schedule: AdaptiveSchedule,
    pub segments: Vec<AdaptiveSegment>,
    /// The forecast `[n_traj, horizon, dim]`, index i = step i + 1.
    pub forecast: Array3<f64>,
    /// Stepper applications per trajectory of the online forecast (validation scoring not
    /// counted).
    pub evaluations: usize,
    /// Wall time of the online forecast of the test states (the segments' scoring on the
    /// validation set not included, as in the authors' timing) [s].
    pub seconds: f64,
}

impl Hierarchy {
    /// The offline AHiTS schedule from `val[:, 0]` over `horizon` steps of dt with tolerance
    /// `tol` on the predicted change (see the module docs).
    pub fn adaptive_schedule(
        &self,
        val: ArrayView3<f64>,
        horizon: usize,
        tol: f64,
    ) -> Result<AdaptiveSchedule> {
        if !(tol.is_finite() && tol > 0.0) {
            return Err(Error::invalid(
                "tol",
                format!("the AHiTS tolerance must be a positive number, got {tol}"),
            ));
        }
        if horizon == 0 || val.dim().0 == 0 || val.dim().2 != self.dim() {
            return Err(Error::shape(
                "validation trajectories",
                format!("[n >= 1, points, {}] and a horizon >= 1", self.dim()),
                format!("{:?}, horizon {horizon}", val.dim()),
            ));
        }
        let set = self.set()?;
        let refs = set.refs();
        let mut y = states_tensor(val.slice(s![.., 0, ..]), &refs[0].device())?;
        let (mut steps, mut reached) = (Vec::new(), 0usize);
        while reached < horizon {
            for (i, stepper) in refs.iter().enumerate().rev() {
                let next = stepper.step(&y)?;
                let change = mean_square_difference(&next, &y)?;
                // A change that is not finite is not below the tolerance (their `mse < tol` is
                // false for inf and NaN): the next smaller stepper is tried. Only the smallest,
                // taken whatever its change, makes it an error: the state would not be finite.
                if !change.is_finite() && i == 0 {
                    return Err(Error::NonFinite {
                        what: format!(
                            "AHiTS schedule: the predicted change of the stepper of step {}",
                            stepper.step_size()
                        ),
                        value: change,
                        at: format!("step {reached} of the validation forecast"),
                        hint: "; the steppers diverge on the validation states".into(),
                    });
                }
                if change < tol || i == 0 {
                    steps.push(stepper.step_size());
                    reached += stepper.step_size();
                    y = next;
                    break;
                }
            }
        }
        Ok(AdaptiveSchedule {
            steps,
            horizon,
            tol,
        })
    }

    /// The online AHiTS forecast of every row of `x0` (`[n_traj, dim]`) along `schedule`, each
    /// segment's steppers chosen on `val` (`[n, >= horizon + 1, dim]`; see the module docs).
    pub fn adaptive_forecast(
        &self,
        schedule: &AdaptiveSchedule,
        val: ArrayView3<f64>,
        x0: ArrayView2<f64>,
    ) -> Result<AdaptiveForecast> {
        let horizon = schedule.horizon;
        let dim = self.dim();
        if val.dim().1 < horizon + 1 || val.dim().2 != dim || x0.dim().1 != dim {
            return Err(Error::shape(
                "AHiTS validation trajectories / initial states",
                format!("[n, >= {}, {dim}] / [n_traj, {dim}]", horizon + 1),
                format!("{:?} / {:?}", val.dim(), x0.dim()),
            ));
        }
        if let Some(s) = schedule.steps.iter().find(|s| self.get(**s).is_none()) {
            return Err(Error::invalid(
                "AHiTS schedule",
                format!(
                    "step {s} is not a step of the hierarchy ({:?})",
                    self.step_sizes()
                ),
            ));
        }
        let set = self.set()?;
        let refs = set.refs();
        let sizes = self.step_sizes();
        let runs = schedule.runs();
        let n_traj = x0.dim().0;
        let mut forecast = Array3::<f64>::zeros((n_traj, horizon, dim));
        let mut segments = Vec::with_capacity(runs.len());
        let (mut start, mut evaluations, mut seconds) = (0usize, 0usize, 0.0f64);
        for (r, &(step, count)) in runs.iter().enumerate() {
            let last = r + 1 == runs.len();
            // slip 2: the last segment is as long as what is left to the horizon
            let points = if last {
                horizon - start
            } else {
                count * step - 1
            };
            let lo = sizes.iter().position(|&k| k == step).unwrap_or(0);
            let hi = sizes
                .iter()
                .position(|&k| k == closest(&sizes, points))
                .unwrap_or(lo);
            let candidates: Vec<&dyn Stepper> = refs[lo..=hi.max(lo)].to_vec();
            let (chosen, val_mse): (Vec<&dyn Stepper>, Option<f64>) = if count == 1 && !last {
                (vec![refs[lo]], None)
            } else {
                let (n, score) = choose(&candidates, val, start, points)?;
                (candidates[..n].to_vec(), Some(score))
            };
            let from = if start == 0 {
                x0.to_owned()
            } else {
                forecast.slice(s![.., start - 1, ..]).to_owned()
            };
            let t = Instant::now();
            let part = multiscale_forecast(&chosen, from.view(), points)?;
            seconds += t.elapsed().as_secs_f64();
            evaluations += evaluations_of(points, &chosen);
            forecast
                .slice_mut(s![.., start..start + points, ..])
                .assign(&part);
            segments.push(AdaptiveSegment {
                start,
                points,
                run: (step, count),
                candidates: candidates.iter().map(|c| c.step_size()).collect(),
                steps: chosen.iter().map(|c| c.step_size()).collect(),
                val_mse,
            });
            start += points;
            if start >= horizon {
                break;
            }
        }
        Ok(AdaptiveForecast {
            schedule: schedule.clone(),
            segments,
            forecast,
            evaluations,
            seconds,
        })
    }
}

/// The candidate prefix (its length) with the lowest validation MSE over `points` points from
/// the true state at `start`, the shorter on a tie, and that MSE.
fn choose(
    candidates: &[&dyn Stepper],
    val: ArrayView3<f64>,
    start: usize,
    points: usize,
) -> Result<(usize, f64)> {
    let from = val.slice(s![.., start, ..]);
    let truth = val.slice(s![.., start + 1..start + 1 + points, ..]);
    let mut best: Option<(usize, f64)> = None;
    for n in (1..=candidates.len()).rev() {
        let pred = multiscale_forecast(&candidates[..n], from, points)?;
        let score = f32_mse(pred.view(), truth);
        if score.is_finite() && best.is_none_or(|(_, b)| score <= b) {
            best = Some((n, score));
        }
    }
    best.ok_or_else(|| {
        Error::invalid(
            "AHiTS segment",
            format!(
                "every candidate set of steppers {:?} diverged on the validation segment from \
                 point {start} ({points} points)",
                candidates.iter().map(|c| c.step_size()).collect::<Vec<_>>()
            ),
        )
    })
}

/// The mean squared difference of two `f32` tensors, accumulated in `f64`.
fn mean_square_difference(a: &candle_core::Tensor, b: &candle_core::Tensor) -> Result<f64> {
    let a: Vec<f32> = a.flatten_all()?.to_vec1()?;
    let b: Vec<f32> = b.flatten_all()?.to_vec1()?;
    let sum: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| {
            let d = (x - y) as f64;
            d * d
        })
        .sum();
    Ok(sum / a.len().max(1) as f64)
}

/// The MSE of `pred` against `truth` with both rounded to `f32` first, as the authors' code
/// compares them.
fn f32_mse(pred: ArrayView3<f64>, truth: ArrayView3<f64>) -> f64 {
    let sum: f64 = pred
        .iter()
        .zip(truth.iter())
        .map(|(&p, &t)| {
            let d = (p as f32 - t as f32) as f64;
            d * d
        })
        .sum();
    sum / pred.len().max(1) as f64
}

/// The step size in `sizes` closest to `target`, the smaller on a tie (numpy's argmin).
fn closest(sizes: &[usize], target: usize) -> usize {
    let mut best = sizes[0];
    for &k in sizes {
        if k.abs_diff(target) < best.abs_diff(target) {
            best = k;
        }
    }
    best
}

/// Stepper applications per trajectory of the vectorized multiscale coupling of `steppers` over
/// `n_steps`: each (largest first) is applied to every point reached so far as often as it fits
/// in what is left, then the smallest steps from the last point to the horizon.
pub fn evaluations_of(n_steps: usize, steppers: &[&dyn Stepper]) -> usize {
    let steps: Vec<usize> = steppers.iter().map(|s| s.step_size()).collect();
    evaluations_of_steps(n_steps, &steps)
}

/// [`evaluations_of`] for steppers of these step sizes.
pub fn evaluations_of_steps(n_steps: usize, steps: &[usize]) -> usize {
    let mut steps = steps.to_vec();
    steps.sort_unstable_by(|a, b| b.cmp(a));
    let (mut points, mut total, mut span, mut last) = (1usize, 0usize, n_steps, 0usize);
    for &s in &steps {
        let n_forward = span / s;
        total += points * n_forward;
        points *= n_forward + 1;
        last += n_forward * s;
        span = s - 1;
    }
    if let Some(&smallest) = steps.last() {
        while last < n_steps {
            last += smallest;
            total += 1;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_takes_the_smaller_on_a_tie() {
        let sizes = [1, 2, 4, 8, 16];
        assert_eq!(closest(&sizes, 3), 2);
        assert_eq!(closest(&sizes, 6), 4);
        assert_eq!(closest(&sizes, 13), 16);
        assert_eq!(closest(&sizes, 0), 1);
        assert_eq!(closest(&sizes, 100), 16);
    }

    #[test]
    fn runs_counts_and_overshoot() {
        let s = AdaptiveSchedule {
            steps: vec![8, 8, 4, 2, 2, 2, 8],
            horizon: 30,
            tol: 1e-3,
        };
        assert_eq!(s.runs(), vec![(8, 2), (4, 1), (2, 3), (8, 1)]);
        assert_eq!(s.counts(), vec![(2, 3), (4, 1), (8, 3)]);
        assert_eq!(s.past_horizon(), 4);
    }
}
