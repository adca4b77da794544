//! Figure 6A, Figure 8 and Tables 6-8 of the paper: multiscale HiTS under measurement noise.
//!
//! For each system and noise level `σ ∈ {0, 0.01, 0.02}` the data are
//! `X + σ · mean_i(std_t X[i, :, d]) · N(0, 1)` (one integration, noise drawn from the same numpy
//! stream after the initial conditions: [`ensure_data_levels`]), eleven steppers are trained on
//! the noisy training set (kept apart by the `noise<σ>` in their file names), the multiscale
//! coupling is chosen on the noisy validation set, and every single scale and the coupling
//! forecast the test set from its first point.
//!
//! **What the error is measured against.** The original `noisy_measurements` notebook loads
//! `test_noise<σ>.npy` and computes `MSE(test[:, 1:], forecast from test[:, 0])`: both the start
//! and the truth are the *noisy* test set. The paper's Tables 6-8 are those numbers, so the
//! main column here ([`NoiseRun::rows`]) does the same. Beside it, [`NoiseRun::multiscale_mse_clean`]
//! compares the same multiscale forecast with the *clean* test trajectories, which says how
//! well the dynamics were learned (the noisy-truth MSE has a floor near `σ²` times the
//! component variance that no forecast can beat).
//!
//! Figure 8 is the multiscale error against time per system, one curve per noise level;
//! Figure 6A plots accuracy (test MSE) against cost (forecast wall time, measured here) for
//! every single scale and the coupling, per system and noise level.
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! use std::path::Path;
//! use hits::experiments::noisy::{self, NoisyConfig};
//! let mut cfg = NoisyConfig::quick();
//! cfg.problems = vec![hits::problem::hyperbolic()];
//! let device = hits::stepper::device::select_device(hits::stepper::device::DeviceChoice::Cpu)?;
//! let result = noisy::run(&cfg, Path::new("data"), Path::new("models"), &device, &mut |_| {})?;
//! result.save(Path::new("results/noisy"))?;
//! println!("{}", result.tables_markdown());
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Device;
use ndarray::s;
use serde::{Deserialize, Serialize};

use super::ode::{ensure_data_levels, ensure_hierarchy};
use crate::data::DataSet;
use crate::forecast::{evaluate, mse, EvalOptions, ForecastRow};
use crate::hierarchy::Hierarchy;
use crate::io::write_bytes_atomic;
use crate::problem::{OdeProblem, SystemKind};
use crate::stepper::Progress;
use crate::{Error, Result};

mod report;
pub use report::DIVERGED;

/// The paper's noise levels.
pub const PAPER_NOISES: [f64; 3] = [0.0, 0.01, 0.02];

/// What to run.
#[derive(Debug, Clone)]
pub struct NoisyConfig {
    /// The problems, at their own (paper) settings; `quick` and `epoch_cap` apply on top.
    pub problems: Vec<OdeProblem>,
    pub noises: Vec<f64>,
    /// [`OdeProblem::quick`] sizes (files under `quick/`) instead of the paper's.
    pub quick: bool,
    /// Cap on the epochs of each stepper (the paper: up to 100 000).
    pub epoch_cap: Option<usize>,
    /// Train each hierarchy batched (pays off on a GPU).
    pub batched: bool,
}

impl NoisyConfig {
    /// All five systems at 0, 1 and 2 % noise, the paper's sizes.
    pub fn paper() -> NoisyConfig {
        NoisyConfig {
            problems: SystemKind::NONLINEAR.map(SystemKind::problem).to_vec(),
            noises: PAPER_NOISES.to_vec(),
            quick: false,
            epoch_cap: None,
            batched: false,
        }
    }

    /// The same in quick mode (tiny data and nets).
    pub fn quick() -> NoisyConfig {
        NoisyConfig {
            quick: true,
            ..NoisyConfig::paper()
        }
    }

    /// One problem as this run trains it (quick mode, epoch cap, batched).
    pub fn problem_for(&self, problem: &OdeProblem) -> OdeProblem {
        let mut cfg = problem
            .clone()
            .select(self.quick)
            .with_epoch_cap(self.epoch_cap);
        cfg.hierarchy.batched = self.batched;
        cfg
    }
}

