//! Figure 5 and Table 5 of the paper for one system: every single-scale stepper against the
//! multiscale coupling of the steppers chosen on the validation set.
//!
//! Steppers `x_{k+1} = x_k + MLP(x_k)` of step sizes `2^0 .. 2^10` dt ([`obtain_steppers`]:
//! imported from the authors' models, loaded, or trained) forecast every test trajectory from
//! its first point over the 5120 steps. Uni-scale forecasts are linearly interpolated to every
//! dt; the multiscale forecast couples the selected steppers (largest first, the smaller ones
//! restarting from every point already computed). The test MSE of a forecast is
//! `mean over (trajectories, steps 1..=5120, components) of (x̂ - x)^2`, and the error curve of
//! Figure 5 is that mean at each step. Model selection ([`crate::forecast::select_models`])
//! first drops the largest, then the smallest steppers while the validation MSE does not grow.
//!
//! The result holds the table (our MSE and the paper's, our forecast wall time and the paper's),
//! the selection candidates, one sample trajectory (truth, multiscale, best single scale) and
//! makes the figures ([`MultiscaleResult::error_figure`], [`MultiscaleResult::sample_figure`],
//! [`MultiscaleResult::timing_figure`]). [`MultiscaleResult::save`] writes them with a JSON
//! [`MultiscaleSummary`] that [`load_summary`] reads back.
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! use std::path::Path;
//! use hits::experiments::multiscale_hits::{self, results_dir};
//! let problem = hits::problem::hyperbolic().quick();
//! let device = hits::stepper::device::select_device(hits::stepper::device::DeviceChoice::Cpu)?;
//! let result = multiscale_hits::run(&problem, Path::new("data"), Path::new("models"), None, &device, &mut |p| eprintln!("{p}"))?;
//! println!("{}", result.table_markdown());
//! result.save(&results_dir(Path::new("results"), &problem))?;
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Device;
use ndarray::{s, Array2, Axis};
use serde::{Deserialize, Serialize};

use crate::data::DataSet;
use crate::experiments::ode::ensure_data;
use crate::forecast::{
    csv_table, evaluate as evaluate_rows, markdown_table, uni_scale_forecast, EvalOptions,
    ForecastRow, Selection, Stepper,
};
use crate::io::write_bytes_atomic;
use crate::problem::OdeProblem;
use crate::stepper::Progress;
use crate::{Error, Result};

mod figures;
mod steppers;

pub use crate::hierarchy::{Hierarchy, Provenance};
pub use steppers::{obtain_steppers, ORIGINAL_MODELS};

/// Index of the test trajectory drawn in the sample figure.
pub const SAMPLE_TRAJECTORY: usize = 0;

/// `<out>/multiscale_hits/<folder>`, or `<out>/quick/multiscale_hits/<folder>` in quick mode
/// (so a quick run never overwrites a full one).
pub fn results_dir(out: &Path, problem: &OdeProblem) -> PathBuf {
    problem.results_dir(out, "multiscale_hits")
}

/// Everything Figure 5 and Table 5 show for one system.
#[derive(Debug, Clone)]
pub struct MultiscaleResult {
    /// The problem evaluated (names, components, the paper's values).
    pub problem: OdeProblem,
    /// Sampling interval of the data.
    pub dt: f64,
    /// Noise level of the data.
    pub noise: f64,
    /// Test trajectories forecast.
    pub n_test: usize,
    /// Step sizes of the steppers (units of dt), ascending.
    pub steps: Vec<usize>,
    /// One uni-scale row per step size (ascending), then the multiscale row.
    pub rows: Vec<ForecastRow>,
    /// The model selection on the validation set.
    pub selection: Selection,
    /// Sample test trajectory `[n_points, dim]` (x0 first), its multiscale forecast and the
    /// forecast of the best single scale (x0 first in both).
    pub sample_truth: Array2<f64>,
    pub sample_multiscale: Array2<f64>,
    pub sample_best: Array2<f64>,
    /// Step size of the best single scale (lowest test MSE).
    pub best_step: usize,
    /// Wall time of the whole evaluation (all forecasts and the selection) [s].
    pub evaluation_seconds: f64,
    /// How the steppers were obtained.
    pub provenance: Provenance,
}

