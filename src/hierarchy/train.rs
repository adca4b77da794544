//! Training a whole hierarchy: one stepper per step size of a system, in one call.
//!
//! With `batched = true` all steppers train in one [`Trainer`] (stacked weights `[K, in, out]`,
//! batched matrix products: the K steppers share every kernel launch); otherwise one after the
//! other. Both give each stepper the same losses and weights (see `tests/stepper_train.rs`).
//! Stepper `k` starts from initial weights of seed `seed + k` and draws its minibatches from
//! sampler seed `config.seed + k`, so a stepper trains the same alone or in any hierarchy.
//!
//! With an output folder, the training state (`.state.safetensors`) and the best weights
//! (`model_D{k}_noise{noise}.safetensors/.json`) are written after every validation check, so
//! an interrupted run resumes (`resume = true`) exactly where it was last saved; the state
//! stays when training ends, so a finished run can be continued to a larger epoch cap.
//!
//! Before any training, [`train_hierarchy`] checks the spec and run (step sizes unique and positive,
//! each fitting the trajectories), the data (no NaN or infinity: [`crate::data::check_finite`])
//! and the folder: it takes the folder's [`FolderLock`] (a second process is refused, naming
//! the first one's PID), and applies the rules of [`crate::stepper::existing`] to checkpoints already
//! there (refused without `resume` or `overwrite`; resumed only when they fit the plan).
//! [`preflight`] makes the checks that need no data, for a command to run before loading it.

use std::path::PathBuf;

use candle_core::Device;
use ndarray::ArrayView3;

use super::{Hierarchy, Provenance};
use crate::data::check_finite;
use crate::io::FolderLock;
use crate::stepper::checkpoint::checkpoint_stem;
use crate::stepper::existing::{expected_for, finished_report, inspect, Existing, Found};
use crate::stepper::resnet::{check_arch, ResNetStepper};
use crate::stepper::resume::RunInfo;
use crate::stepper::spec::{HierarchySpec, Plan, TrainRun};
use crate::stepper::state_file::{complete_group_saves, repair_model_files};
use crate::stepper::train::{Progress, TrainConfig, TrainReport, Trainer};
use crate::stepper::windows::{windows_of, StepperData};
use crate::{Error, Result};

/// What [`preflight`] found: the folder's lock (hold it while loading data and training) and
/// the existing checkpoints, one line each.
#[derive(Debug)]
pub struct Preflight {
    pub lock: Option<FolderLock>,
    pub existing: Vec<String>,
}

/// Check `spec` and `run`, lock the output folder and apply the rules for existing
/// checkpoints, without touching any data; [`train_hierarchy`] repeats these checks.
pub fn preflight(spec: &HierarchySpec, run: &TrainRun, device: &Device) -> Result<Preflight> {
    let plan = &Plan { spec, run };
    let cfg = &spec.train;
    cfg.validate()?;
    check_plan(plan)?;
    let lock = match &plan.run.out_dir {
        Some(dir) => Some(FolderLock::acquire(dir, "training steppers")?),
        None => None,
    };
    if let Some(dir) = &plan.run.out_dir {
        complete_group_saves(dir)?;
    }
    let existing = inspect(plan, device)?;
    existing.policy_error(plan, cfg, None)?;
    Ok(Preflight {
        lock,
        existing: existing.descriptions(),
    })
}

fn check_plan(plan: &Plan) -> Result<()> {
    check_arch(&plan.spec.arch)?;
    if plan.spec.steps.is_empty() {
        return Err(Error::invalid("step sizes", "give at least one"));
    }
    if let Some(k) = plan.spec.steps.iter().find(|&&k| k == 0) {
        return Err(Error::invalid(
            "step sizes",
            format!("must be at least 1, got {k}"),
        ));
    }
    let mut seen = plan.spec.steps.clone();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::invalid(
            "step sizes",
            format!(
                "{} is given twice in {:?}; give each once",
                w[0], plan.spec.steps
            ),
        ));
    }
    let dt_ok = plan.run.dt.is_finite() && plan.run.dt > 0.0;
    let noise_ok = plan.run.noise.is_finite() && plan.run.noise >= 0.0;
    if !(dt_ok && noise_ok) {
        return Err(Error::invalid(
            "plan",
            format!(
                "dt must be > 0 and noise >= 0, got {} and {}",
                plan.run.dt, plan.run.noise
            ),
        ));
    }
    if plan.run.resume && plan.run.overwrite {
        return Err(Error::invalid(
            "resume",
            "resume and overwrite exclude each other",
        ));
    }
    Ok(())
}

