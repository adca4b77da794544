//! What a training run is told ([`TrainConfig`]: epochs, minibatch, loss, learning rate, seed)
//! and what it tells back ([`Progress`] at each validation check, [`TrainReport`] at the end).
//! The training loop itself is in [`super::train`].

use serde::{Deserialize, Serialize};

use super::loss::Loss;
use crate::{Error, Result};

/// Training settings (the paper's by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredTrainConfig")]
pub struct TrainConfig {
    /// Maximum number of epochs (one minibatch each).
    pub epochs: usize,
    /// Minibatch size (the whole training set when larger).
    pub batch_size: usize,
    /// Recurrent prediction steps in the loss.
    pub n_forward: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// The loss trained on and validated with (see [`super::loss`]), the paper's
    /// [`Loss::mse`] by default; files record its identity (`"paper"`, `"paper(w=<w>)"` or
    /// `"custom:<name>"`), and older files without it read as the paper loss.
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
            loss: Loss::mse(),
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
        self.loss.check_trainable()
    }

    /// The sampler seed of the stepper with this step size.
    pub fn sampler_seed(&self, step_size: usize) -> u64 {
        self.seed.wrapping_add(step_size as u64)
    }
}

/// [`TrainConfig`] as files hold it. Files written before the paper loss carried its weight
/// keep the weight as `loss_weight` beside `"loss": "paper"` (or without `loss`): they read as
/// `Loss::paper(loss_weight)`, the same loss they trained with.
#[derive(Deserialize)]
struct StoredTrainConfig {
    epochs: usize,
    batch_size: usize,
    n_forward: usize,
    lr: f64,
    #[serde(default)]
    loss_weight: Option<f64>,
    #[serde(default)]
    loss: Option<Loss>,
    eval_every: usize,
    target_loss: f64,
    seed: u64,
}

impl TryFrom<StoredTrainConfig> for TrainConfig {
    type Error = String;

    fn try_from(f: StoredTrainConfig) -> std::result::Result<Self, String> {
        let loss = match (f.loss, f.loss_weight) {
            (None, None) => Loss::mse(),
            (None, Some(w)) => Loss::paper(w),
            (Some(loss), None) => loss,
            (Some(loss), Some(w)) => match loss.paper_weight() {
                Some(1.0) => Loss::paper(w),
                Some(own) if own == w => loss,
                Some(own) => {
                    return Err(format!(
                        "loss {:?} has weight {own} but loss_weight says {w}: one of them is \
                         wrong",
                        loss.id()
                    ))
                }
                None if w == 1.0 => loss,
                None => {
                    return Err(format!(
                        "loss_weight {w} is the paper loss's weight, but the loss is {:?}",
                        loss.id()
                    ))
                }
            },
        };
        Ok(TrainConfig {
            epochs: f.epochs,
            batch_size: f.batch_size,
            n_forward: f.n_forward,
            lr: f.lr,
            loss,
            eval_every: f.eval_every,
            target_loss: f.target_loss,
            seed: f.seed,
        })
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
