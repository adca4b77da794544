//! The training state of whole-sequence baseline training (LSTM, CW-RNN), so that hours of it
//! survive an interruption: one file, `<stem>.state.safetensors`, written atomically.
//!
//! Tensors `current.{i}` (the weights after the epoch's Adam step), `adam_m.{i}`, `adam_v.{i}`
//! (Adam's moments) and `kept.{i}` (the weights kept so far, when any), `i` in parameter order;
//! in the safetensors `__metadata__` under [`STATE_KEY`] the counters ([`StateJson`]): the
//! epochs done, Adam's step count, the history of looks (with the training seconds so far), and
//! what the state belongs to: the model ([`super::train::Unroll::identity`]), the training
//! settings except the epoch cap, and a SHA-256 of the training sequence.
//!
//! Training continues from a state only when all three match, and then exactly: the loop of
//! Whole-sequence training ([`super::train`]) has no randomness after the initial weights, so a run interrupted and
//! continued any number of times ends with the same weights and history as one uninterrupted
//! run (tested in `tests/baselines_resume.rs`). The epoch cap may be raised: a state of a
//! 1000-epoch run continues to 10 000 as if the run had been started with 10 000.
//!
//! When it is written: after every look at the loss (`eval_every`), and after any epoch that ends
//! at least [`SAVE_EVERY`] after the previous save, except the final epoch of a cap that is no
//! multiple of `eval_every` (whose extra look a longer run would not make).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use candle_core::{Tensor, Var};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::config::{BaselineTrainConfig, TrainHistory};
use crate::stepper::checkpoint::{load_tensors, parse_json, save_tensors};
use crate::stepper::{Adam, AdamConfig};
use crate::{Error, Result};

/// Format tag of a baseline training state.
pub const BASELINE_STATE_FORMAT: &str = "hits.baseline_state.v1";

/// Key of the counters inside the state file's `__metadata__`.
pub const STATE_KEY: &str = "hits.baseline_state";

/// Longest stretch of training between two saves of the state (besides every look at the loss).
pub const SAVE_EVERY: Duration = Duration::from_secs(300);

/// The counters of a state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StateJson {
    format: String,
    /// The model, e.g. `LSTM dim 512 hidden 740`.
    model: String,
    /// The training settings (JSON of [`BaselineTrainConfig`]) with the epoch cap set to 0.
    settings: String,
    /// SHA-256 of the training sequence (its f32 values, little-endian) and its shape.
    data: String,
    /// Epochs done (the last one's Adam step included).
    epoch: usize,
    adam: AdamConfig,
    adam_t: u64,
    /// The looks so far; `seconds` is the training time so far.
    history: TrainHistory,
    /// Whether `kept.*` tensors are stored.
    kept: bool,
}

/// Where training continues from: the epochs done, the history and the kept weights (the
/// current weights and Adam's state are put back into the `Var`s and the optimiser).
pub(crate) struct Resumed {
    pub epoch: usize,
    pub history: TrainHistory,
    pub kept: Option<Vec<Tensor>>,
}

/// The state file of one training run.
pub(crate) struct StateFile {
    path: PathBuf,
    model: String,
    settings: String,
    data: String,
}

impl StateFile {
    /// The state at `path` of training `model` (its identity) on `seq` with `train`.
    pub fn new(
        path: &Path,
        model: String,
        train: &BaselineTrainConfig,
        seq: ArrayView2<f64>,
    ) -> Result<Self> {
        let settings = serde_json::to_string(&BaselineTrainConfig {
            epochs: 0,
            ..train.clone()
        })?;
        Ok(StateFile {
            path: path.to_path_buf(),
            model,
            settings,
            data: sequence_digest(seq),
        })
    }

    /// Write the state after `epoch` epochs.
    pub fn save(
        &self,
        epoch: usize,
        vars: &[Var],
        adam: &Adam,
        history: &TrainHistory,
        kept: Option<&[Tensor]>,
    ) -> Result<()> {
        let mut tensors = HashMap::new();
        for (i, v) in vars.iter().enumerate() {
            tensors.insert(format!("current.{i}"), v.as_tensor().detach());
            tensors.insert(format!("adam_m.{i}"), adam.m[i].clone());
            tensors.insert(format!("adam_v.{i}"), adam.v[i].clone());
        }
        for (i, k) in kept.unwrap_or_default().iter().enumerate() {
            tensors.insert(format!("kept.{i}"), k.clone());
        }
        let json = StateJson {
            format: BASELINE_STATE_FORMAT.into(),
            model: self.model.clone(),
            settings: self.settings.clone(),
            data: self.data.clone(),
            epoch,
            adam: adam.config,
            adam_t: adam.t,
            history: history.clone(),
            kept: kept.is_some(),
        };
        save_tensors(
            &self.path,
            &tensors,
            STATE_KEY,
            &serde_json::to_string(&json)?,
        )
    }

