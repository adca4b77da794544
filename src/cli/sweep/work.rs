//! What each kind of task runs: the same code as the one-process commands, for one part.
//!
//! - data: `hits reproduce data-generation` (and the data at every planned noise level), or
//!   `hits data <name>` for a Table 1 sequence;
//! - training: one stepper of one system (or data folder) and noise, with the problem as
//!   `hits reproduce` sets it up (quick mode, `--epochs` cap, CPU, not batched), trained by the
//!   library's [`ensure_hierarchy`] in the task's own folder, then published into the model
//!   root; a Table 1 model as `run_table1` trains it;
//! - evaluation: `hits reproduce <experiment>` (every stepper then loads from its checkpoint),
//!   a data folder's forecast through [`ForecastFolder`] as `hits forecast --data-dir` writes
//!   it (its files are the task's outputs), or `hits reproduce table1`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use hits::baselines::BaselineKind;
use hits::experiments::forecast::{ForecastFolder, ForecastJob};
use hits::experiments::ode::{ensure_data, ensure_data_levels, ensure_hierarchy};
use hits::experiments::table1::models::run_baseline;
use hits::experiments::table1::SeqData;
use hits::experiments::table1::{cached, model_stem, run_hits, store};
use hits::hierarchy::Hierarchy;
use hits::problem::OdeProblem;
use hits::stepper::checkpoint_stem;
use hits::stepper::device::{select_device, DeviceChoice};
use hits::sweep::task::{
    lock_waiting, publish, record_outputs, require_inputs, MayReplace, RunningTask,
};
use hits::sweep::{Plan, Task, Work};
use hits::SystemKind;

use crate::cli::reproduce::{self, results_root, table1, Experiment, ReproduceArgs};
use crate::{note, say};

/// How long a task waits for a shared folder another task holds (publishing, evaluating).
const PATIENCE: Duration = Duration::from_secs(24 * 3600);

/// Run task `index` of `plan` (see the module docs); skipped when done (its recorded outputs
/// there, unchanged). When it ends, its status records the files it wrote, with their hashes.
pub(super) fn run_task(plan: &Plan, index: usize, wait: Option<Duration>) -> anyhow::Result<()> {
    let task = plan.task(index)?;
    require_inputs(plan, task, wait)?;
    let Some(running) = RunningTask::start(plan, task, false)? else {
        say!("task {index} ({}): done already, skipped", task.id);
        return Ok(());
    };
    if !running.rerun_because.is_empty() {
        say!(
            "task {index} ({}): was done, runs again: {}",
            task.id,
            running.rerun_because.join("; ")
        );
    }
    note!(
        "== task {index} ({}), stage {}: part of `{}`",
        task.id,
        task.stage.name(),
        task.equivalent
    );
    let result = run_work(plan, task, &running).and_then(|files| {
        let mut files = files;
        files.extend(owned_outputs(plan, task)?);
        Ok(record_outputs(plan, &files)?)
    });
    match result {
        Ok(outputs) => {
            let secs = running.done(outputs)?;
            say!("task {index} ({}): done in {secs:.1} s", task.id);
            Ok(())
        }
        Err(e) => {
            running.failed(1, &format!("{e:#}"))?;
            Err(e.context(format!("task {index} ({}) failed", task.id)))
        }
    }
}

/// The arguments `hits reproduce <experiment>` would get from this plan.
fn reproduce_args(
    plan: &Plan,
    experiment: Experiment,
    system: Vec<SystemKind>,
    data: Vec<String>,
) -> ReproduceArgs {
    let s = &plan.settings;
    ReproduceArgs {
        experiment,
        quick: plan.quick,
        out: s.out.clone(),
        models: s.models.clone(),
        cuda: false,
        device: None,
        system,
        data_dir: s.data_dir.clone(),
        epochs: s.epochs,
        pretrained: false,
        skip: vec![],
        data,
        hidden: vec![],
        baseline_epochs: s.baseline_epochs,
        noise: vec![],
        authors_dir: "../shared/data".into(),
        authors_only: false,
    }
}

fn experiment(name: &str) -> anyhow::Result<Experiment> {
    Ok(match name {
        "model_training" => Experiment::ModelTraining,
        "multiscale_hits" => Experiment::MultiscaleHits,
        "hybrid" => Experiment::Hybrid,
        "noisy" => Experiment::Noisy,
        "increment" => Experiment::Increment,
        other => anyhow::bail!("the plan names an unknown ODE experiment {other:?}"),
    })
}