/// The results of one system at one noise level.
#[derive(Debug, Clone)]
pub struct NoiseRun {
    pub noise: f64,
    /// Single scales by step size, then the multiscale coupling (against the noisy test set,
    /// as the original; see the module docs).
    pub rows: Vec<ForecastRow>,
    /// The multiscale forecast against the clean test trajectories.
    pub multiscale_mse_clean: f64,
    /// Most epochs any stepper trained, and the configured limit.
    pub epochs: usize,
    pub epoch_limit: usize,
    /// Wall time of training (or loading) the steppers [s].
    pub train_seconds: f64,
}

impl NoiseRun {
    /// The multiscale row.
    pub fn multiscale(&self) -> Option<&ForecastRow> {
        self.rows.iter().find(|r| r.method == "multiscale")
    }

    /// The single-scale rows.
    pub fn singles(&self) -> impl Iterator<Item = &ForecastRow> {
        self.rows.iter().filter(|r| r.method == "uni-scale")
    }
}

/// All noise levels of one system.
#[derive(Debug, Clone)]
pub struct SystemRuns {
    /// The problem as it ran (names, the paper's values).
    pub problem: OdeProblem,
    pub dt: f64,
    pub runs: Vec<NoiseRun>,
}

/// Everything the experiment computed.
#[derive(Debug, Clone)]
pub struct NoisyResult {
    pub quick: bool,
    pub epoch_cap: Option<usize>,
    pub systems: Vec<SystemRuns>,
}

/// Forecast `data.test` with `steppers` (sorted by step size) and the coupling selected on
/// `data.val`; also score the multiscale forecast against `clean_test`.
pub fn evaluate_noise(
    problem: &OdeProblem,
    hierarchy: &Hierarchy,
    data: &DataSet,
    clean_test: &ndarray::Array3<f64>,
    noise: f64,
) -> Result<(Vec<ForecastRow>, f64)> {
    if clean_test.dim() != data.test.dim() {
        return Err(Error::shape(
            "clean test set",
            format!("{:?}", data.test.dim()),
            format!("{:?}", clean_test.dim()),
        ));
    }
    let set = hierarchy.set()?;
    let opts = EvalOptions {
        select: true,
        noise,
        ..EvalOptions::default()
    };
    let ev = evaluate(
        &problem.eval_target(),
        &set.refs(),
        Some(data.val.view()),
        data.test.view(),
        &opts,
    )?;
    let multiscale = ev
        .multiscale
        .as_ref()
        .ok_or_else(|| Error::invalid("evaluation", "the coupling was not forecast"))?;
    let clean = mse(multiscale.view(), clean_test.slice(s![.., 1.., ..]))?;
    Ok((ev.rows, clean))
}

/// Data, steppers and forecasts of one system at every noise level of `noises`.
pub fn run_system(
    cfg: &OdeProblem,
    noises: &[f64],
    data_root: &Path,
    models_root: &Path,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<SystemRuns> {
    // The clean set comes from the same integration (level 0 is free once solved).
    let mut levels = vec![0.0];
    levels.extend(noises.iter().copied().filter(|&n| n != 0.0));
    let data = ensure_data_levels(cfg, &levels, data_root)?;
    let clean_test = &data[0].test;
    let mut runs = Vec::new();
    for &noise in noises {
        let set = &data[levels.iter().position(|&l| l == noise).unwrap_or(0)];
        let start = Instant::now();
        let hierarchy = ensure_hierarchy(cfg, noise, set, models_root, device, progress)?;
        let train_seconds = start.elapsed().as_secs_f64();
        let epochs = hierarchy
            .reports
            .iter()
            .map(|r| r.epochs)
            .max()
            .unwrap_or(0);
        let (rows, multiscale_mse_clean) = evaluate_noise(cfg, &hierarchy, set, clean_test, noise)?;
        runs.push(NoiseRun {
            noise,
            rows,
            multiscale_mse_clean,
            epochs,
            epoch_limit: cfg.hierarchy.train.epochs,
            train_seconds,
        });
    }
    Ok(SystemRuns {
        problem: cfg.clone(),
        dt: cfg.dt,
        runs,
    })
}

/// Run every system of `cfg`; `progress` sees every validation check of every training.
pub fn run(
    cfg: &NoisyConfig,
    data_root: &Path,
    models_root: &Path,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<NoisyResult> {
    if cfg.noises.is_empty() || cfg.noises.iter().any(|n| !(n.is_finite() && *n >= 0.0)) {
        return Err(Error::invalid(
            "noises",
            format!("need non-negative levels, got {:?}", cfg.noises),
        ));
    }
    let systems = cfg
        .problems
        .iter()
        .map(|p| {
            run_system(
                &cfg.problem_for(p),
                &cfg.noises,
                data_root,
                models_root,
                device,
                progress,
            )
        })
        .collect::<Result<_>>()?;
    Ok(NoisyResult {
        quick: cfg.quick,
        epoch_cap: cfg.epoch_cap,
        systems,
    })
}

/// One system at one noise level, as the lead's report reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoisyEntry {
    /// The problem's folder name (`Hyperbolic`, ...).
    pub system: String,
    pub noise: f64,
    /// Multiscale test MSE against the noisy test set (as the paper).
    pub multiscale_mse: f64,
    /// The same forecast against the clean test set.
    pub multiscale_mse_clean: f64,
    /// The paper's multiscale MSE at this noise level, where published.
    pub paper_mse: Option<f64>,
    /// Step sizes (in dt) the selection on the validation set kept.
    pub selected_steps: Vec<usize>,
    /// The lowest single-scale test MSE and its step size.
    pub best_single_mse: f64,
    pub best_single_step: usize,
    /// Wall time of the multiscale forecast [s].
    pub multiscale_seconds: f64,
    /// Most epochs any stepper trained, and the configured limit.
    pub epochs: usize,
    pub epoch_limit: usize,
}

/// The JSON summary written by [`NoisyResult::save`] (`summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoisySummary {
    pub quick: bool,
    pub epoch_cap: Option<usize>,
    pub entries: Vec<NoisyEntry>,
}