/// Error unless every step size has windows of `n_forward` steps in trajectories of
/// `n_points` points.
fn check_steps_fit(plan: &Plan, n_points: usize, n_forward: usize) -> Result<()> {
    for &k in &plan.spec.steps {
        let need = k.saturating_mul(n_forward).saturating_add(1);
        if need > n_points {
            return Err(Error::invalid(
                "step sizes",
                format!(
                    "step {k} with n_forward {n_forward} needs trajectories of {need} points, the data has {n_points}"
                ),
            ));
        }
    }
    Ok(())
}

/// Train every step size of `spec` on trajectories `train` / `val` (`[n, points, dim]`), as
/// `run` says (folder, resume or overwrite). Returns the [`Hierarchy`] of the best-validation
/// steppers with their reports, sorted by step size; its [`Provenance`] says which steps were
/// loaded from finished checkpoints, trained fresh or resumed, and the epoch limit.
pub fn train_hierarchy(
    spec: &HierarchySpec,
    run: &TrainRun,
    train: ArrayView3<f64>,
    val: ArrayView3<f64>,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Hierarchy> {
    let start = std::time::Instant::now();
    let plan = &Plan { spec, run };
    let cfg = &spec.train;
    cfg.validate()?;
    check_plan(plan)?;
    let dim = plan.spec.arch.first().copied().unwrap_or(0);
    if train.dim().2 != dim || val.dim().2 != dim {
        return Err(Error::shape(
            "trajectories",
            format!("[n, points, {dim}] (arch {:?})", plan.spec.arch),
            format!("{:?} and {:?}", train.dim(), val.dim()),
        ));
    }
    if train.dim().0 == 0 || val.dim().0 == 0 {
        return Err(Error::invalid(
            "trajectories",
            format!(
                "need at least one training and one validation trajectory, got {:?} and {:?}",
                train.dim(),
                val.dim()
            ),
        ));
    }
    check_finite(train, "training trajectories")?;
    check_finite(val, "validation trajectories")?;
    check_steps_fit(plan, train.dim().1.min(val.dim().1), cfg.n_forward)?;
    let _lock = match &plan.run.out_dir {
        Some(dir) => Some(FolderLock::acquire(dir, "training steppers")?),
        None => None,
    };
    if let Some(dir) = &plan.run.out_dir {
        complete_group_saves(dir)?;
    }
    // what the checkpoints record of their data: a resume on other data is refused
    let data_sha256 = crate::data::trajectories_sha256(&[train, val]);
    let existing = inspect(plan, device)?;
    existing.policy_error(plan, cfg, Some(&data_sha256))?;
    if plan.run.overwrite {
        existing.remove_all()?;
    }
    let info = RunInfo {
        system: plan.run.system.clone(),
        noise: plan.run.noise,
        seed: Some(plan.spec.weight_seed),
        data_sha256: Some(data_sha256),
    };
    let mut results: Vec<Option<(ResNetStepper, TrainReport)>> =
        plan.spec.steps.iter().map(|_| None).collect();
    let mut resumable = Vec::new();
    // Steps to resume, keyed by the epoch they continue from (one trainer shares one epoch).
    let (mut fresh, mut resumed): (Vec<usize>, Vec<(usize, usize)>) = (Vec::new(), Vec::new());
    for (i, slot) in existing_or_empty(&existing, plan).into_iter().enumerate() {
        match slot {
            Some(Found::ModelOnly(s, meta)) if !plan.run.overwrite => {
                results[i] = Some((s.to_device(device)?, finished_report(meta, cfg)));
            }
            Some(Found::State(st)) if !plan.run.overwrite => {
                resumed.push((st.epoch(), i));
                resumable.push(plan.spec.steps[i]);
            }
            _ => fresh.push(i),
        }
    }
    let mut groups: Vec<(bool, Vec<usize>)> = Vec::new();
    if plan.spec.batched {
        groups.push((false, fresh));
        resumed.sort_unstable();
        for chunk in resumed.chunk_by(|a, b| a.0 == b.0) {
            groups.push((true, chunk.iter().map(|&(_, i)| i).collect()));
        }
    } else {
        groups.extend(fresh.into_iter().map(|i| (false, vec![i])));
        groups.extend(resumed.into_iter().map(|(_, i)| (true, vec![i])));
    }
    groups.retain(|(_, g)| !g.is_empty());
    groups.sort_by_key(|(_, g)| g[0]);
    let workers = cpu_workers(device, groups.len());
    // the steps that train now report progress; a finished state resumed reports none
    let mut trained: Vec<usize> = Vec::new();
    let mut record = |p: &Progress| {
        if !trained.contains(&p.step_size) {
            trained.push(p.step_size);
        }
        progress(p);
    };
    if workers <= 1 {
        for (resume, group) in &groups {
            for (i, r) in train_group(
                plan,
                group,
                *resume,
                train,
                val,
                cfg,
                &info,
                device,
                &mut record,
            )? {
                results[i] = Some(r);
            }
        }
    } else {
        for (i, r) in train_groups_parallel(
            plan,
            &groups,
            train,
            val,
            cfg,
            &info,
            device,
            workers,
            &mut record,
        )? {
            results[i] = Some(r);
        }
    }
    let (steppers, reports): (Vec<_>, Vec<_>) = results
        .into_iter()
        .zip(&plan.spec.steps)
        .map(|(r, k)| {
            r.ok_or_else(|| {
                Error::invalid(
                    "training",
                    format!("step {k} was neither trained nor loaded"),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    let provenance = trained_provenance(plan, trained, resumable, &reports, start.elapsed());
    Hierarchy::new(steppers, reports, provenance, device.clone())
}

/// What [`train_hierarchy`] did: the steps `trained` now (those that reported progress), of
/// which those `resumable` continued a saved state; the others were loaded finished.
fn trained_provenance(
    plan: &Plan,
    mut trained: Vec<usize>,
    resumable: Vec<usize>,
    reports: &[TrainReport],
    took: std::time::Duration,
) -> Provenance {
    trained.sort_unstable();
    let mut loaded: Vec<usize> = plan
        .spec
        .steps
        .iter()
        .copied()
        .filter(|k| !trained.contains(k))
        .collect();
    loaded.sort_unstable();
    let resumed: Vec<usize> = trained
        .iter()
        .copied()
        .filter(|k| resumable.contains(k))
        .collect();
    let source = Provenance::source_of(&loaded, &trained);
    let place = match &plan.run.out_dir {
        Some(dir) => format!("checkpoints in {}", dir.display()),
        None => "in memory".to_string(),
    };
    let mut epochs: Vec<(usize, usize)> = reports.iter().map(|r| (r.step_size, r.epochs)).collect();
    epochs.sort_unstable();
    Provenance {
        quick: false,
        pretrained: false,
        source: source.into(),
        detail: format!(
            "{place}: loaded {loaded:?}, trained {trained:?}{} (epoch limit {})",
            if resumed.is_empty() {
                String::new()
            } else {
                format!(" (resumed {resumed:?})")
            },
            plan.spec.train.epochs
        ),
        steps_imported: vec![],
        steps_loaded: loaded,
        steps_trained: trained,
        epochs_cap: plan.spec.train.epochs,
        epochs: epochs.into_iter().map(|(_, e)| e).collect(),
        seconds: took.as_secs_f64(),
    }
}

/// What the folder holds for each step of the plan (nothing without a folder).
fn existing_or_empty<'a>(existing: &'a Existing, plan: &Plan) -> Vec<Option<&'a Found>> {
    if existing.slots.is_empty() {
        return plan.spec.steps.iter().map(|_| None).collect();
    }
    existing.slots.iter().map(|s| Some(&s.found)).collect()
}

/// How many groups to train at once: on the CPU with single-threaded matrix products
/// ([`crate::stepper::device::one_thread_per_matmul`]), one group per core; otherwise one.
fn cpu_workers(device: &Device, n_groups: usize) -> usize {
    if !device.is_cpu() || candle_core::utils::get_num_threads() > 1 {
        return 1;
    }
    rayon::current_num_threads().min(n_groups).max(1)
}

/// Train `groups` on `workers` threads; progress reports reach `progress` on this thread.
#[allow(clippy::too_many_arguments)]
fn train_groups_parallel(
    plan: &Plan,
    groups: &[(bool, Vec<usize>)],
    train: ArrayView3<f64>,
    val: ArrayView3<f64>,
    cfg: &TrainConfig,
    info: &RunInfo,
    device: &Device,
    workers: usize,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Vec<(usize, (ResNetStepper, TrainReport))>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<Progress>();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let tx = tx.clone();
                let next = &next;
                scope.spawn(
                    move || -> Result<Vec<(usize, (ResNetStepper, TrainReport))>> {
                        let _busy = crate::stepper::backward::BusyTrainer::start();
                        let mut out = Vec::new();
                        let mut report = |p: &Progress| {
                            let _ = tx.send(p.clone());
                        };
                        loop {
                            let g = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let Some((resume, group)) = groups.get(g) else {
                                break;
                            };
                            out.extend(train_group(
                                plan,
                                group,
                                *resume,
                                train,
                                val,
                                cfg,
                                info,
                                device,
                                &mut report,
                            )?);
                        }
                        Ok(out)
                    },
                )
            })
            .collect();
        drop(tx);
        for p in rx {
            progress(&p);
        }
        let mut all = Vec::new();
        for h in handles {
            let part = h
                .join()
                .map_err(|_| Error::invalid("training thread", "a training thread panicked"))?;
            all.extend(part?);
        }
        Ok(all)
    })
}

