//! The plan file: every task of a sweep, what it does, where it writes, what it waits for.
//!
//! A plan is JSON (`format: "hits-sweep-plan/1"`), written by `hits sweep plan` and read by
//! `hits sweep run | slurm | collect`. Relative paths in it are relative to [`Plan::root`], the
//! folder the plan was made in, so a task runs the same from any working directory.
//!
//! Tasks come in three stages, each depending only on earlier ones: `data` (make the data
//! sets), `train` (one stepper or one model each: the heavy part), `eval` (forecasts, tables
//! and figures from what training wrote). A task's [`Work`] says exactly what it runs; its
//! `equivalent` the one-process command whose part it is.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::npy::python_float;
use crate::io::write_bytes_atomic;
use crate::{Error, Result, SystemKind};

/// The `format` tag of plan files this version reads and writes.
pub const PLAN_FORMAT: &str = "hits-sweep-plan/1";

/// The ODE experiments an `all-ode` plan evaluates, in the order of `hits reproduce all-ode`
/// (`data_generation` is the data stage).
pub const ODE_EVALS: [&str; 5] = [
    "model_training",
    "multiscale_hits",
    "hybrid",
    "noisy",
    "increment",
];

/// The noise levels the `noisy` experiment trains at; it is planned only when the sweep trains
/// them all.
pub const NOISY_LEVELS: [f64; 3] = [0.0, 0.01, 0.02];

/// A whole sweep (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Always [`PLAN_FORMAT`].
    pub format: String,
    /// `all-ode`, `table1` or `problem` (a data folder of one's own).
    pub experiment: String,
    /// Quick mode (small sizes; everything under `quick/` folders).
    pub quick: bool,
    /// The absolute folder relative paths of the plan are relative to.
    pub root: PathBuf,
    pub settings: Settings,
    pub tasks: Vec<Task>,
}

/// Where a sweep reads and writes, and its shared options (those of `hits reproduce`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Data root (`--data-dir` of `hits reproduce`).
    pub data_dir: PathBuf,
    /// Model root: finished checkpoints are published here, as the one-process run writes them.
    pub models: PathBuf,
    /// Results root (`--out`).
    pub out: PathBuf,
    /// The sweep's own folder: `tasks/<id>/` (status, lock, private training folder), `slurm/`.
    pub sweep_dir: PathBuf,
    /// Cap on each stepper's / model's epochs (`--epochs`).
    pub epochs: Option<usize>,
    /// Table 1: epochs of the LSTM and CW-RNN (`--baseline-epochs`).
    pub baseline_epochs: Option<usize>,
}

/// Which stage a task belongs to (Slurm runs one job array per stage, each after the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Data,
    Train,
    Eval,
}

impl Stage {
    /// All stages, in order.
    pub const ALL: [Stage; 3] = [Stage::Data, Stage::Train, Stage::Eval];

    /// `data`, `train` or `eval`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Data => "data",
            Stage::Train => "train",
            Stage::Eval => "eval",
        }
    }
}

/// What one task runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Work {
    /// `hits reproduce data-generation` for these systems, plus their data at `noises`.
    OdeData {
        systems: Vec<SystemKind>,
        noises: Vec<f64>,
    },
    /// One stepper of a built-in system, as `hits reproduce all-ode` trains it.
    OdeTrain {
        system: SystemKind,
        noise: f64,
        step: usize,
    },
    /// One ODE experiment (`model_training`, `multiscale_hits`, ...) over these systems.
    OdeEval {
        experiment: String,
        systems: Vec<SystemKind>,
    },
    /// One stepper of a data folder of one's own, as `hits train --data-dir` trains it.
    GivenTrain {
        data_dir: PathBuf,
        dt: Option<f64>,
        noise: f64,
        step: usize,
    },
    /// `hits forecast --data-dir` at one noise level.
    GivenForecast {
        data_dir: PathBuf,
        dt: Option<f64>,
        noise: f64,
    },
    /// A Table 1 sequence data set (`hits data <name>`).
    SeqData { data: String },
    /// One Table 1 model (`HiTS`, `ESN`, `LSTM`, `CW-RNN`) on one data set.
    SeqModel { data: String, model: String },
    /// `hits reproduce table1` over these data sets, every model loaded from its task.
    Table1 { data: Vec<String> },
}

impl Work {
    /// The stage this work belongs to.
    pub fn stage(&self) -> Stage {
        match self {
            Work::OdeData { .. } | Work::SeqData { .. } => Stage::Data,
            Work::OdeTrain { .. } | Work::GivenTrain { .. } | Work::SeqModel { .. } => Stage::Train,
            Work::OdeEval { .. } | Work::GivenForecast { .. } | Work::Table1 { .. } => Stage::Eval,
        }
    }
}

/// One task of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Its position in [`Plan::tasks`] (the `--index` and the Slurm array index).
    pub index: usize,
    /// A name unique in the plan, also its folder `<sweep_dir>/tasks/<id>/`.
    pub id: String,
    pub stage: Stage,
    pub work: Work,
    /// Indices of the tasks whose results it reads.
    pub depends_on: Vec<usize>,
    /// The one-process command this task is a part of.
    pub equivalent: String,
}

