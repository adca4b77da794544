//! The baselines of Table 1, sized to the whole HiTS, trained and scored like HiTS.
//!
//! With `P` the parameter count of HiTS (the sum over ALL its steppers, e.g. 4 069 760 for KS),
//! each baseline gets the hidden size (reservoir for the ESN) that the one sizing rule of
//! [`crate::baselines::sizing`] gives for the budget `P`: the roundest size whose weight count is
//! within 2 % of `P`, every weight matrix counted in full (the CW-RNN's masked recurrent blocks
//! and the ESN's fixed reservoir and input weights included). For KS that is the paper's LSTM
//! 740 and CW-RNN 1570 (5 modules), and an ESN of 1570 (the paper's 1600 comes out of no
//! consistent rule; [`super::BaselineSizing::esn_reservoir`] sets it by hand). The table reports
//! every count beside HiTS's.
//!
//! Training ([`crate::baselines::train`]): the LSTM and CW-RNN as the original, one Adam step per
//! epoch on the teacher-forced one-step MSE over the whole sequence, the best loss kept every
//! 1000th epoch; the ESN's read-out by least squares over the teacher-forced reservoir states of
//! the whole sequence.
//!
//! HiTS's [`Hierarchy`] implements [`SequenceModel`] too, so the table treats all four models
//! alike.

use std::path::Path;
use std::time::Instant;

use candle_core::Device;
use ndarray::{Array2, ArrayView1};

use super::data::{sequence_mse, SeqSet};
use super::result::{model_stem, ModelResult};
use super::seq_hits;
use super::Table1Config;
use crate::baselines::{
    match_parameters, parameter_count, BaselineKind, BaselineTrainConfig, BaselineWindows, CwRnn,
    CwRnnConfig, Esn, EsnConfig, Lstm, LstmConfig, SequenceModel,
};
use crate::hierarchy::Hierarchy;
use crate::stepper::checkpoint::with_suffix;
use crate::Result;

impl SequenceModel for Hierarchy {
    fn name(&self) -> &str {
        "HiTS"
    }
    fn n_params(&self) -> usize {
        Hierarchy::n_params(self)
    }
    fn generate(&self, first: ArrayView1<f64>, n_frames: usize) -> Result<Array2<f64>> {
        seq_hits::generate(self, first, n_frames)
    }
}

/// Hidden size (reservoir for the ESN) and weight count of baseline `kind` for a `dim`-feature
/// sequence against HiTS's `hits_params` (all its steppers), by
/// [`crate::baselines::match_parameters`]; a fixed ESN reservoir of `cfg.sizing` wins.
pub fn baseline_size(
    kind: BaselineKind,
    cfg: &Table1Config,
    dim: usize,
    hits_params: usize,
) -> (usize, usize) {
    let g = cfg.sizing.cwrnn_modules;
    match (kind, cfg.sizing.esn_reservoir) {
        (BaselineKind::Esn, Some(n)) => (n, parameter_count(kind, dim, n, g)),
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

/// Where the whole-sequence training state of baseline `kind` is kept under `models`:
/// `<models>/<lstm|cwrnn>.state.safetensors` ([`crate::baselines::state`]).
pub fn baseline_state_path(models: &Path, kind: BaselineKind) -> std::path::PathBuf {
    with_suffix(&model_stem(models, kind.name()), ".state.safetensors")
}

/// Train (fit) baseline `kind` sized to `hits_params` on the normalised sequence, generate it
/// from frame 0 and score it. With `models`, the trained weights are saved as
/// `models/<lstm|esn|cwrnn>.safetensors` + `.json`, and whole-sequence training keeps its state
/// in [`baseline_state_path`] (continued exactly when present; kept after training, so that a
/// later run with a higher epoch cap goes on from it). `progress(epoch, loss)` as in training.
/// Truncated windows (an option, not the default) are cut to half the sequence when longer.
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
    let stem = models.map(|d| model_stem(d, kind.name()));
    if let Some(d) = models {
        std::fs::create_dir_all(d).map_err(|e| crate::Error::io(d, e))?;
    }
    let mut train = fit_windows(&cfg.baseline, data.n_frames());
    if train.windows == BaselineWindows::WholeSequence {
        train.state_file = models.map(|d| baseline_state_path(d, kind));
    }
    let t0 = Instant::now();
    // Gradient training reports its own time, over every run that continued it.
    let mut trained_seconds = None;
    let (model, detail): (Box<dyn SequenceModel>, String) = match kind {
        BaselineKind::Lstm => {
            let (m, h) = Lstm::train(seq.view(), &LstmConfig { hidden }, &train, device, progress)?;
            trained_seconds = Some(h.seconds);
            if let Some(stem) = &stem {
                m.save(stem, Some(&h))?;
            }
            let detail = format!(
                "hidden {hidden}, {}; {}",
                windows_words(&train),
                h.summary()
            );
            (Box::new(m), detail)
        }
        BaselineKind::CwRnn => {
            let c = CwRnnConfig {
                hidden,
                n_modules: cfg.sizing.cwrnn_modules,
            };
            let (m, h) = CwRnn::train(seq.view(), &c, &train, device, progress)?;
            trained_seconds = Some(h.seconds);
            if let Some(stem) = &stem {
                m.save(stem, Some(&h))?;
            }
            let detail = format!(
                "hidden {hidden}, {} modules ({} weights trained, W_H block-triangular), {}; {}",
                c.n_modules,
                m.n_trained(),
                windows_words(&train),
                h.summary()
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
                "reservoir {hidden} ({} weights trained: the read-out), spectral radius {}, \
                 density {}, input scale {}, ridge {:e}, least squares over the whole sequence",
                m.n_trained(),
                e.spectral_radius,
                e.density,
                e.input_scale,
                e.ridge
            );
            (Box::new(m), detail)
        }
    };
    let train_seconds = trained_seconds.unwrap_or_else(|| t0.elapsed().as_secs_f64());
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

/// `train` with truncated windows cut to at most half a sequence of `n_frames` frames.
fn fit_windows(train: &BaselineTrainConfig, n_frames: usize) -> BaselineTrainConfig {
    let windows = match train.windows {
        BaselineWindows::Truncated { seq_len, batch } => BaselineWindows::Truncated {
            seq_len: seq_len.min((n_frames - 1) / 2).max(1),
            batch,
        },
        w => w,
    };
    BaselineTrainConfig {
        windows,
        ..train.clone()
    }
}

/// What each epoch trained on, in words.
fn windows_words(train: &BaselineTrainConfig) -> String {
    match train.windows {
        BaselineWindows::WholeSequence => {
            format!("whole sequence per epoch, lr {:e}", train.lr)
        }
        BaselineWindows::Truncated { seq_len, batch } => {
            format!(
                "{batch} windows of {seq_len} steps per epoch, lr {:e}",
                train.lr
            )
        }
    }
}