/// Train the steppers `group` (indices into `plan.spec.steps`) in one trainer, from scratch or
/// (`resume`) from their states in `plan.run.out_dir`, saving there after every check.
#[allow(clippy::too_many_arguments)]
fn train_group(
    plan: &Plan,
    group: &[usize],
    resume: bool,
    train: ArrayView3<f64>,
    val: ArrayView3<f64>,
    cfg: &TrainConfig,
    info: &RunInfo,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Vec<(usize, (ResNetStepper, TrainReport))>> {
    let steps: Vec<usize> = group.iter().map(|&i| plan.spec.steps[i]).collect();
    let data = steps
        .iter()
        .map(|&k| {
            Ok(StepperData {
                train: windows_of(train, k, cfg.n_forward, device)?,
                val: windows_of(val, k, cfg.n_forward, device)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let stems: Vec<PathBuf> = match &plan.run.out_dir {
        Some(dir) => steps
            .iter()
            .map(|&k| checkpoint_stem(dir, k, plan.run.noise))
            .collect(),
        None => Vec::new(),
    };
    let mut trainer = if resume && !stems.is_empty() {
        // Model files behind their state (a save cut between the two) are rewritten from it.
        for stem in &stems {
            repair_model_files(stem, device)?;
        }
        let hash = info.data_sha256.as_deref();
        let expected: Vec<_> = steps.iter().map(|&k| expected_for(plan, k, hash)).collect();
        Trainer::resume(&stems, &expected, data, cfg.clone(), device)?
    } else {
        let fresh = steps
            .iter()
            .map(|&k| {
                ResNetStepper::new(
                    &plan.spec.arch,
                    k,
                    plan.run.dt,
                    plan.spec.weight_seed.wrapping_add(k as u32),
                    device,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Trainer::new(&fresh.iter().collect::<Vec<_>>(), data, cfg.clone())?
    };
    if trainer.needs_save() && !stems.is_empty() {
        trainer.save(&stems, info)?;
    }
    while !trainer.is_finished() && trainer.epoch() < cfg.epochs {
        let next = (trainer.epoch() / cfg.eval_every + 1) * cfg.eval_every;
        trainer.run(next, progress)?;
        if !stems.is_empty() {
            trainer.save(&stems, info)?;
        }
    }
    Ok(group.iter().copied().zip(trainer.finish()?).collect())
}
