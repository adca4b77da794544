//! One problem's forecast table (Table 5, with Table 9's rows when asked) written as one result
//! set: what `hits forecast` and a sweep's forecast task do, for any problem and hierarchy.
//!
//! [`ForecastFolder::open`] takes the output folder first (`<out>/<folder>/`, quick mode
//! `<out>/quick/<folder>/`): it is locked, and a result set an earlier run left half-published
//! is finished ([`crate::forecast::results::recover`]), before any stepper or data is read.
//! [`ForecastFolder::forecast`] then evaluates the hierarchy on the test set (with model
//! selection on the validation set, the hybrid NN + RK4 rows) through the one evaluation loop
//! and writes `forecast_noise<n>.md` / `.csv`, `multiscale_noise<n>.npy`, the kept predictions,
//! `mse_per_step_noise<n>.npy` and last the manifest, as one set: an interrupted or failed run
//! leaves the old set whole.

use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::data::npy::{python_float, write_array_atomic};
use crate::data::DataSet;
use crate::forecast::results::{recover, ResultSet};
use crate::forecast::{
    csv_table, markdown_table, mse, mse_per_step, EvalOptions, Evaluation, ForecastRow,
};
use crate::hierarchy::{AdaptiveSegment, Hierarchy};
use crate::io::FolderLock;
use crate::problem::OdeProblem;
use crate::{Error, Result};

/// What to forecast besides every single scale and the coupling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForecastJob {
    /// Choose the coupled steppers on the validation set (the paper's cross-validation).
    pub select: bool,
    /// RK4 steps (units of dt) of the hybrid NN + RK4 and plain RK4 rows.
    pub hybrid: Vec<f64>,
    /// Noise level of the data and steppers (file names, the paper's noisy values).
    pub noise: f64,
    /// Also write every uni-scale prediction (13 MB each at paper size).
    pub save_all: bool,
    /// Where the steppers came from, in words, for the table's header.
    pub steppers: String,
    /// AHiTS with this tolerance: a row `adaptive` and `ahits.json` (the schedule, the segments,
    /// the test MSE, the network evaluations; [`crate::hierarchy::adaptive`]).
    pub adaptive: Option<f64>,
}

/// What `ahits.json` holds: the AHiTS forecast of the test set.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AhitsRecord {
    pub system: String,
    pub noise: f64,
    pub tol: f64,
    /// The schedule: the step sizes taken, in order.
    pub steps_used: Vec<usize>,
    /// How many steps of each size, `(step, count)`.
    pub step_counts: Vec<(usize, usize)>,
    /// How far the schedule's last step ends past the horizon.
    pub past_horizon: usize,
    pub segments: Vec<AdaptiveSegment>,
    pub test_mse: f64,
    /// Stepper applications per trajectory of the online forecast.
    pub evaluations: usize,
    /// Wall time of the online forecast [s].
    pub seconds: f64,
}

/// The output folder of a forecast, locked (see the module docs).
#[derive(Debug)]
pub struct ForecastFolder {
    dir: PathBuf,
    _lock: FolderLock,
    /// What opening did that a person should know: a stale lock removed, a half-published set
    /// finished.
    pub notes: Vec<String>,
}

/// What [`ForecastFolder::forecast`] wrote.
#[derive(Debug)]
pub struct Forecast {
    /// The evaluation: rows, selection, forecasts.
    pub evaluation: Evaluation,
    /// The table as markdown (the `.md` file without its header).
    pub table: String,
    /// The folder the set was written to.
    pub dir: PathBuf,
    /// The AHiTS forecast, when asked for.
    pub ahits: Option<AhitsRecord>,
}

impl ForecastFolder {
    /// Lock `problem`'s folder under `out_root` and finish what an earlier run left staged.
    pub fn open(problem: &OdeProblem, out_root: &Path) -> Result<ForecastFolder> {
        let dir = problem.dir_under(out_root);
        let lock = FolderLock::acquire(&dir, "hits forecast")?;
        let mut notes: Vec<String> = lock.removed_note().into_iter().collect();
        notes.extend(recover(&dir)?);
        Ok(ForecastFolder {
            dir,
            _lock: lock,
            notes,
        })
    }

