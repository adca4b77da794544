//! The minibatches of a block of epochs, gathered on the trainer's device.
//!
//! Every epoch the [`super::train::Trainer`] needs, for each active stepper, the rows of its
//! minibatch ([`super::sampler`]) of its training windows. Drawing the indices on the host and
//! uploading them every epoch would make every epoch wait for the device: a host-to-device
//! copy per epoch keeps a GPU's queue of kernel launches from running ahead of the host.
//! Instead:
//! - the training windows of the active steppers are concatenated once, on their device
//!   ([`Pool`]: starts `[sum n, dim]` and the targets of each step, `[sum n, dim]`);
//! - the indices of every epoch up to the next validation check (at most [`MAX_INDICES`] at a
//!   time) are drawn at once, offset into the pool, and uploaded in ONE copy ([`Block`]);
//! - an epoch's starts and targets are then one `index_select` each on the device
//!   ([`Block::gather`]): no host work and no transfer until the next check, where the losses
//!   are read back.
//!
//! A gather copies values, so the minibatches are those of per-stepper `index_select`s bit for
//! bit, on every device (`tests/stepper_train.rs` and `tests/stepper_torch.rs` compare exact
//! weights and losses).

use candle_core::Tensor;

use super::member::Member;
use crate::{Error, Result};

/// Indices uploaded at once, at most (16 MiB of `u32`): 11 steppers x 320 rows x 1191 epochs.
pub const MAX_INDICES: usize = 1 << 22;

/// The training windows of the active steppers, concatenated on their device.
pub(crate) struct Pool {
    /// The members (indices into the trainer's) in stack order.
    pub active: Vec<usize>,
    /// Starts `[sum n, dim]`.
    x: Tensor,
    /// Targets of step `t + 1`, `[sum n, dim]` each.
    steps: Vec<Tensor>,
    /// First row of each active member in the pool.
    offsets: Vec<usize>,
}

impl Pool {
    /// The pool of `members[active]` (one tensor each when a single stepper trains).
    pub fn new(members: &[Member], active: &[usize]) -> Result<Pool> {
        let mut offsets = Vec::with_capacity(active.len());
        let mut rows = 0;
        for &i in active {
            offsets.push(rows);
            rows += members[i].data.train.len();
        }
        let cat = |f: &dyn Fn(&Member) -> Tensor| -> Result<Tensor> {
            let parts: Vec<Tensor> = active.iter().map(|&i| f(&members[i])).collect();
            Ok(match parts.len() {
                1 => parts[0].clone(),
                _ => Tensor::cat(&parts, 0)?,
            })
        };
        let x = cat(&|m| m.data.train.x.clone())?;
        let n_steps = members[active[0]].train_steps.len();
        let steps = (0..n_steps)
            .map(|t| cat(&|m| m.train_steps[t].clone()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Pool {
            active: active.to_vec(),
            x,
            steps,
            offsets,
        })
    }

    /// The minibatches of epochs `first..=last` (capped so that at most [`MAX_INDICES`] are
    /// drawn), each member's of size `min(batch, n)`, uploaded in one copy.
    pub fn block(
        &self,
        members: &[Member],
        first: usize,
        last: usize,
        batch: usize,
    ) -> Result<Block> {
        let takes: Vec<usize> = self
            .active
            .iter()
            .map(|&i| batch.min(members[i].data.train.len()))
            .collect();
        let take = takes[0];
        if let Some(pos) = takes.iter().position(|&t| t != take) {
            return Err(Error::shape(
                "minibatches of steppers trained together",
                format!(
                    "{take} rows each (batch {batch}, step {} has {} windows)",
                    members[self.active[0]].step_size,
                    members[self.active[0]].data.train.len()
                ),
                format!(
                    "{} rows for step {} ({} windows): train it separately or use a batch of \
                     at most the smallest number of windows",
                    takes[pos],
                    members[self.active[pos]].step_size,
                    members[self.active[pos]].data.train.len()
                ),
            ));
        }
        let k = self.active.len();
        let per_epoch = (k * take).max(1);
        let len = (last + 1 - first).clamp(1, (MAX_INDICES / per_epoch).max(1));
        let mut idx = Vec::with_capacity(len * per_epoch);
        for epoch in first..first + len {
            for (&i, &offset) in self.active.iter().zip(&self.offsets) {
                let m = &members[i];
                let rows = m.sampler.indices(epoch, m.data.train.len(), batch);
                idx.extend(rows.into_iter().map(|r| (offset + r) as u32));
            }
        }
        Ok(Block {
            first,
            len,
            k,
            take,
            idx: Tensor::from_vec(idx, (len, per_epoch), self.x.device())?,
        })
    }
}

/// The minibatch indices of a run of epochs, on the device (see the module docs).
pub(crate) struct Block {
    first: usize,
    len: usize,
    k: usize,
    take: usize,
    /// `[len, k * take]` rows of the pool, member after member.
    idx: Tensor,
}

impl Block {
    /// Whether this block holds the minibatches of `epoch`.
    pub fn contains(&self, epoch: usize) -> bool {
        (self.first..self.first + self.len).contains(&epoch)
    }

    /// The starts `[K, B, dim]` and targets (`[K, B, dim]` per step) of `epoch`.
    pub fn gather(&self, pool: &Pool, epoch: usize) -> Result<(Tensor, Vec<Tensor>)> {
        if !self.contains(epoch) {
            return Err(Error::invalid(
                "minibatch block",
                format!(
                    "epoch {epoch} is not in epochs {}..{}",
                    self.first,
                    self.first + self.len
                ),
            ));
        }
        let idx = self.idx.get(epoch - self.first)?;
        let pick = |t: &Tensor| -> Result<Tensor> {
            let dim = t.dim(1)?;
            Ok(t.index_select(&idx, 0)?.reshape((self.k, self.take, dim))?)
        };
        let x = pick(&pool.x)?;
        let targets = pool.steps.iter().map(pick).collect::<Result<Vec<_>>>()?;
        Ok((x, targets))
    }
}
