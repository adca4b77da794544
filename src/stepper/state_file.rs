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

/// `<dir>/.hits-next.<stem>.state.safetensors`: the new state of a stepper of a group save,
/// before it is put in place (see [`crate::stepper::Trainer::save_state`]).
pub fn pending_state_path(stem: &Path) -> PathBuf {
    prefixed(stem, ".hits-next.", ".state.safetensors")
}

/// `<dir>/.hits-commit.<first stem>.json`: the note that every new state of a group save is
/// written, naming their stems.
pub fn commit_note_path(first_stem: &Path) -> PathBuf {
    prefixed(first_stem, ".hits-commit.", ".json")
}

fn prefixed(stem: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let mut name = std::ffi::OsString::from(prefix);
    name.push(stem.file_name().unwrap_or_default());
    name.push(suffix);
    stem.with_file_name(name)
}

/// Finish or undo the group saves a kill cut short in `dir` (call it holding the folder's
/// lock, before reading any state): where a commit note exists every new state it names is
/// put in place; new states without a note were never committed and are removed. Returns
/// the states put in place.
pub fn complete_group_saves(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let (mut notes, mut pending) = (Vec::new(), Vec::new());
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if name.starts_with(".hits-commit.") && name.ends_with(".json") {
            notes.push(entry.path());
        } else if name.starts_with(".hits-next.") && name.ends_with(".state.safetensors") {
            pending.push(entry.path());
        }
    }
    let mut done = Vec::new();
    for note in notes {
        let text = crate::io::read_data_text(&note)?;
        let names: Vec<String> = serde_json::from_str(&text)
            .map_err(|e| Error::bad_file(&note, format!("not a commit note: {e}")))?;
        for (i, name) in names.iter().enumerate() {
            let stem = crate::io::inside(dir, name, &format!("[{i}]"), &note)?;
            let from = pending_state_path(&stem);
            if from.exists() {
                let to = state_path(&stem);
                std::fs::rename(&from, &to).map_err(|e| Error::io(&from, e))?;
                done.push(to);
            }
        }
        std::fs::remove_file(&note).map_err(|e| Error::io(&note, e))?;
    }
    for p in pending {
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
    }
    crate::io::sync_dir(dir);
    Ok(done)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_noted_group_save_is_completed_an_unnoted_one_dropped() {
        let dir = std::env::temp_dir().join(format!("hits-group-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("model_D1_noise0.0"), dir.join("model_D2_noise0.0"));
        // a kill after the note and the first rename: b's new state still pending
        std::fs::write(state_path(&a), b"new a").unwrap();
        std::fs::write(state_path(&b), b"old b").unwrap();
        std::fs::write(pending_state_path(&b), b"new b").unwrap();
        std::fs::write(
            commit_note_path(&a),
            br#"["model_D1_noise0.0", "model_D2_noise0.0"]"#,
        )
        .unwrap();
        assert_eq!(complete_group_saves(&dir).unwrap(), vec![state_path(&b)]);
        assert_eq!(std::fs::read(state_path(&b)).unwrap(), b"new b");
        assert!(!commit_note_path(&a).exists() && !pending_state_path(&b).exists());
        // a kill before the note: the new states are dropped, the old ones stay
        std::fs::write(pending_state_path(&a), b"newer a").unwrap();
        assert!(complete_group_saves(&dir).unwrap().is_empty());
        assert_eq!(std::fs::read(state_path(&a)).unwrap(), b"new a");
        assert!(!pending_state_path(&a).exists());
        // a note naming a path outside the folder is refused
        std::fs::write(commit_note_path(&a), br#"["../x"]"#).unwrap();
        let e = complete_group_saves(&dir).unwrap_err().to_string();
        assert!(e.contains(".hits-commit.") && e.contains("[0]"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
