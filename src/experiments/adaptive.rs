//! The adaptive experiments (issue 28): HiTS, AHiTS ([`crate::hierarchy::adaptive`]), the
//! error-controlled AHiTS ([`crate::forecast::controlled`]) and ensembles of step paths
//! ([`crate::forecast::ensemble`]) side by side on the same steppers, the authors' checkpoints.
//!
//! - **The noise study** ([`noise_row`]): at each noise level (0, 1, 2, 5, 10, 20 % as the AHiTS
//!   paper), the best single scale, the HiTS coupling selected on the validation set and AHiTS at
//!   the notebook's tolerance, each with its test MSE and network evaluations per trajectory.
//! - **At noise 0** ([`clean_study`]): the AHiTS notebook's figures (the per-step error of
//!   every single scale with HiTS and AHiTS over it, a time response, computing times) and
//!   accuracy against cost: every single scale, HiTS, AHiTS over
//!   a range of tolerances, the error-controlled AHiTS over a range of tolerances (state units)
//!   and RK4 (whose cost is vector-field evaluations, four per step: another unit, shown for
//!   scale).
//! - **The uncertainty band** ([`band`]): an ensemble of random step paths over the test set, its
//!   calibration (share of true points inside mean +- 2 std) and whether its mean beats HiTS.
//!
//! The steppers are the authors' (`original_models/<System>` at noise 0, `ahits_models/<System>`
//! at 1-20 %, under `../shared/data`), the data the paper's seed-2 sets at each level
//! ([`crate::experiments::ode::ensure_data_levels`]).

use std::path::{Path, PathBuf};

use candle_core::Device;
use ndarray::s;
use serde::{Deserialize, Serialize};

use super::ode::{ensure_data_levels, ensure_hierarchy};
use crate::data::npy::python_float;
use crate::data::DataSet;
use crate::forecast::{
    calibration, error_controlled_forecast, mse, mse_per_step, rk4_forecast, step_path_ensemble,
    EvalOptions, Evaluation, Stepper,
};
use crate::hierarchy::adaptive::{evaluations_of_steps, paper_tolerance};
use crate::hierarchy::{AdaptiveForecast, Hierarchy};
use crate::io::write_bytes_atomic;
use crate::plot::{Axes, Color, Colormap, Figure, Series};
use crate::problem::OdeProblem;
use crate::stepper::Progress;
use crate::{Error, Result};

/// The AHiTS paper's noise levels.
pub const AHITS_NOISES: [f64; 6] = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2];
/// Factors of the paper tolerance in the accuracy-against-cost sweep of AHiTS.
pub const TOL_FACTORS: [f64; 5] = [0.1, 0.3, 1.0, 3.0, 10.0];
/// Tolerances (state units, rms) of the error-controlled AHiTS in the sweep.
pub const CONTROL_TOLS: [f64; 5] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];
/// RK4 steps (units of dt) in the sweep.
pub const RK4_STEPS: [f64; 5] = [1.0, 2.0, 4.0, 8.0, 16.0];
/// [`Band::steppers`]: every stepper of the hierarchy.
pub const ALL_STEPPERS: &str = "all steppers";
/// [`Band::steppers`]: only the steppers the HiTS coupling selected on the validation set.
pub const HITS_STEPPERS: &str = "HiTS's steppers";
/// [`CostPoint::method`] of the error-controlled AHiTS over every stepper.
pub const CONTROL_ALL: &str = "AHiTS (error control)";
/// The same over the steppers HiTS selected (the validated range; a doubling ladder).
pub const CONTROL_HITS: &str = "AHiTS (error control, HiTS's steppers)";
/// Members of the step-path ensemble.
pub const MEMBERS: usize = 16;

const RED: Color = Color(214, 39, 40);
const BLUE: Color = Color(31, 119, 180);
const GREEN: Color = Color(44, 160, 44);
const ORANGE: Color = Color(255, 127, 14);
const PURPLE: Color = Color(148, 103, 189);

/// The steppers of `refs` whose step is in `steps` (`None`: all).
fn subset<'a>(refs: Vec<&'a dyn Stepper>, steps: Option<&[usize]>) -> Vec<&'a dyn Stepper> {
    match steps {
        Some(steps) => refs
            .into_iter()
            .filter(|s| steps.contains(&s.step_size()))
            .collect(),
        None => refs,
    }
}

