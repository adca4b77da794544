//! The adaptive experiments (issue 28): HiTS, AHiTS ([`crate::hierarchy::adaptive`]), the
//! error-controlled AHiTS ([`crate::forecast::controlled`]) and ensembles of step paths
//! ([`crate::forecast::ensemble`]) side by side on the same steppers, the authors' checkpoints.
//!
//! - **The noise study** ([`noise_row`]): at each noise level (0, 1, 2, 5, 10, 20 % as the AHiTS
//!   paper), the best single scale, the HiTS coupling selected on the validation set and AHiTS at
//!   the notebook's tolerance, each with its test MSE and network evaluations per trajectory.
//! - **Accuracy against cost** ([`cost_points`]): at noise 0, every single scale, HiTS, AHiTS over
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

use super::ode::ensure_data_levels;
use crate::data::npy::python_float;
use crate::data::DataSet;
use crate::forecast::{calibration, mse, rk4_forecast, EvalOptions};
use crate::hierarchy::adaptive::{evaluations_of_steps, paper_tolerance};
use crate::hierarchy::Hierarchy;
use crate::io::write_bytes_atomic;
use crate::plot::{Axes, Color, Figure, Series};
use crate::problem::OdeProblem;
use crate::{Error, Result};

/// The AHiTS paper's noise levels.
pub const AHITS_NOISES: [f64; 6] = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2];
/// Factors of the paper tolerance in the accuracy-against-cost sweep of AHiTS.
pub const TOL_FACTORS: [f64; 5] = [0.1, 0.3, 1.0, 3.0, 10.0];
/// Tolerances (state units, rms) of the error-controlled AHiTS in the sweep.
pub const CONTROL_TOLS: [f64; 5] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];
/// RK4 steps (units of dt) in the sweep.
pub const RK4_STEPS: [f64; 5] = [1.0, 2.0, 4.0, 8.0, 16.0];
/// Members of the step-path ensemble.
pub const MEMBERS: usize = 16;

const RED: Color = Color(214, 39, 40);
const BLUE: Color = Color(31, 119, 180);
const GREEN: Color = Color(44, 160, 44);
const ORANGE: Color = Color(255, 127, 14);
const PURPLE: Color = Color(148, 103, 189);

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

/// One noise level of the study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseRow {
    pub noise: f64,
    /// The best single scale on the test set: its step and MSE.
    pub best_single: (usize, f64),
    /// The HiTS coupling selected on the validation set: its steps, MSE, evaluations.
    pub hits_steps: Vec<usize>,
    pub hits_mse: f64,
    pub hits_evaluations: usize,
    /// AHiTS at `ahits_tol`: MSE and evaluations.
    pub ahits_tol: f64,
    pub ahits_mse: f64,
    pub ahits_evaluations: usize,
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
    pub rows: Vec<NoiseRow>,
    pub cost: Vec<CostPoint>,
    pub band: Option<Band>,
}

/// HiTS (selected on `data.val`), the best single scale and AHiTS at `tol` on `data.test`.
pub fn noise_row(
    problem: &OdeProblem,
    hierarchy: &Hierarchy,
    data: &DataSet,
    noise: f64,
    tol: f64,
) -> Result<NoiseRow> {
    let horizon = data.test.dim().1 - 1;
    let options = EvalOptions {
        select: true,
        noise,
        ..EvalOptions::default()
    };
    let ev = hierarchy.evaluate(
        &problem.eval_target(),
        Some(data.val.view()),
        data.test.view(),
        &options,
    )?;
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
    let schedule = hierarchy.adaptive_schedule(data.val.view(), horizon, tol)?;
    let ahits =
        hierarchy.adaptive_forecast(&schedule, data.val.view(), data.test.slice(s![.., 0, ..]))?;
    Ok(NoiseRow {
        noise,
        best_single: (best.step_sizes[0], best.mse),
        hits_steps: hits.step_sizes.clone(),
        hits_mse: hits.mse,
        hits_evaluations: evaluations_of_steps(horizon, &hits.step_sizes),
        ahits_tol: tol,
        ahits_mse: mse(ahits.forecast.view(), data.test.slice(s![.., 1.., ..]))?,
        ahits_evaluations: ahits.evaluations,
    })
}

