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
//! The steps of the experiment are separate functions ([`make_data`], [`train_steppers`],
//! [`evaluate`]) so a notebook can run and inspect them one by one; [`run`] does it all.
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! use hits::experiments::fig2::{self, Fig2Config};
//! let cfg = Fig2Config::quick();
//! let device = hits::stepper::device(true)?;
//! let result = fig2::run(&cfg, &device, None)?;
//! println!("{}", result.table_markdown());
//! # Ok(())
//! # }
//! ```

use std::path::Path;
use std::time::Instant;

use candle_core::Device;
use ndarray::{s, Array2, Axis};

use crate::data::{self, DataSet, Sizes};
use crate::forecast::metrics::{mse_per_step, states_tensor, to_array3};
use crate::forecast::{multiscale_forecast, select_models, uni_scale_forecast, Selection, Stepper};
use crate::io::write_bytes_atomic as write_atomic;
use crate::plot::{error_vs_time, Axes, Color, Figure, Series};
use crate::stepper::{
    train_hierarchy, HierarchyPlan, Progress, ResNetStepper, TrainConfig, TrainReport,
};
use crate::{Error, Result, SystemKind};

/// Settings of the experiment.
#[derive(Debug, Clone)]
pub struct Fig2Config {
    /// Trajectories and points per split.
    pub sizes: Sizes,
    /// Seed of the data (numpy's `np.random.seed`).
    pub data_seed: u32,
    /// Seed of the initial weights (stepper k uses `seed + k`).
    pub weight_seed: u32,
    /// Step sizes in units of dt.
    pub steps: Vec<usize>,
    /// Layer widths of each stepper.
    pub arch: Vec<usize>,
    /// Training settings (`batch_size` at least the training set: full-batch).
    pub train: TrainConfig,
    /// Train the steppers in one batched trainer (stacked weights). Same results either way;
    /// batched pays off on a GPU, on the CPU one after the other is faster (`BENCHMARKS.md`).
    pub batched: bool,
}

impl Fig2Config {
    /// The paper's settings.
    pub fn paper() -> Fig2Config {
        let sizes = Sizes::paper(SystemKind::Harmonic);
        Fig2Config {
            sizes,
            data_seed: 2,
            weight_seed: 0,
            steps: (3..=10).map(|k| 1usize << k).collect(),
            arch: vec![2, 32, 32, 2],
            train: TrainConfig {
                epochs: 20_000,
                batch_size: sizes.n_train,
                n_forward: 1,
                ..TrainConfig::default()
            },
            batched: false,
        }
    }

    /// A small version for tests and CI: fewer trajectories and epochs, same step sizes.
    pub fn quick() -> Fig2Config {
        let paper = Fig2Config::paper();
        let sizes = Sizes::quick(SystemKind::Harmonic);
        Fig2Config {
            sizes,
            train: TrainConfig {
                epochs: 400,
                eval_every: 100,
                batch_size: sizes.n_train,
                ..paper.train.clone()
            },
            ..paper
        }
    }

    /// [`Fig2Config::quick`] under `HITS_QUICK=1`, else [`Fig2Config::paper`].
    pub fn from_env() -> Fig2Config {
        if data::quick_mode() {
            Fig2Config::quick()
        } else {
            Fig2Config::paper()
        }
    }

    /// The sampling interval of the data.
    pub fn dt(&self) -> f64 {
        SystemKind::Harmonic.default_dt()
    }
}

/// Generate the harmonic-oscillator data set.
pub fn make_data(cfg: &Fig2Config) -> Result<DataSet> {
    data::generate(SystemKind::Harmonic, &cfg.sizes, 0.0, cfg.data_seed)
}

/// Train one stepper per step size; `out_dir` keeps checkpoints (and allows resuming).
pub fn train_steppers(
    cfg: &Fig2Config,
    data: &DataSet,
    device: &Device,
    out_dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Vec<(ResNetStepper, TrainReport)>> {
    let plan = HierarchyPlan {
        system: Some(SystemKind::Harmonic),
        arch: cfg.arch.clone(),
        dt: cfg.dt(),
        steps: cfg.steps.clone(),
        noise: 0.0,
        seed: cfg.weight_seed,
        out_dir: out_dir.map(Path::to_path_buf),
        batched: cfg.batched,
        resume: out_dir.is_some(),
    };
    train_hierarchy(
        &plan,
        data.train.view(),
        data.val.view(),
        &cfg.train,
        device,
        progress,
    )
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

/// Forecast the test set with every stepper and with the coupling chosen on the validation set.
pub fn evaluate<'a>(
    steppers: impl IntoIterator<Item = &'a ResNetStepper>,
    data: &DataSet,
    device: &Device,
) -> Result<Fig2Result> {
    let mut sorted: Vec<&ResNetStepper> = steppers.into_iter().collect();
    sorted.sort_by_key(|s| s.step_size());
    let dyn_steppers: Vec<&dyn Stepper> = sorted.iter().map(|s| *s as &dyn Stepper).collect();
    let test = &data.test;
    let (n_traj, n_points, _) = test.dim();
    if n_traj == 0 || n_points < 2 {
        return Err(Error::shape(
            "test set",
            "[n >= 1, points >= 2, 2]",
            format!("{:?}", test.shape()),
        ));
    }
    let n_steps = n_points - 1;
    let x0 = states_tensor(test.index_axis(Axis(1), 0), device)?;
    let truth = test.slice(s![.., 1.., ..]);

    let mut single = Vec::new();
    let mut single_seconds = Vec::new();
    for stepper in &dyn_steppers {
        let start = Instant::now();
        let pred = to_array3(&uni_scale_forecast(*stepper, &x0, n_steps)?)?;
        single_seconds.push(start.elapsed().as_secs_f64());
        single.push(mse_per_step(pred.view(), truth)?);
    }

    let selection = select_models(&dyn_steppers, data.val.view(), device)?;
    let chosen = &dyn_steppers[selection.range.clone()];
    let start = Instant::now();
    let pred = to_array3(&multiscale_forecast(chosen, &x0, n_steps)?)?;
    let multiscale_seconds = start.elapsed().as_secs_f64();
    let multiscale = mse_per_step(pred.view(), truth)?;

    let sample_truth = test.index_axis(Axis(0), 0).to_owned();
    let mut sample_forecast = Array2::zeros((n_points, 2));
    sample_forecast.row_mut(0).assign(&test.slice(s![0, 0, ..]));
    sample_forecast
        .slice_mut(s![1.., ..])
        .assign(&pred.index_axis(Axis(0), 0));

    Ok(Fig2Result {
        dt: sorted.first().map(|s| s.dt()).unwrap_or(0.0),
        steps: sorted.iter().map(|s| s.step_size()).collect(),
        single,
        single_seconds,
        selection,
        multiscale,
        multiscale_seconds,
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
pub fn run(cfg: &Fig2Config, device: &Device, models_dir: Option<&Path>) -> Result<Fig2Result> {
    let data = make_data(cfg)?;
    let mut report = |p: &Progress| eprintln!("{p}");
    let trained = train_steppers(cfg, &data, device, models_dir, &mut report)?;
    evaluate(trained.iter().map(|(s, _)| s), &data, device)
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
