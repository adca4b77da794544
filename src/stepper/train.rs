//! Training faithful to the original `ResNet.train_net`, for one stepper or K stacked ones.
//!
//! Each epoch is one Adam step on one random minibatch (see [`super::sampler`]) with the
//! recurrent loss [`TrainConfig::loss`] (see [`super::loss`]: the paper's by default, or a
//! custom closure); the validation loss is the same loss on the validation windows.
//! Differences from the original, all deliberate:
//! - the validation loss is computed only every `eval_every` epochs (and after the last one),
//!   without gradients; the original computes it with gradients every epoch and looks at it
//!   every 1000;
//! - the validation loss is that of the weights it is stored with (after the epoch's step);
//!   the original compares the loss before the step and saves the weights after it;
//! - a stepper stops once its best validation loss is `<= target_loss` (1e-8), as the original
//!   (which notices it one epoch later, before stepping).
//!
//! The [`Trainer`] trains K steppers of one architecture together (stacked weights, batched
//! matrix products); each keeps its own minibatches, best weights and early stop, and gets
//! exactly the updates it would get alone. Its state can be saved and resumed
//! ([`super::resume`]).
//!
//! A loss that becomes NaN or infinite (a diverging run, e.g. too large a learning rate) stops
//! training with [`Error::NonFinite`] at the check that sees it, before anything of that check
//! is kept: the best weights so far, and what was saved of them, stay as they were.

use std::time::Instant;

use candle_core::{DType, Tensor};

use super::adam::{Adam, AdamConfig};
use super::backward::loss_and_grads;
use super::member::{Member, Moments};
use super::meta::TrainPhase;
use super::minibatch::{Block, Pool};
use super::resnet::ResNetStepper;
use super::sampler::MinibatchSampler;
use super::stack::{index_tensor, recurrent_loss, unstack_row, StackedNet};
pub use super::train_config::{Progress, TrainConfig, TrainReport};
use super::windows::{target_steps, StepperData};
use crate::{Error, Result};

/// Trains K steppers of one architecture together; see the module docs.
pub struct Trainer {
    pub(crate) cfg: TrainConfig,
    pub(crate) arch: Vec<usize>,
    pub(crate) members: Vec<Member>,
    /// `active[r]` is the member trained in row `r` of the stack.
    pub(crate) active: Vec<usize>,
    pub(crate) net: StackedNet,
    pub(crate) adam: Adam,
    pub(crate) epoch: usize,
    pub(crate) seconds: f64,
    /// Whether the state changed since it was saved or resumed without a run since (a resume
    /// whose lowered epoch cap ended the run).
    pub(crate) unsaved: bool,
}

