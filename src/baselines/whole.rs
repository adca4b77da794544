//! Whole-sequence training of the recurrent baselines, as the original's `seq_generations.ipynb`
//! trains its LSTM and CW-RNN:
//!
//! ```text
//! for epoch in 1..=epochs:
//!     if best <= target_loss: stop
//!     loss, grads = teacher-forced MSE of model(X[:-1]) against X[1:], and its gradient
//!     if epoch % eval_every == 0 (or the last epoch):
//!         record loss; if loss < best: best = loss, keep the current weights
//!     one Adam step
//! ```
//!
//! One forward and one backward pass over all `n_frames - 1` steps per epoch: the gradients
//! come from [`super::bptt`] (candle's autograd would hold a graph 4000 steps deep for KS and
//! materialise one `[h, 4h]` weight gradient per step). See [`super::train`] for the settings.
//!
//! With [`BaselineTrainConfig::state_file`] the loop keeps its state on disk and continues from
//! it exactly ([`super::state`]).

use std::time::{Duration, Instant};

use candle_core::{Device, Tensor, Var};
use ndarray::{s, ArrayView2};

use super::state::{StateFile, SAVE_EVERY};
use super::train::{adam, finite_loss, sequence_tensor, BaselineTrainConfig, TrainHistory, Unroll};
use crate::Result;

/// Train `model` (parameters `vars`) on the whole sequence `seq [n_frames, dim]`; returns the
/// kept weights (copies, in the order of `vars`) and the history. `seq` and `train` are checked
/// by the caller ([`super::train::train_loop`]).
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
