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
//! loss was computed with.) See `train_whole` below.
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

use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor, Var};
use ndarray::{s, ArrayView2};

use super::config::{BaselineTrainConfig, BaselineWindows, TrainHistory};
use super::state::{StateFile, SAVE_EVERY};

use crate::stepper::{Adam, AdamConfig, MinibatchSampler};
use crate::{Error, Result};

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
        BaselineWindows::WholeSequence => train_whole(model, vars, seq, train, device, progress),
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

/// Train `model` (parameters `vars`) on the whole sequence `seq [n_frames, dim]`; returns the
/// kept weights (copies, in the order of `vars`) and the history. `seq` and `train` are checked
/// by the caller ([`train_loop`]).
///
/// Whole-sequence training of the recurrent baselines, as the original's `seq_generations.ipynb`
/// trains its LSTM and CW-RNN:
///
/// ```text
/// for epoch in 1..=epochs:
///     if best <= target_loss: stop
///     loss, grads = teacher-forced MSE of model(X[:-1]) against X[1:], and its gradient
///     if epoch % eval_every == 0 (or the last epoch):
///         record loss; if loss < best: best = loss, keep the current weights
///     one Adam step
/// ```
///
/// One forward and one backward pass over all `n_frames - 1` steps per epoch: the gradients
/// come from [`super::bptt`] (candle's autograd would hold a graph 4000 steps deep for KS and
/// materialise one `[h, 4h]` weight gradient per step). See the module docs for the settings.
///
/// With [`BaselineTrainConfig::state_file`] the loop keeps its state on disk and continues from
/// it exactly ([`super::state`]).
pub(crate) fn train_whole(
    model: &dyn Unroll,
    vars: &[Var],
    seq: ArrayView2<f64>,
    train: &BaselineTrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<(Vec<Tensor>, TrainHistory)> {
    let n = seq.nrows();
    let xs = sequence_tensor(seq.slice(s![..n - 1, ..]), device)?;
    let ys = sequence_tensor(seq.slice(s![1.., ..]), device)?;
    let mut adam = adam(vars, train.lr)?;
    let mut history = TrainHistory {
        best_loss: f64::INFINITY,
        ..TrainHistory::default()
    };
    let mut kept: Option<Vec<Tensor>> = None;
    let state = match &train.state_file {
        Some(path) => Some(StateFile::new(path, model.identity(), train, seq)?),
        None => None,
    };
    let mut first = 1;
    if let Some(resumed) = state
        .as_ref()
        .map(|st| st.load(vars, &mut adam, train.epochs))
        .transpose()?
        .flatten()
    {
        first = resumed.epoch + 1;
        history = resumed.history;
        kept = resumed.kept;
    }
    let before = Duration::from_secs_f64(history.seconds);
    let start = Instant::now();
    let mut saved = Instant::now();
    for epoch in first..=train.epochs {
        if history.best_loss <= train.target_loss {
            history.stopped_early = true;
            break;
        }
        let (loss, grads) = model.loss_and_grads(&xs, &ys)?;
        let value = finite_loss(&loss, epoch)?;
        if epoch % train.eval_every == 0 || epoch == train.epochs {
            history.epochs.push(epoch);
            history.loss.push(value);
            if value < history.best_loss {
                history.best_loss = value;
                history.best_epoch = Some(epoch);
                // A copy (Adam writes the new weights into the same storage), untracked.
                kept = Some(
                    vars.iter()
                        .map(|v| v.as_tensor().detach().copy())
                        .collect::<candle_core::Result<_>>()?,
                );
            }
            progress(epoch, value);
        }
        let grads: Vec<Option<Tensor>> = grads.into_iter().map(Some).collect();
        adam.step_with(vars, &grads)?;
        if let Some(st) = &state {
            let look = epoch % train.eval_every == 0;
            if look || (epoch < train.epochs && saved.elapsed() >= SAVE_EVERY) {
                history.seconds = (before + start.elapsed()).as_secs_f64();
                st.save(epoch, vars, &adam, &history, kept.as_deref())?;
                saved = Instant::now();
                if !look {
                    progress(epoch, value);
                }
            }
        }
    }
    history.seconds = (before + start.elapsed()).as_secs_f64();
    // The last epoch is always looked at, so `kept` is set unless training never ran.
    let kept = match kept {
        Some(k) => k,
        None => vars.iter().map(|v| v.as_tensor().detach()).collect(),
    };
    Ok((kept, history))
}
