//! Saving and resuming a [`Trainer`]: one state file per stepper, written whole.
//!
//! `<stem>.state.safetensors` ([`super::state_file`]) holds the current and best weights, Adam's
//! moments and the counters (epoch, Adam's step count, done, the stepper's [`StepperMeta`] with
//! its history and phases). Everything a resume needs is in this one file, renamed
//! into place at once, so a kill at any moment leaves either the previous state or the new
//! one, never moments of one check beside counters of another. The state stays after training
//! ends, so a finished run can be continued to a larger epoch cap.
//!
//! [`Trainer::save`] writes the state first, then the model files derived from it
//! (`<stem>.safetensors/.json`, [`super::checkpoint`]); a resume rewrites those from the state,
//! which repairs a save that was interrupted between the two.
//!
//! Resuming checks each state against what the run expects ([`ExpectedStepper`]: system, arch,
//! dt, noise, step size, weight seed) and refuses changed settings that define the run
//! ([`super::meta::frozen_changes`]); a changed learning rate, epoch cap, minibatch size or
//! check interval starts a new [`TrainPhase`]. A run of N/2 epochs, saved, resumed and run for
//! N/2 more ends with the same bytes as N epochs in one go (the minibatches depend only on the
//! seed and the epoch). States written by older versions (`.state.json` beside the tensors)
//! are still read.

use std::collections::HashMap;
use std::path::PathBuf;

use candle_core::{DType, Device, Tensor, Var};

use super::adam::{Adam, AdamConfig};
use super::checkpoint::{
    insert_layers, layers_from, save_tensors, to_json, ExpectedStepper, StepperMeta, FORMAT,
};
use super::member::Member;
use super::meta::{frozen_changes, starts_new_phase, TrainPhase};
use super::resnet::ResNetStepper;
use super::sampler::MinibatchSampler;
use super::stack::{stack_layers, StackedNet};
use super::state_file::{
    commit_note_path, legacy_state_json, pending_state_path, read_state, state_path, StateJson,
    STATE_FORMAT, STATE_KEY,
};
use super::train::{TrainConfig, Trainer};
use super::windows::{target_steps, StepperData};
use crate::{Error, Result};

/// What the state files record besides the trainer itself.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// The data's name (e.g. `Hyperbolic`).
    pub system: Option<String>,
    pub noise: f64,
    /// Seed of the initial weights.
    pub seed: Option<u32>,
    /// Hash of the training data ([`crate::data::trajectories_sha256`]), when known.
    pub data_sha256: Option<String>,
}

fn meta_of(m: &Member, arch: &[usize], info: &RunInfo) -> StepperMeta {
    let mut meta = StepperMeta {
        format: FORMAT.to_string(),
        system: info.system.clone(),
        arch: arch.to_vec(),
        step_size: m.step_size,
        dt: m.dt,
        noise: info.noise,
        epochs: m.epochs,
        best_val_loss: m.best_val.is_finite().then_some(m.best_val),
        history: Vec::new(),
        seed: info.seed,
        train_config: m.phases.last().map(|p| p.config.clone()),
        phases: m.phases.clone(),
        source: None,
        data_sha256: info.data_sha256.clone(),
    };
    meta.set_history(&m.history);
    meta
}

impl Trainer {
    fn check_stems(&self, stems: &[PathBuf]) -> Result<()> {
        if stems.len() != self.members.len() {
            return Err(Error::invalid(
                "checkpoint paths",
                format!(
                    "need one per stepper: {} for {}",
                    stems.len(),
                    self.members.len()
                ),
            ));
        }
        Ok(())
    }

    /// Save everything: the state files, then the model files of the validated steppers.
    pub fn save(&self, stems: &[PathBuf], info: &RunInfo) -> Result<()> {
        self.save_state(stems, info)?;
        self.save_best(stems, info)
    }

    /// Write the best weights of every stepper that has been validated as model checkpoints
    /// `<stem>.safetensors/.json` (a stepper never validated has no trained weights to save).
    pub fn save_best(&self, stems: &[PathBuf], info: &RunInfo) -> Result<()> {
        self.check_stems(stems)?;
        for (m, stem) in self.members.iter().zip(stems) {
            if !m.best_val.is_finite() {
                continue;
            }
            let stepper = ResNetStepper::from_layers(m.best.clone(), m.step_size, m.dt)?;
            stepper.save(stem, &meta_of(m, &self.arch, info))?;
        }
        Ok(())
    }

