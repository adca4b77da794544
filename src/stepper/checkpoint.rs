//! Checkpoints: `models/<System>/model_D{step}_noise{noise}.safetensors` with a `.json` sidecar,
//! and the training state for resuming (`.state.safetensors` + `.state.json`).
//!
//! The model file holds the best-validation weights under the original names
//! (`increment.Linear_{i}.weight [out, in]`, `.bias [out]`, f32). The sidecar
//! ([`StepperMeta`]) records architecture, step size, dt, system, noise, epochs, best loss,
//! loss history, seed and training settings. The state files add the current weights, Adam's
//! moments (`adam_m.*`, `adam_v.*`) and step count, and the best weights so far: the minibatch
//! sampler needs only its seed and the epoch (see [`super::sampler`]). Every file is written to
//! a temporary name in the same folder and renamed, so an interrupt never leaves a torn file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::resnet::{param_name, ResNetStepper};
use super::train::TrainConfig;
use crate::data::npy::python_float;
use crate::io::write_atomic;
use crate::{Error, Result};

/// Format tag written in every sidecar.
pub const FORMAT: &str = "hits.resnet_stepper.v1";

/// The JSON sidecar of a stepper checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepperMeta {
    pub format: String,
    /// The problem's folder name (`Hyperbolic`, `VanDerPol`, or one's own).
    pub system: Option<String>,
    pub arch: Vec<usize>,
    pub step_size: usize,
    pub dt: f64,
    pub noise: f64,
    /// Epochs trained.
    pub epochs: usize,
    /// Best validation loss (`None`: never validated).
    pub best_val_loss: Option<f64>,
    /// `(epoch, train loss, validation loss)`; `None` where a loss was not finite.
    pub history: Vec<(usize, Option<f64>, Option<f64>)>,
    /// Seed of the initial weights.
    pub seed: Option<u32>,
    pub train_config: Option<TrainConfig>,
    /// Where the weights came from when not trained here (e.g. an imported `.pt` file).
    pub source: Option<String>,
}

impl StepperMeta {
    /// Metadata describing `stepper`, with nothing trained yet.
    pub fn new(stepper: &ResNetStepper, system: Option<String>, noise: f64) -> Self {
        StepperMeta {
            format: FORMAT.to_string(),
            system,
            arch: stepper.arch().to_vec(),
            step_size: stepper.step_size(),
            dt: stepper.dt(),
            noise,
            epochs: 0,
            best_val_loss: None,
            history: Vec::new(),
            seed: None,
            train_config: None,
            source: None,
        }
    }

    /// Record a training history (non-finite values become `None`).
    pub fn set_history(&mut self, history: &[(usize, f64, f64)]) {
        let fin = |v: f64| v.is_finite().then_some(v);
        self.history = history
            .iter()
            .map(|&(e, t, v)| (e, fin(t), fin(v)))
            .collect();
    }

    /// Error unless this checkpoint was made for `system`, `dim`, `dt` and `step_size`.
    pub fn check_matches(
        &self,
        path: &Path,
        system: Option<&str>,
        dim: usize,
        dt: f64,
        step_size: usize,
    ) -> Result<()> {
        let mut diffs = Vec::new();
        if let (Some(want), Some(have)) = (system, self.system.as_deref()) {
            if want != have {
                diffs.push(format!("system {have} (expected {want})"));
            }
        }
        if self.arch.first() != Some(&dim) {
            diffs.push(format!("dim {:?} (expected {dim})", self.arch.first()));
        }
        if (self.dt - dt).abs() > 1e-12 * dt.abs() {
            diffs.push(format!("dt {} (expected {dt})", self.dt));
        }
        if self.step_size != step_size {
            diffs.push(format!(
                "step size {} (expected {step_size})",
                self.step_size
            ));
        }
        if diffs.is_empty() {
            return Ok(());
        }
        Err(Error::Checkpoint {
            path: path.to_path_buf(),
            msg: format!(
                "made for other data: {}; delete it or choose another output folder",
                diffs.join(", ")
            ),
        })
    }
}

/// `dir/model_D{step}_noise{noise}` (no extension).
pub fn checkpoint_stem(dir: &Path, step_size: usize, noise: f64) -> PathBuf {
    dir.join(format!("model_D{step_size}_noise{}", python_float(noise)))
}

/// `stem` + `suffix` (e.g. `.safetensors`): the stem's own dots (`noise0.0`) are kept.
pub fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut s = stem.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// The stem of a checkpoint path given as `.safetensors`, `.json` or without extension.
pub fn stem_of(path: &Path) -> PathBuf {
    let s = path.to_string_lossy();
    for suf in [".state.safetensors", ".state.json", ".safetensors", ".json"] {
        if let Some(stem) = s.strip_suffix(suf) {
            return PathBuf::from(stem);
        }
    }
    path.to_path_buf()
}

