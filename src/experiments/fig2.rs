//! Figure 2 of the paper, the motivating example: steppers of single time scales against their
//! multiscale coupling on the harmonic oscillator.
//!
//! Data: x = r sin(t + phi), y = r cos(t + phi), r ~ U(0, 2), phi ~ U(-pi, pi), dt = 0.001,
//! 2000 points, 500/100/100 trajectories. Eight ResNet steppers `[2, 32, 32, 2]` with step
//! sizes 2^3 .. 2^10 dt are trained with n_forward = 1 for 20 000 epochs, the minibatch being
//! the whole training set. Every stepper forecasts the test trajectories from their first
//! point; then the steppers chosen by validation are coupled ([`crate::forecast`]). The paper
//! finds the coupling of 0.032 .. 0.256 (step sizes 32 .. 256) below every single scale.
//!
//! The problem is [`crate::problem::harmonic`] (its `.quick()` for tests and CI); any other
//! [`OdeProblem`] runs the same way. The steps of the experiment are separate functions
//! ([`make_data`], [`train_steppers`], [`evaluate`]) so a notebook can run and inspect them one
//! by one; [`run`] does it all.
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! use hits::experiments::fig2;
//! let problem = hits::problem::harmonic().quick();
//! let device = hits::stepper::device::select_device(hits::stepper::device::DeviceChoice::Cpu)?;
//! let result = fig2::run(&problem, &device, None)?;
//! println!("{}", result.table_markdown());
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use candle_core::Device;
use ndarray::{s, Array2, Axis};

use crate::data::DataSet;
use crate::forecast::{evaluate as evaluate_rows, EvalOptions, Selection};
use crate::hierarchy::{train_hierarchy, Hierarchy};
use crate::io::write_bytes_atomic as write_atomic;
use crate::plot::{error_vs_time, Axes, Color, Figure, Series};
use crate::problem::OdeProblem;
use crate::stepper::{Progress, TrainRun};
use crate::{Error, Result};

/// Generate the problem's data set (the harmonic oscillator's: exact trajectories).
pub fn make_data(problem: &OdeProblem) -> Result<DataSet> {
    problem.generate(0.0)
}

/// Where Figure 2's steppers are kept under a models root: `<models>/fig2/`, or
/// `<models>/quick/fig2/` in quick mode ([`crate::data::quick_root`]).
pub fn models_dir(models: &Path, quick: bool) -> PathBuf {
    crate::data::quick_root(models, quick).join("fig2")
}

