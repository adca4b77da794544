//! One Table 1 row set: load a sequence, train each model, generate the whole sequence from its
//! first frame, and measure the MSE (see [`super`] for exactly what is compared), the training
//! time and the parameter count.
//!
//! Every step is its own function so a notebook can run them one by one:
//! [`load_data`] -> [`run_hits`] / [`run_baseline`] -> [`super::report`]. Each finished model
//! is stored as `<out>/<model>.json` ([`ModelResult`] without the sequence) plus
//! `<out>/<model>.npy` (the generated normalised sequence `[T, D]`); a later run with the same
//! settings loads it instead of training again ([`cached`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Device;
use ndarray::{s, Array2};
use serde::{Deserialize, Serialize};

use super::models::{baseline_size, baseline_state_path, run_baseline};
use super::report::Table1Result;
use super::seq_hits::{train_seq_hits, SeqHits};
use super::Table1Config;
use crate::baselines::state::saved_epoch;
use crate::baselines::BaselineKind;
use crate::data::npy::write_array_atomic;
use crate::io::write_bytes_atomic;
use crate::sequence::normalize::Normalization;
use crate::sequence::store::{load_sequence, read_npy2, SequenceMeta};
use crate::stepper::Progress;
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

/// Train HiTS (or load its finished checkpoints from `models`), generate and score it.
/// Returns the trained steppers too, for inspection.
pub fn run_hits(
    data: &SeqSet,
    cfg: &Table1Config,
    device: &Device,
    models: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(SeqHits, ModelResult)> {
    let t0 = Instant::now();
    let hits = train_seq_hits(data.z.view(), &cfg.hits, device, models, progress)?;
    let train_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let generated = hits.generate(data.z.column(0), data.n_frames())?;
    let generate_seconds = t1.elapsed().as_secs_f64();
    let epochs: Vec<usize> = hits.reports.iter().map(|r| r.epochs).collect();
    let result = ModelResult {
        model: "HiTS".into(),
        n_params: hits.n_params(),
        train_seconds,
        generate_seconds,
        mse: sequence_mse(&generated, &data.truth())?,
        detail: format!("steppers {}; epochs {:?}", hits.describe(), epochs),
        config: serde_json::to_string(cfg)?,
        generated,
    };
    Ok((hits, result))
}

/// Train, generate and score all four models on one data set: HiTS first (its parameter count
/// sizes the baselines), then ESN, LSTM, CW-RNN; rows in the order of Table 1.
///
/// `models`: where checkpoints go (`hits/` for the steppers, `lstm.*`, `esn.*`, `cwrnn.*`);
/// `out`: where each model's result is stored and, when present with the same settings,
/// loaded instead of training again. `log` receives progress lines.
pub fn run_table1(
    data: &SeqSet,
    cfg: &Table1Config,
    device: &Device,
    models: Option<&Path>,
    out: Option<&Path>,
    log: &mut dyn FnMut(&str),
) -> Result<Table1Result> {
    let shape = (data.n_frames(), data.dim());
    let mut rows = Vec::with_capacity(4);
    let hits = match out
        .map(|o| cached(o, "HiTS", cfg, shape))
        .transpose()?
        .flatten()
    {
        Some(r) => {
            log(&format!("HiTS: stored result, MSE {:.3e}", r.mse));
            r
        }
        None => {
            log(&format!(
                "HiTS: training one stepper [{d}, w, {d}] per step size, widths {:?} for steps \
                 {:?}, {} epochs each",
                cfg.hits.widths,
                cfg.hits.steps,
                cfg.hits.train.epochs,
                d = data.dim()
            ));
            let hits_dir = models.map(|m| m.join("hits"));
            let (_, r) = run_hits(data, cfg, device, hits_dir.as_deref(), &mut |p| {
                log(&p.to_string())
            })?;
            if let Some(o) = out {
                store(o, &r)?;
            }
            log(&format!(
                "HiTS: {} parameters, trained in {:.1} s, MSE {:.3e}",
                r.n_params, r.train_seconds, r.mse
            ));
            r
        }
    };
    let hits_params = hits.n_params;
    rows.push(hits);
    // The ESN first: it is fitted in seconds, so an interrupted run still has its row.
    for kind in [BaselineKind::Esn, BaselineKind::Lstm, BaselineKind::CwRnn] {
        if let Some(r) = out
            .map(|o| cached(o, kind.name(), cfg, shape))
            .transpose()?
            .flatten()
        {
            log(&format!("{kind}: stored result, MSE {:.3e}", r.mse));
            rows.push(r);
            continue;
        }
        let (size, n) = baseline_size(kind, cfg, data.dim(), hits_params);
        log(&format!(
            "{kind}: size {size}, {n} weights ({:+.2} % of HiTS's {hits_params})",
            100.0 * (n as f64 / hits_params as f64 - 1.0)
        ));
        if let Some(path) = models.map(|m| baseline_state_path(m, kind)) {
            if let Some(e) = saved_epoch(&path)? {
                log(&format!(
                    "{kind}: continuing from {} (epoch {e} done)",
                    path.display()
                ));
            }
        }
        let name = kind.name();
        let (_, r) = run_baseline(kind, data, cfg, hits_params, device, models, &mut |e, l| {
            log(&format!("{name} epoch {e}: loss {l:.3e}"))
        })?;
        if let Some(o) = out {
            store(o, &r)?;
        }
        log(&format!(
            "{kind}: trained in {:.1} s, MSE {:.3e}",
            r.train_seconds, r.mse
        ));
        rows.push(r);
    }
    rows.sort_by_key(|r| super::report::MODELS.iter().position(|m| *m == r.model));
    Ok(Table1Result {
        data: cfg.data,
        n_frames: data.n_frames(),
        dim: data.dim(),
        quick: cfg.quick,
        synthetic: data.meta.synthetic,
        source: data.meta.source.clone(),
        rows,
    })
}
