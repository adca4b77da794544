//! Figure 6B, Figure 9 and Table 9 of the paper: classic RK4 against the hybrid stepper, the
//! largest neural stepper plus RK4.
//!
//! For each RK4 step `h = c dt`, c in {1, 2, 4, 8, 16}:
//! - plain RK4 integrates every test trajectory from its first point over the whole horizon
//!   ([`crate::forecast::rk4_forecast`]);
//! - the hybrid lets the coarse neural stepper (step `S` = 1024 dt: 10.24, or 0.512 for Lorenz)
//!   jump ahead from x0, then RK4 with the same h fills every coarse interval from its coarse
//!   point, all intervals in one batch ([`crate::forecast::hybrid_forecast`]).
//!
//! Both are interpolated (or subsampled) to every dt and scored against the data's ground truth
//! (scipy-default RK45, rtol 1e-3, atol 1e-6; this is why RK4's "error" is not tiny) by the test
//! MSE `mean (x̂ - x)^2` over trajectories, steps 1..=5120 and components. Each forecast is
//! timed: accuracy against cost is Figure 6B, the error curves are Figure 9, and the table puts
//! the paper's Table 9 values (RK4 and hybrid at h = dt) beside ours. The coarse stepper alone
//! (its uni-scale forecast) is reported as a reference.
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! use std::path::Path;
//! use hits::experiments::hybrid::{self, results_dir, PAPER_H};
//! let problem = hits::problem::hyperbolic().quick();
//! let device = hits::stepper::device::select_device(hits::stepper::device::DeviceChoice::Cpu)?;
//! let result = hybrid::run(&problem, Path::new("data"), Path::new("models"), None, &PAPER_H, &device, &mut |p| eprintln!("{p}"))?;
//! println!("{}", result.table_markdown());
//! result.save(&results_dir(Path::new("results"), &problem))?;
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use candle_core::Device;
use ndarray::ArrayView3;
use serde::{Deserialize, Serialize};

use crate::experiments::multiscale_hits::{obtain_steppers, Provenance};
use crate::experiments::ode::ensure_data;
use crate::forecast::{
    diverged_at, evaluate as evaluate_rows, EvalOptions, Score, Stepper, StepperSet,
};
use crate::io::write_bytes_atomic;
use crate::problem::OdeProblem;
use crate::stepper::Progress;
use crate::{Error, Result};

mod figures;

/// The paper's RK4 steps, in units of dt.
pub const PAPER_H: [f64; 5] = [1.0, 2.0, 4.0, 8.0, 16.0];

/// `<out>/hybrid/<folder>`, or `<out>/quick/hybrid/<folder>` in quick mode.
pub fn results_dir(out: &Path, problem: &OdeProblem) -> PathBuf {
    problem.results_dir(out, "hybrid")
}

/// RK4 and the hybrid at one RK4 step.
#[derive(Debug, Clone, PartialEq)]
pub struct HybridRow {
    /// The RK4 step in units of dt.
    pub h: f64,
    pub rk4_mse: f64,
    pub rk4_seconds: f64,
    pub hybrid_mse: f64,
    pub hybrid_seconds: f64,
    /// The paper's Table 9 values (only at h = dt).
    pub paper_rk4_mse: Option<f64>,
    pub paper_hybrid_mse: Option<f64>,
    /// Test MSE at every step 1..=n_steps.
    pub rk4_per_step: Vec<f64>,
    pub hybrid_per_step: Vec<f64>,
}

/// Everything Figure 6B, Figure 9 and Table 9 show for one system.
#[derive(Debug, Clone)]
pub struct HybridResult {
    /// The problem's name and folder.
    pub system: String,
    pub folder: String,
    pub dt: f64,
    pub n_test: usize,
    /// Step size of the coarse neural stepper (dt).
    pub coarse_step: usize,
    /// The coarse stepper alone (uni-scale, interpolated): MSE, time, error curve.
    pub coarse_mse: f64,
    pub coarse_seconds: f64,
    pub coarse_per_step: Vec<f64>,
    /// One row per RK4 step, in the order asked.
    pub rows: Vec<HybridRow>,
    /// The paper's Table 9 at h = dt (RK4, hybrid), where published.
    pub paper: Option<(f64, f64)>,
    pub provenance: Provenance,
}