/// Forecast `data.test` with every stepper (sorted ascending by step size) and with the
/// coupling selected on `data.val`.
pub fn evaluate(
    problem: &OdeProblem,
    steppers: &[&dyn Stepper],
    data: &DataSet,
    noise: f64,
    provenance: Provenance,
) -> Result<MultiscaleResult> {
    if steppers.is_empty() {
        return Err(Error::invalid("steppers", "need at least one stepper"));
    }
    if steppers
        .windows(2)
        .any(|w| w[0].step_size() >= w[1].step_size())
    {
        return Err(Error::invalid(
            "steppers",
            "sort them by step size, ascending, without repeats",
        ));
    }
    let start = Instant::now();
    let options = EvalOptions {
        select: true,
        noise,
        ..EvalOptions::default()
    };
    let ev = evaluate_rows(
        &problem.eval_target(),
        steppers,
        Some(data.val.view()),
        data.test.view(),
        &options,
    )?;
    let selection = ev
        .selection
        .ok_or_else(|| Error::invalid("selection", "the evaluation made no model selection"))?;
    let test = &data.test;
    let (n_test, n_points, dim) = test.dim();
    if n_test < SAMPLE_TRAJECTORY + 1 {
        return Err(Error::shape(
            "test set",
            "at least one trajectory",
            format!("{:?}", test.shape()),
        ));
    }
    let sample_truth = test.index_axis(Axis(0), SAMPLE_TRAJECTORY).to_owned();
    let with_x0 = |pred: ndarray::ArrayView2<f64>| {
        let mut out = Array2::zeros((n_points, dim));
        out.row_mut(0).assign(&sample_truth.row(0));
        out.slice_mut(s![1.., ..]).assign(&pred);
        out
    };
    let multiscale = ev
        .multiscale
        .as_ref()
        .ok_or_else(|| Error::invalid("evaluation", "the coupling was not forecast"))?;
    let sample_multiscale = with_x0(multiscale.index_axis(Axis(0), SAMPLE_TRAJECTORY));
    let n = steppers.len();
    let best = (0..n)
        .filter(|&i| ev.rows[i].mse.is_finite())
        .min_by(|&a, &b| ev.rows[a].mse.total_cmp(&ev.rows[b].mse))
        .unwrap_or(0);
    let x0 = test.slice(s![SAMPLE_TRAJECTORY..=SAMPLE_TRAJECTORY, 0, ..]);
    let best_pred = uni_scale_forecast(steppers[best], x0, n_points - 1)?;
    let sample_best = with_x0(best_pred.index_axis(Axis(0), 0));
    Ok(MultiscaleResult {
        problem: problem.clone(),
        dt: problem.dt,
        noise,
        n_test,
        steps: steppers.iter().map(|s| s.step_size()).collect(),
        rows: ev.rows,
        selection,
        sample_truth,
        sample_multiscale,
        sample_best,
        best_step: steppers[best].step_size(),
        evaluation_seconds: start.elapsed().as_secs_f64(),
        provenance,
    })
}

/// [`evaluate`] with obtained steppers, through a [`StepperSet`] (fused on the CPU).
pub fn evaluate_steppers(
    problem: &OdeProblem,
    steppers: &Hierarchy,
    data: &DataSet,
    noise: f64,
) -> Result<MultiscaleResult> {
    let set = steppers.set()?;
    evaluate(
        problem,
        &set.refs(),
        data,
        noise,
        steppers.provenance.clone(),
    )
}

