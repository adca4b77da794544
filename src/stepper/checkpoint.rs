//! Checkpoints: `models/<System>/model_D{step}_noise{noise}.safetensors` with a `.json`
//! sidecar, and the training state for resuming (`.state.safetensors`, see [`super::resume`]).
//!
//! The model file holds the best-validation weights under the original names
//! (`increment.Linear_{i}.weight [out, in]`, `.bias [out]`, f32) and, in the safetensors
//! `__metadata__` (key `hits.meta`), the same [`StepperMeta`] as the sidecar: the weights and
//! their description are one file, renamed into place at once, so they can never come from
//! two moments. The `.json` sidecar is a readable copy (the documented layout); a sidecar that
//! differs from the copy inside the weights file (a save interrupted between the two renames)
//! is an error that says how to repair it, and files of older versions (no copy inside) are
//! read from the sidecar alone.
//!
//! Loading reads regular files only (a FIFO named like a checkpoint is refused, not waited on)
//! and checks the format tag, the file name against the metadata (`model_D2` must hold
//! step 2 at that noise level), the weights against the architecture and for finite values
//! (a NaN or inf weight is an error naming the tensor and the file), and, with
//! [`ExpectedStepper`], the system name, dt, noise, dimension and step size.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

pub use super::meta::{ExpectedStepper, StepperMeta, TrainPhase, FORMAT};
use super::resnet::{param_name, ResNetStepper};
use crate::data::npy::python_float;
use crate::io::write_bytes_atomic;
use crate::{Error, Result};

/// Key of the metadata inside a model `.safetensors`.
pub(crate) const META_KEY: &str = "hits.meta";

/// `dir/model_D{step}_noise{noise}` (no extension).
pub fn checkpoint_stem(dir: &Path, step_size: usize, noise: f64) -> PathBuf {
    dir.join(format!("model_D{step_size}_noise{}", python_float(noise)))
}

/// `(step, noise as written)` from a name `model_D{step}_noise{noise}[.ext]`.
pub fn parse_checkpoint_name(name: &str) -> Option<(usize, String)> {
    let rest = name.strip_prefix("model_D")?;
    let (step, noise) = rest.split_once("_noise")?;
    let noise = [".state.safetensors", ".safetensors", ".json", ".pt"]
        .iter()
        .find_map(|s| noise.strip_suffix(s))
        .unwrap_or(noise);
    Some((step.parse().ok()?, noise.to_string()))
}

/// `stem` + `suffix` (e.g. `.safetensors`): the stem's own dots (`noise0.0`) are kept.
pub fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut s = stem.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// The stem of a checkpoint path given as `.safetensors`, `.json` or without extension. The
/// path's bytes are kept as they are (a folder whose name is not UTF-8 stays that folder).
pub fn stem_of(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_encoded_bytes();
    for suf in [".state.safetensors", ".state.json", ".safetensors", ".json"] {
        if let Some(stem) = bytes.strip_suffix(suf.as_bytes()) {
            return path_from_bytes(stem).unwrap_or_else(|| path.to_path_buf());
        }
    }
    path.to_path_buf()
}

/// A path from the encoded bytes of another cut at an ASCII character.
#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(bytes).ok().map(PathBuf::from)
}

