//! The state file of one stepper, `<stem>.state.safetensors`: its layout, reading it, and
//! repairing the model files from it.
//!
//! Tensors `current.*` (weights now, or when training stopped), `best.*` (best-validation
//! weights), `adam_m.*`, `adam_v.*` (Adam's moments, `[out, in]` per stepper) and, in the
//! safetensors `__metadata__` under the key `hits.state`, the counters ([`StateJson`]): epoch,
//! Adam's step count, done / stopped early and the stepper's [`StepperMeta`]. States of older
//! versions kept the counters in a `.state.json` beside the tensors; they are still read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::adam::AdamConfig;
use super::checkpoint::{
    layers_from, load_json, load_tensors, parse_json, with_suffix, StepperMeta, FORMAT,
};
use super::resnet::ResNetStepper;
use crate::{Error, Result};

/// Format tag of the counters inside a state file.
pub const STATE_FORMAT: &str = "hits.train_state.v2";

/// Key of the counters inside a state file's `__metadata__`.
pub(crate) const STATE_KEY: &str = "hits.state";

/// The counters of a state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StateJson {
    /// [`STATE_FORMAT`]; empty in the `.state.json` files of older versions.
    #[serde(default)]
    pub format: String,
    pub meta: StepperMeta,
    pub trainer_epoch: usize,
    pub adam: AdamConfig,
    pub adam_t: u64,
    pub done: bool,
    pub stopped_early: bool,
}

/// A state file as read from disk.
pub(crate) struct SavedState {
    pub path: PathBuf,
    pub json: StateJson,
    pub tensors: HashMap<String, Tensor>,
}

impl SavedState {
    /// The epoch this stepper would train on from.
    pub fn epoch(&self) -> usize {
        if self.json.done {
            self.json.meta.epochs
        } else {
            self.json.trainer_epoch
        }
    }

    /// A short description: "interrupted at epoch 250 of 1000", "finished at epoch 1000".
    pub fn describe(&self) -> String {
        let cap = self.json.meta.train_config.as_ref().map(|c| c.epochs);
        match (self.json.done, self.json.stopped_early, cap) {
            (true, true, _) => format!("finished at epoch {} (target loss reached)", self.epoch()),
            (true, false, _) => format!("finished at epoch {}", self.epoch()),
            (false, _, Some(cap)) => format!("interrupted at epoch {} of {cap}", self.epoch()),
            (false, _, None) => format!("interrupted at epoch {}", self.epoch()),
        }
    }
}

/// `<stem>.state.safetensors`.
pub fn state_path(stem: &Path) -> PathBuf {
    with_suffix(stem, ".state.safetensors")
}

/// `<stem>.state.json`: the counters of older versions, now inside the state file.
pub fn legacy_state_json(stem: &Path) -> PathBuf {
    with_suffix(stem, ".state.json")
}

/// The training state at `stem`, if there is one.
pub(crate) fn read_state(stem: &Path, device: &Device) -> Result<Option<SavedState>> {
    let path = state_path(stem);
    if !path.exists() {
        return Ok(None);
    }
    let (tensors, inner) = load_tensors(&path, STATE_KEY, device)?;
    let json: StateJson = match inner {
        Some(text) => parse_json(&path, &text)?,
        None => {
            let legacy = legacy_state_json(stem);
            if !legacy.exists() {
                return Err(Error::Checkpoint {
                    path,
                    msg: "training state without its counters (neither inside nor a .state.json \
                          beside it); delete it or pass --overwrite"
                        .into(),
                });
            }
            load_json(&legacy)?
        }
    };
    if !json.format.is_empty() && json.format != STATE_FORMAT || json.meta.format != FORMAT {
        return Err(Error::Checkpoint {
            path,
            msg: format!(
                "unknown format tags '{}' / '{}' (this hits reads '{STATE_FORMAT}' / '{FORMAT}')",
                json.format, json.meta.format
            ),
        });
    }
    Ok(Some(SavedState {
        path,
        json,
        tensors,
    }))
}

/// Make the model files at `stem` the ones the state there describes, when they are not (a save
/// cut between the state and the model files, or model files removed); returns whether it
/// wrote them. Nothing is written for a stepper never validated.
pub(crate) fn repair_model_files(stem: &Path, device: &Device) -> Result<bool> {
    let Some(st) = read_state(stem, device)? else {
        return Ok(false);
    };
    let meta = &st.json.meta;
    if meta.best_val_loss.is_none() {
        return Ok(false);
    }
    if let Ok((_, on_disk)) = ResNetStepper::load_with_meta(stem, device) {
        if on_disk == *meta {
            return Ok(false);
        }
    }
    let best = layers_from(&st.tensors, "best.", meta.arch.len() - 1, &st.path)?;
    ResNetStepper::from_layers(best, meta.step_size, meta.dt)?.save(stem, meta)?;
    Ok(true)
}