/// Forecast `test[:, 1..]` from `test[:, 0]` with RK4 and with the hybrid (coarse stepper +
/// RK4) at every RK4 step of `hs` (units of dt), timing each, through the crate's one
/// evaluation loop ([`crate::forecast::evaluate`]); needs the problem's vector field.
pub fn evaluate(
    problem: &OdeProblem,
    coarse: &dyn Stepper,
    test: ArrayView3<f64>,
    hs: &[f64],
    provenance: Provenance,
) -> Result<HybridResult> {
    if hs.is_empty() {
        return Err(Error::invalid("h", "give at least one RK4 step"));
    }
    problem.vector_field("the hybrid NN + RK4 stepper")?;
    let options = EvalOptions {
        couple: false,
        hybrid: hs.to_vec(),
        ..EvalOptions::default()
    };
    let ev = evaluate_rows(&problem.eval_target(), &[coarse], None, test, &options)?;
    // rows: the coarse stepper alone, then (RK4, hybrid) per h
    let coarse_row = &ev.rows[0];
    let rows = ev.rows[1..]
        .chunks(2)
        .zip(hs)
        .map(|(pair, &h)| HybridRow {
            h,
            rk4_mse: pair[0].mse,
            rk4_seconds: pair[0].seconds,
            hybrid_mse: pair[1].mse,
            hybrid_seconds: pair[1].seconds,
            paper_rk4_mse: pair[0].paper_mse,
            paper_hybrid_mse: pair[1].paper_mse,
            rk4_per_step: pair[0].mse_per_step.clone(),
            hybrid_per_step: pair[1].mse_per_step.clone(),
        })
        .collect();
    Ok(HybridResult {
        system: problem.name.clone(),
        folder: problem.folder.clone(),
        dt: problem.dt,
        n_test: test.dim().0,
        coarse_step: coarse.step_size(),
        coarse_mse: coarse_row.mse,
        coarse_seconds: coarse_row.seconds,
        coarse_per_step: coarse_row.mse_per_step.clone(),
        rows,
        paper: problem.reference.map(|p| p.rk4_vs_hybrid),
        provenance,
    })
}

/// The whole experiment: data, the largest stepper of `cfg.steps` ([`obtain_steppers`]; only
/// that one is trained when missing), RK4 vs hybrid at every h of `hs`.
pub fn run(
    cfg: &OdeProblem,
    data_root: &Path,
    models_root: &Path,
    pretrained: Option<&Path>,
    hs: &[f64],
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<HybridResult> {
    cfg.vector_field("the hybrid NN + RK4 stepper")?;
    let data = ensure_data(cfg, 0.0, data_root)?;
    let largest = *cfg
        .hierarchy
        .steps
        .iter()
        .max()
        .ok_or_else(|| Error::invalid("steps", "no step sizes configured"))?;
    let mut coarse_cfg = cfg.clone();
    coarse_cfg.hierarchy.steps = vec![largest];
    let steppers = obtain_steppers(
        &coarse_cfg,
        0.0,
        &data,
        models_root,
        pretrained,
        device,
        progress,
    )?;
    let coarse = steppers.largest().ok_or_else(|| {
        Error::invalid(
            "steppers",
            format!("no stepper of step size {largest} was found"),
        )
    })?;
    let set = StepperSet::new(std::slice::from_ref(coarse), device)?;
    evaluate(
        cfg,
        set.refs()[0],
        data.test.view(),
        hs,
        steppers.provenance.clone(),
    )
}

/// The JSON summary of one system's result (`summary.json`), for reports. MSE values are
/// `None` where a forecast blew up (non-finite).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HybridSummary {
    pub system: String,
    pub dt: f64,
    pub n_test: usize,
    pub coarse_step: usize,
    pub coarse_mse: Option<f64>,
    /// RK4 steps (dt) and, per step: MSE and wall time of RK4 and of the hybrid.
    pub h: Vec<f64>,
    pub rk4_mse: Vec<Option<f64>>,
    pub rk4_seconds: Vec<f64>,
    pub hybrid_mse: Vec<Option<f64>>,
    pub hybrid_seconds: Vec<f64>,
    /// The paper's Table 9 at h = dt: RK4 and hybrid MSE.
    pub paper_rk4_mse: Option<f64>,
    pub paper_hybrid_mse: Option<f64>,
    pub provenance: Provenance,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// A forecast's score from its MSE and per-step errors (a number, or where it diverged).
fn score(mse: f64, per_step: &[f64]) -> Score {
    Score {
        mse,
        diverged_at: diverged_at(per_step),
    }
}

fn sci(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1e}"))
}

impl HybridResult {
    /// The JSON summary.
    pub fn summary(&self) -> HybridSummary {
        let paper = self.paper;
        HybridSummary {
            system: self.folder.clone(),
            dt: self.dt,
            n_test: self.n_test,
            coarse_step: self.coarse_step,
            coarse_mse: finite(self.coarse_mse),
            h: self.rows.iter().map(|r| r.h).collect(),
            rk4_mse: self.rows.iter().map(|r| finite(r.rk4_mse)).collect(),
            rk4_seconds: self.rows.iter().map(|r| r.rk4_seconds).collect(),
            hybrid_mse: self.rows.iter().map(|r| finite(r.hybrid_mse)).collect(),
            hybrid_seconds: self.rows.iter().map(|r| r.hybrid_seconds).collect(),
            paper_rk4_mse: paper.map(|p| p.0),
            paper_hybrid_mse: paper.map(|p| p.1),
            provenance: self.provenance.clone(),
        }
    }

