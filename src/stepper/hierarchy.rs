//! Training a whole hierarchy: one stepper per step size of a system, in one call.
//!
//! With `batched = true` all steppers train in one [`Trainer`] (stacked weights `[K, in, out]`,
//! batched matrix products: the K steppers share every kernel launch); otherwise one after the
//! other. Both give each stepper the same losses and weights (see `tests/stepper_train.rs`).
//! Stepper `k` starts from initial weights of seed `seed + k` and draws its minibatches from
//! sampler seed `config.seed + k`, so a stepper trains the same alone or in any hierarchy.
//!
//! With an output folder, the best weights (`model_D{k}_noise{noise}.safetensors/.json`) and
//! the training state (`.state.*`) are written after every validation check, so an interrupted
//! run resumes (`resume = true`) where it was last saved; finished steppers are not retrained,
//! and their state files are removed.

use std::path::{Path, PathBuf};

use candle_core::Device;
use ndarray::ArrayView3;

use super::checkpoint::{checkpoint_stem, with_suffix};
use super::resnet::ResNetStepper;
use super::resume::RunInfo;
use super::train::{Progress, TrainConfig, TrainReport, Trainer};
use super::windows::{windows_of, StepperData};
use crate::{Error, Result};

/// What to train.
#[derive(Debug, Clone)]
pub struct HierarchyPlan {
    /// The problem's folder name, recorded in (and checked against) the checkpoints.
    pub system: Option<String>,
    /// Layer widths, shared by all steppers.
    pub arch: Vec<usize>,
    pub dt: f64,
    /// Step sizes in units of dt.
    pub steps: Vec<usize>,
    /// Noise level of the data (for file names and metadata).
    pub noise: f64,
    /// Seed of the initial weights (stepper k uses `seed + k`).
    pub seed: u32,
    /// Where to write checkpoints (none: keep in memory only).
    pub out_dir: Option<PathBuf>,
    pub batched: bool,
    pub resume: bool,
}

