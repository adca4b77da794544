//! Training windows for a stepper of step size `s` (in units of dt).
//!
//! From trajectories `X` (`[n_traj, n_points, dim]`) the original `DataSet` class takes the
//! first point of every trajectory as input and the next `n_forward` points `s` apart as the
//! targets of the recurrent predictions:
//!
//! ```text
//! x  = X[:, 0]                                   [n_traj, dim]
//! ys = X[:, s : n_forward*s + 1 : s]             [n_traj, n_forward, dim]
//! ```
//!
//! This needs `n_points > n_forward * s`.

use crate::{Error, Result};
use ndarray::{s, Array2, Array3, ArrayView3};

/// Inputs and recurrent targets for training a stepper.
#[derive(Debug, Clone, PartialEq)]
pub struct Windows {
    /// Start states `X[:, 0]`, `[n_traj, dim]`.
    pub x: Array2<f64>,
    /// Targets `X[:, k s]`, `k = 1 ..= n_forward`, `[n_traj, n_forward, dim]`.
    pub ys: Array3<f64>,
}

/// Cut the training windows of step size `step` with `n_forward` targets out of `traj`.
///
/// Errors when `step` or `n_forward` is 0, or when the trajectories are too short
/// (`n_points <= n_forward * step`).
pub fn training_windows(traj: ArrayView3<f64>, step: usize, n_forward: usize) -> Result<Windows> {
    if step == 0 {
        return Err(Error::invalid(
            "step",
            "the step size must be at least 1 (in units of dt)",
        ));
    }
    if n_forward == 0 {
        return Err(Error::invalid(
            "n_forward",
            "at least one target per window is needed",
        ));
    }
    let n_points = traj.shape()[1];
    let span = n_forward.checked_mul(step).ok_or_else(|| {
        Error::invalid(
            "step",
            format!("n_forward * step overflows ({n_forward} * {step})"),
        )
    })?;
    if n_points <= span {
        return Err(Error::shape(
            format!("trajectories for step {step} with n_forward {n_forward}"),
            format!("more than n_forward * step = {span} points"),
            format!("{n_points} points (shape {:?})", traj.shape()),
        ));
    }
    Ok(Windows {
        x: traj.slice(s![.., 0, ..]).to_owned(),
        ys: traj
            .slice(s![.., step..=span; step as isize, ..])
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// X[i, k, d] = 100 i + 10 k + d, so every value says where it came from.
    fn labelled(n: usize, t: usize, dim: usize) -> Array3<f64> {
        Array3::from_shape_fn((n, t, dim), |(i, k, d)| (100 * i + 10 * k + d) as f64)
    }

    #[test]
    fn windows_pick_every_step_th_point() {
        let x = labelled(2, 8, 2);
        let w = training_windows(x.view(), 3, 2).unwrap();
        assert_eq!(w.x, ndarray::array![[0.0, 1.0], [100.0, 101.0]]);
        assert_eq!(w.ys.shape(), &[2, 2, 2]);
        assert_eq!(w.ys[[1, 0, 1]], 100.0 + 30.0 + 1.0);
        assert_eq!(w.ys[[0, 1, 0]], 60.0);
    }

    #[test]
    fn longest_window_that_fits() {
        // n_points = n_forward * step + 1 is the shortest allowed.
        let x = labelled(1, 7, 1);
        let w = training_windows(x.view(), 3, 2).unwrap();
        assert_eq!(w.ys.iter().copied().collect::<Vec<_>>(), vec![30.0, 60.0]);
        let w = training_windows(x.view(), 2, 3).unwrap();
        assert_eq!(w.ys.shape(), &[1, 3, 1]);
    }

    #[test]
    fn too_short_trajectories_are_an_error() {
        let x = labelled(1, 6, 1);
        let err = training_windows(x.view(), 3, 2).unwrap_err().to_string();
        assert!(err.contains("6 points") && err.contains("= 6"), "{err}");
        let err = training_windows(x.view(), 0, 2).unwrap_err().to_string();
        assert!(err.contains("step"), "{err}");
        let err = training_windows(x.view(), 1, 0).unwrap_err().to_string();
        assert!(err.contains("n_forward"), "{err}");
    }
}
