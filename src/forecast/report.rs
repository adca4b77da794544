//! Evaluate a hierarchy of steppers on a test set the way the paper's Table 5 does, with the
//! paper's numbers beside ours: every single step size (uni-scale), the multiscale coupling
//! (optionally after model selection on the validation set), and the hybrid NN + RK4 stepper
//! against plain RK4 (Table 9). Each forecast is timed.
//!
//! A forecast that leaves the finite range is a row like any other, its score a diverged one
//! ([`ForecastRow::score`]): the markdown table's MSE cell says `diverged at step N` (N the
//! first time index t, of t dt, at which its error is not finite), and the CSV leaves `mse`
//! empty and gives N in its last column, `diverged_at` (empty for every finite row). Neither
//! ever holds `NaN` or `inf`. With model selection, diverged candidates are dropped
//! ([`crate::forecast::selection`]).
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::forecast::{markdown_table, EvalOptions, FlowMapStepper, Stepper};
//! use ndarray::Array3;
//! let maps: Vec<FlowMapStepper> = [1, 8].iter().map(|&s| FlowMapStepper::harmonic(0.001, s)).collect();
//! let refs: Vec<&dyn Stepper> = maps.iter().map(|m| m as &dyn Stepper).collect();
//! let test = Array3::from_shape_fn((2, 33, 2), |(i, t, d)| {
//!     let a = 0.001 * t as f64 + i as f64;
//!     if d == 0 { a.sin() } else { a.cos() }
//! });
//! let opts = EvalOptions::default();
//! let ev = hits::problem::harmonic().evaluate(&refs, None, test.view(), &opts)?;
//! assert_eq!(ev.rows.len(), 3); // step 1, step 8, multiscale
//! assert!(ev.rows[2].mse < 1e-12);
//! assert!(markdown_table(&ev.rows).contains("| multiscale |"));
//! # Ok(())
//! # }
//! ```

use std::time::Instant;

use ndarray::{Array3, ArrayView3, Axis};

use super::metrics::{diverged_at, Score};
use super::{
    hybrid_forecast, mse_per_step, multiscale_forecast, rk4_forecast, select_models,
    uni_scale_forecast, Selection, Stepper,
};
use crate::{Error, Result, System};

/// Published values shown beside a table's own (the paper's, for its systems:
/// [`crate::problem::PaperValues`]). Each is `None` where nothing was published.
pub trait Reference {
    /// Test MSE of the uni-scale forecast with step size `step_size` dt, without noise.
    fn single_mse(&self, step_size: usize) -> Option<f64>;
    /// Wall time of that forecast, in seconds.
    fn single_seconds(&self, step_size: usize) -> Option<f64>;
    /// Test MSE of the multiscale forecast on data with noise level `noise`.
    fn multiscale_mse(&self, noise: f64) -> Option<f64>;
    /// Wall time of the multiscale forecast, in seconds.
    fn multiscale_seconds(&self) -> Option<f64>;
    /// Test MSE of plain RK4 and of the hybrid NN + RK4 stepper at h = dt, without noise.
    fn rk4_and_hybrid_mse(&self) -> Option<(f64, f64)>;
}

/// What [`evaluate`] needs to know of the system besides its data: its name (for messages),
/// dt, its vector field (for the hybrid stepper and RK4) and values to show beside ours. An ODE
/// problem gives its own ([`crate::problem::OdeProblem::eval_target`]).
#[derive(Clone, Copy)]
pub struct EvalTarget<'a> {
    /// The name for people.
    pub name: &'a str,
    /// The sampling interval of the data.
    pub dt: f64,
    /// The vector field, when there is one.
    pub field: Option<&'a dyn System>,
    /// Published values, when there are.
    pub reference: Option<&'a dyn Reference>,
}

/// What [`evaluate`] runs besides the single scales. The default: the coupling of all
/// steppers, no selection, no hybrid, noise 0, no predictions kept.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// Choose the multiscale steppers on the validation set ([`select_models`]).
    pub select: bool,
    /// Forecast with the multiscale coupling (off: single scales and hybrid only).
    pub couple: bool,
    /// RK4 steps h / dt for the hybrid stepper and the plain-RK4 baseline (empty: none).
    pub hybrid: Vec<f64>,
    /// The noise level of the data (selects the paper's multiscale column).
    pub noise: f64,
    /// Keep every prediction in [`Evaluation::predictions`] (memory: 8 n_traj n_steps dim bytes each).
    pub keep_predictions: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            select: false,
            couple: true,
            hybrid: vec![],
            noise: 0.0,
            keep_predictions: false,
        }
    }
}