/// Train one stepper per step size; `out_dir` keeps checkpoints (and allows resuming).
pub fn train_steppers(
    problem: &OdeProblem,
    data: &DataSet,
    device: &Device,
    out_dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Hierarchy> {
    problem.check()?;
    let run = match out_dir {
        Some(dir) => TrainRun::resuming(&problem.folder, problem.dt, 0.0, dir.to_path_buf()),
        None => TrainRun::in_memory(problem.dt),
    };
    let mut hierarchy = train_hierarchy(
        &problem.hierarchy,
        &run,
        data.train.view(),
        data.val.view(),
        device,
        progress,
    )?;
    hierarchy.provenance.quick = problem.quick;
    Ok(hierarchy)
}

/// Everything Figure 2 shows.
#[derive(Debug, Clone)]
pub struct Fig2Result {
    /// Sampling interval.
    pub dt: f64,
    /// Step sizes of the steppers (units of dt), ascending.
    pub steps: Vec<usize>,
    /// Test MSE per time step (steps 1..n) of each single-scale stepper.
    pub single: Vec<Vec<f64>>,
    /// Wall time of each single-scale forecast [s].
    pub single_seconds: Vec<f64>,
    /// The model selection on the validation set.
    pub selection: Selection,
    /// Test MSE per time step of the multiscale coupling of the selected steppers.
    pub multiscale: Vec<f64>,
    /// Wall time of the multiscale forecast [s].
    pub multiscale_seconds: f64,
    /// One test trajectory `[n_points, 2]` and its multiscale forecast (x0 first).
    pub sample_truth: Array2<f64>,
    pub sample_forecast: Array2<f64>,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Forecast the test set with every stepper and with the coupling chosen on the validation set
/// (the crate's one evaluation loop, [`crate::forecast::evaluate`]).
pub fn evaluate(problem: &OdeProblem, hierarchy: &Hierarchy, data: &DataSet) -> Result<Fig2Result> {
    let sorted = &hierarchy.steppers;
    let set = hierarchy.set()?;
    let options = EvalOptions {
        select: true,
        ..EvalOptions::default()
    };
    let test = &data.test;
    let ev = evaluate_rows(
        &problem.eval_target(),
        &set.refs(),
        Some(data.val.view()),
        test.view(),
        &options,
    )?;
    let n = sorted.len();
    let (pred, selection) = match (ev.multiscale, ev.selection) {
        (Some(p), Some(s)) => (p, s),
        _ => {
            return Err(Error::invalid(
                "evaluation",
                "no selected coupling was forecast",
            ))
        }
    };
    let (_, n_points, dim) = test.dim();
    let sample_truth = test.index_axis(Axis(0), 0).to_owned();
    let mut sample_forecast = Array2::zeros((n_points, dim));
    sample_forecast.row_mut(0).assign(&test.slice(s![0, 0, ..]));
    sample_forecast
        .slice_mut(s![1.., ..])
        .assign(&pred.index_axis(Axis(0), 0));
    Ok(Fig2Result {
        dt: problem.dt,
        steps: sorted.iter().map(|s| s.step_size()).collect(),
        single: ev.rows[..n]
            .iter()
            .map(|r| r.mse_per_step.clone())
            .collect(),
        single_seconds: ev.rows[..n].iter().map(|r| r.seconds).collect(),
        selection,
        multiscale: ev.rows[n].mse_per_step.clone(),
        multiscale_seconds: ev.rows[n].seconds,
        sample_truth,
        sample_forecast,
    })
}

impl Fig2Result {
    /// Overall test MSE of each single-scale stepper.
    pub fn single_mse(&self) -> Vec<f64> {
        self.single.iter().map(|c| mean(c)).collect()
    }

    /// Overall test MSE of the multiscale coupling.
    pub fn multiscale_mse(&self) -> f64 {
        mean(&self.multiscale)
    }

    /// The step sizes the model selection kept.
    pub fn selected_steps(&self) -> &[usize] {
        &self.steps[self.selection.range.clone()]
    }

    /// Fraction of time steps at which the multiscale error is below every single-scale error.
    pub fn fraction_below_all(&self) -> f64 {
        let n = self.multiscale.len();
        let below = (0..n)
            .filter(|&i| self.single.iter().all(|c| self.multiscale[i] < c[i]))
            .count();
        below as f64 / n.max(1) as f64
    }

    /// The result table as markdown: one row per stepper and one for the coupling.
    pub fn table_markdown(&self) -> String {
        let mut out = String::from(
            "| stepper | step [s] | test MSE | forecast time [s] |\n|---|---|---|---|\n",
        );
        for ((k, mse), secs) in self
            .steps
            .iter()
            .zip(self.single_mse())
            .zip(&self.single_seconds)
        {
            out += &format!(
                "| single scale | {:.3} | {:.2e} | {:.3} |\n",
                *k as f64 * self.dt,
                mse,
                secs
            );
        }
        let sel = self.selected_steps();
        out += &format!(
            "| multiscale ({:.3} .. {:.3}) | - | {:.2e} | {:.3} |\n",
            sel.first().copied().unwrap_or(0) as f64 * self.dt,
            sel.last().copied().unwrap_or(0) as f64 * self.dt,
            self.multiscale_mse(),
            self.multiscale_seconds
        );
        out
    }

    /// The same table as CSV.
    pub fn table_csv(&self) -> String {
        let mut out = String::from("model,step_size,step_time,test_mse,forecast_seconds\n");
        for ((k, mse), secs) in self
            .steps
            .iter()
            .zip(self.single_mse())
            .zip(&self.single_seconds)
        {
            out += &format!("single,{k},{},{mse:e},{secs}\n", *k as f64 * self.dt);
        }
        let sel: Vec<String> = self
            .selected_steps()
            .iter()
            .map(|k| k.to_string())
            .collect();
        out += &format!(
            "multiscale,{},,{:e},{}\n",
            sel.join(" "),
            self.multiscale_mse(),
            self.multiscale_seconds
        );
        out
    }
}

/// Generate the data, train (resuming from `models_dir` when given), evaluate.
pub fn run(problem: &OdeProblem, device: &Device, models_dir: Option<&Path>) -> Result<Fig2Result> {
    let data = make_data(problem)?;
    let mut report = |p: &Progress| eprintln!("{p}");
    let hierarchy = train_steppers(problem, &data, device, models_dir, &mut report)?;
    evaluate(problem, &hierarchy, &data)
}

impl Fig2Result {
    /// Figure 2's main panel: test MSE against time for every step size (rainbow, smallest
    /// violet) and the multiscale coupling (black, thick), log y.
    pub fn error_figure(&self) -> Result<Figure> {
        let t: Vec<f64> = (1..=self.multiscale.len())
            .map(|i| i as f64 * self.dt)
            .collect();
        let curves: Vec<(String, Vec<f64>)> = self
            .steps
            .iter()
            .zip(&self.single)
            .map(|(k, c)| (format!("{:.3}", *k as f64 * self.dt), c.clone()))
            .collect();
        let axes = error_vs_time(&t, &curves)?
            .title("harmonic oscillator: test MSE vs time")
            .y_label("MSE")
            .series(
                Series::line(&t, &self.multiscale)
                    .label("multiscale")
                    .color(Color(0, 0, 0))
                    .width(3),
            );
        Ok(Figure::new().panel(axes))
    }

    /// One test trajectory and its multiscale forecast: both components against time.
    pub fn sample_figure(&self) -> Result<Figure> {
        let t: Vec<f64> = (0..self.sample_truth.nrows())
            .map(|i| i as f64 * self.dt)
            .collect();
        let panels = ["x", "y"].iter().enumerate().map(|(d, name)| {
            Axes::new()
                .y_label(*name)
                .x_label("t")
                .series(
                    Series::line(&t, &self.sample_truth.column(d).to_vec())
                        .label("truth")
                        .color(Color(0, 0, 0))
                        .width(3),
                )
                .series(
                    Series::line(&t, &self.sample_forecast.column(d).to_vec())
                        .label("multiscale")
                        .color(Color(214, 39, 40)),
                )
        });
        Ok(Figure::new()
            .title("a test trajectory")
            .grid(2, 1)
            .panels(panels))
    }

    /// Write `fig2.png`, `fig2.svg`, `fig2_sample.png`, `fig2.md` and `fig2.csv` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<Vec<std::path::PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let fig = self.error_figure()?;
        let paths = [
            dir.join("fig2.png"),
            dir.join("fig2.svg"),
            dir.join("fig2_sample.png"),
            dir.join("fig2.md"),
            dir.join("fig2.csv"),
        ];
        fig.save(&paths[0])?;
        fig.save(&paths[1])?;
        self.sample_figure()?.save(&paths[2])?;
        let summary = format!(
            "# Figure 2: harmonic oscillator\n\n{}\nSelected step sizes: {:?} (x dt = {}).\nMultiscale error below every single scale at {:.1}% of the time steps.\n",
            self.table_markdown(),
            self.selected_steps(),
            self.dt,
            100.0 * self.fraction_below_all()
        );
        write_atomic(&paths[3], summary.as_bytes())?;
        write_atomic(&paths[4], self.table_csv().as_bytes())?;
        Ok(paths.to_vec())
    }
}