/// The folder of the authors' checkpoints of `folder` at `noise` under `shared_data`
/// (`../shared/data`): `original_models/<folder>` at noise 0, `ahits_models/<folder>` else.
pub fn authors_dir(shared_data: &Path, folder: &str, noise: f64) -> PathBuf {
    let sub = if noise == 0.0 {
        "original_models"
    } else {
        "ahits_models"
    };
    shared_data.join(sub).join(folder)
}

/// Whose steppers a [`NoiseRow`] used.
pub const AUTHORS: &str = "authors";
/// Our own steppers, trained as `hits reproduce noisy --quick` trains them.
pub const OURS: &str = "hits (quick-trained)";

/// One noise level of the study, on one set of steppers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseRow {
    /// [`AUTHORS`] or [`OURS`].
    pub steppers: String,
    pub noise: f64,
    /// The best single scale on the test set: its step and MSE.
    pub best_single: (usize, f64),
    /// The HiTS coupling selected on the validation set: its steps, MSE, evaluations.
    pub hits_steps: Vec<usize>,
    pub hits_mse: f64,
    pub hits_evaluations: usize,
    /// AHiTS at `ahits_tol`: MSE and evaluations.
    pub ahits_tol: f64,
    /// `None` when AHiTS diverged (see `ahits_diverged`).
    pub ahits_mse: Option<f64>,
    pub ahits_evaluations: Option<usize>,
    /// Why AHiTS has no MSE: the steppers diverged on the validation states while the schedule
    /// was made, or the forecast of the test set is not finite.
    pub ahits_diverged: Option<String>,
}

impl NoiseRow {
    /// AHiTS's MSE and evaluations as two table cells (`diverged`, `-` when it diverged).
    pub fn ahits_cells(&self) -> [String; 2] {
        match (self.ahits_mse, self.ahits_evaluations) {
            (Some(e), Some(n)) => [format!("{e:.2e}"), n.to_string()],
            _ => ["diverged".into(), "-".into()],
        }
    }
}

/// One point of accuracy against cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostPoint {
    /// `single`, `HiTS`, `AHiTS`, `AHiTS (error control)` or `RK4`.
    pub method: String,
    /// The setting: the step, the tolerance.
    pub setting: String,
    /// Network evaluations per trajectory (RK4: vector-field evaluations).
    pub evaluations: f64,
    pub mse: f64,
}

/// The ensemble's band over the test set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Which steppers the paths compose: [`ALL_STEPPERS`] or [`HITS_STEPPERS`].
    pub steppers: String,
    pub members: usize,
    pub seed: u32,
    /// Share of the test points inside mean +- 2 std.
    pub calibration: f64,
    /// MSE of the ensemble mean, and of the HiTS coupling, on the test set.
    pub ensemble_mse: f64,
    pub hits_mse: f64,
    /// Trajectory 0, component 0: times, truth, mean and spread (for the figure).
    pub t: Vec<f64>,
    pub truth: Vec<f64>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

/// The study of one system.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdaptiveStudy {
    pub system: String,
    pub quick: bool,
    /// AHiTS's tolerance in the noise study (the notebook's, [`paper_tolerance`]).
    pub tol: f64,
    pub rows: Vec<NoiseRow>,
    /// At noise 0, the authors' steppers.
    pub clean: CleanStudy,
    /// The step-path ensembles at noise 0: over all steppers, and over those HiTS selected.
    pub bands: Vec<Band>,
}

/// The forecasts of one hierarchy on one level's test set that the noise study and the clean
/// study both read: the evaluation (every single scale and the HiTS coupling selected on the
/// validation set) and AHiTS at the notebook's tolerance (`Err`: why it diverged).
pub struct LevelForecasts {
    pub evaluation: Evaluation,
    pub ahits: std::result::Result<AhitsAtTol, String>,
}

/// AHiTS's forecast of the test set at the study's tolerance, with its test MSE (finite).
pub struct AhitsAtTol {
    pub forecast: AdaptiveForecast,
    pub mse: f64,
}