pub(crate) fn save_tensors(path: &Path, tensors: &HashMap<String, Tensor>) -> Result<()> {
    write_atomic(path, |tmp| {
        candle_core::safetensors::save(tensors, tmp).map_err(|e| Error::Checkpoint {
            path: path.to_path_buf(),
            msg: e.to_string(),
        })
    })
}

pub(crate) fn save_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    write_atomic(path, |tmp| {
        std::fs::write(tmp, text).map_err(|e| Error::io(tmp, e))
    })
}

pub(crate) fn load_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Checkpoint {
        path: path.to_path_buf(),
        msg: format!("unreadable metadata: {e}"),
    })
}

pub(crate) fn load_tensors(path: &Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    if !path.exists() {
        return Err(Error::Checkpoint {
            path: path.to_path_buf(),
            msg: "not found".into(),
        });
    }
    candle_core::safetensors::load(path, device).map_err(|e| Error::Checkpoint {
        path: path.to_path_buf(),
        msg: e.to_string(),
    })
}

/// Layers `(weight, bias)` named `{prefix}increment.Linear_{i}.*`, in order, from `tensors`.
pub(crate) fn layers_from(
    tensors: &HashMap<String, Tensor>,
    prefix: &str,
    n_layers: usize,
    path: &Path,
) -> Result<Vec<(Tensor, Tensor)>> {
    (0..n_layers)
        .map(|i| {
            let get = |kind: &str| {
                let name = format!("{prefix}{}", param_name(i, kind));
                tensors
                    .get(&name)
                    .cloned()
                    .ok_or_else(|| Error::Checkpoint {
                        path: path.to_path_buf(),
                        msg: format!("missing tensor {name}"),
                    })
            };
            Ok((get("weight")?, get("bias")?))
        })
        .collect()
}

pub(crate) fn insert_layers(
    map: &mut HashMap<String, Tensor>,
    prefix: &str,
    layers: &[(Tensor, Tensor)],
) {
    for (i, (w, b)) in layers.iter().enumerate() {
        map.insert(format!("{prefix}{}", param_name(i, "weight")), w.clone());
        map.insert(format!("{prefix}{}", param_name(i, "bias")), b.clone());
    }
}

impl ResNetStepper {
    /// Save to `<stem>.safetensors` + `<stem>.json` (`path` may carry either extension).
    pub fn save(&self, path: &Path, meta: &StepperMeta) -> Result<()> {
        let stem = stem_of(path);
        let mut map = HashMap::new();
        insert_layers(&mut map, "", self.layers());
        save_tensors(&with_suffix(&stem, ".safetensors"), &map)?;
        save_json(&with_suffix(&stem, ".json"), meta)
    }

    /// Load a checkpoint written by [`ResNetStepper::save`] (`path`: `.safetensors`, `.json`
    /// or the stem).
    pub fn load(path: &Path, device: &Device) -> Result<ResNetStepper> {
        Ok(Self::load_with_meta(path, device)?.0)
    }

    /// Load a checkpoint and its metadata.
    pub fn load_with_meta(path: &Path, device: &Device) -> Result<(ResNetStepper, StepperMeta)> {
        let stem = stem_of(path);
        let json = with_suffix(&stem, ".json");
        let meta: StepperMeta = load_json(&json)?;
        let st = with_suffix(&stem, ".safetensors");
        let tensors = load_tensors(&st, device)?;
        let layers = layers_from(&tensors, "", meta.arch.len().saturating_sub(1), &st)?;
        let stepper = ResNetStepper::from_layers(layers, meta.step_size, meta.dt).map_err(|e| {
            Error::Checkpoint {
                path: st.clone(),
                msg: e.to_string(),
            }
        })?;
        if stepper.arch() != meta.arch.as_slice() {
            return Err(Error::Checkpoint {
                path: st,
                msg: format!(
                    "weights have arch {:?}, metadata says {:?}",
                    stepper.arch(),
                    meta.arch
                ),
            });
        }
        Ok((stepper, meta))
    }
}

/// Every stepper `dir/model_D*_noise{noise}.safetensors`, sorted by step size.
pub fn load_hierarchy(dir: &Path, noise: f64, device: &Device) -> Result<Vec<ResNetStepper>> {
    let suffix = format!("_noise{}.safetensors", python_float(noise));
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let step = name
            .strip_prefix("model_D")
            .and_then(|r| r.strip_suffix(&suffix))
            .and_then(|s| s.parse::<usize>().ok());
        if let Some(step) = step {
            found.push((step, path));
        }
    }
    if found.is_empty() {
        return Err(Error::Checkpoint {
            path: dir.to_path_buf(),
            msg: format!("no model_D*{suffix} files; train them with `hits train` or import them with `hits import-torch`"),
        });
    }
    found.sort();
    found
        .iter()
        .map(|(_, p)| ResNetStepper::load(p, device))
        .collect()
}
