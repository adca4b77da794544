//! Teacher-forced training of the recurrent baselines (LSTM, CW-RNN) with Adam, two ways
//! ([`BaselineWindows`]).
//!
//! **The whole sequence** (the original's, the Table 1 default): every epoch is ONE Adam step
//! (PyTorch's update, [`crate::stepper::Adam`]) on the teacher-forced one-step-ahead error over
//! every frame of the normalised sequence `X [n_frames, dim]`, from the zero state at `t = 0`,
//!
//! ```text
//! loss = mean_{t < n_frames - 1, j} (x̂_{t+1, j} - X_{t+1, j})^2     (model(X[:-1]) against X[1:])
//! ```
//!
//! with the gradient back-propagated through all `n_frames - 1` steps (hand-written, see
//! [`super::bptt`]). As in the original, the loss is looked at every `eval_every` epochs (1000):
//! when it is the lowest so far those weights are kept, and training stops once the kept loss is
//! at most `target_loss` (1e-8). The last epoch is looked at too, so a run of any length keeps
//! something; the model returned has the kept weights. (The original compares the loss computed
//! before an epoch's step and saves the weights after it; here the weights kept are the ones that
//! loss was computed with.) See [`super::whole`].
//!
//! **Truncated windows** (an option): one Adam step per epoch on a minibatch of `batch` windows:
//! window `b` starts at a random frame `s_b` (distinct starts, [`crate::stepper::MinibatchSampler`]
//! seeded with `seed`), begins from the zero state and is unrolled over `seq_len` steps on the
//! true frames,
//!
//! ```text
//! loss = mean_{b, k < seq_len, j} (x̂_{s_b + k + 1, j} - X_{s_b + k + 1, j})^2,
//! ```
//!
//! so gradients flow back at most `seq_len` steps (candle's autograd). The time index
//! `t = s_b + k` of each step is the absolute frame number, which the CW-RNN uses for its clocks
//! (generation starts at t = 0). The loss recorded every `eval_every` epochs (and after the last)
//! is the mean minibatch loss since the previous record, and the final weights are returned.
//!
//! Training runs on the device given (f32); the trained weights stay there.

use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::stepper::{Adam, AdamConfig, MinibatchSampler};
use crate::{Error, Result};

/// What one epoch of baseline training sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BaselineWindows {
    /// The whole sequence at once, every frame in the loss (the original's training).
    WholeSequence,
    /// `batch` random windows of `seq_len` steps (truncated back-propagation through time).
    Truncated { seq_len: usize, batch: usize },
}

/// Training settings shared by the LSTM and the CW-RNN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineTrainConfig {
    /// Adam steps (one per epoch).
    pub epochs: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// The whole sequence per epoch, or truncated windows.
    pub windows: BaselineWindows,
    /// Seed of the initial weights (and of the window starts).
    pub seed: u64,
    /// Epochs between two looks at the loss (record, progress call, best weights kept).
    pub eval_every: usize,
    /// Stop once the kept loss is at most this (whole-sequence training).
    pub target_loss: f64,
    /// Whole-sequence training: where the training state is kept (written at every look at the
    /// loss and at least every [`super::state::SAVE_EVERY`] of training) and, when the file is
    /// there, what training continues from, exactly ([`super::state`]). `None`: nothing is
    /// written. A place, not a setting: it is not serialised.
    #[serde(skip)]
    pub state_file: Option<std::path::PathBuf>,
}

impl BaselineTrainConfig {
    /// The original's: the whole sequence, 10 000 epochs, lr 1e-3, the loss looked at (and the
    /// best weights kept) every 1000 epochs, stop at 1e-8.
    pub fn paper() -> Self {
        BaselineTrainConfig {
            epochs: 10_000,
            lr: 1e-3,
            windows: BaselineWindows::WholeSequence,
            seed: 0,
            eval_every: 1000,
            target_loss: 1e-8,
            state_file: None,
        }
    }

    /// A short run for tests and quick mode: the whole sequence, 300 epochs, looked at every 50.
    pub fn quick() -> Self {
        BaselineTrainConfig {
            epochs: 300,
            eval_every: 50,
            ..Self::paper()
        }
    }

    /// The truncated-window trainer instead: windows of `seq_len` steps, `batch` per epoch.
    pub fn truncated(self, seq_len: usize, batch: usize) -> Self {
        BaselineTrainConfig {
            windows: BaselineWindows::Truncated { seq_len, batch },
            ..self
        }
    }