/// A built-in system's problem as `hits reproduce` trains it: quick mode and the epoch cap
/// applied, on the CPU one stepper after another.
fn ode_problem(plan: &Plan, system: SystemKind) -> OdeProblem {
    cluster_problem(plan, system.problem())
}

/// A data folder's problem as `hits train` and `hits forecast` read it (its `dataset.json`, or
/// `dt` when it has none), with the plan's quick mode and epoch cap.
fn given_problem(plan: &Plan, data_dir: &Path, dt: Option<f64>) -> anyhow::Result<OdeProblem> {
    Ok(cluster_problem(
        plan,
        OdeProblem::from_data_dir(data_dir, dt)?,
    ))
}

/// `problem` as a task trains it: quick mode and the epoch cap of the plan, one stepper per
/// task (never batched).
fn cluster_problem(plan: &Plan, problem: OdeProblem) -> OdeProblem {
    let mut p = problem
        .select(plan.quick)
        .with_epoch_cap(plan.settings.epochs);
    p.hierarchy.batched = false;
    p
}

/// The checkpoint files of step `step` at `noise` (model, sidecar, training state).
fn checkpoint_files(step: usize, noise: f64) -> Vec<String> {
    let stem = checkpoint_stem(Path::new(""), step, noise);
    let name = stem.to_string_lossy().to_string();
    [".safetensors", ".json", ".state.safetensors"]
        .iter()
        .map(|s| format!("{name}{s}"))
        .collect()
}

/// Where a training task publishes its checkpoint (the folder the one-process run writes).
fn published_dir(plan: &Plan, task: &Task) -> anyhow::Result<Option<PathBuf>> {
    let models = &plan.settings.models;
    Ok(match &task.work {
        Work::OdeTrain { system, .. } => Some(ode_problem(plan, *system).dir_under(models)),
        Work::GivenTrain { data_dir, dt, .. } => {
            Some(given_problem(plan, data_dir, *dt)?.dir_under(models))
        }
        _ => None,
    })
}

/// The regular files of `dir` (with `deep`, of its subfolders too), hidden ones (locks,
/// temporary files) left out, sorted; none when it does not exist.
fn files_in(dir: &Path, deep: bool) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for e in entries {
        let e = e.with_context(|| format!("listing {}", dir.display()))?;
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = e
            .file_type()
            .with_context(|| format!("listing {}", dir.display()))?;
        if kind.is_file() {
            out.push(e.path());
        } else if kind.is_dir() && deep {
            out.extend(files_in(&e.path(), true)?);
        }
    }
    out.sort();
    Ok(out)
}

/// The files a task records as its outputs besides what it published: the folders it alone
/// writes (a data task's data folders, an evaluation's results folder) and the files of a
/// Table 1 model or table. (A data folder's forecast shares its folder with the other noise
/// levels' and records nothing more.)
fn owned_outputs(plan: &Plan, task: &Task) -> anyhow::Result<Vec<PathBuf>> {
    let s = &plan.settings;
    let existing = |v: Vec<PathBuf>| v.into_iter().filter(|p| p.is_file()).collect::<Vec<_>>();
    Ok(match &task.work {
        Work::OdeData { systems, .. } => {
            let mut v = Vec::new();
            for &k in systems {
                v.extend(files_in(
                    &ode_problem(plan, k).dir_under(&s.data_dir),
                    false,
                )?);
            }
            v
        }
        Work::OdeEval { experiment, .. } => {
            let args = reproduce_args(plan, Experiment::AllOde, vec![], vec![]);
            files_in(&results_root(&args, plan.quick).join(experiment), true)?
        }
        Work::SeqData { data } => {
            let d = SeqData::parse(data)?;
            files_in(
                &hits::experiments::table1::data_dir(&s.data_dir, d, plan.quick),
                false,
            )?
        }
        Work::SeqModel { data, model } => {
            let d = SeqData::parse(data)?;
            let args = reproduce_args(plan, Experiment::Table1, vec![], vec![data.clone()]);
            let (out, _) = table1::folders(&args, d, plan.quick);
            let stem = model_stem(&out, model);
            existing(vec![
                stem.with_extension("json"),
                stem.with_extension("npy"),
            ])
        }
        Work::Table1 { .. } => {
            let stem = hits::experiments::table1::summary_stem(&s.out, plan.quick);
            existing(vec![stem.with_extension("md"), stem.with_extension("csv")])
        }
        Work::OdeTrain { .. } | Work::GivenTrain { .. } | Work::GivenForecast { .. } => vec![],
    })
}