impl Plan {
    /// A plan of `tasks` (indices and stages filled in; dependencies given by task id).
    pub fn new(
        experiment: &str,
        quick: bool,
        root: PathBuf,
        settings: Settings,
        tasks: Vec<(String, Work, Vec<String>, String)>,
    ) -> Result<Plan> {
        let ids: Vec<String> = tasks.iter().map(|t| t.0.clone()).collect();
        let mut out = Vec::with_capacity(tasks.len());
        for (index, (id, work, deps, equivalent)) in tasks.into_iter().enumerate() {
            let depends_on = deps
                .iter()
                .map(|d| {
                    ids.iter().position(|i| i == d).ok_or_else(|| {
                        Error::invalid("plan", format!("task {id} depends on unknown task {d}"))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            out.push(Task {
                index,
                id,
                stage: work.stage(),
                work,
                depends_on,
                equivalent,
            });
        }
        let plan = Plan {
            format: PLAN_FORMAT.into(),
            experiment: experiment.into(),
            quick,
            root,
            settings,
            tasks: out,
        };
        plan.check(Path::new("the new plan"))?;
        Ok(plan)
    }

    /// Read and check a plan file.
    pub fn load(path: &Path) -> Result<Plan> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let plan: Plan = serde_json::from_str(&text)
            .map_err(|e| Error::bad_file(path, format!("not a hits sweep plan: {e}")))?;
        plan.check(path)?;
        Ok(plan)
    }

    /// Write the plan (atomically, pretty JSON).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        write_bytes_atomic(path, text.as_bytes())
    }

    fn check(&self, path: &Path) -> Result<()> {
        if self.format != PLAN_FORMAT {
            return Err(Error::bad_file(
                path,
                format!(
                    "plan format {:?}, this hits reads {PLAN_FORMAT:?}",
                    self.format
                ),
            ));
        }
        for (i, t) in self.tasks.iter().enumerate() {
            let bad = if t.index != i {
                Some(format!("task {} stands at position {i}", t.index))
            } else if t.stage != t.work.stage() {
                Some(format!(
                    "task {}: stage {:?} does not fit its work",
                    t.id, t.stage
                ))
            } else if let Some(d) = t
                .depends_on
                .iter()
                .find(|&&d| self.tasks.get(d).is_none_or(|o| o.stage >= t.stage))
            {
                Some(format!(
                    "task {} depends on task {d}, which is not of an earlier stage",
                    t.id
                ))
            } else if self.tasks[..i].iter().any(|o| o.id == t.id) {
                Some(format!("task id {} is used twice", t.id))
            } else {
                None
            };
            if let Some(msg) = bad {
                return Err(Error::bad_file(path, msg));
            }
        }
        Ok(())
    }

    /// A path of the plan, made absolute against [`Plan::root`].
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }

    /// The task of `index`, or an error saying how many there are.
    pub fn task(&self, index: usize) -> Result<&Task> {
        self.tasks.get(index).ok_or_else(|| {
            Error::invalid(
                "--index",
                format!(
                    "task {index} does not exist: the plan has {} tasks (0..={})",
                    self.tasks.len(),
                    self.tasks.len().saturating_sub(1)
                ),
            )
        })
    }

    /// The tasks of one stage.
    pub fn stage(&self, stage: Stage) -> Vec<&Task> {
        self.tasks.iter().filter(|t| t.stage == stage).collect()
    }

    /// The folder of a task: `<sweep_dir>/tasks/<id>/` (absolute).
    pub fn task_dir(&self, task: &Task) -> PathBuf {
        self.resolve(&self.settings.sweep_dir)
            .join("tasks")
            .join(&task.id)
    }
}

/// A task id part for a noise level: `noise0.01`.
pub fn noise_tag(noise: f64) -> String {
    format!("noise{}", python_float(noise))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Default folders, no epoch caps (shared by the sweep modules' tests).
    pub(crate) fn settings() -> Settings {
        Settings {
            data_dir: "data".into(),
            models: "models".into(),
            out: "results".into(),
            sweep_dir: "sweep".into(),
            epochs: None,
            baseline_epochs: None,
        }
    }

    #[test]
    fn a_plan_reads_back_and_refuses_backward_dependencies() {
        let data = Work::SeqData { data: "KS".into() };
        let model = Work::SeqModel {
            data: "KS".into(),
            model: "ESN".into(),
        };
        let plan = Plan::new(
            "table1",
            true,
            "/tmp".into(),
            settings(),
            vec![
                ("data-KS".into(), data.clone(), vec![], "x".into()),
                (
                    "esn".into(),
                    model.clone(),
                    vec!["data-KS".into()],
                    "x".into(),
                ),
            ],
        )
        .unwrap();
        assert_eq!(plan.tasks[1].depends_on, vec![0]);
        let text = serde_json::to_string(&plan).unwrap();
        assert!(text.contains("\"kind\":\"seq_model\""), "{text}");
        let back: Plan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, plan);
        let err = Plan::new(
            "table1",
            true,
            "/tmp".into(),
            settings(),
            vec![
                ("esn".into(), model, vec!["data-KS".into()], "x".into()),
                ("data-KS".into(), data, vec!["esn".into()], "x".into()),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not of an earlier stage"), "{err}");
        assert!(plan
            .task(5)
            .unwrap_err()
            .to_string()
            .contains("has 2 tasks"));
    }
}
