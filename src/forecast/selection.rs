//! Model selection for the multiscale coupling (cross-validation on the validation set).
//!
//! With the steppers sorted by step size ascending, `models[a..b]` is a candidate coupling. The
//! original loop, reproduced exactly:
//!
//! 1. best = 1e5, end = n; for i in 0..n: if MSE(models[0..n-i]) <= best, then end = n - i and
//!    best = that MSE (drop the largest steppers while not worse);
//! 2. start = 0; for i in 0..end: if MSE(models[i..end]) <= best, then start = i and best = it
//!    (then drop the smallest likewise);
//! 3. keep models[start..end].
//!
//! `<=` means a tie keeps the smaller set. A `NaN` MSE never wins. Each range is evaluated once
//! (the forecast is deterministic; the first candidate of step 2 repeats the winner of step 1).
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::forecast::select_range;
//! // Constructed errors: dropping the 2 largest of 5 helps, then dropping the smallest helps.
//! let err = |r: std::ops::Range<usize>| Ok(((r.end as f64) - 3.0).abs() + if r.start == 1 { 0.0 } else { 0.5 });
//! let sel = select_range(5, err)?;
//! assert_eq!(sel.range, 1..3);
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::ops::Range;

use ndarray::{ArrayView3, Axis};

use super::metrics::mse;
use super::multiscale::multiscale_forecast;
use super::stepper::Stepper;
use crate::{Error, Result};

/// One candidate range of steppers and its validation MSE.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Indices into the steppers sorted by step size ascending.
    pub range: Range<usize>,
    /// Validation MSE of the multiscale forecast with these steppers.
    pub mse: f64,
}

/// The outcome of [`select_models`].
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// The chosen steppers: indices into the step-size-ascending list.
    pub range: Range<usize>,
    /// Its validation MSE.
    pub mse: f64,
    /// Every candidate in the order the loop visits them.
    pub candidates: Vec<Candidate>,
}

/// Run the original selection loop over `n_models` steppers with `eval(range)` giving the
/// validation MSE of the coupling of `models[range]`.
pub fn select_range(
    n_models: usize,
    mut eval: impl FnMut(Range<usize>) -> Result<f64>,
) -> Result<Selection> {
    if n_models == 0 {
        return Err(Error::invalid(
            "steppers",
            "need at least one stepper to select from",
        ));
    }
    let mut cache: HashMap<(usize, usize), f64> = HashMap::new();
    let mut candidates = Vec::new();
    let mut score = |range: Range<usize>, candidates: &mut Vec<Candidate>| -> Result<f64> {
        let key = (range.start, range.end);
        let value = match cache.get(&key) {
            Some(&v) => v,
            None => {
                let v = eval(range.clone())?;
                cache.insert(key, v);
                v
            }
        };
        candidates.push(Candidate { range, mse: value });
        Ok(value)
    };
    let mut best = 1e5;
    let mut end = n_models;
    for i in 0..n_models {
        let value = score(0..n_models - i, &mut candidates)?;
        if value <= best {
            end = n_models - i;
            best = value;
        }
    }
    let mut start = 0;
    for i in 0..end {
        let value = score(i..end, &mut candidates)?;
        if value <= best {
            start = i;
            best = value;
        }
    }
    Ok(Selection {
        range: start..end,
        mse: best,
        candidates,
    })
}

/// Select the steppers (sorted by step size ascending) on a validation set `val`
/// (`[n_traj, n_steps + 1, dim]`, x0 = `val[:, 0]`): each candidate is the multiscale forecast of
/// `val[:, 1..]` from `val[:, 0]`, scored by its MSE.
pub fn select_models(steppers: &[&dyn Stepper], val: ArrayView3<f64>) -> Result<Selection> {
    if steppers
        .windows(2)
        .any(|w| w[0].step_size() >= w[1].step_size())
    {
        let sizes: Vec<usize> = steppers.iter().map(|s| s.step_size()).collect();
        return Err(Error::invalid(
            "steppers",
            format!("must be sorted by step size ascending, got {sizes:?}"),
        ));
    }
    let (_, n_points, _) = val.dim();
    if n_points < 2 {
        return Err(Error::shape(
            "validation set",
            "[n_traj, n_steps + 1 >= 2, dim]",
            format!("{:?}", val.shape()),
        ));
    }
    let x0 = val.index_axis(Axis(1), 0);
    let truth = val.slice(ndarray::s![.., 1.., ..]);
    select_range(steppers.len(), |range| {
        let pred = multiscale_forecast(&steppers[range], x0, n_points - 1)?;
        mse(pred.view(), truth)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_original_loop() -> Result<()> {
        // MSE by range for 4 models: the loop visits 0..4, 0..3, 0..2, 0..1, then i..end.
        let table = |r: Range<usize>| -> f64 {
            match (r.start, r.end) {
                (0, 4) => 1.0,
                (0, 3) => 0.5,
                (0, 2) => 0.5, // a tie keeps the smaller set
                (0, 1) => 0.7,
                (1, 2) => 0.4,
                _ => f64::NAN,
            }
        };
        let mut calls = 0;
        let sel = select_range(4, |r| {
            calls += 1;
            Ok(table(r))
        })?;
        assert_eq!(sel.range, 1..2);
        assert_eq!(sel.mse, 0.4);
        let visited: Vec<Range<usize>> = sel.candidates.iter().map(|c| c.range.clone()).collect();
        assert_eq!(visited, vec![0..4, 0..3, 0..2, 0..1, 0..2, 1..2]);
        assert_eq!(calls, 5, "0..2 is evaluated once");
        Ok(())
    }
}