impl NoisySummary {
    /// The entry of `system` at `noise`.
    pub fn entry(&self, system: &str, noise: f64) -> Option<&NoisyEntry> {
        self.entries
            .iter()
            .find(|e| e.system == system && (e.noise - noise).abs() < 1e-12)
    }
}

/// Read `dir/summary.json` as written by [`NoisyResult::save`].
pub fn load_summary(dir: &Path) -> Result<NoisySummary> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::bad_file(&path, e.to_string()))
}

impl NoisyResult {
    /// The summary: one entry per system and noise level.
    pub fn summary(&self) -> NoisySummary {
        let mut entries = Vec::new();
        for sys in &self.systems {
            for run in &sys.runs {
                let Some(ms) = run.multiscale() else { continue };
                let best = run
                    .singles()
                    .filter(|r| !r.score().is_diverged())
                    .min_by(|a, b| a.mse.total_cmp(&b.mse));
                entries.push(NoisyEntry {
                    system: sys.problem.folder.clone(),
                    noise: run.noise,
                    multiscale_mse: ms.mse,
                    multiscale_mse_clean: run.multiscale_mse_clean,
                    paper_mse: sys
                        .problem
                        .reference
                        .and_then(|p| p.multiscale_at(run.noise)),
                    selected_steps: ms.step_sizes.clone(),
                    best_single_mse: best.map_or(f64::NAN, |r| r.mse),
                    best_single_step: best
                        .and_then(|r| r.step_sizes.first().copied())
                        .unwrap_or(0),
                    multiscale_seconds: ms.seconds,
                    epochs: run.epochs,
                    epoch_limit: run.epoch_limit,
                });
            }
        }
        NoisySummary {
            quick: self.quick,
            epoch_cap: self.epoch_cap,
            entries,
        }
    }

    /// Write `tables.md`, `tables.csv`, `fig6a.png/.svg`, `fig8_<System>.png/.svg` and
    /// `summary.json` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut paths = Vec::new();
        let mut put = |name: String, bytes: &[u8]| -> Result<()> {
            let p = dir.join(name);
            write_bytes_atomic(&p, bytes)?;
            paths.push(p);
            Ok(())
        };
        put("tables.md".into(), self.tables_markdown().as_bytes())?;
        put("tables.csv".into(), self.tables_csv().as_bytes())?;
        let json = serde_json::to_string_pretty(&self.summary())
            .map_err(|e| Error::invalid("summary", e.to_string()))?;
        put("summary.json".into(), json.as_bytes())?;
        let fig = self.fig6a()?;
        put("fig6a.png".into(), &fig.to_png()?)?;
        put("fig6a.svg".into(), fig.to_svg()?.as_bytes())?;
        for sys in &self.systems {
            let folder = &sys.problem.folder;
            let fig = self.fig8(folder)?;
            put(format!("fig8_{folder}.png"), &fig.to_png()?)?;
            put(format!("fig8_{folder}.svg"), fig.to_svg()?.as_bytes())?;
        }
        Ok(paths)
    }
}