impl LevelForecasts {
    /// Evaluate `hierarchy` on `data` at `noise` and run AHiTS at `tol`. Steppers that diverge
    /// in AHiTS are a result of the study, not an error of it.
    pub fn new(
        problem: &OdeProblem,
        hierarchy: &Hierarchy,
        data: &DataSet,
        noise: f64,
        tol: f64,
    ) -> Result<LevelForecasts> {
        let horizon = data.test.dim().1 - 1;
        let options = EvalOptions {
            select: true,
            noise,
            ..EvalOptions::default()
        };
        let evaluation = hierarchy.evaluate(
            &problem.eval_target(),
            Some(data.val.view()),
            data.test.view(),
            &options,
        )?;
        let ahits = match hierarchy.adaptive_schedule(data.val.view(), horizon, tol) {
            Ok(schedule) => {
                let out = hierarchy.adaptive_forecast(
                    &schedule,
                    data.val.view(),
                    data.test.slice(s![.., 0, ..]),
                )?;
                let e = mse(out.forecast.view(), data.test.slice(s![.., 1.., ..]))?;
                if e.is_finite() {
                    Ok(AhitsAtTol {
                        forecast: out,
                        mse: e,
                    })
                } else {
                    Err(format!(
                        "the forecast of the test set is not finite (MSE {e})"
                    ))
                }
            }
            Err(e @ Error::NonFinite { .. }) => Err(e.to_string()),
            Err(e) => return Err(e),
        };
        Ok(LevelForecasts { evaluation, ahits })
    }
}

/// HiTS (selected on `data.val`), the best single scale and AHiTS at `tol` on `data.test`;
/// `steppers` says whose the hierarchy is ([`AUTHORS`], [`OURS`]).
pub fn noise_row(
    problem: &OdeProblem,
    hierarchy: &Hierarchy,
    steppers: &str,
    data: &DataSet,
    noise: f64,
    tol: f64,
) -> Result<NoiseRow> {
    let level = LevelForecasts::new(problem, hierarchy, data, noise, tol)?;
    noise_row_of(&level, steppers, data, noise, tol)
}

/// [`noise_row`] from forecasts already made.
fn noise_row_of(
    level: &LevelForecasts,
    steppers: &str,
    data: &DataSet,
    noise: f64,
    tol: f64,
) -> Result<NoiseRow> {
    let horizon = data.test.dim().1 - 1;
    let ev = &level.evaluation;
    let best = ev
        .rows
        .iter()
        .filter(|r| r.method == "uni-scale" && r.mse.is_finite())
        .min_by(|a, b| a.mse.total_cmp(&b.mse))
        .ok_or_else(|| Error::invalid("noise study", "every single scale diverged"))?;
    let hits = ev
        .rows
        .iter()
        .find(|r| r.method == "multiscale")
        .ok_or_else(|| Error::invalid("noise study", "the coupling was not forecast"))?;
    let ahits = match &level.ahits {
        Ok(a) => Ok((a.mse, a.forecast.evaluations)),
        Err(why) => Err(why.clone()),
    };
    Ok(NoiseRow {
        steppers: steppers.into(),
        noise,
        best_single: (best.step_sizes[0], best.mse),
        hits_steps: hits.step_sizes.clone(),
        hits_mse: hits.mse,
        hits_evaluations: evaluations_of_steps(horizon, &hits.step_sizes),
        ahits_tol: tol,
        ahits_mse: ahits.as_ref().ok().map(|a| a.0),
        ahits_evaluations: ahits.as_ref().ok().map(|a| a.1),
        ahits_diverged: ahits.err(),
    })
}

/// At noise 0: the AHiTS notebook's figures (per-step errors, a time response, computing times)
/// and accuracy against cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanStudy {
    /// The steps the HiTS coupling selected on the validation set, and its test MSE.
    pub hits_steps: Vec<usize>,
    pub hits_mse: f64,
    /// Accuracy against cost (see the module docs).
    pub cost: Vec<CostPoint>,
    /// Test MSE at every step: each single scale (`1 dt`, `2 dt`, ...), then `HiTS` and `AHiTS`.
    pub per_step: Vec<(String, Vec<f64>)>,
    /// Trajectory 0, component 0: times, truth, HiTS and AHiTS.
    pub t: Vec<f64>,
    pub truth: Vec<f64>,
    pub hits: Vec<f64>,
    pub ahits: Vec<f64>,
    /// Wall time of each forecast of the test set [s], labelled as `per_step`.
    pub seconds: Vec<(String, f64)>,
}

/// [`CleanStudy`] on `data` (see the module docs); `tol` is AHiTS's reference tolerance.
pub fn clean_study(
    problem: &OdeProblem,
    hierarchy: &Hierarchy,
    data: &DataSet,
    tol: f64,
) -> Result<CleanStudy> {
    let level = LevelForecasts::new(problem, hierarchy, data, 0.0, tol)?;
    clean_study_of(problem, hierarchy, data, tol, &level)
}

