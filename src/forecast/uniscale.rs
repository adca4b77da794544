//! Uni-scale forecast: one stepper rolled forward, then linear interpolation to every step.
//!
//! With step size s, the stepper gives x(s), x(2 s), ..., up to the first multiple of s that is
//! at least `n_steps`; together with x0 at step 0 these are interpolated linearly to the steps
//! 1..=`n_steps` (output index i = step i + 1, time (i + 1) dt).
//!
//! **Fix of the original's off-by-one.** The original `uni_scale_forecast` labels the k-th
//! prediction with step k s - 1 (right: output index k s - 1 is time k s dt) but also labels x0
//! with 0, i.e. as if x0 were at time dt. For s = 1 two points then share the label 0 and the
//! first output is NaN; for s > 1 the first s - 1 outputs are interpolated from a misplaced x0.
//! Here x0 sits at step 0 (time 0), so for s = 1 the forecast is exactly the plain rollout
//! x(1), ..., x(n) and for s > 1 the early steps interpolate between x0 and x(s).
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use candle_core::{Device, Tensor};
//! use hits::forecast::{rollout, to_array3, uni_scale_forecast, FlowMapStepper};
//! let flow = FlowMapStepper::harmonic(0.01, 1);
//! let x0 = ndarray::array![[0.5, -0.5]];
//! let pred = uni_scale_forecast(&flow, x0.view(), 50)?; // [1, 50, 2], no NaN
//! // the tensor layer below it: the plain rollout, x0 first
//! let plain = to_array3(&rollout(&flow, &Tensor::new(&[[0.5f32, -0.5]], &Device::Cpu)?, 50)?)?;
//! assert_eq!(pred, plain.slice(ndarray::s![.., 1.., ..]));
//! # Ok(())
//! # }
//! ```

use candle_core::{DType, Tensor};
use ndarray::{Array3, ArrayView2};

use super::multiscale::multiscale_forecast;
use super::stepper::{check_states, repeat_rows, Stepper};
use crate::{Error, Result};

/// Forecast `n_steps` steps of `dt` from `x0` (`[n_traj, dim]`) with one stepper, linearly
/// interpolated between its points.
///
/// Returns `[n_traj, n_steps, dim]`, index i = step i + 1.
pub fn uni_scale_forecast(
    stepper: &dyn Stepper,
    x0: ArrayView2<f64>,
    n_steps: usize,
) -> Result<Array3<f64>> {
    multiscale_forecast(&[stepper], x0, n_steps)
}

/// The plain rollout x0, F(x0), F(F(x0)), ... with `n_calls` applications of the stepper:
/// `[n_traj, n_calls + 1, dim]` (entry k is at step k * step_size).
pub fn rollout(stepper: &dyn Stepper, x0: &Tensor, n_calls: usize) -> Result<Tensor> {
    let n_traj = check_states("initial states x0", x0, stepper.dim())?;
    if n_traj == 0 {
        return Err(Error::invalid("x0", "needs at least one trajectory"));
    }
    let x0 = x0.to_dtype(DType::F32)?.contiguous()?;
    let states = repeat_rows(stepper, &x0, n_calls)?; // [n_calls, n_traj, dim]
    let all = Tensor::cat(&[x0.unsqueeze(0)?, states], 0)?;
    Ok(all.transpose(0, 1)?.contiguous()?)
}
