//! What each kind of task runs: the same code as the one-process commands, for one part.
//!
//! - data: `hits reproduce data-generation` (and the data at every planned noise level), or
//!   `hits data <name>` for a Table 1 sequence;
//! - training: one stepper of one system and noise, with the problem exactly as `hits reproduce`
//!   sets it up (quick mode, `--epochs` cap, CPU, not batched), trained by
//!   [`ensure_steppers_with_reports`] in the task's own folder, then published into the model
//!   root; a Table 1 model as `run_table1` trains it; a data folder's stepper as `hits train`;
//! - evaluation: `hits reproduce <experiment>` (every stepper then loads from its checkpoint),
//!   or `hits forecast --data-dir`, or `hits reproduce table1`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use hits::baselines::BaselineKind;
use hits::experiments::ode::{ensure_data, ensure_data_levels, ensure_steppers_with_reports};
use hits::experiments::table1::models::run_baseline;
use hits::experiments::table1::run::{cached, run_hits, store};
use hits::experiments::table1::SeqData;
use hits::problem::OdeProblem;
use hits::stepper::{checkpoint_stem, device};
use hits::sweep::task::{lock_waiting, publish, require_inputs, RunningTask};
use hits::sweep::{Plan, Task, Work};
use hits::SystemKind;

use crate::cli::forecast::ForecastArgs;
use crate::cli::problem::ProblemArgs;
use crate::cli::reproduce::{self, results_root, table1, Experiment, ReproduceArgs};
use crate::cli::train::TrainArgs;
use crate::{note, say};
use hits::stepper::device::DeviceChoice;

/// How long a task waits for a shared folder another task holds (publishing, evaluating).
const PATIENCE: Duration = Duration::from_secs(24 * 3600);

/// Run task `index` of `plan` (see the module docs); skipped when done.
pub(super) fn run_task(plan: &Plan, index: usize, wait: Option<Duration>) -> anyhow::Result<()> {
    let task = plan.task(index)?;
    let redo = !outputs_present(plan, task);
    require_inputs(plan, task, wait)?;
    let Some(running) = RunningTask::start(plan, task, redo)? else {
        say!("task {index} ({}): done already, skipped", task.id);
        return Ok(());
    };
    note!(
        "== task {index} ({}), stage {}: part of `{}`",
        task.id,
        task.stage.name(),
        task.equivalent
    );
    match run_work(plan, task, &running.dir) {
        Ok(()) => {
            let secs = running.done()?;
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
    let mut p = system.problem().select(plan.quick);
    if let Some(cap) = plan.settings.epochs {
        p.train.epochs = p.train.epochs.min(cap.max(1));
        p.train.eval_every = p.train.eval_every.min(p.train.epochs);
    }
    p.batched = false;
    p
}

fn given_problem(data_dir: &Path, dt: Option<f64>) -> ProblemArgs {
    ProblemArgs {
        system: None,
        data_dir: Some(data_dir.to_path_buf()),
        dt,
    }
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
        Work::GivenTrain { data_dir, dt, .. } => Some(
            given_problem(data_dir, *dt)
                .problem(plan.quick)?
                .dir_under(models),
        ),
        _ => None,
    })
}

/// Whether what a done task made is still there (a training task's published checkpoint).
fn outputs_present(plan: &Plan, task: &Task) -> bool {
    let (step, noise) = match task.work {
        Work::OdeTrain { step, noise, .. } | Work::GivenTrain { step, noise, .. } => (step, noise),
        _ => return true,
    };
    match published_dir(plan, task) {
        Ok(Some(dir)) => checkpoint_files(step, noise)
            .iter()
            .take(2)
            .all(|f| dir.join(f).exists()),
        _ => false,
    }
}

/// Copy the finished checkpoint of `step` from the task's `private` folder to the shared one.
fn publish_checkpoint(
    private: &Path,
    shared: &Path,
    step: usize,
    noise: f64,
) -> anyhow::Result<()> {
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
    publish(private, shared, &names, PATIENCE)?;
    say!(
        "published {} file(s) of step {step} to {}",
        names.len(),
        shared.display()
    );
    Ok(())
}

fn run_work(plan: &Plan, task: &Task, task_dir: &Path) -> anyhow::Result<()> {
    let s = &plan.settings;
    let private = task_dir.join("models");
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
            Ok(())
        }
        Work::OdeTrain {
            system,
            noise,
            step,
        } => {
            hits::stepper::device::one_thread_per_matmul();
            let mut p = ode_problem(plan, *system);
            p.steps = vec![*step];
            let data = ensure_data(&p, *noise, &s.data_dir)?;
            let dev = device(true)?;
            let trained =
                ensure_steppers_with_reports(&p, *noise, &data, &private, &dev, &mut |p| {
                    note!("{p}")
                })?;
            for (_, r) in &trained {
                say!(
                    "step {}: {} epochs, best validation loss {:.3e}",
                    r.step_size,
                    r.epochs,
                    r.best_val_loss
                );
            }
            publish_checkpoint(
                &p.dir_under(&private),
                &p.dir_under(&s.models),
                *step,
                *noise,
            )
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
            ))
        }
        Work::GivenTrain {
            data_dir,
            dt,
            noise,
            step,
        } => {
            let problem = given_problem(data_dir, *dt);
            let shared = published_dir(plan, task)?.context("a training task publishes")?;
            let local = problem.problem(plan.quick)?.dir_under(&private);
            crate::cli::train::run(TrainArgs {
                problem,
                step_sizes: vec![*step],
                arch: None,
                epochs: s.epochs,
                batch: 320,
                n_forward: 5,
                eval_every: None,
                lr: 1e-3,
                batched: false,
                device: DeviceChoice::Cpu,
                quick: plan.quick,
                resume: true,
                overwrite: false,
                data: s.data_dir.clone(),
                out: private.clone(),
                noise: *noise,
                seed: 0,
            })?;
            publish_checkpoint(&local, &shared, *step, *noise)
        }
        Work::GivenForecast {
            data_dir,
            dt,
            noise,
        } => {
            let problem = given_problem(data_dir, *dt);
            let models = problem.problem(plan.quick)?.dir_under(&s.models);
            crate::cli::forecast::run(ForecastArgs {
                problem,
                models: Some(models),
                original: false,
                original_dir: None,
                select: false,
                hybrid: vec![],
                data: s.data_dir.clone(),
                noise: *noise,
                out: s.out.clone(),
                save_all: false,
                cpu: false,
                device: DeviceChoice::Auto,
                quick: plan.quick,
            })
        }
        Work::SeqData { data } => {
            let d = SeqData::parse(data)?;
            let args = reproduce_args(plan, Experiment::Table1, vec![], vec![data.clone()]);
            let cfg = table1::config(&args, d, plan.quick)?;
            table1::ensure_sequence(&args, d, &cfg, plan.quick)?;
            Ok(())
        }
        Work::SeqModel { data, model } => seq_model(plan, data, model),
        Work::Table1 { data } => reproduce::run(reproduce_args(
            plan,
            Experiment::Table1,
            vec![],
            data.clone(),
        )),
    }
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
    let dev = device(true)?;
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