/// Copy the finished checkpoint of `step` from the task's `private` folder to the shared one
/// (never over a checkpoint the task did not make, unless the plan says `overwrite`).
/// Returns the published files.
fn publish_checkpoint(
    private: &Path,
    shared: &Path,
    step: usize,
    noise: f64,
    may: MayReplace,
) -> anyhow::Result<Vec<PathBuf>> {
    // The state last: a reader finding it finds the model files it belongs to.
    let names: Vec<String> = checkpoint_files(step, noise)
        .into_iter()
        .filter(|n| private.join(n).exists())
        .collect();
    if names.len() < 2 {
        anyhow::bail!(
            "{}: training left no checkpoint of step {step} to publish",
            private.display()
        );
    }
    let files = publish(private, shared, &names, PATIENCE, may)?;
    say!(
        "published {} file(s) of step {step} to {}",
        names.len(),
        shared.display()
    );
    Ok(files)
}

/// Run the task's work; returns the files it published (training), else none.
fn run_work(plan: &Plan, task: &Task, running: &RunningTask) -> anyhow::Result<Vec<PathBuf>> {
    let s = &plan.settings;
    let private = running.dir.join("models");
    let may = MayReplace {
        plan,
        made_before: running.made_before(),
    };
    match &task.work {
        Work::OdeData { systems, noises } => {
            reproduce::run(reproduce_args(
                plan,
                Experiment::DataGeneration,
                systems.clone(),
                vec![],
            ))?;
            for &k in systems {
                ensure_data_levels(&ode_problem(plan, k), noises, &s.data_dir)?;
            }
            Ok(vec![])
        }
        Work::OdeTrain {
            system,
            noise,
            step,
        } => {
            let p = ode_problem(plan, *system);
            let shared = p.dir_under(&s.models);
            train_one(p, *step, *noise, &s.data_dir, &private, &shared, may)
        }
        Work::OdeEval {
            experiment: name,
            systems,
        } => {
            // One evaluation at a time per model folder; the experiment's own locks then nest.
            let _locks = systems
                .iter()
                .map(|&k| {
                    lock_waiting(
                        &ode_problem(plan, k).dir_under(&s.models),
                        &format!("hits sweep: {name}"),
                        PATIENCE,
                    )
                })
                .collect::<hits::Result<Vec<_>>>()?;
            reproduce::run(reproduce_args(
                plan,
                experiment(name)?,
                systems.clone(),
                vec![],
            ))?;
            Ok(vec![])
        }
        Work::GivenTrain {
            data_dir,
            dt,
            noise,
            step,
        } => {
            let p = given_problem(plan, data_dir, *dt)?;
            let shared = published_dir(plan, task)?.context("a training task publishes")?;
            train_one(p, *step, *noise, &s.data_dir, &private, &shared, may)
        }
        Work::GivenForecast {
            data_dir,
            dt,
            noise,
        } => {
            let problem = given_problem(plan, data_dir, *dt)?;
            let folder = ForecastFolder::open(&problem, &s.out)?;
            for n in &folder.notes {
                note!("{n}");
            }
            let dev = select_device(DeviceChoice::Auto)?;
            let models = problem.dir_under(&s.models);
            let hierarchy = Hierarchy::load(&models, &problem.expected_steppers(*noise), &dev)?;
            let data = ensure_data(&problem, *noise, &s.data_dir)?;
            let job = ForecastJob {
                noise: *noise,
                steppers: "hits checkpoints".into(),
                ..ForecastJob::default()
            };
            let out = folder.forecast(&problem, &hierarchy, &data, &job)?;
            say!("\n{}", out.table);
            // the set's files of this noise level are the task's outputs
            let level = format!("_noise{}.", hits::data::npy::python_float(*noise));
            Ok(files_in(&out.dir, false)?
                .into_iter()
                .filter(|f| {
                    f.file_name()
                        .is_some_and(|n| n.to_string_lossy().contains(&level))
                })
                .collect())
        }
        Work::SeqData { data } => {
            let d = SeqData::parse(data)?;
            let args = reproduce_args(plan, Experiment::Table1, vec![], vec![data.clone()]);
            let cfg = table1::config(&args, d, plan.quick)?;
            table1::ensure_sequence(&args, d, &cfg, plan.quick)?;
            Ok(vec![])
        }
        Work::SeqModel { data, model } => seq_model(plan, data, model).map(|()| vec![]),
        Work::Table1 { data } => {
            reproduce::run(reproduce_args(
                plan,
                Experiment::Table1,
                vec![],
                data.clone(),
            ))?;
            Ok(vec![])
        }
    }
}