    /// Write the training state of every stepper, one whole file each (see the module docs).
    ///
    /// The steppers of one trainer move together: a trainer of several (`--batched`) writes
    /// all their new states beside the old ones first ([`pending_state_path`]), then a commit
    /// note naming them, then puts each in place; a kill at any moment leaves either every old
    /// state (the note missing: [`complete_group_saves`] drops the new ones) or the note
    /// (which completes the renames), never steppers of one trainer at different epochs. A
    /// resume therefore trains them in one trainer again, with the same arithmetic as the
    /// uninterrupted run (a trainer of other steppers rounds differently in the last bits).
    pub fn save_state(&self, stems: &[PathBuf], info: &RunInfo) -> Result<()> {
        self.check_stems(stems)?;
        let group = stems.len() > 1;
        for (i, (m, stem)) in self.members.iter().zip(stems).enumerate() {
            let mut map = HashMap::new();
            insert_layers(&mut map, "best.", &m.best);
            if let Some(row) = self.active.iter().position(|&a| a == i) {
                let (mm, vv) = self.moments_of_row(row)?;
                insert_layers(&mut map, "current.", &self.net.layers_of(row)?);
                insert_layers(&mut map, "adam_m.", &mm);
                insert_layers(&mut map, "adam_v.", &vv);
            } else {
                insert_layers(&mut map, "current.", m.last.as_ref().unwrap_or(&m.best));
                if let Some((mm, vv)) = &m.last_moments {
                    insert_layers(&mut map, "adam_m.", mm);
                    insert_layers(&mut map, "adam_v.", vv);
                }
            }
            let state = StateJson {
                format: STATE_FORMAT.to_string(),
                meta: meta_of(m, &self.arch, info),
                trainer_epoch: self.epoch,
                adam: self.adam.config,
                adam_t: if m.done { m.epochs as u64 } else { self.adam.t },
                done: m.done,
                stopped_early: m.stopped_early,
            };
            let target = if group {
                pending_state_path(stem)
            } else {
                state_path(stem)
            };
            save_tensors(&target, &map, STATE_KEY, &to_json(&state)?)?;
        }
        if group {
            let note = commit_note_path(&stems[0]);
            let names: Vec<String> = stems
                .iter()
                .filter_map(|s| s.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            crate::io::write_bytes_atomic(&note, serde_json::to_string(&names)?.as_bytes())?;
            for stem in stems {
                let from = pending_state_path(stem);
                std::fs::rename(&from, state_path(stem)).map_err(|e| Error::io(&from, e))?;
            }
            std::fs::remove_file(&note).map_err(|e| Error::io(&note, e))?;
        }
        for stem in stems {
            let legacy = legacy_state_json(stem);
            if legacy.exists() {
                std::fs::remove_file(&legacy).map_err(|e| Error::io(&legacy, e))?;
            }
        }
        Ok(())
    }

    /// Resume from state files written by [`Trainer::save_state`], checked against
    /// `expected[i]` for stepper `i` and against `cfg` (see the module docs). A stepper that
    /// finished at its epoch cap trains on when `cfg.epochs` is larger; one that stopped at
    /// the target loss stays finished; a cap below the epochs done finishes a run there.
    pub fn resume(
        stems: &[PathBuf],
        expected: &[ExpectedStepper],
        data: Vec<StepperData>,
        cfg: TrainConfig,
        device: &Device,
    ) -> Result<Trainer> {
        cfg.validate()?;
        if stems.len() != expected.len() || stems.len() != data.len() || stems.is_empty() {
            return Err(Error::invalid(
                "resume",
                "need one state file, expectation and data set per stepper",
            ));
        }
        let mut members = Vec::new();
        let (mut active, mut current, mut ms, mut vs) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut arch, mut epoch, mut adam_t) = (None::<Vec<usize>>, None, None);
        for (i, ((stem, want), data)) in stems.iter().zip(expected).zip(data).enumerate() {
            let st = read_state(stem, device)?.ok_or_else(|| Error::Checkpoint {
                path: state_path(stem),
                msg: "no training state to resume from".into(),
            })?;
            let (json, path) = (&st.json, &st.path);
            let bad = |msg: String| Error::Checkpoint {
                path: path.clone(),
                msg,
            };
            if let Some(diff) = json.meta.mismatch(want) {
                return Err(bad(format!(
                    "made for another run: {diff}; pass --overwrite to start again, or choose another output folder"
                )));
            }
            let mut phases = json.meta.phases_or_legacy();
            if let Some(last) = phases.last() {
                let frozen = frozen_changes(&last.config, &cfg);
                if !frozen.is_empty() {
                    return Err(bad(format!(
                        "cannot be resumed with other settings ({}): they define what is trained; \
                         resume with the run's settings, or pass --overwrite to start again",
                        frozen.join(", ")
                    )));
                }
            }
            if arch.get_or_insert_with(|| json.meta.arch.clone()) != &json.meta.arch {
                return Err(bad(
                    "steppers trained together must share one architecture".into()
                ));
            }
            let n = json.meta.arch.len() - 1;
            let layers = |prefix: &str| layers_from(&st.tensors, prefix, n, path);
            let moments = match (layers("adam_m."), layers("adam_v.")) {
                (Ok(m), Ok(v)) => Some((m, v)),
                _ => None,
            };
            let now = layers("current.").or_else(|_| layers("best."))?;
            let reactivate = json.done && !json.stopped_early && json.meta.epochs < cfg.epochs;
            let trains = !json.done || reactivate;
            if trains {
                let Some((m, v)) = moments.clone() else {
                    return Err(bad(format!(
                        "saved without Adam's state (an older hits keeps none for finished runs): \
                         it cannot be continued past epoch {}; pass --epochs {} to use it as it \
                         is, or --overwrite to start again",
                        json.meta.epochs, json.meta.epochs
                    )));
                };
                if *epoch.get_or_insert(st.epoch()) != st.epoch() {
                    return Err(bad(
                        "saved at another epoch than the other steppers of this run".into(),
                    ));
                }
                let t = if json.done {
                    json.meta.epochs as u64
                } else {
                    json.adam_t
                };
                adam_t = Some(t);
                if phases
                    .last()
                    .is_none_or(|p| starts_new_phase(&p.config, &cfg))
                {
                    phases.push(TrainPhase {
                        from_epoch: st.epoch(),
                        config: cfg.clone(),
                    });
                }
                active.push(i);
                current.push(now.clone());
                ms.push(m);
                vs.push(v);
            }
            members.push(Member {
                step_size: json.meta.step_size,
                dt: json.meta.dt,
                train_steps: target_steps(&data.train.ys)?,
                data,
                sampler: MinibatchSampler {
                    seed: cfg.sampler_seed(json.meta.step_size),
                },
                best_val: json.meta.best_val_loss.unwrap_or(f64::INFINITY),
                best: layers("best.")?,
                last: (!trains).then_some(now),
                last_moments: if trains { None } else { moments },
                phases,
                history: json.meta.history_f64(),
                epochs: st.epoch(),
                done: !trains,
                stopped_early: !trains && json.stopped_early,
            });
        }
        let arch = arch.unwrap_or_default();
        let epoch = epoch.unwrap_or_else(|| members.iter().map(|m| m.epochs).max().unwrap_or(0));
        let ended = epoch >= cfg.epochs && !active.is_empty();
        if ended {
            // The cap was lowered below what is done: the run ends here.
            for (&i, ((w, m), v)) in active.iter().zip(current.iter().zip(&ms).zip(&vs)) {
                let member = &mut members[i];
                member.done = true;
                member.last = Some(w.clone());
                member.last_moments = Some((m.clone(), v.clone()));
            }
            active.clear();
        }
        let adam_cfg = AdamConfig {
            lr: cfg.lr,
            ..AdamConfig::default()
        };
        let interleave = |(w, b): (Vec<Tensor>, Vec<Tensor>)| -> Vec<Tensor> {
            w.into_iter().zip(b).flat_map(|(w, b)| [w, b]).collect()
        };
        let (net, adam) = if active.is_empty() {
            // Nothing left to train: keep a stack of the best weights so the trainer is whole.
            let layers: Vec<_> = members.iter().map(|m| m.best.clone()).collect();
            let (ws, bs) = stack_layers(&layers)?;
            let net = to_net(ws, bs)?;
            let adam = Adam::new(&net.vars(), adam_cfg)?;
            (net, adam)
        } else {
            let (ws, bs) = stack_layers(&current)?;
            let net = to_net(ws, bs)?;
            let adam = Adam {
                config: adam_cfg,
                t: adam_t.unwrap_or(epoch as u64),
                m: interleave(stack_layers(&ms)?),
                v: interleave(stack_layers(&vs)?),
            };
            (net, adam)
        };
        Ok(Trainer {
            cfg,
            arch,
            members,
            active,
            net,
            adam,
            epoch,
            seconds: 0.0,
            unsaved: ended,
        })
    }
}

fn to_net(ws: Vec<Tensor>, bs: Vec<Tensor>) -> Result<StackedNet> {
    let var = |t: Tensor| -> Result<Var> {
        Ok(Var::from_tensor(&t.to_dtype(DType::F32)?.contiguous()?)?)
    };
    Ok(StackedNet {
        weights: ws.into_iter().map(var).collect::<Result<_>>()?,
        biases: bs.into_iter().map(var).collect::<Result<_>>()?,
    })
}