/// One forecast's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRow {
    /// `uni-scale`, `multiscale`, `hybrid` or `RK4`.
    pub method: String,
    /// Step sizes of the steppers used (in dt); for RK4 and the hybrid, the RK4 step h / dt is in `detail`.
    pub step_sizes: Vec<usize>,
    /// Extra description (e.g. `h = 2 dt`).
    pub detail: String,
    /// Test MSE over the whole tensor (`inf` or `NaN` when the forecast diverged: read it
    /// through [`ForecastRow::score`]).
    pub mse: f64,
    /// The paper's value for this row, where it has one.
    pub paper_mse: Option<f64>,
    /// Wall time of the forecast [s].
    pub seconds: f64,
    /// The paper's wall time (authors' laptop), where it has one.
    pub paper_seconds: Option<f64>,
    /// Test MSE at every step.
    pub mse_per_step: Vec<f64>,
}

impl ForecastRow {
    /// The row's score: its MSE, or the step at which the forecast diverged (from
    /// `mse_per_step`, see [`crate::forecast::diverged_at`]).
    pub fn score(&self) -> Score {
        Score {
            mse: self.mse,
            diverged_at: diverged_at(&self.mse_per_step),
        }
    }

    /// What the row forecast with: `uni-scale 2 dt`, `multiscale 1..8 (4) dt`, `hybrid 8 dt
    /// (h = 1 dt)`, `RK4 (h = 1 dt)`.
    pub fn label(&self) -> String {
        let mut s = self.method.clone();
        if !self.step_sizes.is_empty() {
            s += &format!(" {} dt", steps_label(&self.step_sizes));
        }
        if self.method != "multiscale" && !self.detail.is_empty() {
            s += &format!(" ({})", self.detail);
        }
        s
    }
}

/// Everything [`evaluate`] computed.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Single scales by step size, then the multiscale (when coupled), then RK4/hybrid pairs.
    pub rows: Vec<ForecastRow>,
    /// The model selection, when asked for.
    pub selection: Option<Selection>,
    /// The multiscale prediction `[n_traj, n_steps, dim]`, when coupled.
    pub multiscale: Option<Array3<f64>>,
    /// `(row index, prediction)` for the other rows when `keep_predictions`.
    pub predictions: Vec<(usize, Array3<f64>)>,
}