/// Train the stepper of step `step` of `problem` at `noise` in the task's `private` folder (the
/// library's [`ensure_hierarchy`], as every experiment trains), on the CPU one stepper per
/// core, then publish its checkpoint into `shared`.
fn train_one(
    mut problem: OdeProblem,
    step: usize,
    noise: f64,
    data_root: &Path,
    private: &Path,
    shared: &Path,
    may: MayReplace,
) -> anyhow::Result<Vec<PathBuf>> {
    hits::stepper::device::one_thread_per_matmul();
    problem.hierarchy.steps = vec![step];
    let data = ensure_data(&problem, noise, data_root)?;
    let dev = select_device(DeviceChoice::Cpu)?;
    let hierarchy = ensure_hierarchy(&problem, noise, &data, private, &dev, &mut |p| note!("{p}"))?;
    for r in &hierarchy.reports {
        say!(
            "step {}: {} epochs, best validation loss {:.3e}",
            r.step_size,
            r.epochs,
            r.best_val_loss
        );
    }
    publish_checkpoint(&problem.dir_under(private), shared, step, noise, may)
}

/// One Table 1 model on one data set, stored where `hits reproduce table1` finds it (as
/// `run_table1` trains it: the baselines sized to the parameter count of HiTS).
fn seq_model(plan: &Plan, data: &str, model: &str) -> anyhow::Result<()> {
    let d = SeqData::parse(data)?;
    let args = reproduce_args(plan, Experiment::Table1, vec![], vec![data.to_string()]);
    let cfg = table1::config(&args, d, plan.quick)?;
    let seq = table1::ensure_sequence(&args, d, &cfg, plan.quick)?;
    let (out, models) = table1::folders(&args, d, plan.quick);
    let shape = (seq.n_frames(), seq.dim());
    if let Some(r) = cached(&out, model, &cfg, shape)? {
        say!(
            "{d} {model}: stored result (MSE {:.3e}), nothing to do",
            r.mse
        );
        return Ok(());
    }
    let dev = select_device(DeviceChoice::Cpu)?;
    let hits_params = cfg.hits.n_params(seq.dim(), seq.n_frames());
    let r = if model == "HiTS" {
        let (_, r) = run_hits(&seq, &cfg, &dev, Some(&models.join("hits")), &mut |p| {
            note!("{d}: {p}")
        })?;
        if r.n_params != hits_params {
            anyhow::bail!(
                "{d}: HiTS has {} parameters, its settings say {hits_params}; the baselines \
                 would be sized wrongly",
                r.n_params
            );
        }
        r
    } else {
        let kind = BaselineKind::ALL
            .into_iter()
            .find(|k| k.name() == model)
            .with_context(|| format!("the plan names an unknown Table 1 model {model:?}"))?;
        let (_, r) = run_baseline(
            kind,
            &seq,
            &cfg,
            hits_params,
            &dev,
            Some(&models),
            &mut |e, l| note!("{d} {model} epoch {e}: loss {l:.3e}"),
        )?;
        r
    };
    store(&out, &r)?;
    say!(
        "{d} {model}: {} parameters, trained in {:.1} s, MSE {:.3e}",
        r.n_params,
        r.train_seconds,
        r.mse
    );
    Ok(())
}

/// The reports the one-process commands write, from what the tasks wrote: `REPORT.md` of
/// `all-ode`, `TABLE1.md` / `.csv` of Table 1 (a data folder's forecasts are their own report).
pub(super) fn write_reports(plan: &Plan) -> anyhow::Result<Vec<PathBuf>> {
    let s = &plan.settings;
    match plan.experiment.as_str() {
        "all-ode" => {
            let args = reproduce_args(plan, Experiment::AllOde, vec![], vec![]);
            let root = results_root(&args, plan.quick);
            Ok(vec![reproduce::all_ode::write_ode_report(
                &root, plan.quick, s.epochs,
            )?])
        }
        "table1" => {
            let args = reproduce_args(plan, Experiment::Table1, vec![], vec![]);
            table1::write_stored_summary(&args, plan.quick, &[])?;
            Ok(vec![])
        }
        _ => Ok(vec![]),
    }
}