/// [`clean_study`] reusing the evaluation and the AHiTS forecast at `tol` of `level`.
fn clean_study_of(
    problem: &OdeProblem,
    hierarchy: &Hierarchy,
    data: &DataSet,
    tol: f64,
    level: &LevelForecasts,
) -> Result<CleanStudy> {
    let horizon = data.test.dim().1 - 1;
    let val = data.val.view();
    let x0 = data.test.slice(s![.., 0, ..]);
    let truth = data.test.slice(s![.., 1.., ..]);
    let mut points = Vec::new();
    let (mut per_step, mut seconds) = (Vec::new(), Vec::new());
    let mut hits_row = None;
    let ev = &level.evaluation;
    let at_tol = level.ahits.as_ref().map_err(|why| {
        Error::invalid(
            "adaptive study",
            format!("AHiTS at the tolerance {tol:e} diverged at noise 0: {why}"),
        )
    })?;
    for r in &ev.rows {
        let (method, label, evaluations) = match r.method.as_str() {
            "uni-scale" => (
                "single",
                format!("{} dt", r.step_sizes[0]),
                horizon.div_ceil(r.step_sizes[0]),
            ),
            "multiscale" => {
                hits_row = Some(r);
                (
                    "HiTS",
                    "HiTS".to_string(),
                    evaluations_of_steps(horizon, &r.step_sizes),
                )
            }
            _ => continue,
        };
        points.push(CostPoint {
            method: method.into(),
            setting: format!("{:?}", r.step_sizes),
            evaluations: evaluations as f64,
            mse: r.mse,
        });
        per_step.push((label.clone(), r.mse_per_step.clone()));
        seconds.push((label, r.seconds));
    }
    let not_coupled = || Error::invalid("adaptive study", "the coupling was not forecast");
    let hits = ev.multiscale.as_ref().ok_or_else(not_coupled)?;
    let hits_row = hits_row.ok_or_else(not_coupled)?;
    let mut ahits = None;
    for f in TOL_FACTORS {
        let fresh;
        let (out, e) = if f == 1.0 {
            (&at_tol.forecast, at_tol.mse)
        } else {
            let schedule = hierarchy.adaptive_schedule(val, horizon, tol * f)?;
            fresh = hierarchy.adaptive_forecast(&schedule, val, x0)?;
            (&fresh, mse(fresh.forecast.view(), truth)?)
        };
        points.push(CostPoint {
            method: "AHiTS".into(),
            setting: format!("tol {:.1e}", tol * f),
            evaluations: out.evaluations as f64,
            mse: e,
        });
        if f == 1.0 {
            per_step.push(("AHiTS".into(), mse_per_step(out.forecast.view(), truth)?));
            seconds.push(("AHiTS".into(), out.seconds));
            ahits = Some(out.forecast.clone());
        }
    }
    let ahits = ahits.ok_or_else(|| Error::invalid("adaptive study", "TOL_FACTORS lacks 1"))?;
    let hits_steps = hits_row.step_sizes.clone();
    let set = hierarchy.set()?;
    for steps in [None, Some(hits_steps.as_slice())] {
        let steppers = subset(set.refs(), steps);
        for t in CONTROL_TOLS {
            let out = error_controlled_forecast(&steppers, x0, horizon, t)?;
            points.push(CostPoint {
                method: if steps.is_some() {
                    CONTROL_HITS
                } else {
                    CONTROL_ALL
                }
                .into(),
                setting: format!("tol {t:.0e}"),
                evaluations: out.evaluations,
                mse: mse(out.forecast.view(), truth)?,
            });
        }
    }
    if let Ok(field) = problem.vector_field("RK4") {
        for h in RK4_STEPS {
            let pred = rk4_forecast(field, problem.dt, h, x0, horizon)?;
            points.push(CostPoint {
                method: "RK4".into(),
                setting: format!("h = {h} dt"),
                evaluations: 4.0 * (horizon as f64 / h).ceil(),
                mse: mse(pred.view(), truth)?,
            });
        }
    }
    Ok(CleanStudy {
        hits_steps,
        hits_mse: hits_row.mse,
        cost: points,
        per_step,
        t: (1..=horizon).map(|i| i as f64 * hierarchy.dt()).collect(),
        truth: truth.slice(s![0, .., 0]).to_vec(),
        hits: hits.slice(s![0, .., 0]).to_vec(),
        ahits: ahits.slice(s![0, .., 0]).to_vec(),
        seconds,
    })
}

