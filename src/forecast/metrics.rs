//! Forecast errors, and conversions between data arrays and stepper tensors.
//!
//! For a prediction and a truth of shape `[n_traj, n_steps, dim]`:
//!
//! mse_per_step[t] = 1 / (n_traj dim) sum_{i, d} (pred[i, t, d] - truth[i, t, d])^2,
//! mse = mean over t of mse_per_step = the mean over the whole tensor (the paper's "MSE").
//!
//! Sums are taken in `f64`. A truth with NaN or infinity, or with no trajectories or steps, is
//! an error, since no number computed from it means anything.
//!
//! **Diverged forecasts.** A stepper that blows up gives `inf` or `NaN` in its prediction, and
//! then in its error. That is a result, not a number: a [`Score`] says either the MSE (a finite
//! number) or the step at which the forecast diverged ([`diverged_at`]: the first step t, time
//! t dt, at which the running sum of the per-step errors stops being finite; every later step
//! counts as diverged too). Tables and CSV files print the score, never `NaN` or `inf`
//! ([`Score::describe`]).
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::forecast::{mse, mse_per_step};
//! use ndarray::Array3;
//! let truth = Array3::<f64>::zeros((2, 3, 1));
//! let mut pred = truth.clone();
//! pred[[0, 2, 0]] = 2.0; // one error of 2 at the last step
//! assert_eq!(mse_per_step(pred.view(), truth.view())?, vec![0.0, 0.0, 2.0]);
//! assert_eq!(mse(pred.view(), truth.view())?, 4.0 / 6.0);
//! # Ok(())
//! # }
//! ```

use candle_core::{DType, Device, Tensor};
use ndarray::{Array3, ArrayView2, ArrayView3, Axis};

use crate::{Error, Result};

fn check_same(pred: &ArrayView3<f64>, truth: &ArrayView3<f64>) -> Result<()> {
    if pred.shape() != truth.shape() {
        return Err(Error::shape(
            "prediction vs truth",
            format!("{:?}", truth.shape()),
            format!("{:?}", pred.shape()),
        ));
    }
    let (n_traj, n_steps, dim) = truth.dim();
    if n_traj == 0 || n_steps == 0 || dim == 0 {
        return Err(Error::invalid(
            "truth",
            format!(
                "an error over an empty set means nothing: shape {:?}",
                truth.shape()
            ),
        ));
    }
    crate::data::check_finite(truth.view(), "truth of the forecast error")
}

/// Mean squared error at every step, averaged over trajectories and components.
pub fn mse_per_step(pred: ArrayView3<f64>, truth: ArrayView3<f64>) -> Result<Vec<f64>> {
    check_same(&pred, &truth)?;
    let (n_traj, n_steps, dim) = pred.dim();
    let mut sums = vec![0.0; n_steps];
    for (p, t) in pred.axis_iter(Axis(0)).zip(truth.axis_iter(Axis(0))) {
        for (k, (pr, tr)) in p.axis_iter(Axis(0)).zip(t.axis_iter(Axis(0))).enumerate() {
            sums[k] += pr
                .iter()
                .zip(tr.iter())
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>();
        }
    }
    let denom = (n_traj * dim) as f64;
    Ok(sums.into_iter().map(|s| s / denom).collect())
}

/// Mean squared error over the whole tensor.
pub fn mse(pred: ArrayView3<f64>, truth: ArrayView3<f64>) -> Result<f64> {
    let per_step = mse_per_step(pred, truth)?;
    if per_step.is_empty() {
        return Err(Error::invalid("prediction", "has no steps"));
    }
    Ok(per_step.iter().sum::<f64>() / per_step.len() as f64)
}