    /// The folder the set goes to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Forecast `data.test` with `hierarchy` as `job` says and write the result set; the lock
    /// is released when it is written.
    pub fn forecast(
        self,
        problem: &OdeProblem,
        hierarchy: &Hierarchy,
        data: &DataSet,
        job: &ForecastJob,
    ) -> Result<Forecast> {
        let (val, test) = (&data.val, &data.test);
        let noise = python_float(job.noise);
        if test.dim().0 == 0 {
            return Err(Error::invalid(
                "test split",
                format!(
                    "{}: the test split is missing (test_noise{noise}.npy): nothing to forecast",
                    problem.name
                ),
            ));
        }
        if let Some(h) = job.hybrid.iter().find(|h| !(h.is_finite() && **h > 0.0)) {
            return Err(Error::invalid(
                "hybrid",
                format!("every RK4 step must be a positive number of dt, got {h}"),
            ));
        }
        let options = EvalOptions {
            select: job.select,
            hybrid: job.hybrid.clone(),
            noise: job.noise,
            keep_predictions: job.save_all,
            ..EvalOptions::default()
        };
        let mut ev = hierarchy.evaluate(
            &problem.eval_target(),
            Some(val.view()),
            test.view(),
            &options,
        )?;
        let ahits = match job.adaptive {
            Some(tol) => {
                let (row, record) = adaptive_row(problem, hierarchy, data, tol, job.noise)?;
                ev.rows.push(row);
                Some(record)
            }
            None => None,
        };
        let table = markdown_table(&ev.rows);
        let header = format!(
            "# {}: forecast of the test set ({} trajectories, {} steps), noise {noise}{}\n\nsteppers: {}\n\n",
            problem.name,
            test.dim().0,
            test.dim().1 - 1,
            if problem.quick { ", QUICK run" } else { "" },
            job.steppers,
        );
        let mut set = ResultSet::begin(&self.dir, &format!("forecast_noise{noise}"))?;
        set.write_bytes(
            &format!("forecast_noise{noise}.md"),
            (header + &table).as_bytes(),
        )?;
        set.write_bytes(
            &format!("forecast_noise{noise}.csv"),
            csv_table(&ev.rows).as_bytes(),
        )?;
        if let Some(ms) = &ev.multiscale {
            write_array_atomic(
                &set.path(&format!("multiscale_noise{noise}.npy"))?,
                &ms.mapv(|v| v as f32),
            )?;
        }
        for (i, pred) in &ev.predictions {
            let row = &ev.rows[*i];
            let name = match row.method.as_str() {
                "uni-scale" => format!("uni_D{}_noise{noise}.npy", row.step_sizes[0]),
                other => format!(
                    "{}_{}_noise{noise}.npy",
                    other.to_lowercase(),
                    row.detail.replace([' ', '='], "")
                ),
            };
            write_array_atomic(&set.path(&name)?, &pred.mapv(|v| v as f32))?;
        }
        let n_steps = ev.rows[0].mse_per_step.len();
        let curves = Array2::from_shape_fn((ev.rows.len(), n_steps), |(r, t)| {
            ev.rows[r].mse_per_step[t]
        });
        write_array_atomic(
            &set.path(&format!("mse_per_step_noise{noise}.npy"))?,
            &curves,
        )?;
        if let Some(record) = &ahits {
            set.write_bytes(
                "ahits.json",
                serde_json::to_string_pretty(record)?.as_bytes(),
            )?;
        }
        set.commit()?;
        Ok(Forecast {
            evaluation: ev,
            table,
            dir: self.dir,
            ahits,
        })
    }
}

/// The AHiTS forecast of `data.test` (schedule on `data.val`) as a table row and its record.
fn adaptive_row(
    problem: &OdeProblem,
    hierarchy: &Hierarchy,
    data: &DataSet,
    tol: f64,
    noise: f64,
) -> Result<(ForecastRow, AhitsRecord)> {
    let horizon = data.test.dim().1 - 1;
    let schedule = hierarchy.adaptive_schedule(data.val.view(), horizon, tol)?;
    let out = hierarchy.adaptive_forecast(
        &schedule,
        data.val.view(),
        data.test.slice(ndarray::s![.., 0, ..]),
    )?;
    let truth = data.test.slice(ndarray::s![.., 1.., ..]);
    let per_step = mse_per_step(out.forecast.view(), truth)?;
    let test_mse = mse(out.forecast.view(), truth)?;
    let counts = schedule.counts();
    let row = ForecastRow {
        method: "adaptive".into(),
        step_sizes: counts.iter().map(|(k, _)| *k).collect(),
        detail: format!("AHiTS tol {tol:e}, {} evaluations", out.evaluations),
        mse: test_mse,
        paper_mse: None,
        seconds: out.seconds,
        paper_seconds: None,
        mse_per_step: per_step,
    };
    let record = AhitsRecord {
        system: problem.name.clone(),
        noise,
        tol,
        steps_used: schedule.steps.clone(),
        step_counts: counts,
        past_horizon: schedule.past_horizon(),
        segments: out.segments,
        test_mse,
        evaluations: out.evaluations,
        seconds: out.seconds,
    };
    Ok((row, record))
}