    /// Put the stored state back into `vars` and `adam`, when there is a state file; an error
    /// naming the file when it belongs to another model, other settings or other data, or cannot
    /// be continued to `cap` epochs.
    pub fn load(&self, vars: &[Var], adam: &mut Adam, cap: usize) -> Result<Option<Resumed>> {
        if !self.path.exists() {
            return Ok(None);
        }
        let device = vars
            .first()
            .map(|v| v.as_tensor().device().clone())
            .unwrap_or(candle_core::Device::Cpu);
        let (tensors, inner) = load_tensors(&self.path, STATE_KEY, &device)?;
        let bad = |msg: String| Error::Checkpoint {
            path: self.path.clone(),
            msg,
        };
        let text = inner.ok_or_else(|| bad("no training counters inside".into()))?;
        let json: StateJson = parse_json(&self.path, &text)?;
        if json.format != BASELINE_STATE_FORMAT {
            return Err(bad(format!(
                "format '{}', this hits reads '{BASELINE_STATE_FORMAT}'",
                json.format
            )));
        }
        let delete = "delete it to train from scratch";
        for (what, saved, now) in [
            ("a model", &json.model, &self.model),
            ("settings", &json.settings, &self.settings),
            ("a sequence", &json.data, &self.data),
        ] {
            if saved != now {
                return Err(bad(format!(
                    "the training state of {what} other than this run's (saved: {saved}; \
                     now: {now}); {delete}"
                )));
            }
        }
        let looked_at_cap = json.history.epochs.last() == Some(&cap);
        if json.epoch > cap || (json.epoch == cap && !looked_at_cap) {
            return Err(bad(format!(
                "training state at epoch {}, at or beyond the {cap} epochs asked for; ask for \
                 more epochs to continue it, or {delete}",
                json.epoch
            )));
        }
        let take = |name: String, like: &Tensor| -> Result<Tensor> {
            let t = tensors
                .get(&name)
                .ok_or_else(|| bad(format!("tensor {name} missing")))?;
            if t.dims() != like.dims() || t.dtype() != like.dtype() {
                return Err(bad(format!(
                    "tensor {name} is {:?} {:?}, the model's is {:?} {:?}",
                    t.dims(),
                    t.dtype(),
                    like.dims(),
                    like.dtype()
                )));
            }
            Ok(t.clone())
        };
        let mut kept = json.kept.then(Vec::new);
        for (i, v) in vars.iter().enumerate() {
            v.set(&take(format!("current.{i}"), v.as_tensor())?)?;
            adam.m[i] = take(format!("adam_m.{i}"), v.as_tensor())?;
            adam.v[i] = take(format!("adam_v.{i}"), v.as_tensor())?;
            if let Some(k) = kept.as_mut() {
                k.push(take(format!("kept.{i}"), v.as_tensor())?);
            }
        }
        adam.config = json.adam;
        adam.t = json.adam_t;
        Ok(Some(Resumed {
            epoch: json.epoch,
            history: json.history,
            kept,
        }))
    }
}

/// Epochs done in the baseline training state at `path`, when there is one (for a progress
/// line before training continues).
pub fn saved_epoch(path: &Path) -> Result<Option<usize>> {
    if !path.exists() {
        return Ok(None);
    }
    let (_, inner) = load_tensors(path, STATE_KEY, &candle_core::Device::Cpu)?;
    let text = inner.ok_or_else(|| Error::Checkpoint {
        path: path.to_path_buf(),
        msg: "no training counters inside".into(),
    })?;
    let json: StateJson = parse_json(path, &text)?;
    Ok(Some(json.epoch))
}

/// SHA-256 of `seq`'s values as f32 (what training sees), with its shape.
fn sequence_digest(seq: ArrayView2<f64>) -> String {
    let mut h = Sha256::new();
    for v in seq.iter() {
        h.update((*v as f32).to_le_bytes());
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("{:?} sha256 {hex}", seq.dim())
}
