//! The bookkeeping of one stepper inside a [`super::Trainer`]: its windows, minibatch sampler,
//! best and last weights, Adam's moments, phases and loss history. The trainer, the minibatch
//! pools and the resume code read and write it.

use candle_core::Tensor;

use super::meta::TrainPhase;
use super::sampler::MinibatchSampler;
use super::windows::StepperData;

/// Per-stepper bookkeeping of a [`super::Trainer`].
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub step_size: usize,
    pub dt: f64,
    pub data: StepperData,
    /// `data.train.ys[:, t, :]` for each step `t`, contiguous `[n, dim]`.
    pub train_steps: Vec<Tensor>,
    pub sampler: MinibatchSampler,
    pub best_val: f64,
    pub best: Vec<(Tensor, Tensor)>,
    /// The weights at the moment training of this stepper stopped.
    pub last: Option<Vec<(Tensor, Tensor)>>,
    /// Adam's moments `(m, v)` at that moment, so that a finished run can be continued.
    pub last_moments: Option<Moments>,
    /// The settings of each phase of training (see [`super::meta`]).
    pub phases: Vec<TrainPhase>,
    pub history: Vec<(usize, f64, f64)>,
    pub epochs: usize,
    pub done: bool,
    pub stopped_early: bool,
}

/// Adam's first and second moments of one stepper, per layer `(weight, bias)`.
pub(crate) type Moments = (Vec<(Tensor, Tensor)>, Vec<(Tensor, Tensor)>);