/// Accuracy against cost on `data` (see the module docs); `tol` is AHiTS's reference tolerance.
pub fn cost_points(
    problem: &OdeProblem,
    hierarchy: &Hierarchy,
    data: &DataSet,
    tol: f64,
) -> Result<Vec<CostPoint>> {
    let horizon = data.test.dim().1 - 1;
    let (val, test) = (data.val.view(), data.test.view());
    let x0 = data.test.slice(s![.., 0, ..]);
    let truth = data.test.slice(s![.., 1.., ..]);
    let mut points = Vec::new();
    let ev = hierarchy.evaluate(
        &problem.eval_target(),
        Some(val),
        test,
        &EvalOptions {
            select: true,
            ..EvalOptions::default()
        },
    )?;
    for r in &ev.rows {
        let (method, evaluations) = match r.method.as_str() {
            "uni-scale" => ("single", horizon.div_ceil(r.step_sizes[0])),
            "multiscale" => ("HiTS", evaluations_of_steps(horizon, &r.step_sizes)),
            _ => continue,
        };
        points.push(CostPoint {
            method: method.into(),
            setting: format!("{:?}", r.step_sizes),
            evaluations: evaluations as f64,
            mse: r.mse,
        });
    }
    for f in TOL_FACTORS {
        let schedule = hierarchy.adaptive_schedule(val, horizon, tol * f)?;
        let out = hierarchy.adaptive_forecast(&schedule, val, x0)?;
        points.push(CostPoint {
            method: "AHiTS".into(),
            setting: format!("tol {:.1e}", tol * f),
            evaluations: out.evaluations as f64,
            mse: mse(out.forecast.view(), truth)?,
        });
    }
    for t in CONTROL_TOLS {
        let out = hierarchy.controlled_forecast(x0, horizon, t)?;
        points.push(CostPoint {
            method: "AHiTS (error control)".into(),
            setting: format!("tol {t:.0e}"),
            evaluations: out.evaluations,
            mse: mse(out.forecast.view(), truth)?,
        });
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
    Ok(points)
}

/// The step-path ensemble's band over `data.test` against the HiTS coupling's MSE `hits_mse`.
pub fn band(hierarchy: &Hierarchy, data: &DataSet, hits_mse: f64, seed: u32) -> Result<Band> {
    let horizon = data.test.dim().1 - 1;
    let ens =
        hierarchy.ensemble_forecast(data.test.slice(s![.., 0, ..]), horizon, MEMBERS, seed)?;
    let truth = data.test.slice(s![.., 1.., ..]);
    Ok(Band {
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

/// The whole study of `problem` at `noises` with the authors' checkpoints under `shared_data`;
/// data under `data_root`. `log` receives one line per level.
pub fn run(
    problem: &OdeProblem,
    noises: &[f64],
    data_root: &Path,
    shared_data: &Path,
    device: &Device,
    log: &mut dyn FnMut(&str),
) -> Result<AdaptiveStudy> {
    let tol = paper_tolerance(&problem.folder).ok_or_else(|| {
        Error::invalid(
            "system",
            format!("AHiTS has no published tolerance for {}", problem.name),
        )
    })?;
    let mut levels = vec![0.0];
    levels.extend(noises.iter().copied().filter(|&n| n != 0.0));
    let data = ensure_data_levels(problem, &levels, data_root)?;
    let load = |noise: f64| {
        let dir = authors_dir(shared_data, &problem.folder, noise);
        Hierarchy::import_original(&dir, noise, problem.dt, device).map_err(|e| {
            Error::invalid(
                "authors' checkpoints",
                format!("{} (at noise {}): {e}", dir.display(), python_float(noise)),
            )
        })
    };
    let mut rows = Vec::new();
    for &noise in noises {
        let set = &data[levels.iter().position(|&l| l == noise).unwrap_or(0)];
        let row = noise_row(problem, &load(noise)?, set, noise, tol)?;
        log(&format!(
            "{} noise {}: best single {} dt {:.2e}, HiTS {:.2e} ({} evaluations), AHiTS {:.2e} ({} evaluations)",
            problem.name,
            python_float(noise),
            row.best_single.0,
            row.best_single.1,
            row.hits_mse,
            row.hits_evaluations,
            row.ahits_mse,
            row.ahits_evaluations
        ));
        rows.push(row);
    }
    let clean = load(0.0)?;
    let cost = cost_points(problem, &clean, &data[0], tol)?;
    let hits_mse = rows
        .iter()
        .find(|r| r.noise == 0.0)
        .map_or(f64::NAN, |r| r.hits_mse);
    let band = band(&clean, &data[0], hits_mse, 0)?;
    log(&format!(
        "{}: ensemble of {} step paths: calibration {:.3} (share inside mean +- 2 std), mean MSE {:.2e} against HiTS {:.2e}",
        problem.name, band.members, band.calibration, band.ensemble_mse, band.hits_mse
    ));
    Ok(AdaptiveStudy {
        system: problem.name.clone(),
        quick: problem.quick,
        rows,
        cost,
        band: Some(band),
    })
}

impl AdaptiveStudy {
    /// The noise study as a markdown table.
    pub fn noise_markdown(&self) -> String {
        let mut s = format!(
            "# {}: HiTS, AHiTS and the best single scale against noise{}\n\n\
             The authors' checkpoints; test MSE and network evaluations per trajectory.\n\n\
             | noise | best single | MSE | HiTS steps | HiTS MSE | HiTS evaluations | AHiTS tol | AHiTS MSE | AHiTS evaluations |\n\
             |---|---|---|---|---|---|---|---|---|\n",
            self.system,
            if self.quick { " (QUICK run)" } else { "" }
        );
        for r in &self.rows {
            s += &format!(
                "| {} | {} dt | {:.2e} | {:?} | {:.2e} | {} | {:.0e} | {:.2e} | {} |\n",
                python_float(r.noise),
                r.best_single.0,
                r.best_single.1,
                r.hits_steps,
                r.hits_mse,
                r.hits_evaluations,
                r.ahits_tol,
                r.ahits_mse,
                r.ahits_evaluations
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
        for p in &self.cost {
            s += &format!(
                "| {} | {} | {:.0} | {:.2e} |\n",
                p.method, p.setting, p.evaluations, p.mse
            );
        }
        if let Some(b) = &self.band {
            s += &format!(
                "\nEnsemble of {} random step paths (seed {}): calibration {:.3} (share of the test points inside mean +- 2 std; 0.954 if calibrated), mean MSE {:.2e} against HiTS {:.2e} ({}).\n",
                b.members,
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

    /// Test MSE against noise for the three methods, log y.
    pub fn noise_figure(&self) -> Result<Figure> {
        let x: Vec<f64> = self.rows.iter().map(|r| 100.0 * r.noise).collect();
        let col = |f: &dyn Fn(&NoiseRow) -> f64| self.rows.iter().map(f).collect::<Vec<_>>();
        Ok(Figure::new().size(640, 420).panel(
            Axes::new()
                .title(format!("{}: test MSE against noise", self.system))
                .x_label("noise (%)")
                .y_label("test MSE")
                .log_y()
                .series(
                    Series::line_points(&x, &col(&|r| r.best_single.1))
                        .label("best single scale")
                        .color(BLUE),
                )
                .series(
                    Series::line_points(&x, &col(&|r| r.hits_mse))
                        .label("HiTS")
                        .color(RED),
                )
                .series(
                    Series::line_points(&x, &col(&|r| r.ahits_mse))
                        .label("AHiTS")
                        .color(Color::BLACK),
                ),
        ))
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
            ("AHiTS (error control)", GREEN),
            ("RK4", ORANGE),
        ] {
            let pts: Vec<&CostPoint> = self
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

    /// Trajectory 0, first component: truth, the ensemble mean and mean +- 2 std.
    pub fn band_figure(&self) -> Result<Option<Figure>> {
        let Some(b) = &self.band else {
            return Ok(None);
        };
        let lo: Vec<f64> = b
            .mean
            .iter()
            .zip(&b.std)
            .map(|(m, s)| m - 2.0 * s)
            .collect();
        let hi: Vec<f64> = b
            .mean
            .iter()
            .zip(&b.std)
            .map(|(m, s)| m + 2.0 * s)
            .collect();
        Ok(Some(
            Figure::new().size(720, 380).panel(
                Axes::new()
                    .title(format!(
                        "{}: {} step paths, calibration {:.2}",
                        self.system, b.members, b.calibration
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
                        Series::line(&b.t, &lo)
                            .label("mean - 2 std")
                            .color(PURPLE)
                            .width(1),
                    )
                    .series(
                        Series::line(&b.t, &hi)
                            .label("mean + 2 std")
                            .color(PURPLE)
                            .width(1),
                    ),
            ),
        ))
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
        ];
        if let Some(f) = self.band_figure()? {
            figures.push(("band", f));
        }
        for (name, fig) in figures {
            write(&format!("{name}.png"), &fig.to_png()?)?;
            write(&format!("{name}.svg"), fig.to_svg()?.as_bytes())?;
        }
        Ok(written)
    }
}
