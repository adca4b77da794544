//! Multiscale coupling of steppers of different step sizes (the paper's vectorized forecast).
//!
//! With steppers of step sizes s_0 > s_1 > ... > s_m (in units of `dt`) and x(0) = x0:
//!
//! 1. the largest steps from 0: x(s_0), x(2 s_0), ... up to the first multiple of s_0 that is
//!    >= `n_steps`, but never reaching E = (floor(n_steps / s_0) + 1) s_0;
//! 2. each finer stepper s_l starts from EVERY point computed so far, p, and steps to
//!    p + s_l, p + 2 s_l, ... while strictly before the next computed point (E for the last one);
//!    all starts of a level form ONE batch `[n_starts * n_traj, dim]` per sub-step;
//! 3. the finest stepper continues the tail from the last point until it reaches `n_steps`;
//! 4. linear interpolation ([`crate::forecast::interp`]) gives every step 1..=`n_steps`.
//!
//! For nested step sizes (each divides the next, like 1, 2, 4, ..., 1024) this computes exactly
//! the points of the original `vectorized_multi_scale_forecast`, whose every start takes
//! floor((s_{l-1} - 1) / s_l) steps and whose virtual last interval is [L, L + s_0). For
//! other sets the original can step past (and overwrite) a coarser point; stopping at the next
//! computed point is the intended reading and works for any set of step sizes.
//!
//! Only the points needed for steps 1..=`n_steps` are computed: a start at or beyond `n_steps`
//! is not advanced, and no start goes past its first point >= `n_steps` (the original computes up
//! to s_0 - 1 useless points beyond the horizon; the interpolated output is the same).
//!
//! Step 0 is x0 itself (time 0) and output index i holds step i + 1 (time (i + 1) dt), as in the
//! original.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::forecast::{multiscale_forecast, FlowMapStepper, Stepper};
//! let (coarse, fine) = (FlowMapStepper::harmonic(0.01, 16), FlowMapStepper::harmonic(0.01, 1));
//! let x0 = ndarray::array![[0.0, 1.0], [1.0, 0.0]];
//! let pred = multiscale_forecast(&[&fine as &dyn Stepper, &coarse], x0.view(), 100)?;
//! assert_eq!(pred.shape(), &[2, 100, 2]); // [n_traj, n_steps, dim]
//! let (x, y) = (pred[[0, 99, 0]], pred[[0, 99, 1]]); // step 100: x = sin(1.0), y = cos(1.0)
//! assert!((x - 1f64.sin()).abs() < 1e-5 && (y - 1f64.cos()).abs() < 1e-5);
//! # Ok(())
//! # }
//! ```

use candle_core::{DType, Tensor};
use ndarray::{Array3, ArrayView2};

use super::interp::interpolate_to_steps;
use super::metrics::states_tensor;
use super::stepper::{check_states, repeat_rows, Stepper};
use crate::{Error, Result};

/// Forecast `n_steps` steps of `dt` from `x0` (`[n_traj, dim]`) with the multiscale coupling of
/// `steppers` (any order, distinct step sizes; one stepper gives the uni-scale forecast).
///
/// Returns `[n_traj, n_steps, dim]`, index i = step i + 1 (the steppers compute in `f32` on
/// their device; the result is widened to `f64` like every forecast of [`crate::forecast`]).
pub fn multiscale_forecast(
    steppers: &[&dyn Stepper],
    x0: ArrayView2<f64>,
    n_steps: usize,
) -> Result<Array3<f64>> {
    let dim = check_steppers(steppers)?;
    let x0 = states_tensor(x0, &steppers[0].device())?;
    let n_traj = check_states("initial states x0", &x0, dim)?;
    let (positions, values) = multiscale_points(steppers, &x0, n_steps)?;
    let values: Vec<f32> = values.flatten_all()?.to_vec1()?;
    let positions: Vec<f64> = positions.iter().map(|&p| p as f64).collect();
    let out = interpolate_to_steps(&positions, &values, n_traj, dim, n_steps)?;
    let out: Vec<f64> = out.into_iter().map(f64::from).collect();
    Array3::from_shape_vec((n_traj, n_steps, dim), out).map_err(|e| {
        Error::shape(
            "forecast",
            format!("[{n_traj}, {n_steps}, {dim}]"),
            e.to_string(),
        )
    })
}

