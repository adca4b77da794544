//! The settings of baseline training ([`BaselineTrainConfig`], [`BaselineWindows`]) and what it
//! reports ([`TrainHistory`]); the training loops are [`super::train`], their saved state
//! [`super::state`].

use serde::{Deserialize, Serialize};

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