/// The step-path ensemble's band over `data.test` from the steppers of `hierarchy` whose step is
/// in `steps` (`None`: all; the label [`ALL_STEPPERS`], else [`HITS_STEPPERS`]), against the HiTS
/// coupling's MSE `hits_mse`.
pub fn band(
    hierarchy: &Hierarchy,
    steps: Option<&[usize]>,
    data: &DataSet,
    hits_mse: f64,
    seed: u32,
) -> Result<Band> {
    let horizon = data.test.dim().1 - 1;
    let set = hierarchy.set()?;
    let ens = step_path_ensemble(
        &subset(set.refs(), steps),
        data.test.slice(s![.., 0, ..]),
        horizon,
        MEMBERS,
        seed,
    )?;
    let truth = data.test.slice(s![.., 1.., ..]);
    Ok(Band {
        steppers: if steps.is_some() {
            HITS_STEPPERS
        } else {
            ALL_STEPPERS
        }
        .into(),
        members: MEMBERS,
        seed,
        calibration: calibration(ens.mean.view(), ens.std.view(), truth, 2.0)?,
        ensemble_mse: mse(ens.mean.view(), truth)?,
        hits_mse,
        t: (1..=horizon).map(|i| i as f64 * hierarchy.dt()).collect(),
        truth: truth.slice(s![0, .., 0]).to_vec(),
        mean: ens.mean.slice(s![0, .., 0]).to_vec(),
        std: ens.std.slice(s![0, .., 0]).to_vec(),
    })
}

/// The noise levels of [`AHITS_NOISES`] at which the authors' checkpoints of `folder` are
/// under `shared_data` (Hyperbolic and Hopf: all six; Cubic and Van der Pol: noise 0 only).
pub fn authors_noises(shared_data: &Path, folder: &str) -> Vec<f64> {
    AHITS_NOISES
        .into_iter()
        .filter(|&n| {
            authors_dir(shared_data, folder, n)
                .join(format!("model_D1_noise{}.pt", python_float(n)))
                .is_file()
        })
        .collect()
}

/// What [`run`] studies and where its inputs are.
#[derive(Debug, Clone)]
pub struct AdaptiveConfig {
    /// The problem, at the sizes of the study ([`OdeProblem::select`] it for quick mode).
    pub problem: OdeProblem,
    /// The noise levels ([`authors_noises`] for all the authors have).
    pub noises: Vec<f64>,
    /// Root of the data sets (`<root>/<System>/`, quick mode `<root>/quick/<System>/`).
    pub data_root: PathBuf,
    /// `../shared/data`, which holds `original_models/` and `ahits_models/`.
    pub shared_data: PathBuf,
    /// A models root for our own steppers: at each level a hierarchy trained as
    /// `hits reproduce noisy --quick` trains it (the quick problem on the quick data, under
    /// `<root>/quick/<System>/`; reused when there, trained where missing) and evaluated on the
    /// study's test set beside the authors'. `None`: the authors' steppers only.
    pub ours: Option<PathBuf>,
}