    /// Check the settings against a sequence of `n_frames` frames.
    pub fn validate(&self, n_frames: usize) -> Result<()> {
        if let BaselineWindows::Truncated { seq_len, batch } = self.windows {
            if seq_len == 0 || seq_len >= n_frames {
                return Err(Error::invalid(
                    "seq_len",
                    format!(
                        "must be in 1..{n_frames} (frames - 1) for a sequence of {n_frames} frames, got {seq_len}"
                    ),
                ));
            }
            if batch == 0 {
                return Err(Error::invalid("batch", "must be at least 1, got 0"));
            }
        }
        if self.eval_every == 0 || self.epochs == 0 {
            return Err(Error::invalid(
                "epochs / eval_every",
                format!(
                    "must be at least 1, got {} / {}",
                    self.epochs, self.eval_every
                ),
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::invalid(
                "lr",
                format!("must be positive, got {}", self.lr),
            ));
        }
        Ok(())
    }
}

impl Default for BaselineTrainConfig {
    fn default() -> Self {
        Self::paper()
    }
}

/// What training did: the recorded losses, the kept weights' loss and the wall time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainHistory {
    /// Epoch of each record.
    pub epochs: Vec<usize>,
    /// Whole sequence: the loss at that epoch (of the weights before its step); truncated
    /// windows: the mean minibatch loss since the previous record.
    pub loss: Vec<f64>,
    /// Wall time of the training loop, seconds.
    pub seconds: f64,
    /// Whole sequence: the epoch whose weights were kept (`None`: the final weights, as the
    /// truncated trainer returns).
    #[serde(default)]
    pub best_epoch: Option<usize>,
    /// The loss of the kept weights (whole sequence), else the last record.
    #[serde(default)]
    pub best_loss: f64,
    /// Training stopped at `target_loss` before the last epoch.
    #[serde(default)]
    pub stopped_early: bool,
}

impl TrainHistory {
    /// The loss of the returned weights in words, e.g. `best loss 1.2e-3 at epoch 9000`.
    pub fn summary(&self) -> String {
        let ran = self.epochs.last().copied().unwrap_or(0);
        match self.best_epoch {
            Some(e) => format!(
                "{ran} epochs{}, kept epoch {e} (loss {:.2e})",
                if self.stopped_early {
                    " (stopped at the target loss)"
                } else {
                    ""
                },
                self.best_loss
            ),
            None => format!("{ran} epochs, final loss {:.2e}", self.best_loss),
        }
    }
}

/// A recurrent baseline as the trainers see it (implemented by the trainable baselines on their
/// parameter `Var`s, in the order of their tensor names).
pub(crate) trait Unroll {
    /// What the model is, e.g. `LSTM dim 512 hidden 740`: a training state is continued only by
    /// the model it was saved from.
    fn identity(&self) -> String;

    /// Predictions `[B, T, dim]` of frames `t + 1` from inputs `xs [B, T, dim]`, window `b`
    /// starting at absolute frame `starts[b]` from the zero state (for candle's autograd).
    fn unroll(&self, xs: &Tensor, starts: &[usize]) -> candle_core::Result<Tensor>;

    /// The teacher-forced one-step MSE of predicting `ys [T, dim]` from `xs [T, dim]` (one
    /// sequence from the zero state at `t = 0`) and its gradient with respect to every parameter,
    /// in parameter order (hand-written back-propagation through time, [`super::bptt`]).
    fn loss_and_grads(
        &self,
        xs: &Tensor,
        ys: &Tensor,
    ) -> candle_core::Result<(Tensor, Vec<Tensor>)>;
}

/// Check a training sequence: 2-D, finite, at least two frames.
pub(crate) fn check_sequence(seq: ArrayView2<f64>) -> Result<()> {
    if seq.nrows() < 2 || seq.ncols() == 0 {
        return Err(Error::shape(
            "sequence",
            "[n_frames >= 2, dim >= 1]",
            format!("{:?}", seq.shape()),
        ));
    }
    if seq.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "sequence",
            "contains NaN or infinite values",
        ));
    }
    Ok(())
}

/// `seq` as an f32 tensor `[n_frames, dim]` on `device`.
pub(crate) fn sequence_tensor(seq: ArrayView2<f64>, device: &Device) -> Result<Tensor> {
    let data: Vec<f32> = seq.iter().map(|&v| v as f32).collect();
    Ok(Tensor::from_vec(data, seq.dim(), device)?)
}