impl Trainer {
    /// A trainer starting from the weights of `steppers`, with one data set each.
    pub fn new(
        steppers: &[&ResNetStepper],
        data: Vec<StepperData>,
        cfg: TrainConfig,
    ) -> Result<Self> {
        cfg.validate()?;
        if steppers.len() != data.len() || steppers.is_empty() {
            return Err(Error::invalid(
                "data",
                format!(
                    "need one data set per stepper: {} steppers, {} data sets",
                    steppers.len(),
                    data.len()
                ),
            ));
        }
        let arch = steppers[0].arch().to_vec();
        for (s, d) in steppers.iter().zip(&data) {
            let (dim, nf) = (s.dim(), cfg.n_forward);
            for (what, w) in [("training", &d.train), ("validation", &d.val)] {
                if w.x.dims()[1] != dim || w.ys.dims()[1..] != [nf, dim] {
                    return Err(Error::shape(
                        format!("{what} windows of step {}", s.step_size()),
                        format!("x [n, {dim}], ys [n, {nf}, {dim}]"),
                        format!("x {:?}, ys {:?}", w.x.dims(), w.ys.dims()),
                    ));
                }
            }
        }
        let net = StackedNet::from_steppers(steppers, DType::F32)?;
        let adam = Adam::new(
            &net.vars(),
            AdamConfig {
                lr: cfg.lr,
                ..AdamConfig::default()
            },
        )?;
        let members = steppers
            .iter()
            .zip(data)
            .map(|(s, data)| {
                Ok(Member {
                    step_size: s.step_size(),
                    dt: s.dt(),
                    train_steps: target_steps(&data.train.ys)?,
                    data,
                    sampler: MinibatchSampler {
                        seed: cfg.sampler_seed(s.step_size()),
                    },
                    best_val: f64::INFINITY,
                    best: s
                        .layers()
                        .iter()
                        .map(|(w, b)| Ok((w.copy()?, b.copy()?)))
                        .collect::<Result<_>>()?,
                    last: None,
                    last_moments: None,
                    phases: vec![TrainPhase {
                        from_epoch: 0,
                        config: cfg.clone(),
                    }],
                    history: Vec::new(),
                    epochs: 0,
                    done: false,
                    stopped_early: false,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let active = (0..members.len()).collect();
        let trainer = Trainer {
            cfg,
            arch,
            members,
            active,
            net,
            adam,
            epoch: 0,
            seconds: 0.0,
            unsaved: false,
        };
        trainer.check_loss()?;
        Ok(trainer)
    }

    /// Error unless the loss can train these steppers together: a custom loss must give each
    /// net a loss of its own ([`Loss::check_per_net`](super::loss::Loss::check_per_net)), probed on validation windows.
    fn check_loss(&self) -> Result<()> {
        let ys = &self.members[0].data.val.ys;
        self.cfg.loss.check_per_net(ys)
    }

    /// Epochs done so far.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// True when every stepper has stopped (epoch limit or target loss).
    pub fn is_finished(&self) -> bool {
        self.active.is_empty()
    }

    /// Whether the trainer holds changes not saved yet by [`Trainer::run`]'s caller: a resume
    /// whose lowered epoch cap ended the run, which the state files do not say yet.
    pub fn needs_save(&self) -> bool {
        self.unsaved
    }

    /// The settings.
    pub fn config(&self) -> &TrainConfig {
        &self.cfg
    }

    /// The current (not best) weights of every stepper, as steppers.
    pub fn current(&self) -> Result<Vec<ResNetStepper>> {
        (0..self.members.len())
            .map(|i| self.current_of(i))
            .collect()
    }

    pub(crate) fn current_of(&self, i: usize) -> Result<ResNetStepper> {
        let m = &self.members[i];
        let layers = match self.active.iter().position(|&a| a == i) {
            Some(row) => self.net.layers_of(row)?,
            None => m.last.clone().unwrap_or_else(|| m.best.clone()),
        };
        ResNetStepper::from_layers(layers, m.step_size, m.dt)
    }

    /// Adam's moments of stack row `row`, per layer.
    pub(crate) fn moments_of_row(&self, row: usize) -> Result<Moments> {
        let split = |ts: &[Tensor]| -> (Vec<Tensor>, Vec<Tensor>) {
            (
                ts.iter().step_by(2).cloned().collect(),
                ts.iter().skip(1).step_by(2).cloned().collect(),
            )
        };
        let (mw, mb) = split(&self.adam.m);
        let (vw, vb) = split(&self.adam.v);
        Ok((unstack_row(&mw, &mb, row)?, unstack_row(&vw, &vb, row)?))
    }

    /// Train until epoch `until` (capped at the configured maximum) or until every stepper has
    /// stopped. `progress` is called at each validation check, once per stepper.
    ///
    /// Between checks nothing is read back from the device: the minibatches of the epochs up
    /// to the next check are drawn and uploaded at once ([`super::minibatch`]), and the
    /// training losses stay on the device until the check reads them.
    pub fn run(&mut self, until: usize, progress: &mut dyn FnMut(&Progress)) -> Result<()> {
        // Also covers trainers made by `resume`.
        self.check_loss()?;
        let until = until.min(self.cfg.epochs);
        let mut mark = (Instant::now(), self.epoch);
        let mut batches: Option<(Pool, Block)> = None;
        while self.epoch < until && !self.active.is_empty() {
            let started = Instant::now();
            self.epoch += 1;
            let stale = match &batches {
                Some((pool, block)) => pool.active != self.active || !block.contains(self.epoch),
                None => true,
            };
            if stale {
                let pool = match batches.take() {
                    Some((pool, _)) if pool.active == self.active => pool,
                    _ => Pool::new(&self.members, &self.active)?,
                };
                let check = self.epoch.div_ceil(self.cfg.eval_every) * self.cfg.eval_every;
                let last = check.min(until);
                let block = pool.block(&self.members, self.epoch, last, self.cfg.batch_size)?;
                batches = Some((pool, block));
            }
            let (pool, block) = batches.as_ref().expect("made above");
            let losses = self.train_epoch(pool, block)?;
            if self.epoch.is_multiple_of(self.cfg.eval_every) || self.epoch == self.cfg.epochs {
                let rate = (self.epoch - mark.1) as f64 / mark.0.elapsed().as_secs_f64().max(1e-9);
                self.seconds += started.elapsed().as_secs_f64();
                self.evaluate(&losses.to_vec1::<f32>()?, rate, progress)?;
                mark = (Instant::now(), self.epoch);
            } else {
                self.seconds += started.elapsed().as_secs_f64();
            }
        }
        Ok(())
    }

    /// One Adam step of every active stepper on its minibatch of this epoch (from `block`);
    /// returns their training losses (before the step), still on the device.
    fn train_epoch(&mut self, pool: &Pool, block: &Block) -> Result<Tensor> {
        let (x, targets) = block.gather(pool, self.epoch)?;
        for &i in &self.active {
            self.members[i].epochs = self.epoch;
        }
        let (w, b) = self.net.detached();
        let (loss, grads) = loss_and_grads(&w, &b, &x, &targets, &self.cfg.loss)?;
        self.adam.step_with(
            &self.net.vars(),
            &grads.into_iter().map(Some).collect::<Vec<_>>(),
        )?;
        Ok(loss)
    }

    /// Validation check after the step of `self.epoch`: keep improved weights, stop finished
    /// steppers.
    fn evaluate(
        &mut self,
        train_losses: &[f32],
        rate: f64,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<()> {
        let (w, b) = self.net.detached();
        // Every stepper's validation loss first, then one read-back for all of them.
        let mut vals = Vec::with_capacity(self.active.len());
        for (row, &i) in self.active.iter().enumerate() {
            let sel = |t: &Tensor| t.narrow(0, row, 1);
            let ws = w.iter().map(sel).collect::<candle_core::Result<Vec<_>>>()?;
            let bs = b.iter().map(sel).collect::<candle_core::Result<Vec<_>>>()?;
            let m = &self.members[i];
            vals.push(recurrent_loss(
                &ws,
                &bs,
                &m.data.val.x.unsqueeze(0)?,
                &m.data.val.ys.unsqueeze(0)?,
                &self.cfg.loss,
            )?);
        }
        let vals = Tensor::cat(&vals, 0)?.to_vec1::<f32>()?;
        let mut keep = Vec::with_capacity(self.active.len());
        for (row, &i) in self.active.clone().iter().enumerate() {
            let m = &mut self.members[i];
            let val = vals[row] as f64;
            let train = train_losses[row] as f64;
            if !(train.is_finite() && val.is_finite()) {
                return Err(diverged(m.step_size, self.epoch, train, val, m.best_val));
            }
            m.history.push((self.epoch, train, val));
            if val < m.best_val {
                m.best_val = val;
                m.best = self.net.layers_of(row)?;
            }
            progress(&Progress {
                step_size: m.step_size,
                epoch: self.epoch,
                max_epochs: self.cfg.epochs,
                train_loss: train,
                val_loss: val,
                best_val_loss: m.best_val,
                epochs_per_second: rate,
            });
            if m.best_val <= self.cfg.target_loss || self.epoch >= self.cfg.epochs {
                m.done = true;
                m.stopped_early = self.epoch < self.cfg.epochs;
                m.last = Some(self.net.layers_of(row)?);
                let moments = self.moments_of_row(row)?;
                self.members[i].last_moments = Some(moments);
            } else {
                keep.push(row);
            }
        }
        if keep.len() != self.active.len() {
            let idx = index_tensor(&keep, self.net.device())?;
            self.net = self.net.select(&keep)?;
            self.adam = self.adam.select(&idx)?;
            self.active = keep.iter().map(|&r| self.active[r]).collect();
        }
        Ok(())
    }

    /// The best-validation steppers (the initial weights if never validated) and their
    /// reports, in the order given to [`Trainer::new`].
    pub fn finish(&self) -> Result<Vec<(ResNetStepper, TrainReport)>> {
        self.members
            .iter()
            .map(|m| {
                let s = ResNetStepper::from_layers(m.best.clone(), m.step_size, m.dt)?;
                let r = TrainReport {
                    step_size: m.step_size,
                    epochs: m.epochs,
                    best_val_loss: m.best_val,
                    history: m.history.clone(),
                    stopped_early: m.stopped_early,
                    seconds: self.seconds,
                };
                Ok((s, r))
            })
            .collect()
    }
}

/// The error of a check whose training or validation loss is not finite (see the module docs).
fn diverged(step_size: usize, epoch: usize, train: f64, val: f64, best_val: f64) -> Error {
    let (which, value) = if train.is_finite() {
        ("validation loss", val)
    } else {
        ("training loss", train)
    };
    let kept = if best_val.is_finite() {
        format!(
            "the best weights so far (validation loss {best_val:.3e}) and what was saved of them are kept"
        )
    } else {
        "it never reached a finite loss, so nothing is kept".to_string()
    };
    Error::NonFinite {
        what: format!("training of the step-{step_size} stepper"),
        value,
        at: format!("epoch {epoch} ({which})"),
        hint: format!("; the run diverged and was stopped: {kept}; try a smaller learning rate"),
    }
}

/// Train one stepper in place (its weights become the best-validation ones).
pub fn train_stepper(
    stepper: &mut ResNetStepper,
    data: StepperData,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainReport> {
    let mut trainer = Trainer::new(&[stepper], vec![data], cfg.clone())?;
    trainer.run(cfg.epochs, progress)?;
    let (best, report) = trainer.finish()?.pop().expect("one member");
    *stepper = best;
    Ok(report)
}