/// The whole study of `cfg.problem` (see the module docs). `log` receives a line per level and
/// one per stepper our training finishes.
pub fn run(
    cfg: &AdaptiveConfig,
    device: &Device,
    log: &mut dyn FnMut(&str),
) -> Result<AdaptiveStudy> {
    let problem = &cfg.problem;
    let tol = paper_tolerance(&problem.folder).ok_or_else(|| {
        Error::invalid(
            "system",
            format!("AHiTS has no published tolerance for {}", problem.name),
        )
    })?;
    if cfg.noises.is_empty() {
        return Err(Error::invalid("noise levels", "none given"));
    }
    let mut levels = vec![0.0];
    levels.extend(cfg.noises.iter().copied().filter(|&n| n != 0.0));
    let data = ensure_data_levels(problem, &levels, &cfg.data_root)?;
    let load = |noise: f64| {
        let dir = authors_dir(&cfg.shared_data, &problem.folder, noise);
        Hierarchy::import_original(&dir, noise, problem.dt, device).map_err(|e| {
            Error::invalid(
                "authors' checkpoints",
                format!("{} (at noise {}): {e}", dir.display(), python_float(noise)),
            )
        })
    };
    let ours = match &cfg.ours {
        Some(root) => {
            let quick = problem.clone().select(true);
            let quick_data = ensure_data_levels(&quick, &levels, &cfg.data_root)?;
            Some((root, quick, quick_data))
        }
        None => None,
    };
    // The authors' noise-0 steppers serve the noise-0 row, the clean study and the bands.
    let clean = load(0.0)?;
    let clean_level = LevelForecasts::new(problem, &clean, &data[0], 0.0, tol)?;
    let mut rows = Vec::new();
    for &noise in &cfg.noises {
        let at = levels.iter().position(|&l| l == noise).unwrap_or(0);
        let set = &data[at];
        let authors = if noise == 0.0 {
            noise_row_of(&clean_level, AUTHORS, set, noise, tol)?
        } else {
            noise_row(problem, &load(noise)?, AUTHORS, set, noise, tol)?
        };
        let mut level = vec![authors];
        if let Some((root, quick, quick_data)) = &ours {
            let train_set = &quick_data[at];
            let mut report = |p: &Progress| {
                if p.epoch >= p.max_epochs {
                    log(&format!("  ours, noise {}: {p}", python_float(noise)));
                }
            };
            let h = ensure_hierarchy(quick, noise, train_set, root, device, &mut report)?;
            level.push(noise_row(problem, &h, OURS, set, noise, tol)?);
        }
        for row in level {
            log(&format!(
                "{} noise {}, {} steppers: best single {} dt {:.2e}, HiTS {:.2e} ({} evaluations), AHiTS {} ({} evaluations)",
                problem.name,
                python_float(noise),
                row.steppers,
                row.best_single.0,
                row.best_single.1,
                row.hits_mse,
                row.hits_evaluations,
                row.ahits_cells()[0],
                row.ahits_cells()[1],
            ));
            rows.push(row);
        }
    }
    let clean_study = clean_study_of(problem, &clean, &data[0], tol, &clean_level)?;
    let hits_mse = clean_study.hits_mse;
    let bands = vec![
        band(&clean, None, &data[0], hits_mse, 0)?,
        band(&clean, Some(&clean_study.hits_steps), &data[0], hits_mse, 0)?,
    ];
    for b in &bands {
        log(&format!(
            "{}: ensemble of {} step paths over {}: calibration {:.3} (share inside mean +- 2 std), mean MSE {:.2e} against HiTS {:.2e}",
            problem.name, b.members, b.steppers, b.calibration, b.ensemble_mse, b.hits_mse
        ));
    }
    Ok(AdaptiveStudy {
        system: problem.name.clone(),
        quick: problem.quick,
        tol,
        rows,
        clean: clean_study,
        bands,
    })
}

impl AdaptiveStudy {
    /// The noise study as a markdown table.
    pub fn noise_markdown(&self) -> String {
        let mut s = format!(
            "# {}: HiTS, AHiTS and the best single scale against noise{}\n\n\
             Test MSE and network evaluations per trajectory; `authors` are the AHiTS authors' \
             checkpoints, `{OURS}` ours as `hits reproduce noisy --quick` trains them.\n\n\
             | noise | steppers | best single | MSE | HiTS steps | HiTS MSE | HiTS evaluations | AHiTS tol | AHiTS MSE | AHiTS evaluations |\n\
             |---|---|---|---|---|---|---|---|---|---|\n",
            self.system,
            if self.quick { " (QUICK run)" } else { "" }
        );
        for r in &self.rows {
            s += &format!(
                "| {} | {} | {} dt | {:.2e} | {:?} | {:.2e} | {} | {:.0e} | {} |\n",
                python_float(r.noise),
                r.steppers,
                r.best_single.0,
                r.best_single.1,
                r.hits_steps,
                r.hits_mse,
                r.hits_evaluations,
                r.ahits_tol,
                r.ahits_cells().join(" | "),
            );
        }
        for r in self.rows.iter().filter(|r| r.ahits_diverged.is_some()) {
            s += &format!(
                "\nAHiTS diverged with the {} steppers at noise {}: {}\n",
                r.steppers,
                python_float(r.noise),
                r.ahits_diverged.as_deref().unwrap_or_default()
            );
        }
        s
    }

    /// Accuracy against cost as a markdown table.
    pub fn cost_markdown(&self) -> String {
        let mut s = format!(
            "# {}: accuracy against cost at noise 0\n\n\
             Network evaluations per trajectory (RK4: vector-field evaluations, four per step).\n\n\
             | method | setting | evaluations | test MSE |\n|---|---|---|---|\n",
            self.system
        );
        for p in &self.clean.cost {
            s += &format!(
                "| {} | {} | {:.0} | {:.2e} |\n",
                p.method, p.setting, p.evaluations, p.mse
            );
        }
        s += "\nComputing time of the test forecast (the AHiTS notebook's bar chart):\n\n| forecast | seconds |\n|---|---|\n";
        for (label, secs) in &self.clean.seconds {
            s += &format!("| {label} | {secs:.2e} |\n");
        }
        for b in &self.bands {
            s += &format!(
                "\nEnsemble of {} random step paths over {} (seed {}): calibration {:.3} (share of the test points inside mean +- 2 std; 0.954 if calibrated), mean MSE {:.2e} against HiTS {:.2e} ({}).\n",
                b.members,
                b.steppers,
                b.seed,
                b.calibration,
                b.ensemble_mse,
                b.hits_mse,
                if b.ensemble_mse < b.hits_mse {
                    "the ensemble mean is better"
                } else {
                    "HiTS is better"
                }
            );
        }
        s
    }

