//! One model's Table 1 result ([`ModelResult`]) and its files: `<model>.json` with the numbers
//! and the settings it was made with, `<model>.npy` with the generated sequence.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::Table1Config;
use crate::data::npy::write_array_atomic;
use crate::io::write_bytes_atomic;
use crate::sequence::store::read_npy2;
use crate::{Error, Result};

/// One model's row: what it is, how big, how long it trained, how well it generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelResult {
    /// `HiTS`, `LSTM`, `ESN` or `CW-RNN`.
    pub model: String,
    /// Trainable parameters.
    pub n_params: usize,
    /// Wall seconds of training (of the run that trained it; 0 when loaded from checkpoints).
    pub train_seconds: f64,
    /// Wall seconds of generating the whole sequence.
    pub generate_seconds: f64,
    /// MSE of the generated normalised sequence over all frames and features.
    pub mse: f64,
    /// Size and training details in words (hidden size, reservoir, epochs, step sizes).
    pub detail: String,
    /// The settings it was made with (JSON of [`Table1Config`]), to recognise a stale file.
    pub config: String,
    /// The generated normalised sequence `[T, D]` (stored in its own `.npy`, not the JSON).
    #[serde(skip)]
    pub generated: Array2<f64>,
}

/// The file stem of a model's stored result: `HiTS`, `LSTM`, `ESN`, `CW-RNN` -> `hits`, `lstm`,
/// `esn`, `cwrnn`.
pub fn model_stem(out: &Path, model: &str) -> PathBuf {
    let name: String = model
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    out.join(name.to_ascii_lowercase())
}

/// The stored result of `model` under `out` if it was made with `cfg` (and the sequence has the
/// expected shape), else `None`.
pub fn cached(
    out: &Path,
    model: &str,
    cfg: &Table1Config,
    shape: (usize, usize),
) -> Result<Option<ModelResult>> {
    let stem = model_stem(out, model);
    let (json, npy) = (stem.with_extension("json"), stem.with_extension("npy"));
    if !json.exists() || !npy.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&json).map_err(|e| Error::io(&json, e))?;
    let mut r: ModelResult = serde_json::from_str(&text)
        .map_err(|e| Error::bad_file(&json, format!("not a Table 1 model result: {e}")))?;
    if r.config != serde_json::to_string(cfg)? {
        return Ok(None);
    }
    r.generated = read_npy2(&npy)?;
    Ok((r.generated.dim() == shape).then_some(r))
}

/// Write `out/<model>.json` and `out/<model>.npy`.
pub fn store(out: &Path, r: &ModelResult) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let stem = model_stem(out, &r.model);
    write_array_atomic(&stem.with_extension("npy"), &r.generated)?;
    let text = serde_json::to_string_pretty(r)?;
    write_bytes_atomic(&stem.with_extension("json"), text.as_bytes())
}