/// Train every step size of `plan` on trajectories `train` / `val` (`[n, points, dim]`).
/// Returns the best-validation stepper and report per step size, in the order of `plan.steps`.
pub fn train_hierarchy(
    plan: &HierarchyPlan,
    train: ArrayView3<f64>,
    val: ArrayView3<f64>,
    cfg: &TrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Vec<(ResNetStepper, TrainReport)>> {
    let dim = plan.arch.first().copied().unwrap_or(0);
    if train.dim().2 != dim || val.dim().2 != dim {
        return Err(Error::shape(
            "trajectories",
            format!("[n, points, {dim}] (arch {:?})", plan.arch),
            format!("{:?} and {:?}", train.dim(), val.dim()),
        ));
    }
    let info = RunInfo {
        system: plan.system.clone(),
        noise: plan.noise,
        seed: Some(plan.seed),
    };
    let mut results: Vec<Option<(ResNetStepper, TrainReport)>> =
        plan.steps.iter().map(|_| None).collect();
    let mut todo = Vec::new();
    for (i, &k) in plan.steps.iter().enumerate() {
        if let (true, Some(dir)) = (plan.resume, &plan.out_dir) {
            if let Some(done) = finished(&checkpoint_stem(dir, k, plan.noise), cfg, device)? {
                results[i] = Some(done);
                continue;
            }
        }
        todo.push(i);
    }
    let groups: Vec<Vec<usize>> = if plan.batched {
        vec![todo]
    } else {
        todo.into_iter().map(|i| vec![i]).collect()
    };
    let groups: Vec<Vec<usize>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
    let workers = cpu_workers(device, groups.len());
    if workers <= 1 {
        for group in &groups {
            for (i, r) in train_group(plan, group, train, val, cfg, &info, device, progress)? {
                results[i] = Some(r);
            }
        }
    } else {
        for (i, r) in train_groups_parallel(
            plan, &groups, train, val, cfg, &info, device, workers, progress,
        )? {
            results[i] = Some(r);
        }
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every step size trained or loaded"))
        .collect())
}

/// How many groups to train at once: on the CPU with single-threaded matrix products
/// ([`super::device::one_thread_per_matmul`]), one group per core; otherwise one.
fn cpu_workers(device: &Device, n_groups: usize) -> usize {
    if !device.is_cpu() || candle_core::utils::get_num_threads() > 1 {
        return 1;
    }
    rayon::current_num_threads().min(n_groups).max(1)
}

/// Train `groups` on `workers` threads; progress reports reach `progress` on this thread.
#[allow(clippy::too_many_arguments)]
fn train_groups_parallel(
    plan: &HierarchyPlan,
    groups: &[Vec<usize>],
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
                        let mut out = Vec::new();
                        let mut report = |p: &Progress| {
                            let _ = tx.send(p.clone());
                        };
                        loop {
                            let g = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let Some(group) = groups.get(g) else { break };
                            out.extend(train_group(
                                plan,
                                group,
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

/// Train the steppers `group` (indices into `plan.steps`) in one trainer, saving and resuming
/// through `plan.out_dir`.
#[allow(clippy::too_many_arguments)]
fn train_group(
    plan: &HierarchyPlan,
    group: &[usize],
    train: ArrayView3<f64>,
    val: ArrayView3<f64>,
    cfg: &TrainConfig,
    info: &RunInfo,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Vec<(usize, (ResNetStepper, TrainReport))>> {
    let dim = plan.arch.first().copied().unwrap_or(0);
    let steps: Vec<usize> = group.iter().map(|&i| plan.steps[i]).collect();
    let data = steps
        .iter()
        .map(|&k| {
            Ok(StepperData {
                train: windows_of(train, k, cfg.n_forward, device)?,
                val: windows_of(val, k, cfg.n_forward, device)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let stems: Vec<PathBuf> = match &plan.out_dir {
        Some(dir) => steps
            .iter()
            .map(|&k| checkpoint_stem(dir, k, plan.noise))
            .collect(),
        None => Vec::new(),
    };
    let can_resume = plan.resume
        && !stems.is_empty()
        && stems.iter().all(|s| with_suffix(s, ".state.json").exists());
    let mut trainer = if can_resume {
        let expected: Vec<_> = steps.iter().map(|&k| (k, plan.dt, dim)).collect();
        Trainer::resume(&stems, &expected, data, cfg.clone(), info, device)?
    } else {
        let fresh = steps
            .iter()
            .map(|&k| {
                ResNetStepper::new(
                    &plan.arch,
                    k,
                    plan.dt,
                    plan.seed.wrapping_add(k as u32),
                    device,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Trainer::new(&fresh.iter().collect::<Vec<_>>(), data, cfg.clone())?
    };
    while !trainer.is_finished() && trainer.epoch() < cfg.epochs {
        let next = (trainer.epoch() / cfg.eval_every + 1) * cfg.eval_every;
        trainer.run(next, progress)?;
        if !stems.is_empty() {
            trainer.save_best(&stems, info)?;
            trainer.save_state(&stems, info)?;
        }
    }
    for s in &stems {
        for suf in [".state.json", ".state.safetensors"] {
            let p = with_suffix(s, suf);
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
    }
    Ok(group.iter().copied().zip(trainer.finish()?).collect())
}

/// A finished checkpoint at `stem` (epoch limit or target reached, no state left), if any.
fn finished(
    stem: &Path,
    cfg: &TrainConfig,
    device: &Device,
) -> Result<Option<(ResNetStepper, TrainReport)>> {
    if !with_suffix(stem, ".json").exists() || with_suffix(stem, ".state.json").exists() {
        return Ok(None);
    }
    let (s, meta) = ResNetStepper::load_with_meta(stem, device)?;
    let best = meta.best_val_loss.unwrap_or(f64::INFINITY);
    if meta.epochs < cfg.epochs && best > cfg.target_loss {
        return Ok(None);
    }
    let history = meta
        .history
        .iter()
        .map(|&(e, t, v)| (e, t.unwrap_or(f64::NAN), v.unwrap_or(f64::NAN)))
        .collect();
    let report = TrainReport {
        step_size: s.step_size(),
        epochs: meta.epochs,
        best_val_loss: best,
        history,
        stopped_early: meta.epochs < cfg.epochs,
        seconds: 0.0,
    };
    Ok(Some((s, report)))
}