fn ckpt_err(path: &Path, msg: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// Write `tensors` with one metadata entry `key: json` as a safetensors file, atomically and
/// with the user's umask (candle's writer uses a 0600 temporary file of its own).
pub(crate) fn save_tensors(
    path: &Path,
    tensors: &HashMap<String, Tensor>,
    key: &str,
    json: &str,
) -> Result<()> {
    // One metadata key: the header's map order is then fixed, and so are the file's bytes.
    let info = HashMap::from([(key.to_string(), json.to_string())]);
    let bytes = safetensors::serialize(tensors.iter(), Some(info))
        .map_err(|e| ckpt_err(path, format!("cannot serialise: {e}")))?;
    write_bytes_atomic(path, &bytes)
}

/// The tensors of a safetensors file and the metadata entry `key`, if present.
pub(crate) fn load_tensors(
    path: &Path,
    key: &str,
    device: &Device,
) -> Result<(HashMap<String, Tensor>, Option<String>)> {
    if let Err(e) = std::fs::metadata(path) {
        if e.kind() == std::io::ErrorKind::NotFound {
            return Err(ckpt_err(path, "not found"));
        }
    }
    // only a regular file: a FIFO named like a checkpoint is refused, not waited on
    let bytes = crate::io::read_data_file(path)?;
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| ckpt_err(path, format!("not a readable safetensors file: {e}")))?;
    let json = header.metadata().as_ref().and_then(|m| m.get(key).cloned());
    let tensors = candle_core::safetensors::load_buffer(&bytes, device)
        .map_err(|e| ckpt_err(path, e.to_string()))?;
    Ok((tensors, json))
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

pub(crate) fn parse_json<T: for<'de> Deserialize<'de>>(path: &Path, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| ckpt_err(path, format!("unreadable metadata: {e}")))
}

pub(crate) fn load_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = crate::io::read_data_text(path)?;
    parse_json(path, &text)
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
                    .ok_or_else(|| ckpt_err(path, format!("missing tensor {name}")))
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