    /// Table 9 for this system: per RK4 step, RK4 and hybrid MSE and time, the paper's MSE
    /// (at h = dt) beside ours, and the hybrid's speed-up over RK4.
    pub fn table_markdown(&self) -> String {
        let mut out = String::from(
            "| h (dt) | RK4 MSE | paper RK4 | RK4 time [s] | hybrid MSE | paper hybrid | hybrid time [s] | RK4 time / hybrid time |\n|---|---|---|---|---|---|---|---|\n",
        );
        let sci2 = |v: f64| format!("{v:.2e}");
        for r in &self.rows {
            out += &format!(
                "| {} | {} | {} | {:.4} | {} | {} | {:.4} | {:.2} |\n",
                r.h,
                score(r.rk4_mse, &r.rk4_per_step).describe(sci2),
                sci(r.paper_rk4_mse),
                r.rk4_seconds,
                score(r.hybrid_mse, &r.hybrid_per_step).describe(sci2),
                sci(r.paper_hybrid_mse),
                r.hybrid_seconds,
                r.rk4_seconds / r.hybrid_seconds.max(1e-12)
            );
        }
        out
    }

    /// The table as CSV (full precision; empty cells where the paper has no value). A diverged
    /// forecast has an empty MSE and its step in `rk4_diverged_at` / `hybrid_diverged_at`.
    pub fn table_csv(&self) -> String {
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:e}"));
        let mut out = String::from(
            "h,rk4_mse,paper_rk4_mse,rk4_seconds,hybrid_mse,paper_hybrid_mse,hybrid_seconds,rk4_diverged_at,hybrid_diverged_at\n",
        );
        for r in &self.rows {
            let (rk4, rk4_at) = score(r.rk4_mse, &r.rk4_per_step).csv_cells();
            let (hy, hy_at) = score(r.hybrid_mse, &r.hybrid_per_step).csv_cells();
            out += &format!(
                "{},{},{},{},{},{},{},{},{}\n",
                r.h,
                rk4,
                opt(r.paper_rk4_mse),
                r.rk4_seconds,
                hy,
                opt(r.paper_hybrid_mse),
                r.hybrid_seconds,
                rk4_at,
                hy_at
            );
        }
        out
    }

    /// The markdown report: table, the coarse stepper alone, provenance.
    pub fn report_markdown(&self) -> String {
        let p = &self.provenance;
        format!(
            "# {}: RK4 vs hybrid NN + RK4 (Figure 6B, Figure 9, Table 9){}\n\n{} test trajectories, dt = {}; coarse stepper {} dt ({} = {}). Steppers: {} ({}).\n\n{}\nThe coarse stepper alone (uni-scale, interpolated): test MSE {} in {:.4} s.\n",
            self.system,
            if p.quick { " (QUICK run: tiny data and nets)" } else { "" },
            self.n_test,
            self.dt,
            self.coarse_step,
            self.coarse_step,
            self.coarse_step as f64 * self.dt,
            p.source,
            p.detail,
            self.table_markdown(),
            score(self.coarse_mse, &self.coarse_per_step).describe(|v| format!("{v:.2e}")),
            self.coarse_seconds
        )
    }

    /// Write `table.md`, `table.csv`, `summary.json`, `fig6b_accuracy.{png,svg}` and
    /// `fig9_error.{png,svg}` into `dir` (created), atomically.
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let json = serde_json::to_string_pretty(&self.summary())
            .map_err(|e| Error::invalid("summary", e.to_string()))?;
        let mut paths = Vec::new();
        for (name, text) in [
            ("table.md", self.report_markdown()),
            ("table.csv", self.table_csv()),
            ("summary.json", json),
        ] {
            let p = dir.join(name);
            write_bytes_atomic(&p, text.as_bytes())?;
            paths.push(p);
        }
        for (stem, fig) in [
            ("fig6b_accuracy", self.accuracy_figure()?),
            ("fig9_error", self.error_figure()?),
        ] {
            for ext in ["png", "svg"] {
                let p = dir.join(format!("{stem}.{ext}"));
                fig.save(&p)?;
                paths.push(p);
            }
        }
        Ok(paths)
    }
}

/// Read the `summary.json` that [`HybridResult::save`] wrote into `dir`.
pub fn load_summary(dir: &Path) -> Result<HybridSummary> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::bad_file(&path, e.to_string()))
}