/// A fresh Adam (PyTorch's) with learning rate `lr` for `vars`.
pub(crate) fn adam(vars: &[Var], lr: f64) -> Result<Adam> {
    Adam::new(
        vars,
        AdamConfig {
            lr,
            ..AdamConfig::default()
        },
    )
}

/// A loss as f64, or an error naming the epoch when it is not finite.
pub(crate) fn finite_loss(loss: &Tensor, epoch: usize) -> Result<f64> {
    let value = f64::from(loss.to_dtype(DType::F32)?.to_scalar::<f32>()?);
    if !value.is_finite() {
        return Err(Error::invalid(
            "training",
            format!("loss became {value} at epoch {epoch}; try a smaller lr"),
        ));
    }
    Ok(value)
}

/// Train `model` (whose parameters are `vars`) on `seq` as `train` says; returns the weights to
/// keep (detached copies, in the order of `vars`) and the history.
pub(crate) fn train_loop(
    model: &dyn Unroll,
    vars: &[Var],
    seq: ArrayView2<f64>,
    train: &BaselineTrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<(Vec<Tensor>, TrainHistory)> {
    check_sequence(seq)?;
    train.validate(seq.nrows())?;
    match train.windows {
        BaselineWindows::WholeSequence => {
            super::whole::train_whole(model, vars, seq, train, device, progress)
        }
        BaselineWindows::Truncated { seq_len, batch } => {
            let history =
                train_truncated(model, vars, seq, train, (seq_len, batch), device, progress)?;
            let params = vars.iter().map(|v| v.as_tensor().detach()).collect();
            Ok((params, history))
        }
    }
}

/// Truncated-window training (see the module docs); the weights stay in `vars`.
fn train_truncated(
    model: &dyn Unroll,
    vars: &[Var],
    seq: ArrayView2<f64>,
    train: &BaselineTrainConfig,
    (t_len, batch): (usize, usize),
    device: &Device,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<TrainHistory> {
    let (n, dim) = seq.dim();
    let n_starts = n - t_len;
    let data = sequence_tensor(seq, device)?;
    let sampler = MinibatchSampler { seed: train.seed };
    let mut adam = adam(vars, train.lr)?;
    let mut history = TrainHistory::default();
    let (mut sum, mut count) = (0.0, 0usize);
    let start = Instant::now();
    for epoch in 1..=train.epochs {
        let starts = sampler.indices(epoch, n_starts, batch);
        let b = starts.len();
        let idx: Vec<u32> = starts
            .iter()
            .flat_map(|&s| (s..=s + t_len).map(|i| i as u32))
            .collect();
        let idx = Tensor::from_vec(idx, b * (t_len + 1), device)?;
        let windows = data.index_select(&idx, 0)?.reshape((b, t_len + 1, dim))?;
        let xs = windows.narrow(1, 0, t_len)?;
        let ys = windows.narrow(1, 1, t_len)?;
        let pred = model.unroll(&xs, &starts)?;
        let loss = (pred - ys)?.sqr()?.mean_all()?;
        let grads = loss.backward()?;
        adam.step(vars, &grads)?;
        sum += finite_loss(&loss, epoch)?;
        count += 1;
        if epoch % train.eval_every == 0 || epoch == train.epochs {
            let mean = sum / count as f64;
            history.epochs.push(epoch);
            history.loss.push(mean);
            history.best_loss = mean;
            progress(epoch, mean);
            (sum, count) = (0.0, 0);
        }
    }
    history.seconds = start.elapsed().as_secs_f64();
    Ok(history)
}

/// PyTorch's default initialisation of recurrent and linear layers, `U(-1/sqrt(fan), 1/sqrt(fan))`,
/// drawn from numpy's stream ([`crate::rng::RandomState`]) as f32, `shape` row-major.
pub(crate) fn uniform_tensor(
    rng: &mut crate::rng::RandomState,
    fan: usize,
    shape: &[usize],
    device: &Device,
) -> Result<Tensor> {
    let bound = 1.0 / (fan.max(1) as f64).sqrt();
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.uniform(-bound, bound) as f32).collect();
    Ok(Tensor::from_vec(v, shape, device)?)
}

/// `t` as an `[rows, cols]` f64 array.
pub(crate) fn to_array2(t: &Tensor) -> Result<ndarray::Array2<f64>> {
    let (r, c) = t.dims2()?;
    let v: Vec<f32> = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
    ndarray::Array2::from_shape_vec((r, c), v.into_iter().map(f64::from).collect())
        .map_err(|e| Error::shape("tensor", format!("[{r}, {c}]"), e.to_string()))
}
