//! The baselines of Table 1, sized to HiTS's parameter count, trained and scored like HiTS.
//!
//! With `P` the parameter count of HiTS (sum over its nets):
//! - LSTM: hidden size whose count (gates + read-out) is closest to `P`;
//! - CW-RNN: hidden size (a multiple of the module count) whose count is closest to `P`;
//! - ESN: only its read-out is trained, `N D + D` parameters for `N` reservoir units; the paper
//!   fixes `N = 1600` for KS ([`super::BaselineSizing::esn_reservoir`]); otherwise `N` is
//!   matched to `P` but capped ([`super::BaselineSizing::esn_max_reservoir`]), since the
//!   reservoir's spectral radius and the least-squares read-out need dense `N x N` work.
//!
//! The paper's own KS sizes (LSTM 740, CW-RNN 1570, ESN 1600) are about the size of ONE of the
//! five KS nets (3.9 M parameters), not of their sum (19.5 M); we match the sum, as the issue
//! asks, so our LSTM and CW-RNN are larger than the paper's.
//!
//! [`SeqHits`] implements [`SequenceModel`] too, so the table treats all four models alike.

use std::path::Path;
use std::time::Instant;

use candle_core::Device;
use ndarray::{Array2, ArrayView1};

use super::run::{sequence_mse, ModelResult, SeqSet};
use super::seq_hits::SeqHits;
use super::Table1Config;
use crate::baselines::{
    match_parameters, parameter_count, BaselineKind, CwRnn, CwRnnConfig, Esn, EsnConfig, Lstm,
    LstmConfig, SequenceModel,
};
use crate::Result;

impl SequenceModel for SeqHits {
    fn name(&self) -> &str {
        "HiTS"
    }
    fn n_params(&self) -> usize {
        SeqHits::n_params(self)
    }
    fn generate(&self, first: ArrayView1<f64>, n_frames: usize) -> Result<Array2<f64>> {
        SeqHits::generate(self, first, n_frames)
    }
}

/// Hidden size (reservoir for the ESN) and parameter count of a baseline for a `dim`-feature
/// sequence against HiTS's `hits_params` (all nets; with `cfg.sizing.match_one_net`, the
/// target is one net's share, every net having the same architecture).
pub fn baseline_size(
    kind: BaselineKind,
    cfg: &Table1Config,
    dim: usize,
    hits_params: usize,
) -> (usize, usize) {
    let g = cfg.sizing.cwrnn_modules;
    let hits_params = if cfg.sizing.match_one_net {
        hits_params / cfg.hits.steps.len().max(1)
    } else {
        hits_params
    };
    match kind {
        BaselineKind::Esn => {
            let n = match cfg.sizing.esn_reservoir {
                Some(n) => n,
                None => match_parameters(kind, dim, hits_params, g)
                    .0
                    .min(cfg.sizing.esn_max_reservoir),
            };
            (n, parameter_count(kind, dim, n, g))
        }
        _ => match_parameters(kind, dim, hits_params, g),
    }
}

/// The ESN settings for a reservoir of `n` units on a sequence of `n_frames` frames: the
/// defaults of [`EsnConfig`] with the washout at most a quarter of the sequence.
pub fn esn_config(n: usize, n_frames: usize) -> EsnConfig {
    let base = EsnConfig::default();
    EsnConfig {
        reservoir: n,
        washout: base.washout.min(n_frames / 4),
        ..base
    }
}

/// Train (fit) baseline `kind` sized to `hits_params` on the normalised sequence, generate it
/// from frame 0 and score it. With `models`, the trained weights are saved as
/// `models/<lstm|esn|cwrnn>.safetensors` + `.json`. `progress(epoch, loss)` as in training.
/// The training windows are cut to half the sequence when `seq_len` is longer.
pub fn run_baseline(
    kind: BaselineKind,
    data: &SeqSet,
    cfg: &Table1Config,
    hits_params: usize,
    device: &Device,
    models: Option<&Path>,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<(Box<dyn SequenceModel>, ModelResult)> {
    let seq = data.truth();
    let dim = data.dim();
    let (hidden, _) = baseline_size(kind, cfg, dim, hits_params);
    let stem = models.map(|d| super::run::model_stem(d, kind.name()));
    if let Some(d) = models {
        std::fs::create_dir_all(d).map_err(|e| crate::Error::io(d, e))?;
    }
    // A short (quick) sequence gets windows of at most half its length.
    let train = crate::baselines::BaselineTrainConfig {
        seq_len: cfg.baseline.seq_len.min((data.n_frames() - 1) / 2).max(1),
        ..cfg.baseline.clone()
    };
    let t0 = Instant::now();
    let (model, detail): (Box<dyn SequenceModel>, String) = match kind {
        BaselineKind::Lstm => {
            let (m, h) = Lstm::train(seq.view(), &LstmConfig { hidden }, &train, device, progress)?;
            if let Some(stem) = &stem {
                m.save(stem, Some(&h))?;
            }
            (
                Box::new(m),
                format!(
                    "hidden {hidden}, {} epochs, final loss {:.2e}",
                    train.epochs,
                    last(&h.loss)
                ),
            )
        }
        BaselineKind::CwRnn => {
            let c = CwRnnConfig {
                hidden,
                n_modules: cfg.sizing.cwrnn_modules,
            };
            let (m, h) = CwRnn::train(seq.view(), &c, &train, device, progress)?;
            if let Some(stem) = &stem {
                m.save(stem, Some(&h))?;
            }
            let detail = format!(
                "hidden {hidden}, {} modules, {} epochs, final loss {:.2e}",
                c.n_modules,
                train.epochs,
                last(&h.loss)
            );
            (Box::new(m), detail)
        }
        BaselineKind::Esn => {
            let e = esn_config(hidden, data.n_frames());
            let m = Esn::fit(seq.view(), &e)?;
            if let Some(stem) = &stem {
                m.save(stem)?;
            }
            let detail = format!(
                "reservoir {hidden}, spectral radius {}, density {}, ridge {:e}",
                e.spectral_radius, e.density, e.ridge
            );
            (Box::new(m), detail)
        }
    };
    let train_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let generated = model.generate(seq.row(0), data.n_frames())?;
    let generate_seconds = t1.elapsed().as_secs_f64();
    let result = ModelResult {
        model: kind.name().into(),
        n_params: model.n_params(),
        train_seconds,
        generate_seconds,
        mse: sequence_mse(&generated, &seq)?,
        detail,
        config: serde_json::to_string(cfg)?,
        generated,
    };
    Ok((model, result))
}

fn last(v: &[f64]) -> f64 {
    v.last().copied().unwrap_or(f64::NAN)
}