/// Forecast `test[:, 1..]` from `test[:, 0]` with every stepper (sorted ascending by step size),
/// the multiscale coupling and, if asked, the hybrid (which needs the problem's vector field).
/// `val` is needed for `select`. Every forecast is timed; the problem's reference values (the
/// paper's, for the built-in systems) stand beside ours.
///
/// This is the one evaluation loop of the crate: Table 5, Figure 2, the noise study and
/// `hits forecast` all call it.
pub fn evaluate(
    target: &EvalTarget,
    steppers: &[&dyn Stepper],
    val: Option<ArrayView3<f64>>,
    test: ArrayView3<f64>,
    options: &EvalOptions,
) -> Result<Evaluation> {
    let (n_traj, n_points, _) = test.dim();
    if n_traj == 0 || n_points < 2 {
        return Err(Error::shape(
            "test set",
            "[n_traj >= 1, n_steps + 1 >= 2, dim]",
            format!("{:?}", test.shape()),
        ));
    }
    let n_steps = n_points - 1;
    let x0 = test.index_axis(Axis(1), 0);
    let truth = test.slice(ndarray::s![.., 1.., ..]);
    if steppers.is_empty() {
        return Err(Error::invalid(
            "steppers",
            "need at least one stepper to forecast with",
        ));
    }
    let paper = target.reference;
    let clean = options.noise == 0.0;
    let mut rows = Vec::new();
    let mut predictions = Vec::new();
    let mut push =
        |row: ForecastRow, pred: Array3<f64>, keep: bool, rows: &mut Vec<ForecastRow>| {
            if keep {
                predictions.push((rows.len(), pred));
            }
            rows.push(row);
        };

    for s in steppers {
        let t0 = Instant::now();
        let pred = uni_scale_forecast(*s, x0, n_steps)?;
        let seconds = t0.elapsed().as_secs_f64();
        let per_step = mse_per_step(pred.view(), truth)?;
        let paper_seconds = paper.and_then(|p| p.single_seconds(s.step_size()));
        let row = ForecastRow {
            method: "uni-scale".into(),
            step_sizes: vec![s.step_size()],
            detail: String::new(),
            mse: mean(&per_step),
            paper_mse: paper
                .filter(|_| clean)
                .and_then(|p| p.single_mse(s.step_size())),
            seconds,
            paper_seconds,
            mse_per_step: per_step,
        };
        push(row, pred, options.keep_predictions, &mut rows);
    }

    let selection = match (options.select && options.couple, val) {
        (true, Some(val)) => Some(select_models(steppers, val)?),
        (true, None) => {
            return Err(Error::invalid(
                "select",
                "model selection needs the validation set",
            ))
        }
        (false, _) => None,
    };
    let mut multiscale = None;
    if options.couple {
        let chosen = selection
            .as_ref()
            .map_or(0..steppers.len(), |s| s.range.clone());
        let t0 = Instant::now();
        let pred = multiscale_forecast(&steppers[chosen.clone()], x0, n_steps)?;
        let seconds = t0.elapsed().as_secs_f64();
        let per_step = mse_per_step(pred.view(), truth)?;
        rows.push(ForecastRow {
            method: "multiscale".into(),
            step_sizes: steppers[chosen].iter().map(|s| s.step_size()).collect(),
            detail: if selection.is_some() {
                "selected on val".into()
            } else {
                "all steppers".into()
            },
            mse: mean(&per_step),
            paper_mse: paper.and_then(|p| p.multiscale_mse(options.noise)),
            seconds,
            paper_seconds: paper.and_then(|p| p.multiscale_seconds()),
            mse_per_step: per_step,
        });
        multiscale = Some(pred);
    }

    if !options.hybrid.is_empty() {
        let system = target.field.ok_or_else(|| {
            Error::invalid(
                "vector field",
                format!(
                    "the hybrid NN + RK4 stepper needs the vector field of {}, but it is a \
                     data-only problem",
                    target.name
                ),
            )
        })?;
        let dt = target.dt;
        let coarse = *steppers.last().expect("non-empty");
        for &h in &options.hybrid {
            let table9 = |i: usize| {
                if h == 1.0 && clean {
                    paper
                        .and_then(|p| p.rk4_and_hybrid_mse())
                        .map(|(rk4, hybrid)| if i == 0 { rk4 } else { hybrid })
                } else {
                    None
                }
            };
            let t0 = Instant::now();
            let rk = rk4_forecast(system, dt, h, x0, n_steps)?;
            let t_rk = t0.elapsed().as_secs_f64();
            let t0 = Instant::now();
            let hy = hybrid_forecast(coarse, system, dt, h, x0, n_steps)?;
            let t_hy = t0.elapsed().as_secs_f64();
            for (i, (method, pred, secs, sizes)) in [
                ("RK4", rk, t_rk, vec![]),
                ("hybrid", hy, t_hy, vec![coarse.step_size()]),
            ]
            .into_iter()
            .enumerate()
            {
                let per_step = mse_per_step(pred.view(), truth)?;
                let row = ForecastRow {
                    method: method.into(),
                    step_sizes: sizes,
                    detail: format!("h = {h} dt"),
                    mse: mean(&per_step),
                    paper_mse: table9(i),
                    seconds: secs,
                    paper_seconds: None,
                    mse_per_step: per_step,
                };
                push(row, pred, options.keep_predictions, &mut rows);
            }
        }
    }
    Ok(Evaluation {
        rows,
        selection,
        multiscale,
        predictions,
    })
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".to_string(), f)
}

/// The rows as a markdown table: method, step sizes, our MSE (or `diverged at step N`), the
/// paper's, our and its time.
pub fn markdown_table(rows: &[ForecastRow]) -> String {
    let mut s = String::from("| method | steps (dt) | detail | test MSE | paper MSE | time [s] | paper time [s] |\n|---|---|---|---|---|---|---|\n");
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.3} | {} |\n",
            r.method,
            steps_label(&r.step_sizes),
            r.detail,
            r.score().describe(|v| format!("{v:.2e}")),
            fmt_opt(r.paper_mse, |v| format!("{v:.1e}")),
            r.seconds,
            fmt_opt(r.paper_seconds, |v| format!("{v:.2}")),
        ));
    }
    s
}

/// The rows as CSV (full precision; empty cells where the paper has no value). A diverged row
/// has an empty `mse` and the step in the last column, `diverged_at` (empty for finite rows).
pub fn csv_table(rows: &[ForecastRow]) -> String {
    let mut s =
        String::from("method,steps,detail,mse,paper_mse,seconds,paper_seconds,diverged_at\n");
    for r in rows {
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:e}"));
        let (mse, diverged) = r.score().csv_cells();
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            r.method,
            r.step_sizes
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            r.detail,
            mse,
            opt(r.paper_mse),
            r.seconds,
            opt(r.paper_seconds),
            diverged,
        ));
    }
    s
}

fn steps_label(sizes: &[usize]) -> String {
    match sizes {
        [] => "-".into(),
        [s] => s.to_string(),
        [a, .., b] => format!("{a}..{b} ({})", sizes.len()),
    }
}
