//! A Table 1 sequence as the models see it: the stored frames, cut to the configured length
//! and normalised ([`SeqSet`], [`load_data`]), and the score of a generated sequence
//! ([`sequence_mse`]).

use std::path::Path;

use ndarray::{s, Array2};

use super::Table1Config;
use crate::sequence::normalize::Normalization;
use crate::sequence::store::{load_sequence, SequenceMeta};
use crate::{Error, Result};

/// A loaded sequence, cut to the configured length and normalised.
#[derive(Debug, Clone)]
pub struct SeqSet {
    /// The stored sequence `[D, T]` (cut to `max_frames`).
    pub raw: Array2<f64>,
    /// `(raw - mean) / range` per feature, `[D, T]`: what every model learns and generates.
    pub z: Array2<f64>,
    /// The normalisation (fitted on the cut sequence).
    pub norm: Normalization,
    /// What the data is (`meta.json`).
    pub meta: SequenceMeta,
}

impl SeqSet {
    /// Number of frames `T`.
    pub fn n_frames(&self) -> usize {
        self.z.ncols()
    }

    /// Number of features `D`.
    pub fn dim(&self) -> usize {
        self.z.nrows()
    }

    /// The normalised sequence as `[T, D]`, the layout of generated sequences.
    pub fn truth(&self) -> Array2<f64> {
        self.z.t().to_owned()
    }
}

/// Read `dir/data.npy` + `meta.json` (written by `hits data <name>`), keep the first
/// `cfg.max_frames` frames and normalise.
pub fn load_data(dir: &Path, cfg: &Table1Config) -> Result<SeqSet> {
    let (data, meta) = load_sequence(dir)?;
    let n = cfg.max_frames.map_or(data.ncols(), |m| m.min(data.ncols()));
    if n < 2 {
        return Err(Error::shape(
            "sequence",
            "[D, T >= 2]",
            format!("{:?}", data.shape()),
        ));
    }
    let raw = data.slice(s![.., ..n]).to_owned();
    let norm = Normalization::fit(raw.view())?;
    let z = norm.apply(raw.view())?;
    Ok(SeqSet { raw, z, norm, meta })
}

/// Mean squared error over every frame and feature of two `[T, D]` sequences.
pub fn sequence_mse(pred: &Array2<f64>, truth: &Array2<f64>) -> Result<f64> {
    if pred.dim() != truth.dim() || pred.is_empty() {
        return Err(Error::shape(
            "generated sequence",
            format!("{:?} (non-empty)", truth.dim()),
            format!("{:?}", pred.dim()),
        ));
    }
    let sum: f64 = pred.iter().zip(truth).map(|(a, b)| (a - b) * (a - b)).sum();
    Ok(sum / pred.len() as f64)
}
