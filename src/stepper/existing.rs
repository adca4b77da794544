//! What an output folder already holds for a training plan, and what may be done with it.
//!
//! For every step size of a hierarchy ([`super::HierarchySpec`] and its [`super::TrainRun`]) the folder may hold nothing, a training state
//! (`.state.safetensors`: resumable, or finished but continuable), or only model files (an
//! imported model, or a run of an older version that kept no state). [`inspect`] reads them
//! and [`Existing::policy_error`] applies the rules:
//!
//! - without `resume` or `overwrite`, any existing checkpoint is refused (nothing is replaced
//!   silently);
//! - with `overwrite`, they are removed before training starts;
//! - with `resume`, states are resumed (checked in [`super::Trainer::resume`]), imported models
//!   are refused (training never continues them unless `overwrite` is asked for), and model
//!   files without a state are used as finished when they are (epoch cap or target reached)
//!   and fit the plan, refused otherwise.

use std::path::PathBuf;

use candle_core::Device;

use super::checkpoint::{checkpoint_stem, with_suffix, ExpectedStepper, StepperMeta};
use super::meta::frozen_changes;
use super::resnet::ResNetStepper;
use super::spec::Plan;
use super::state_file::{legacy_state_json, read_state, state_path, SavedState};
use super::train::{TrainConfig, TrainReport};
use crate::{Error, Result};

/// What the folder holds for one step size.
pub(crate) enum Found {
    Nothing,
    /// A training state (resumable or finished).
    State(SavedState),
    /// Model files without a state: a finished run of an older version, or an import.
    ModelOnly(ResNetStepper, StepperMeta),
}

/// One step size of the plan and what the folder holds for it.
pub(crate) struct Slot {
    pub step: usize,
    pub stem: PathBuf,
    pub found: Found,
}

/// Everything the folder holds for the plan.
pub(crate) struct Existing {
    pub slots: Vec<Slot>,
}

/// What stepper `k` of `plan` must have been made for, on the data of hash `data` (when known).
pub(crate) fn expected_for(plan: &Plan, k: usize, data: Option<&str>) -> ExpectedStepper {
    ExpectedStepper {
        system: plan.run.system.clone(),
        arch: Some(plan.spec.arch.clone()),
        dim: plan.spec.arch.first().copied(),
        dt: Some(plan.run.dt),
        noise: Some(plan.run.noise),
        step_size: Some(k),
        seed: Some(plan.spec.weight_seed),
        data_sha256: data.map(str::to_string),
    }
}

/// Read what `plan.run.out_dir` holds for each step size (nothing when there is no folder).
pub(crate) fn inspect(plan: &Plan, device: &Device) -> Result<Existing> {
    let Some(dir) = &plan.run.out_dir else {
        return Ok(Existing { slots: Vec::new() });
    };
    let mut slots = Vec::new();
    for &k in &plan.spec.steps {
        let stem = checkpoint_stem(dir, k, plan.run.noise);
        let found = if let Some(st) = read_state(&stem, device)? {
            Found::State(st)
        } else if with_suffix(&stem, ".safetensors").exists()
            || with_suffix(&stem, ".json").exists()
        {
            let (s, meta) = ResNetStepper::load_with_meta(&stem, device)?;
            Found::ModelOnly(s, meta)
        } else {
            Found::Nothing
        };
        slots.push(Slot {
            step: k,
            stem,
            found,
        });
    }
    Ok(Existing { slots })
}

