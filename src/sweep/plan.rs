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
    /// Whether a training task may publish over a checkpoint in [`Settings::models`] that it
    /// did not make (`hits sweep plan --overwrite`); without it such a task fails naming the
    /// file.
    #[serde(default)]
    pub overwrite: bool,
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

    /// Read and check a plan file (see [`Plan::check`]).
    pub fn load(path: &Path) -> Result<Plan> {
        let text = crate::io::read_data_text(path)?;
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

    /// Check everything a plan file could get wrong, naming `source` (the plan's file) and the
    /// field: its format; the experiment name (`[A-Za-z0-9._-]`, not starting with `.`); `root`
    /// absolute; every path and string of the settings and the tasks free of control
    /// characters; every task id a plain name of that alphabet (see [`check_id`]), unique (also
    /// ignoring case); every `index` its position; every stage the one of its work; every
    /// dependency an existing task of an earlier stage (so that they can form no cycle).
    pub fn check(&self, source: &Path) -> Result<()> {
        let bad =
            |field: &str, msg: String| Error::bad_file(source, format!("field {field}: {msg}"));
        if self.format != PLAN_FORMAT {
            return Err(bad(
                "format",
                format!(
                    "plan format {:?}, this hits reads {PLAN_FORMAT:?}",
                    self.format
                ),
            ));
        }
        check_word(&self.experiment, "experiment", source)?;
        check_text(&self.root.to_string_lossy(), "root", source)?;
        if !self.root.is_absolute() {
            return Err(bad(
                "root",
                format!("{:?} is not an absolute folder", self.root),
            ));
        }
        let s = &self.settings;
        for (field, p) in [
            ("settings.data_dir", &s.data_dir),
            ("settings.models", &s.models),
            ("settings.out", &s.out),
            ("settings.sweep_dir", &s.sweep_dir),
        ] {
            check_text(&p.to_string_lossy(), field, source)?;
        }
        let n = self.tasks.len();
        let mut seen = std::collections::HashMap::<String, usize>::new();
        for (i, t) in self.tasks.iter().enumerate() {
            let field = |f: &str| format!("tasks[{i}].{f}");
            if t.index != i {
                return Err(bad(
                    &field("index"),
                    format!("task {} ({}) stands at position {i}", t.index, t.id),
                ));
            }
            check_id(&t.id, &field("id"), source)?;
            if let Some(j) = seen.insert(t.id.to_lowercase(), i) {
                return Err(bad(
                    &field("id"),
                    format!(
                        "task id {:?} is used twice (tasks {j} and {i}; ids must differ also \
                         ignoring case)",
                        t.id
                    ),
                ));
            }
            check_text(&t.equivalent, &field("equivalent"), source)?;
            t.work.check(&field("work"), source)?;
            if t.stage != t.work.stage() {
                return Err(bad(
                    &field("stage"),
                    format!(
                        "task {} ({}): stage {:?} does not fit its work",
                        i, t.id, t.stage
                    ),
                ));
            }
            for &d in &t.depends_on {
                let why = match self.tasks.get(d) {
                    None => format!(
                        "task {i} ({}) depends on task {d}, which does not exist (the plan has \
                         {n} tasks)",
                        t.id
                    ),
                    Some(_) if d == i => format!("task {i} ({}) depends on itself", t.id),
                    Some(o) if o.stage >= t.stage => format!(
                        "task {i} ({}) depends on task {d} ({}), which is not of an earlier stage \
                         (dependencies must form no cycle)",
                        t.id, o.id
                    ),
                    Some(_) => continue,
                };
                return Err(bad(&field("depends_on"), why));
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

    /// The folder of a task: `<sweep_dir>/tasks/<id>/` (absolute), for an id that passes
    /// [`check_id`] (checked again here: a plan made in memory is refused too), so it is
    /// always one folder inside `<sweep_dir>/tasks/`.
    pub fn task_dir(&self, task: &Task) -> Result<PathBuf> {
        let id = check_id(&task.id, "task id", Path::new("the plan"))?;
        Ok(self.sweep_dir().join("tasks").join(id))
    }

    /// The sweep's own folder (absolute).
    pub fn sweep_dir(&self) -> PathBuf {
        self.resolve(&self.settings.sweep_dir)
    }

    /// Where the sweep folder records the plan it belongs to: `<sweep_dir>/plan.json`.
    pub fn record_path(&self) -> PathBuf {
        self.sweep_dir().join("plan.json")
    }

    /// The number of tasks that ever started in this plan's sweep folder (those with a
    /// `status.json` under `<sweep_dir>/tasks/`, of any plan).
    pub fn started_tasks(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(self.sweep_dir().join("tasks")) else {
            return 0;
        };
        entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("status.json").exists())
            .count()
    }

    /// What differs between two plans, field by field (`settings.epochs: null -> 5`), leaving
    /// out what does not change a task's results: `root` (a project folder moved) and
    /// `settings.overwrite` (a permission). Empty when they plan the same work.
    pub fn differences(&self, other: &Plan) -> Vec<String> {
        let value = |p: &Plan| {
            let mut v = serde_json::to_value(p).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.remove("root");
                if let Some(s) = m.get_mut("settings").and_then(|s| s.as_object_mut()) {
                    s.remove("overwrite");
                }
            }
            v
        };
        let (a, b) = (value(self), value(other));
        let mut out = Vec::new();
        let empty = serde_json::Map::new();
        let (ma, mb) = (
            a.as_object().unwrap_or(&empty),
            b.as_object().unwrap_or(&empty),
        );
        let mut keys: Vec<&String> = ma.keys().chain(mb.keys()).collect();
        keys.sort();
        keys.dedup();
        let null = serde_json::Value::Null;
        for k in keys {
            let (x, y) = (ma.get(k).unwrap_or(&null), mb.get(k).unwrap_or(&null));
            if x == y {
                continue;
            }
            match (k.as_str(), x, y) {
                ("settings", serde_json::Value::Object(sx), serde_json::Value::Object(sy)) => {
                    let mut sk: Vec<&String> = sx.keys().chain(sy.keys()).collect();
                    sk.sort();
                    sk.dedup();
                    for f in sk {
                        let (u, v) = (sx.get(f).unwrap_or(&null), sy.get(f).unwrap_or(&null));
                        if u != v {
                            out.push(format!("settings.{f}: {u} -> {v}"));
                        }
                    }
                }
                ("tasks", _, _) if self.tasks.len() != other.tasks.len() => out.push(format!(
                    "tasks: {} -> {}",
                    self.tasks.len(),
                    other.tasks.len()
                )),
                ("tasks", _, _) => {
                    if let Some((t, _)) = self.tasks.iter().zip(&other.tasks).find(|(t, o)| t != o)
                    {
                        out.push(format!("tasks[{}] ({}) differs", t.index, t.id));
                    }
                }
                _ => out.push(format!("{k}: {x} -> {y}")),
            }
        }
        out
    }

    /// The plan recorded in this plan's sweep folder ([`Plan::record_path`]), if any.
    pub fn recorded(&self) -> Result<Option<Plan>> {
        let path = self.record_path();
        if !path.exists() {
            return Ok(None);
        }
        Plan::load(&path).map(Some)
    }

    /// Make sure the sweep folder belongs to this plan before a task runs in it: record the
    /// plan there when nothing is recorded yet, refuse (naming `source` and what differs) when
    /// the folder was planned with other settings.
    pub fn claim_folder(&self, source: &Path) -> Result<()> {
        match self.recorded()? {
            Some(rec) => {
                let diff = rec.differences(self);
                if !diff.is_empty() {
                    return Err(Error::bad_file(
                        source,
                        format!(
                            "this plan differs from the one its sweep folder {} was planned with \
                             ({}): {}; plan again with `hits sweep plan` (another --sweep-dir \
                             for other settings)",
                            self.sweep_dir().display(),
                            self.record_path().display(),
                            diff.join("; ")
                        ),
                    ));
                }
                if rec.settings.overwrite != self.settings.overwrite {
                    self.save(&self.record_path())?;
                }
                Ok(())
            }
            None => self.save(&self.record_path()),
        }
    }
}

/// Accept an id for a task folder: a plain name ([`crate::io::plain_name`]) of `[A-Za-z0-9._-]`
/// that does not start with `.` (so that no two ids name one folder and none leaves
/// `<sweep_dir>/tasks/`).
pub fn check_id<'a>(id: &'a str, field: &str, source: &Path) -> Result<&'a str> {
    let id = crate::io::plain_name(id, field, source)?;
    check_word(id, field, source)
}

