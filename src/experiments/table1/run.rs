//! One Table 1 row set: load a sequence, train each model, generate the whole sequence from its
//! first frame, and measure the MSE (see [`super`] for exactly what is compared), the training
//! time and the parameter count.
//!
//! Every step is its own function so a notebook can run them one by one:
//! [`super::load_data`] -> [`run_hits`] / [`run_baseline`] -> [`super::report`]. Each finished model
//! is stored as `<out>/<model>.json` ([`ModelResult`] without the sequence) plus
//! `<out>/<model>.npy` (the generated normalised sequence `[T, D]`); a later run with the same
//! settings loads it instead of training again ([`cached`]).

use std::path::Path;
use std::time::Instant;

use candle_core::Device;

use super::data::{sequence_mse, SeqSet};
use super::models::{baseline_size, baseline_state_path, run_baseline};
use super::report::Table1Result;
use super::result::{cached, store, ModelResult};
use super::seq_hits::{generate, train_seq_hits};
use super::Table1Config;
use crate::baselines::state::saved_epoch;
use crate::baselines::BaselineKind;
use crate::hierarchy::Hierarchy;
use crate::stepper::Progress;
use crate::Result;

/// Train HiTS (or load its finished checkpoints from `models`), generate and score it.
/// Returns the trained steppers too, for inspection.
pub fn run_hits(
    data: &SeqSet,
    cfg: &Table1Config,
    device: &Device,
    models: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(Hierarchy, ModelResult)> {
    let t0 = Instant::now();
    let hits = train_seq_hits(data.z.view(), &cfg.hits, device, models, progress)?;
    let train_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let generated = generate(&hits, data.z.column(0), data.n_frames())?;
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