/// The points the multiscale coupling computes before interpolation: their steps (in storage
/// order, not sorted; step 0 is x0) and their states `[positions.len() * n_traj, dim]`
/// (row `j * n_traj + i` is trajectory i at `positions[j]`).
pub fn multiscale_points(
    steppers: &[&dyn Stepper],
    x0: &Tensor,
    n_steps: usize,
) -> Result<(Vec<usize>, Tensor)> {
    let dim = check_steppers(steppers)?;
    let n_traj = check_states("initial states x0", x0, dim)?;
    if n_steps == 0 {
        return Err(Error::invalid("n_steps", "must be at least 1"));
    }
    let mut order: Vec<&dyn Stepper> = steppers.to_vec();
    order.sort_by_key(|s| std::cmp::Reverse(s.step_size()));
    let end = (n_steps / order[0].step_size() + 1) * order[0].step_size();

    let mut positions = vec![0usize];
    let mut values = x0.to_dtype(DType::F32)?.contiguous()?;
    for stepper in &order {
        let s = stepper.step_size();
        let counts = step_counts(&positions, s, end, n_steps);
        let max_count = counts.iter().copied().max().unwrap_or(0);
        if max_count == 0 {
            continue;
        }
        // Starts still stepping after `done` sub-steps, as indices into `positions`; each run of
        // sub-steps with an unchanged set of starts is one `step_repeated` call.
        let mut active: Vec<usize> = (0..positions.len()).filter(|&j| counts[j] >= 1).collect();
        let mut x = if active.len() == positions.len() {
            values.clone()
        } else {
            select_points(&values, &active, n_traj)?
        };
        let mut parts = vec![values];
        let mut new_positions = Vec::new();
        let mut done = 0;
        while done < max_count {
            let keep: Vec<usize> = (0..active.len())
                .filter(|&a| counts[active[a]] > done)
                .collect();
            if keep.len() < active.len() {
                x = select_points(&x, &keep, n_traj)?;
                active = keep.iter().map(|&a| active[a]).collect();
            }
            let run = active.iter().map(|&j| counts[j]).min().unwrap_or(0) - done;
            let states = repeat_rows(*stepper, &x, run)?; // [run, rows, dim]
            for k in done + 1..=done + run {
                new_positions.extend(active.iter().map(|&j| positions[j] + k * s));
            }
            x = states.get(run - 1)?;
            parts.push(states.flatten_to(1)?);
            done += run;
        }
        positions.extend(new_positions);
        values = Tensor::cat(&parts, 0)?;
    }

    // Tail: the finest stepper continues from the last point up to the horizon.
    let fine = order[order.len() - 1];
    let (last_j, &last) = positions
        .iter()
        .enumerate()
        .max_by_key(|(_, &p)| p)
        .expect("x0 is a point");
    if last < n_steps {
        let x = values.narrow(0, last_j * n_traj, n_traj)?;
        let s = fine.step_size();
        let run = (n_steps - last).div_ceil(s);
        let tail = repeat_rows(fine, &x, run)?.flatten_to(1)?;
        positions.extend((1..=run).map(|k| last + k * s));
        values = Tensor::cat(&[values, tail], 0)?;
    }
    Ok((positions, values))
}

/// How many steps of size `s` each point takes: while before the next computed point (or
/// `end`), and not beyond its first step at or past `n_steps`.
fn step_counts(positions: &[usize], s: usize, end: usize, n_steps: usize) -> Vec<usize> {
    let mut sorted = positions.to_vec();
    sorted.sort_unstable();
    positions
        .iter()
        .map(|&p| {
            if p >= n_steps {
                return 0;
            }
            let r = sorted.partition_point(|&q| q <= p);
            let next = if r < sorted.len() { sorted[r] } else { end };
            ((next - p - 1) / s).min((n_steps - p).div_ceil(s))
        })
        .collect()
}

/// Rows of the points `which` (each `n_traj` consecutive rows) of a point-major batch.
fn select_points(x: &Tensor, which: &[usize], n_traj: usize) -> Result<Tensor> {
    let rows: Vec<u32> = which
        .iter()
        .flat_map(|&j| (j * n_traj..(j + 1) * n_traj).map(|r| r as u32))
        .collect();
    let rows = Tensor::from_vec(rows, which.len() * n_traj, x.device())?;
    Ok(x.index_select(&rows, 0)?)
}

/// Non-empty, one dimension, distinct positive step sizes; returns the dimension.
pub(crate) fn check_steppers(steppers: &[&dyn Stepper]) -> Result<usize> {
    let first = steppers
        .first()
        .ok_or_else(|| Error::invalid("steppers", "need at least one stepper"))?;
    let dim = first.dim();
    let mut sizes = Vec::with_capacity(steppers.len());
    for s in steppers {
        if s.dim() != dim {
            return Err(Error::shape(
                "stepper dimensions",
                format!("all {dim}"),
                s.dim().to_string(),
            ));
        }
        if s.step_size() == 0 {
            return Err(Error::invalid(
                "step size",
                "every stepper must step at least 1 dt",
            ));
        }
        sizes.push(s.step_size());
    }
    sizes.sort_unstable();
    if let Some(w) = sizes.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::invalid(
            "steppers",
            format!(
                "two steppers with step size {}; keep one per step size",
                w[0]
            ),
        ));
    }
    Ok(dim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_counts_match_the_original_schedule() {
        // Original: level 0 takes floor(n / s0) steps; then floor((s_prev - 1) / s) per start.
        let n = 100;
        let (s0, s1) = (16, 4);
        let end = (n / s0 + 1) * s0;
        let level0 = step_counts(&[0], s0, end, n);
        assert_eq!(level0, vec![n / s0]);
        let coarse: Vec<usize> = (0..=n / s0).map(|k| k * s0).collect();
        let counts = step_counts(&coarse, s1, end, n);
        // every start takes (16 - 1) / 4 = 3 steps, except that the last one (96) stops at its
        // first point past the horizon (100).
        assert_eq!(&counts[..coarse.len() - 1], &vec![3; coarse.len() - 1][..]);
        assert_eq!(counts[coarse.len() - 1], 1);
    }

    #[test]
    fn non_nested_counts_stop_before_the_next_point() {
        // Coarse points 0, 3, 6, 9 (s0 = 3, n = 10, end = 12); s = 2 steps once from each.
        assert_eq!(step_counts(&[0, 3, 6, 9], 2, 12, 10), vec![1, 1, 1, 1]);
        // s = 1 from 0, 3, 2, 5: fills 1 and 4, nothing after 2; the last start 5 runs to 10.
        assert_eq!(step_counts(&[0, 3, 2, 5], 1, 12, 10), vec![1, 1, 0, 5]);
    }
}
