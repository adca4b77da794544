//! Saving and resuming a [`Trainer`]: one pair of state files per stepper.
//!
//! `<stem>.state.safetensors` holds `current.*` (weights now), `best.*` (best-validation
//! weights), `adam_m.*` and `adam_v.*` (Adam's moments, in the per-stepper orientation
//! `[out, in]`); `<stem>.state.json` holds the epoch, Adam's step count, the best loss and the
//! history. Resuming re-stacks them; a run of N/2 epochs, saved, resumed and run for N/2 more
//! ends with the same weights as N epochs in one go (the minibatches depend only on the seed
//! and the epoch).

use std::collections::HashMap;
use std::path::PathBuf;

use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};

use super::adam::{Adam, AdamConfig};
use super::checkpoint::{
    insert_layers, layers_from, load_json, load_tensors, save_json, save_tensors, with_suffix,
    StepperMeta,
};
use super::resnet::ResNetStepper;
use super::sampler::MinibatchSampler;
use super::stack::{stack_layers, unstack_row, StackedNet};
use super::train::{Member, TrainConfig, Trainer};
use super::windows::{target_steps, StepperData};
use crate::{Error, Result};

/// What the state files record besides the trainer itself.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// The problem's folder name.
    pub system: Option<String>,
    pub noise: f64,
    /// Seed of the initial weights.
    pub seed: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StateJson {
    meta: StepperMeta,
    trainer_epoch: usize,
    adam: AdamConfig,
    adam_t: u64,
    done: bool,
    stopped_early: bool,
}

fn meta_of(m: &Member, arch: &[usize], cfg: &TrainConfig, info: &RunInfo) -> StepperMeta {
    let mut meta = StepperMeta {
        format: super::checkpoint::FORMAT.to_string(),
        system: info.system.clone(),
        arch: arch.to_vec(),
        step_size: m.step_size,
        dt: m.dt,
        noise: info.noise,
        epochs: m.epochs,
        best_val_loss: m.best_val.is_finite().then_some(m.best_val),
        history: Vec::new(),
        seed: info.seed,
        train_config: Some(cfg.clone()),
        source: None,
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

    /// Write the best weights of every stepper as model checkpoints `<stem>.safetensors/.json`.
    pub fn save_best(&self, stems: &[PathBuf], info: &RunInfo) -> Result<()> {
        self.check_stems(stems)?;
        for (m, stem) in self.members.iter().zip(stems) {
            let stepper = ResNetStepper::from_layers(m.best.clone(), m.step_size, m.dt)?;
            stepper.save(stem, &meta_of(m, &self.arch, &self.cfg, info))?;
        }
        Ok(())
    }

    /// Write the full training state of every stepper (see the module docs).
    pub fn save_state(&self, stems: &[PathBuf], info: &RunInfo) -> Result<()> {
        self.check_stems(stems)?;
        let (ws, bs) = self.net.detached();
        let split = |ts: &[Tensor]| -> (Vec<Tensor>, Vec<Tensor>) {
            (
                ts.iter().step_by(2).cloned().collect(),
                ts.iter().skip(1).step_by(2).cloned().collect(),
            )
        };
        let (mw, mb) = split(&self.adam.m);
        let (vw, vb) = split(&self.adam.v);
        for (i, (m, stem)) in self.members.iter().zip(stems).enumerate() {
            let mut map = HashMap::new();
            insert_layers(&mut map, "best.", &m.best);
            if let Some(row) = self.active.iter().position(|&a| a == i) {
                insert_layers(&mut map, "current.", &unstack_row(&ws, &bs, row)?);
                insert_layers(&mut map, "adam_m.", &unstack_row(&mw, &mb, row)?);
                insert_layers(&mut map, "adam_v.", &unstack_row(&vw, &vb, row)?);
            } else if let Some(last) = &m.last {
                insert_layers(&mut map, "current.", last);
            }
            save_tensors(&with_suffix(stem, ".state.safetensors"), &map)?;
            let state = StateJson {
                meta: meta_of(m, &self.arch, &self.cfg, info),
                trainer_epoch: self.epoch,
                adam: self.adam.config,
                adam_t: self.adam.t,
                done: m.done,
                stopped_early: m.stopped_early,
            };
            save_json(&with_suffix(stem, ".state.json"), &state)?;
        }
        Ok(())
    }

    /// Resume from state files written by [`Trainer::save_state`]. `expected[i]` is the
    /// `(step_size, dt, dim)` stepper `i` must have been trained for; a mismatch (or another
    /// system) is an error naming the file.
    pub fn resume(
        stems: &[PathBuf],
        expected: &[(usize, f64, usize)],
        data: Vec<StepperData>,
        cfg: TrainConfig,
        info: &RunInfo,
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
        let (mut arch, mut epoch, mut adam_t) = (None::<Vec<usize>>, None, 0);
        for (i, ((stem, &(step, dt, dim)), data)) in
            stems.iter().zip(expected).zip(data).enumerate()
        {
            let json_path = with_suffix(stem, ".state.json");
            let state: StateJson = load_json(&json_path)?;
            state
                .meta
                .check_matches(&json_path, info.system.as_deref(), dim, dt, step)?;
            if arch.get_or_insert_with(|| state.meta.arch.clone()) != &state.meta.arch {
                return Err(Error::Checkpoint {
                    path: json_path,
                    msg: "steppers trained together must share one architecture".into(),
                });
            }
            let st_path = with_suffix(stem, ".state.safetensors");
            let tensors = load_tensors(&st_path, device)?;
            let n = state.meta.arch.len() - 1;
            if !state.done {
                if *epoch.get_or_insert(state.trainer_epoch) != state.trainer_epoch {
                    return Err(Error::Checkpoint {
                        path: json_path,
                        msg: "saved at another epoch than the other steppers of this run".into(),
                    });
                }
                adam_t = state.adam_t;
                active.push(i);
                current.push(layers_from(&tensors, "current.", n, &st_path)?);
                ms.push(layers_from(&tensors, "adam_m.", n, &st_path)?);
                vs.push(layers_from(&tensors, "adam_v.", n, &st_path)?);
            }
            let hist = state
                .meta
                .history
                .iter()
                .map(|&(e, t, v)| (e, t.unwrap_or(f64::NAN), v.unwrap_or(f64::NAN)))
                .collect();
            members.push(Member {
                step_size: step,
                dt,
                train_steps: target_steps(&data.train.ys)?,
                data,
                sampler: MinibatchSampler {
                    seed: cfg.sampler_seed(step),
                },
                best_val: state.meta.best_val_loss.unwrap_or(f64::INFINITY),
                best: layers_from(&tensors, "best.", n, &st_path)?,
                last: if state.done {
                    layers_from(&tensors, "current.", n, &st_path).ok()
                } else {
                    None
                },
                history: hist,
                epochs: state.meta.epochs,
                done: state.done,
                stopped_early: state.stopped_early,
            });
        }
        let arch = arch.unwrap_or_default();
        let epoch = epoch.unwrap_or_else(|| members.iter().map(|m| m.epochs).max().unwrap_or(0));
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
                t: adam_t,
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