    /// Test MSE against noise for the three methods, log y: a panel per set of steppers.
    pub fn noise_figure(&self) -> Result<Figure> {
        let mut panels = Vec::new();
        for steppers in [AUTHORS, OURS] {
            let rows: Vec<&NoiseRow> = self
                .rows
                .iter()
                .filter(|r| r.steppers == steppers)
                .collect();
            if rows.is_empty() {
                continue;
            }
            // (noise %, value) where the value is finite: a diverged AHiTS leaves a gap.
            let col = |f: &dyn Fn(&NoiseRow) -> f64| -> (Vec<f64>, Vec<f64>) {
                rows.iter()
                    .map(|r| (100.0 * r.noise, f(r)))
                    .filter(|(_, v)| v.is_finite() && *v > 0.0)
                    .unzip()
            };
            let (x1, y1) = col(&|r| r.best_single.1);
            let (x2, y2) = col(&|r| r.hits_mse);
            let (x3, y3) = col(&|r| r.ahits_mse.unwrap_or(f64::NAN));
            panels.push(
                Axes::new()
                    .title(format!("{}, {steppers} steppers", self.system))
                    .x_label("noise (%)")
                    .y_label("test MSE")
                    .log_y()
                    .series(
                        Series::line_points(&x1, &y1)
                            .label("best single scale")
                            .color(BLUE),
                    )
                    .series(Series::line_points(&x2, &y2).label("HiTS").color(RED))
                    .series(
                        Series::line_points(&x3, &y3)
                            .label("AHiTS")
                            .color(Color::BLACK),
                    ),
            );
        }
        Ok(Figure::new()
            .size(560 * panels.len().max(1) as u32, 420)
            .grid(1, panels.len().max(1))
            .panels(panels))
    }

    /// Test MSE against evaluations, log-log, one series per method.
    pub fn cost_figure(&self) -> Result<Figure> {
        let mut axes = Axes::new()
            .title(format!("{}: accuracy against cost", self.system))
            .x_label("evaluations per trajectory")
            .y_label("test MSE")
            .log_x()
            .log_y();
        for (method, color) in [
            ("single", BLUE),
            ("HiTS", RED),
            ("AHiTS", Color::BLACK),
            (CONTROL_ALL, GREEN),
            (CONTROL_HITS, PURPLE),
            ("RK4", ORANGE),
        ] {
            let pts: Vec<&CostPoint> = self
                .clean
                .cost
                .iter()
                .filter(|p| p.method == method && p.mse.is_finite() && p.mse > 0.0)
                .collect();
            if pts.is_empty() {
                continue;
            }
            let x: Vec<f64> = pts.iter().map(|p| p.evaluations).collect();
            let y: Vec<f64> = pts.iter().map(|p| p.mse).collect();
            axes = axes.series(Series::line_points(&x, &y).label(method).color(color));
        }
        Ok(Figure::new().size(640, 420).panel(axes))
    }

    /// The per-step test MSE of every single scale (thin, viridis from the smallest step), HiTS
    /// and AHiTS over them, log y (non-finite and zero errors left out).
    pub fn per_step_figure(&self) -> Result<Figure> {
        let c = &self.clean;
        let singles = c.per_step.len().saturating_sub(2);
        let colors = Colormap::Viridis.sample(singles);
        let mut axes = Axes::new()
            .title(format!("{}: error at every step, noise 0", self.system))
            .x_label("t")
            .y_label("test MSE")
            .log_y();
        for (i, (label, errors)) in c.per_step.iter().enumerate() {
            let (x, y): (Vec<f64>, Vec<f64>) =
                c.t.iter()
                    .zip(errors)
                    .filter(|(_, e)| e.is_finite() && **e > 0.0)
                    .map(|(t, e)| (*t, *e))
                    .unzip();
            if x.is_empty() {
                continue;
            }
            let series = match label.as_str() {
                "HiTS" => Series::line(&x, &y).color(RED).width(3),
                "AHiTS" => Series::line(&x, &y).color(Color::BLACK).width(3),
                _ => Series::line(&x, &y)
                    .color(colors[i.min(singles - 1)])
                    .width(1),
            };
            axes = axes.series(series.label(label.clone()));
        }
        Ok(Figure::new().size(720, 420).panel(axes))
    }

