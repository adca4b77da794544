//! Training data of a stepper: windows of trajectories as f32 tensors.
//!
//! From trajectories `X: [n, points, dim]` sampled every `dt`, the stepper of step size `s`
//! learns from starts `x = X[:, 0]` and targets `ys = X[:, s, 2s, ..., n_forward * s]`
//! (the original `DataSet`).

use candle_core::{Device, Tensor};
use ndarray::{ArrayView2, ArrayView3};

use crate::{Error, Result};

/// Training windows as f32 tensors: starts `x: [n, dim]`, targets `ys: [n, n_forward, dim]`.
#[derive(Debug, Clone)]
pub struct TrainWindows {
    pub x: Tensor,
    pub ys: Tensor,
}

impl TrainWindows {
    /// From f64 arrays (e.g. `hits::data::Windows`), converted to f32 on `device`: converted
    /// on the host and uploaded once, before training (the trainer then gathers its
    /// minibatches on the device, [`super::minibatch`]).
    pub fn from_arrays(x: ArrayView2<f64>, ys: ArrayView3<f64>, device: &Device) -> Result<Self> {
        let (n, d) = x.dim();
        let (n2, nf, d2) = ys.dim();
        if n2 != n || d2 != d || n == 0 {
            return Err(Error::shape(
                "training windows ys",
                format!("[{n}, n_forward, {d}] with n > 0"),
                format!("[{n2}, {nf}, {d2}]"),
            ));
        }
        let xs: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let yv: Vec<f32> = ys.iter().map(|&v| v as f32).collect();
        Ok(TrainWindows {
            x: Tensor::from_vec(xs, (n, d), device)?,
            ys: Tensor::from_vec(yv, (n, nf, d), device)?,
        })
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.x.dims()[0]
    }

    /// True when there are no windows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Training and validation windows of one stepper.
#[derive(Debug, Clone)]
pub struct StepperData {
    pub train: TrainWindows,
    pub val: TrainWindows,
}

/// The targets of each prediction step, `ys[:, t, :]` contiguous.
pub(crate) fn target_steps(ys: &Tensor) -> Result<Vec<Tensor>> {
    let nf = ys.dims()[1];
    Ok((0..nf)
        .map(|t| ys.narrow(1, t, 1)?.squeeze(1)?.contiguous())
        .collect::<candle_core::Result<Vec<_>>>()?)
}

/// Windows `x = X[:, 0]`, `ys = X[:, s, 2s, ..., n_forward * s]` of trajectories `X: [n, points, dim]`
/// ([`crate::data::training_windows`]) as f32 tensors on `device`.
pub fn windows_of(
    traj: ArrayView3<f64>,
    step: usize,
    n_forward: usize,
    device: &Device,
) -> Result<TrainWindows> {
    let w = crate::data::training_windows(traj, step, n_forward)?;
    TrainWindows::from_arrays(w.x.view(), w.ys.view(), device)
}