/// `word` if it is of `[A-Za-z0-9._-]`, not empty and not starting with `.`.
fn check_word<'a>(word: &'a str, field: &str, source: &Path) -> Result<&'a str> {
    let why = if word.is_empty() {
        Some("is empty".to_string())
    } else if word.starts_with('.') {
        Some(format!("{word:?} starts with '.'"))
    } else if let Some(c) = word
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
    {
        Some(format!(
            "{word:?} holds {c:?}; only letters, digits, '.', '_' and '-' are allowed"
        ))
    } else if word.len() > 200 {
        Some(format!("is {} bytes long (at most 200)", word.len()))
    } else {
        None
    };
    match why {
        None => Ok(word),
        Some(why) => Err(Error::bad_file(source, format!("field {field}: {why}"))),
    }
}

/// `text` if it holds no control character (a newline, a carriage return, a NUL, an escape):
/// refused naming `field` and `source` otherwise.
pub fn check_text<'a>(text: &'a str, field: &str, source: &Path) -> Result<&'a str> {
    match text.chars().find(|c| c.is_control()) {
        None => Ok(text),
        Some(c) => Err(Error::bad_file(
            source,
            format!("field {field}: {text:?} holds the control character {c:?}; refused"),
        )),
    }
}

impl Work {
    /// Check the names, paths and numbers of this work (see [`Plan::check`]).
    fn check(&self, field: &str, source: &Path) -> Result<()> {
        let bad = |f: &str, msg: String| {
            Err(Error::bad_file(source, format!("field {field}.{f}: {msg}")))
        };
        let noise_ok = |n: f64| n.is_finite() && n >= 0.0;
        match self {
            Work::OdeData { noises, .. } => {
                if let Some(n) = noises.iter().find(|n| !noise_ok(**n)) {
                    return bad("noises", format!("noise level {n} is not finite and >= 0"));
                }
            }
            Work::OdeTrain { noise, step, .. } => {
                if !noise_ok(*noise) || *step == 0 {
                    return bad("noise", format!("noise {noise}, step {step}"));
                }
            }
            Work::OdeEval { experiment, .. } => {
                if !ODE_EVALS.contains(&experiment.as_str()) {
                    return bad(
                        "experiment",
                        format!("{experiment:?} is none of {ODE_EVALS:?}"),
                    );
                }
            }
            Work::GivenTrain {
                data_dir,
                dt,
                noise,
                step,
            } => {
                check_text(
                    &data_dir.to_string_lossy(),
                    &format!("{field}.data_dir"),
                    source,
                )?;
                if !noise_ok(*noise)
                    || *step == 0
                    || dt.is_some_and(|d| !(d.is_finite() && d > 0.0))
                {
                    return bad("noise", format!("noise {noise}, step {step}, dt {dt:?}"));
                }
            }
            Work::GivenForecast {
                data_dir,
                dt,
                noise,
            } => {
                check_text(
                    &data_dir.to_string_lossy(),
                    &format!("{field}.data_dir"),
                    source,
                )?;
                if !noise_ok(*noise) || dt.is_some_and(|d| !(d.is_finite() && d > 0.0)) {
                    return bad("noise", format!("noise {noise}, dt {dt:?}"));
                }
            }
            Work::SeqData { data } => {
                check_word(data, &format!("{field}.data"), source)?;
            }
            Work::SeqModel { data, model } => {
                check_word(data, &format!("{field}.data"), source)?;
                check_word(model, &format!("{field}.model"), source)?;
            }
            Work::Table1 { data } => {
                for (k, d) in data.iter().enumerate() {
                    check_word(d, &format!("{field}.data[{k}]"), source)?;
                }
            }
        }
        Ok(())
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
            overwrite: false,
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
