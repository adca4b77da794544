//! Teacher-forced training of the recurrent baselines (LSTM, CW-RNN) by truncated
//! backpropagation through time with Adam.
//!
//! One epoch is one Adam step (PyTorch's update, [`crate::stepper::Adam`]) on a minibatch of
//! `batch` windows of the normalised sequence `X [n_frames, dim]`: window `b` starts at a random
//! frame `s_b` (distinct starts, [`crate::stepper::MinibatchSampler`] seeded with `seed`),
//! begins from the zero state and is unrolled over `seq_len` steps on the true frames,
//!
//! ```text
//! loss = mean_{b, k < seq_len, j} (x̂_{s_b + k + 1, j} - X_{s_b + k + 1, j})^2,
//! ```
//!
//! so gradients flow back at most `seq_len` steps. The time index `t = s_b + k` of each step is
//! the absolute frame number, which the CW-RNN uses for its clocks (generation starts at t = 0).
//! The loss recorded every `eval_every` epochs (and after the last) is the mean minibatch loss
//! since the previous record: there is no separate validation sequence in this experiment.
//! Training runs on the device given (f32); the trained weights stay there.

use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::stepper::{Adam, AdamConfig, MinibatchSampler};
use crate::{Error, Result};

/// Training settings shared by the LSTM and the CW-RNN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineTrainConfig {
    /// Adam steps (one minibatch each).
    pub epochs: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Truncated-BPTT window: steps unrolled per window.
    pub seq_len: usize,
    /// Windows per minibatch (at most the number of distinct starts).
    pub batch: usize,
    /// Seed of the initial weights and of the window starts.
    pub seed: u64,
    /// Epochs between two loss records (and progress calls).
    pub eval_every: usize,
}

impl BaselineTrainConfig {
    /// The paper's budget (10 000 epochs, lr 1e-3); the window (64 steps) and batch (16) are our
    /// choice, the paper does not give them.
    pub fn paper() -> Self {
        BaselineTrainConfig {
            epochs: 10_000,
            lr: 1e-3,
            seq_len: 64,
            batch: 16,
            seed: 0,
            eval_every: 100,
        }
    }

    /// A short run for tests and quick mode: 300 epochs, windows of 32, batch 8.
    pub fn quick() -> Self {
        BaselineTrainConfig {
            epochs: 300,
            lr: 1e-3,
            seq_len: 32,
            batch: 8,
            seed: 0,
            eval_every: 10,
        }
    }

    /// Check the settings against a sequence of `n_frames` frames.
    pub fn validate(&self, n_frames: usize) -> Result<()> {
        if self.seq_len == 0 || self.seq_len >= n_frames {
            return Err(Error::invalid(
                "seq_len",
                format!(
                    "must be in 1..{n_frames} (frames - 1) for a sequence of {n_frames} frames, got {}",
                    self.seq_len
                ),
            ));
        }
        if self.batch == 0 || self.eval_every == 0 {
            return Err(Error::invalid(
                "batch / eval_every",
                format!(
                    "must be at least 1, got {} / {}",
                    self.batch, self.eval_every
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

/// What training did: the recorded losses and the wall time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainHistory {
    /// Epoch of each record.
    pub epochs: Vec<usize>,
    /// Mean minibatch loss since the previous record.
    pub loss: Vec<f64>,
    /// Wall time of the training loop, seconds.
    pub seconds: f64,
}

/// A recurrent model unrolled with teacher forcing over windows (implemented by the trainable
/// baselines on their parameter `Var`s).
pub(crate) trait Unroll {
    /// Predictions `[B, T, dim]` of frames `t + 1` from inputs `xs [B, T, dim]`, window `b`
    /// starting at absolute frame `starts[b]` from the zero state.
    fn unroll(&self, xs: &Tensor, starts: &[usize]) -> candle_core::Result<Tensor>;
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

/// Run `train.epochs` Adam steps of the teacher-forced loss of `model` on `seq`, updating `vars`.
pub(crate) fn train_loop(
    model: &dyn Unroll,
    vars: &[Var],
    seq: ArrayView2<f64>,
    train: &BaselineTrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<TrainHistory> {
    check_sequence(seq)?;
    train.validate(seq.nrows())?;
    let (n, dim) = seq.dim();
    let (t_len, n_starts) = (train.seq_len, n - train.seq_len);
    let data = sequence_tensor(seq, device)?;
    let sampler = MinibatchSampler { seed: train.seed };
    let mut adam = Adam::new(
        vars,
        AdamConfig {
            lr: train.lr,
            ..AdamConfig::default()
        },
    )?;
    let mut history = TrainHistory::default();
    let (mut sum, mut count) = (0.0, 0usize);
    let start = Instant::now();
    for epoch in 1..=train.epochs {
        let starts = sampler.indices(epoch, n_starts, train.batch);
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
        let value = f64::from(loss.to_dtype(DType::F32)?.to_scalar::<f32>()?);
        if !value.is_finite() {
            return Err(Error::invalid(
                "training",
                format!("loss became {value} at epoch {epoch}; try a smaller lr"),
            ));
        }
        sum += value;
        count += 1;
        if epoch % train.eval_every == 0 || epoch == train.epochs {
            let mean = sum / count as f64;
            history.epochs.push(epoch);
            history.loss.push(mean);
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
