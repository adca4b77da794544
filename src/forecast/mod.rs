//! Forecasting with time-steppers: uni-scale rollouts, the multiscale coupling, model selection,
//! the hybrid NN + RK4 stepper and error metrics (Section 3 and Tables 5 and 9 of the paper).
//!
//! Everything runs over the [`Stepper`] trait (advance a `[batch, dim]` `f32` tensor by
//! `step_size * dt`), implemented by the neural [`crate::stepper::ResNetStepper`], by exact
//! linear flow maps ([`FlowMapStepper`]) and by RK4 of a [`crate::System`] ([`Rk4Stepper`]).
//!
//! Forecasts start from x0 at step 0 and return `[n_traj, n_steps, dim]` for the steps
//! 1..=`n_steps` (index i = time (i + 1) dt), the layout of `test[:, 1:, :]` in the data sets.
//!
//! | file | what |
//! |---|---|
//! | [`stepper`] | the [`Stepper`] trait, exact flow maps, RK4 of a system |
//! | [`fast`] | [`CpuResNet`]: the ResNet stepper's forward fused on the CPU (one gemm per layer) |
//! | [`interp`] | linear interpolation of sparse points to every step |
//! | [`uniscale`] | one stepper rolled out ([`uni_scale_forecast`], [`rollout`]) |
//! | [`multiscale`] | the vectorized multiscale coupling ([`multiscale_forecast`]) |
//! | [`selection`] | cross-validated choice of the steppers to couple ([`select_models`]) |
//! | [`hybrid`] | coarse NN stepper + RK4 in every interval ([`hybrid_forecast`], [`rk4_forecast`]) |
//! | [`metrics`] | [`mse_per_step`], [`mse`], [`Score`] (a number, or where the forecast diverged), array/tensor conversions |
//! | [`results`] | [`ResultSet`]: a forecast's files written as one (the old set or the whole new one) |
//! | [`set`] | [`StepperSet`]: the one choice of the fused CPU forward |
//! | [`report`] | Table 5/9 evaluation of a hierarchy with the paper's numbers beside ([`evaluate`]) |
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::forecast::{multiscale_forecast, FlowMapStepper, Stepper};
//! // Exact flow maps of x' = y, y' = -x at 1, 4 and 16 dt: the coupling is exact at computed points.
//! let maps: Vec<FlowMapStepper> = [1, 4, 16].iter().map(|&s| FlowMapStepper::harmonic(0.01, s)).collect();
//! let refs: Vec<&dyn Stepper> = maps.iter().map(|m| m as &dyn Stepper).collect();
//! let x0 = ndarray::array![[0.0, 2.0]];
//! let pred = multiscale_forecast(&refs, x0.view(), 300)?; // [n_traj, n_steps, dim]
//! let x = pred[[0, 299, 0]]; // t = 3: x = 2 sin 3
//! assert!((x - 2.0 * 3f64.sin()).abs() < 1e-5);
//! # Ok(())
//! # }
//! ```

pub mod controlled;
pub mod ensemble;
pub mod fast;
pub mod hybrid;
pub mod interp;
mod matvec;
pub mod metrics;
pub mod multiscale;
mod panel;
pub mod report;
pub mod results;
pub mod selection;
pub mod set;
mod stage;
pub mod stepper;
pub mod uniscale;

pub use controlled::{error_controlled_forecast, ControlledForecast};
pub use ensemble::{calibration, step_path_ensemble, EnsembleForecast};
pub use fast::CpuResNet;
pub use hybrid::{hybrid_forecast, rk4_forecast};
pub use interp::interpolate_to_steps;
pub use metrics::{diverged_at, mse, mse_per_step, states_tensor, to_array3, Score};
pub use multiscale::{multiscale_forecast, multiscale_points};
pub use report::{
    csv_table, evaluate, markdown_table, EvalOptions, EvalTarget, Evaluation, ForecastRow,
    Reference,
};
pub use results::ResultSet;
pub use selection::{select_models, select_range, Candidate, Selection};
pub use set::StepperSet;
pub use stepper::{FlowMapStepper, Rk4Stepper, Stepper, MAX_ROWS_PER_CALL};
pub use uniscale::{rollout, uni_scale_forecast};
