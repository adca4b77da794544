//! What a training run is told ([`TrainConfig`]: epochs, minibatch, loss, learning rate, seed)
//! and what it tells back ([`Progress`] at each validation check, [`TrainReport`] at the end).
//! The training loop itself is in [`super::train`].

use serde::{Deserialize, Serialize};

use super::loss::Loss;
use crate::{Error, Result};

/// Training settings (the paper's by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Maximum number of epochs (one minibatch each).
    pub epochs: usize,
    /// Minibatch size (the whole training set when larger).
    pub batch_size: usize,
    /// Recurrent prediction steps in the loss.
    pub n_forward: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Weight `w` of the mean in the paper loss `w * mean + (1 - w) * max` (1 for a custom
    /// loss).
    pub loss_weight: f64,
    /// The loss trained on and validated with (see [`super::loss`]); files record its
    /// identity (`"paper"` or `"custom:<name>"`), and older files without it read as the
    /// paper loss.
    #[serde(default)]
    pub loss: Loss,
    /// Epochs between validation checks.
    pub eval_every: usize,
    /// Stop once the best validation loss is at most this.
    pub target_loss: f64,
    /// Seed of the minibatch sampler (each stepper uses `seed + step_size`).
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 100_000,
            batch_size: 320,
            n_forward: 5,
            lr: 1e-3,
            loss_weight: 1.0,
            loss: Loss::paper(),
            eval_every: 1000,
            target_loss: 1e-8,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// Check the settings.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(Error::invalid(
                "epochs",
                "must be at least 1 (a run of 0 epochs trains nothing and saves nothing)",
            ));
        }
        if self.batch_size == 0 || self.n_forward == 0 || self.eval_every == 0 {
            return Err(Error::invalid(
                "train config",
                "batch_size, n_forward and eval_every must be at least 1",
            ));
        }
        if self.target_loss.is_nan() {
            return Err(Error::invalid("target_loss", "must be a number, got NaN"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::invalid(
                "train config",
                format!("need lr > 0; got {}", self.lr),
            ));
        }
        self.loss.check_trainable(self.loss_weight)
    }

    /// Which loss these settings train with, as one label: `"paper (w = 1)"` or
    /// `"custom:<name>"`. Two configs train with the same loss exactly when their labels are
    /// equal (e.g. to refuse resuming a run with another loss).
    pub fn loss_identity(&self) -> String {
        if self.loss.is_paper() {
            format!("paper (w = {})", self.loss_weight)
        } else {
            self.loss.id()
        }
    }

    /// The sampler seed of the stepper with this step size.
    pub fn sampler_seed(&self, step_size: usize) -> u64 {
        self.seed.wrapping_add(step_size as u64)
    }
}

/// One progress report, at each validation check.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub step_size: usize,
    pub epoch: usize,
    pub max_epochs: usize,
    pub train_loss: f64,
    pub val_loss: f64,
    pub best_val_loss: f64,
    /// Epochs per second of the whole trainer since the last report.
    pub epochs_per_second: f64,
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "step {:>4}  epoch {:>6}/{}  train {:.3e}  val {:.3e}  best {:.3e}  {:.0} epochs/s",
            self.step_size,
            self.epoch,
            self.max_epochs,
            self.train_loss,
            self.val_loss,
            self.best_val_loss,
            self.epochs_per_second
        )
    }
}

/// What a training run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub step_size: usize,
    /// Epochs (Adam steps) taken.
    pub epochs: usize,
    /// Best validation loss (infinite if never evaluated).
    pub best_val_loss: f64,
    /// `(epoch, train loss, validation loss)` at each check.
    pub history: Vec<(usize, f64, f64)>,
    /// True when the target loss was reached before the epoch limit.
    pub stopped_early: bool,
    /// Wall time of the trainer that ran it.
    pub seconds: f64,
}
