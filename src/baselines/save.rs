//! Baseline checkpoints: weights in `<stem>.safetensors`, a JSON sidecar `<stem>.json` with the
//! kind, sizes, parameter count and training history (also inside the `.safetensors`); both
//! written atomically.
//!
//! The ESN saves only its trained read-out: the reservoir is rebuilt from the seed in its
//! [`EsnConfig`] (deterministic, numpy's stream).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::config::TrainHistory;
use super::esn::EsnConfig;
use super::sizing::{parameter_count, BaselineKind};
use crate::io::write_bytes_atomic;
use crate::stepper::checkpoint::{
    load_json, load_tensors, save_tensors, stem_of, to_json, with_suffix,
};
use crate::{Error, Result};

/// The JSON sidecar of a baseline checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineMeta {
    pub kind: BaselineKind,
    pub dim: usize,
    pub hidden: usize,
    /// CW-RNN modules (0 for the others).
    pub n_modules: usize,
    /// Trainable parameters.
    pub n_params: usize,
    /// Training history, when the model was trained by gradient descent.
    pub history: Option<TrainHistory>,
    /// The reservoir settings of an ESN.
    pub esn: Option<EsnConfig>,
}

impl BaselineMeta {
    /// Metadata of a `kind` model of these sizes.
    pub fn new(
        kind: BaselineKind,
        dim: usize,
        hidden: usize,
        n_modules: usize,
        history: Option<&TrainHistory>,
    ) -> Self {
        BaselineMeta {
            kind,
            dim,
            hidden,
            n_modules,
            n_params: parameter_count(kind, dim, hidden, n_modules),
            history: history.cloned(),
            esn: None,
        }
    }

    /// Check the sizes recorded against those of the weights loaded from `path`.
    pub fn check(&self, dim: usize, hidden: usize, path: &Path) -> Result<()> {
        if (self.dim, self.hidden) != (dim, hidden) {
            return Err(Error::Checkpoint {
                path: path.to_path_buf(),
                msg: format!(
                    "weights have dim {dim}, hidden {hidden}; metadata says {}, {}",
                    self.dim, self.hidden
                ),
            });
        }
        Ok(())
    }
}

/// Write `tensors` and `meta` next to the stem of `path`.
pub(crate) fn save_model(
    path: &Path,
    tensors: &HashMap<String, Tensor>,
    meta: &BaselineMeta,
) -> Result<()> {
    let stem = stem_of(path);
    let json = to_json(meta)?;
    save_tensors(
        &with_suffix(&stem, ".safetensors"),
        tensors,
        "hits.baseline",
        &json,
    )?;
    write_bytes_atomic(&with_suffix(&stem, ".json"), json.as_bytes())
}

/// Read the tensors and metadata of a `kind` checkpoint at `path` (stem or either file).
pub(crate) fn load_model(
    path: &Path,
    kind: BaselineKind,
    device: &Device,
) -> Result<(HashMap<String, Tensor>, BaselineMeta)> {
    let stem = stem_of(path);
    let json = with_suffix(&stem, ".json");
    let meta: BaselineMeta = load_json(&json)?;
    if meta.kind != kind {
        return Err(Error::Checkpoint {
            path: json,
            msg: format!("holds a {} model, not a {}", meta.kind, kind),
        });
    }
    let (tensors, _) = load_tensors(&with_suffix(&stem, ".safetensors"), "hits.baseline", device)?;
    Ok((tensors, meta))
}