    /// Trajectory 0, first component: the truth, HiTS and AHiTS.
    pub fn response_figure(&self) -> Result<Figure> {
        let c = &self.clean;
        Ok(Figure::new().size(720, 380).panel(
            Axes::new()
                .title(format!("{}: time response, test trajectory 0", self.system))
                .x_label("t")
                .y_label("x")
                .series(
                    Series::line(&c.t, &c.truth)
                        .label("truth")
                        .color(Color::GREY)
                        .width(4),
                )
                .series(Series::line(&c.t, &c.hits).label("HiTS").color(RED))
                .series(
                    Series::line(&c.t, &c.ahits)
                        .label("AHiTS")
                        .color(Color::BLACK)
                        .width(1),
                ),
        ))
    }

    /// Wall time of each forecast of the test set, in order of `per_step` (log y).
    pub fn times_figure(&self) -> Result<Figure> {
        let c = &self.clean;
        let x: Vec<f64> = (0..c.seconds.len()).map(|i| i as f64).collect();
        let y: Vec<f64> = c.seconds.iter().map(|(_, s)| s.max(1e-7)).collect();
        Ok(Figure::new().size(720, 380).panel(
            Axes::new()
                .title(format!(
                    "{}: computing time of the test forecast",
                    self.system
                ))
                .x_label("forecast (single scales by step, then HiTS, AHiTS)")
                .y_label("seconds")
                .log_y()
                .series(
                    Series::points(&x, &y)
                        .color(BLUE)
                        .label("wall time")
                        .point_labels(c.seconds.iter().map(|(l, _)| l.clone())),
                ),
        ))
    }

    /// Trajectory 0, first component: truth, the ensemble mean and mean +- 2 std, a panel per
    /// band.
    pub fn band_figure(&self) -> Result<Figure> {
        let panels: Vec<Axes> = self
            .bands
            .iter()
            .map(|b| {
                let edge = |sign: f64| -> Vec<f64> {
                    b.mean
                        .iter()
                        .zip(&b.std)
                        .map(|(m, s)| m + sign * 2.0 * s)
                        .collect()
                };
                Axes::new()
                    .title(format!(
                        "{}: {} step paths over {}, calibration {:.2}",
                        self.system, b.members, b.steppers, b.calibration
                    ))
                    .x_label("t")
                    .y_label("x")
                    .series(
                        Series::line(&b.t, &b.truth)
                            .label("truth")
                            .color(Color::BLACK)
                            .width(3),
                    )
                    .series(
                        Series::line(&b.t, &b.mean)
                            .label("ensemble mean")
                            .color(RED),
                    )
                    .series(
                        Series::line(&b.t, &edge(-1.0))
                            .label("mean - 2 std")
                            .color(PURPLE)
                            .width(1),
                    )
                    .series(
                        Series::line(&b.t, &edge(1.0))
                            .label("mean + 2 std")
                            .color(PURPLE)
                            .width(1),
                    )
            })
            .collect();
        let n = panels.len().max(1);
        Ok(Figure::new()
            .size(720, 320 * n as u32)
            .grid(n, 1)
            .panels(panels))
    }

    /// Write the tables (markdown, JSON) and figures (PNG, SVG) into `dir`; returns the paths.
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut written = Vec::new();
        let mut write = |name: &str, bytes: &[u8]| -> Result<()> {
            let p = dir.join(name);
            write_bytes_atomic(&p, bytes)?;
            written.push(p);
            Ok(())
        };
        write("noise_study.md", self.noise_markdown().as_bytes())?;
        write("cost.md", self.cost_markdown().as_bytes())?;
        write("study.json", serde_json::to_string_pretty(self)?.as_bytes())?;
        let mut figures = vec![
            ("noise_study", self.noise_figure()?),
            ("cost", self.cost_figure()?),
            ("per_step", self.per_step_figure()?),
            ("response", self.response_figure()?),
            ("times", self.times_figure()?),
        ];
        if !self.bands.is_empty() {
            figures.push(("band", self.band_figure()?));
        }
        for (name, fig) in figures {
            write(&format!("{name}.png"), &fig.to_png()?)?;
            write(&format!("{name}.svg"), fig.to_svg()?.as_bytes())?;
        }
        Ok(written)
    }
}
