//! Forecast errors, and conversions between data arrays and stepper tensors.
//!
//! For a prediction and a truth of shape `[n_traj, n_steps, dim]`:
//!
//! mse_per_step[t] = 1 / (n_traj dim) sum_{i, d} (pred[i, t, d] - truth[i, t, d])^2,
//! mse = mean over t of mse_per_step = the mean over the whole tensor (the paper's "MSE").
//!
//! Sums are taken in `f64`. A diverged forecast gives `inf` or `NaN`, which is reported as is
//! (it is a result: the stepper blew up); a truth with NaN or infinity, or with no trajectories
//! or steps, is an error, since no number computed from it means anything.
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