impl Slot {
    fn name(&self) -> String {
        self.stem
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn describe(&self) -> Option<String> {
        match &self.found {
            Found::Nothing => None,
            Found::State(st) => Some(format!("{}: {}", self.name(), st.describe())),
            Found::ModelOnly(_, m) if m.is_imported() => Some(format!(
                "{}: imported from {}",
                self.name(),
                m.source.as_deref().unwrap_or("?")
            )),
            Found::ModelOnly(_, m) => Some(format!(
                "{}: finished at epoch {} (no training state)",
                self.name(),
                m.epochs
            )),
        }
    }

    /// The files of this slot that exist.
    pub fn files(&self) -> Vec<PathBuf> {
        [
            with_suffix(&self.stem, ".safetensors"),
            with_suffix(&self.stem, ".json"),
            state_path(&self.stem),
            legacy_state_json(&self.stem),
        ]
        .into_iter()
        .filter(|p| p.exists())
        .collect()
    }
}

impl Existing {
    /// One line per existing checkpoint, e.g. `model_D1_noise0.0: interrupted at epoch 250 of 1000`.
    pub fn descriptions(&self) -> Vec<String> {
        self.slots.iter().filter_map(Slot::describe).collect()
    }

    /// The refusal the rules of the module docs give, if any; `data` is the hash of the
    /// training data when it is known (a finished checkpoint of other data is refused).
    pub fn policy_error(&self, plan: &Plan, cfg: &TrainConfig, data: Option<&str>) -> Result<()> {
        let dir = plan.run.out_dir.clone().unwrap_or_default();
        let listed = self.descriptions();
        if listed.is_empty() || plan.run.overwrite {
            return Ok(());
        }
        if !plan.run.resume {
            return Err(Error::invalid(
                "output folder",
                format!(
                    "{} already holds checkpoints of an earlier run ({}); pass --resume to continue \
                     them, --overwrite to replace them, or choose another output folder",
                    dir.display(),
                    listed.join("; ")
                ),
            ));
        }
        for slot in &self.slots {
            let Found::ModelOnly(_, meta) = &slot.found else {
                continue;
            };
            let path = with_suffix(&slot.stem, ".safetensors");
            let refuse = |msg: String| {
                Err(Error::Checkpoint {
                    path: path.clone(),
                    msg,
                })
            };
            if meta.is_imported() {
                return refuse(format!(
                    "imported from {}, not trained here: training does not continue imported \
                     models; pass --overwrite to replace it, or choose another output folder",
                    meta.source.as_deref().unwrap_or("?")
                ));
            }
            if let Some(diff) = meta.mismatch(&expected_for(plan, slot.step, data)) {
                return refuse(format!(
                    "made for another run: {diff}; pass --overwrite to replace it, or choose another output folder"
                ));
            }
            if let Some(old) = &meta.train_config {
                let frozen = frozen_changes(old, cfg);
                if !frozen.is_empty() {
                    return refuse(format!(
                        "trained with other settings ({}); pass --overwrite to replace it, or choose \
                         another output folder",
                        frozen.join(", ")
                    ));
                }
            }
            if !finished_for(meta, cfg) {
                return refuse(format!(
                    "finished at epoch {} without a training state (made by an older hits): it \
                     cannot be continued to {} epochs exactly; pass --epochs {} to use it as it \
                     is, or --overwrite to train again",
                    meta.epochs, cfg.epochs, meta.epochs
                ));
            }
        }
        Ok(())
    }

    /// Remove every existing checkpoint of the plan (for `overwrite`).
    pub fn remove_all(&self) -> Result<()> {
        for slot in &self.slots {
            for p in slot.files() {
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
        Ok(())
    }
}

/// Whether model files without a state count as finished under `cfg`.
fn finished_for(meta: &StepperMeta, cfg: &TrainConfig) -> bool {
    let best = meta.best_val_loss.unwrap_or(f64::INFINITY);
    meta.epochs >= cfg.epochs || best <= cfg.target_loss
}

/// The report of a finished checkpoint without a state.
pub(crate) fn finished_report(meta: &StepperMeta, cfg: &TrainConfig) -> TrainReport {
    TrainReport {
        step_size: meta.step_size,
        epochs: meta.epochs,
        best_val_loss: meta.best_val_loss.unwrap_or(f64::INFINITY),
        history: meta.history_f64(),
        stopped_early: meta.epochs < cfg.epochs,
        seconds: 0.0,
    }
}