/// The first step (1-based: the time index t of t dt, as in the data sets) at which the running
/// sum of `per_step` (the per-step MSEs, index i = step i + 1) stops being finite; `None` while
/// the whole forecast has a finite error.
///
/// ```
/// use hits::forecast::diverged_at;
/// assert_eq!(diverged_at(&[1.0, 2.0, f64::INFINITY, f64::NAN]), Some(3));
/// assert_eq!(diverged_at(&[1.0, f64::MAX, f64::MAX]), Some(3)); // the sum overflows there
/// assert_eq!(diverged_at(&[1.0, 2.0]), None);
/// ```
pub fn diverged_at(per_step: &[f64]) -> Option<usize> {
    let mut sum = 0.0f64;
    for (i, v) in per_step.iter().enumerate() {
        sum += v;
        if !sum.is_finite() {
            return Some(i + 1);
        }
    }
    None
}

/// A forecast's error: the MSE, or where the forecast diverged (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// The MSE over the whole forecast (`inf` or `NaN` when diverged: never print it as is).
    pub mse: f64,
    /// The first step whose running error is not finite ([`diverged_at`]), when known.
    pub diverged_at: Option<usize>,
}

impl Score {
    /// The score of a forecast from its per-step MSEs: their mean (summed in order, as [`mse`])
    /// and [`diverged_at`].
    pub fn of(per_step: &[f64]) -> Score {
        Score {
            mse: per_step.iter().sum::<f64>() / per_step.len().max(1) as f64,
            diverged_at: diverged_at(per_step),
        }
    }

    /// A score known only as one number (no per-step errors): non-finite means diverged, at a
    /// step not known.
    pub fn value(mse: f64) -> Score {
        Score {
            mse,
            diverged_at: None,
        }
    }

    /// Whether the forecast diverged (a step is known, or the MSE is not a finite number).
    pub fn is_diverged(&self) -> bool {
        self.diverged_at.is_some() || !self.mse.is_finite()
    }

    /// The MSE when it is a finite number.
    pub fn finite(&self) -> Option<f64> {
        (!self.is_diverged()).then_some(self.mse)
    }

    /// The MSE formatted by `fmt`, or `diverged at step N` (`diverged` when the step is not
    /// known): what a table cell shows.
    ///
    /// ```
    /// use hits::forecast::Score;
    /// let sci = |v: f64| format!("{v:.2e}");
    /// assert_eq!(Score::of(&[1e-3, 3e-3]).describe(sci), "2.00e-3");
    /// assert_eq!(Score::of(&[1e-3, f64::NAN]).describe(sci), "diverged at step 2");
    /// assert_eq!(Score::value(f64::INFINITY).describe(sci), "diverged");
    /// ```
    pub fn describe(&self, fmt: impl Fn(f64) -> String) -> String {
        match (self.finite(), self.diverged_at) {
            (Some(v), _) => fmt(v),
            (None, Some(step)) => format!("diverged at step {step}"),
            (None, None) => "diverged".into(),
        }
    }

    /// The CSV cells `mse,diverged_at`: the MSE at full precision and an empty cell, or an
    /// empty cell and the step (`?` when not known).
    pub fn csv_cells(&self) -> (String, String) {
        match (self.finite(), self.diverged_at) {
            (Some(v), _) => (format!("{v:e}"), String::new()),
            (None, Some(step)) => (String::new(), step.to_string()),
            (None, None) => (String::new(), "?".into()),
        }
    }
}

/// Copy a rank-3 tensor (any float dtype, any device) into an `f64` array.
pub fn to_array3(t: &Tensor) -> Result<Array3<f64>> {
    let (a, b, c) = t.dims3()?;
    let v: Vec<f64> = t.to_dtype(DType::F64)?.flatten_all()?.to_vec1()?;
    Array3::from_shape_vec((a, b, c), v)
        .map_err(|e| Error::shape("tensor to array", format!("[{a}, {b}, {c}]"), e.to_string()))
}

/// Initial states `[n, dim]` from an `f64` array, as the `f32` tensor the steppers take.
pub fn states_tensor(x: ArrayView2<f64>, device: &Device) -> Result<Tensor> {
    let (n, dim) = x.dim();
    let v: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    Ok(Tensor::from_vec(v, (n, dim), device)?)
}