/// The whole experiment at noise 0: data ([`ensure_data`] under `data_root`), steppers
/// ([`obtain_steppers`]; `pretrained`: root of the authors' models), evaluation.
pub fn run(
    cfg: &OdeProblem,
    data_root: &Path,
    models_root: &Path,
    pretrained: Option<&Path>,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<MultiscaleResult> {
    let data = ensure_data(cfg, 0.0, data_root)?;
    let steppers = obtain_steppers(cfg, 0.0, &data, models_root, pretrained, device, progress)?;
    evaluate_steppers(cfg, &steppers, &data, 0.0)
}

/// The JSON summary of one system's result (`summary.json`), for reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiscaleSummary {
    /// The problem's folder name (`Hyperbolic`, `Cubic`, `VanDerPol`, `Hopf`, `Lorenz`, ...).
    pub system: String,
    pub dt: f64,
    pub noise: f64,
    pub n_test: usize,
    /// Step sizes (dt) of the single-scale rows.
    pub steps: Vec<usize>,
    /// Test MSE per step size (`None`: the forecast blew up, non-finite).
    pub single_mse: Vec<Option<f64>>,
    /// The paper's test MSE per step size.
    pub paper_single_mse: Vec<Option<f64>>,
    /// Forecast wall time per step size [s].
    pub single_seconds: Vec<f64>,
    /// Test MSE of the multiscale coupling.
    pub multiscale_mse: Option<f64>,
    pub paper_multiscale_mse: Option<f64>,
    pub multiscale_seconds: f64,
    /// The paper's forecast times [s]: step 1 dt, step 1024 dt, multiscale (authors' laptop).
    pub paper_seconds: Option<[f64; 3]>,
    /// Step sizes the validation kept, and their validation MSE.
    pub selected_steps: Vec<usize>,
    pub selection_val_mse: Option<f64>,
    /// Step size of the best single scale.
    pub best_step: usize,
    pub evaluation_seconds: f64,
    pub provenance: Provenance,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl MultiscaleResult {
    /// The uni-scale rows, one per step size.
    pub fn single_rows(&self) -> &[ForecastRow] {
        &self.rows[..self.steps.len()]
    }

    /// The multiscale row.
    pub fn multiscale_row(&self) -> &ForecastRow {
        &self.rows[self.steps.len()]
    }

    /// The step sizes the model selection kept.
    pub fn selected_steps(&self) -> &[usize] {
        &self.steps[self.selection.range.clone()]
    }

    /// Validation MSE of every candidate range the selection tried, in order (a diverged one:
    /// `diverged at step N (dropped)`).
    pub fn selection_markdown(&self) -> String {
        let mut out = String::from("| candidate step sizes (dt) | validation MSE |\n|---|---|\n");
        for c in &self.selection.candidates {
            let score = c.score();
            out += &format!(
                "| {:?} | {}{} |\n",
                &self.steps[c.range.clone()],
                score.describe(|v| format!("{v:.3e}")),
                if score.is_diverged() {
                    " (dropped)"
                } else {
                    ""
                }
            );
        }
        out
    }

    /// Table 5 for this system: one row per step size and the multiscale row, our MSE and time
    /// beside the paper's.
    pub fn table_markdown(&self) -> String {
        markdown_table(&self.rows)
    }

    /// The table as CSV (full precision).
    pub fn table_csv(&self) -> String {
        csv_table(&self.rows)
    }

    /// The JSON summary.
    pub fn summary(&self) -> MultiscaleSummary {
        let ms = self.multiscale_row();
        MultiscaleSummary {
            system: self.problem.folder.clone(),
            dt: self.dt,
            noise: self.noise,
            n_test: self.n_test,
            steps: self.steps.clone(),
            single_mse: self.single_rows().iter().map(|r| finite(r.mse)).collect(),
            paper_single_mse: self.single_rows().iter().map(|r| r.paper_mse).collect(),
            single_seconds: self.single_rows().iter().map(|r| r.seconds).collect(),
            multiscale_mse: finite(ms.mse),
            paper_multiscale_mse: ms.paper_mse,
            multiscale_seconds: ms.seconds,
            paper_seconds: self
                .problem
                .reference
                .map(|p| [p.seconds.0, p.seconds.1, p.seconds.2]),
            selected_steps: self.selected_steps().to_vec(),
            selection_val_mse: finite(self.selection.mse),
            best_step: self.best_step,
            evaluation_seconds: self.evaluation_seconds,
            provenance: self.provenance.clone(),
        }
    }

    /// The markdown report: table, selection, provenance.
    pub fn report_markdown(&self) -> String {
        let p = &self.provenance;
        format!(
            "# {} : Figure 5 / Table 5{}\n\n{} test trajectories, dt = {}, noise {}. Steppers: {} ({}).\n\n{}\nModel selection on the validation set (drop the largest, then the smallest, while not worse):\n\n{}\nSelected step sizes: {:?} dt. Best single scale: {} dt.\n",
            self.problem.name,
            if p.quick { " (QUICK run: tiny data and nets)" } else { "" },
            self.n_test,
            self.dt,
            self.noise,
            p.source,
            p.detail,
            self.table_markdown(),
            self.selection_markdown(),
            self.selected_steps(),
            self.best_step,
        )
    }

    /// Write `table.md`, `table.csv`, `summary.json`, `fig5_error.{png,svg}`,
    /// `fig5_samples.{png,svg}` and `timing.{png,svg}` into `dir` (created), atomically.
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut paths = Vec::new();
        for (name, text) in [
            ("table.md", self.report_markdown()),
            ("table.csv", self.table_csv()),
            ("summary.json", summary_json(&self.summary())?),
        ] {
            let p = dir.join(name);
            write_bytes_atomic(&p, text.as_bytes())?;
            paths.push(p);
        }
        for (stem, fig) in [
            ("fig5_error", self.error_figure()?),
            ("fig5_samples", self.sample_figure()?),
            ("timing", self.timing_figure()?),
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

fn summary_json(summary: &MultiscaleSummary) -> Result<String> {
    serde_json::to_string_pretty(summary).map_err(|e| Error::invalid("summary", e.to_string()))
}

/// Read the `summary.json` that [`MultiscaleResult::save`] wrote into `dir`.
pub fn load_summary(dir: &Path) -> Result<MultiscaleSummary> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::bad_file(&path, e.to_string()))
}