/// Error unless every value of every layer is finite, naming the tensor and the file (NaN
/// weights would otherwise load, and a NaN in a hidden layer even gives a finite, wrong
/// forecast: ReLU maps NaN to 0).
pub(crate) fn check_finite_layers(
    layers: &[(Tensor, Tensor)],
    prefix: &str,
    path: &Path,
) -> Result<()> {
    for (i, (w, b)) in layers.iter().enumerate() {
        for (kind, t) in [("weight", w), ("bias", b)] {
            let values: Vec<f32> = t
                .to_dtype(candle_core::DType::F32)?
                .flatten_all()?
                .to_vec1()?;
            if let Some(at) = values.iter().position(|v| !v.is_finite()) {
                return Err(ckpt_err(
                    path,
                    format!(
                        "tensor {prefix}{} holds {} at element {at} (shape {:?}): weights must be \
                         finite (a damaged file, or a model whose training diverged); refused",
                        param_name(i, kind),
                        values[at],
                        t.dims()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Error unless `meta` has the format tag this version reads and fits the file's name.
fn check_meta_of_file(meta: &StepperMeta, path: &Path) -> Result<()> {
    if meta.format != FORMAT {
        return Err(ckpt_err(
            path,
            format!(
                "unknown format tag '{}' (this hits reads '{FORMAT}'): made by another program or version",
                meta.format
            ),
        ));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if let Some((step, noise)) = name.as_deref().and_then(parse_checkpoint_name) {
        if step != meta.step_size || noise != python_float(meta.noise) {
            return Err(ckpt_err(
                path,
                format!(
                    "the file name says step {step} at noise {noise}, its metadata step {} at noise {}: \
                     the files were renamed or mixed up",
                    meta.step_size,
                    python_float(meta.noise)
                ),
            ));
        }
    }
    Ok(())
}

impl ResNetStepper {
    /// Save to `<stem>.safetensors` (weights and metadata) + `<stem>.json` (the metadata,
    /// readable); `path` may carry either extension.
    pub fn save(&self, path: &Path, meta: &StepperMeta) -> Result<()> {
        let stem = stem_of(path);
        let mut map = HashMap::new();
        insert_layers(&mut map, "", self.layers());
        let json = to_json(meta)?;
        save_tensors(&with_suffix(&stem, ".safetensors"), &map, META_KEY, &json)?;
        write_bytes_atomic(&with_suffix(&stem, ".json"), json.as_bytes())
    }

    /// Load a checkpoint written by [`ResNetStepper::save`] (`path`: `.safetensors`, `.json`
    /// or the stem).
    pub fn load(path: &Path, device: &Device) -> Result<ResNetStepper> {
        Ok(Self::load_with_meta(path, device)?.0)
    }

    /// Load a checkpoint and its metadata, with the checks of the module docs.
    pub fn load_with_meta(path: &Path, device: &Device) -> Result<(ResNetStepper, StepperMeta)> {
        let stem = stem_of(path);
        let (json, st) = (
            with_suffix(&stem, ".json"),
            with_suffix(&stem, ".safetensors"),
        );
        let (tensors, inner) = load_tensors(&st, META_KEY, device)?;
        let meta: StepperMeta = match inner {
            Some(text) => {
                let meta: StepperMeta = parse_json(&st, &text)?;
                if json.exists() && load_json::<StepperMeta>(&json).ok().as_ref() != Some(&meta) {
                    return Err(ckpt_err(
                        &json,
                        format!(
                            "does not match the metadata inside {} (the two were written at different \
                             moments: an interrupted save); `hits train --resume` rewrites both from \
                             the training state, or delete the .json to use the weights file alone",
                            st.display()
                        ),
                    ));
                }
                meta
            }
            None => load_json(&json)?,
        };
        check_meta_of_file(&meta, &st)?;
        let layers = layers_from(&tensors, "", meta.arch.len().saturating_sub(1), &st)?;
        check_finite_layers(&layers, "", &st)?;
        let stepper = ResNetStepper::from_layers(layers, meta.step_size, meta.dt)
            .map_err(|e| ckpt_err(&st, e.to_string()))?;
        if stepper.arch() != meta.arch.as_slice() {
            return Err(ckpt_err(
                &st,
                format!(
                    "weights have arch {:?}, metadata says {:?}",
                    stepper.arch(),
                    meta.arch
                ),
            ));
        }
        Ok((stepper, meta))
    }

    /// [`ResNetStepper::load_with_meta`], and an error unless the checkpoint was made for
    /// `expected`.
    pub fn load_expecting(
        path: &Path,
        expected: &ExpectedStepper,
        device: &Device,
    ) -> Result<(ResNetStepper, StepperMeta)> {
        let (s, meta) = Self::load_with_meta(path, device)?;
        if let Some(diff) = meta.mismatch(expected) {
            return Err(ckpt_err(
                &with_suffix(&stem_of(path), ".safetensors"),
                format!("made for other data: {diff}; check the models folder and --noise"),
            ));
        }
        Ok((s, meta))
    }
}

/// Every stepper `dir/model_D*_noise{noise}.safetensors`, sorted by step size. The steppers
/// must agree on system, dt and dimension (one hierarchy).
pub fn load_hierarchy(dir: &Path, noise: f64, device: &Device) -> Result<Vec<ResNetStepper>> {
    let expected = ExpectedStepper {
        noise: Some(noise),
        ..ExpectedStepper::default()
    };
    Ok(load_hierarchy_expecting(dir, &expected, device)?
        .into_iter()
        .map(|(s, _)| s)
        .collect())
}

/// [`load_hierarchy`] at `expected.noise` (0.0 if unset), every checkpoint checked against
/// `expected` (its `step_size` is ignored: each file has its own), with the metadata.
pub fn load_hierarchy_expecting(
    dir: &Path,
    expected: &ExpectedStepper,
    device: &Device,
) -> Result<Vec<(ResNetStepper, StepperMeta)>> {
    let noise = expected.noise.unwrap_or(0.0);
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
        return Err(ckpt_err(
            dir,
            format!("no model_D*{suffix} files; train them with `hits train` or import them with `hits import-torch`"),
        ));
    }
    found.sort();
    let mut out: Vec<(ResNetStepper, StepperMeta)> = Vec::new();
    for (step, path) in &found {
        let want = ExpectedStepper {
            step_size: Some(*step),
            ..expected.clone()
        };
        let (s, meta) = ResNetStepper::load_expecting(path, &want, device)?;
        if let Some((_, first)) = out.first() {
            let same = ExpectedStepper {
                system: first.system.clone(),
                dim: first.arch.first().copied(),
                dt: Some(first.dt),
                ..ExpectedStepper::default()
            };
            if let Some(diff) = meta.mismatch(&same) {
                return Err(ckpt_err(
                    path,
                    format!(
                        "does not belong with model_D{}: {diff}; one folder holds one hierarchy",
                        first.step_size
                    ),
                ));
            }
        }
        out.push((s, meta));
    }
    Ok(out)
}
