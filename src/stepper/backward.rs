//! Hand-written reverse mode through the recurrent rollout of K stacked nets: from the
//! gradient of a loss with respect to each prediction to the gradients of the weights. It
//! knows nothing of the loss (see [`super::loss`]), and takes fewer tensor passes than
//! candle's generic autograd.
//!
//! With `y_0 = x`, `y_t = y_{t-1} + MLP(y_{t-1})` (`t = 1..T`), layer inputs `h_{t,l}`
//! (`h_{t,0} = y_{t-1}`, `h_{t,l+1} = relu(h_{t,l} W_l + b_l)`) and the loss gradients
//! `q_t = dL/dy_t` (from [`super::loss::Loss::values_and_grads`]), reverse mode gives
//!
//! ```text
//! g_T = 0;  for t = T..1:  g_y = g + q_t
//!     d_{L-1} = g_y;  d_{l-1} = (d_l W_l^T) * [h_{t,l} > 0]
//!     g = g_y + d_0 W_0^T                                   (gradient w.r.t. y_{t-1})
//! dL/dW_l = sum_t h_{t,l}^T d_{t,l},   dL/db_l = sum_t sum_rows d_{t,l}
//! ```
//!
//! `tests/stepper_loss.rs` checks these against candle's autograd through the whole rollout
//! and against finite differences, for the paper loss and a custom one.
//!
//! Device-generic: tensor operations only, on the device of the weights (no host round trip;
//! [`super::stack::bmm`] picks K plain products on the CPU and one batched product elsewhere).

use candle_core::Tensor;

use super::loss::Loss;
use super::stack::{bmm, check_starts_and_targets, forward_keeping};

use crate::{Error, Result};

/// A forward rollout that keeps what its backward pass needs.
#[derive(Debug, Clone)]
pub struct Rollout {
    /// `inputs[t][l]`: the input of layer `l` on the way from `y_t` to `y_{t+1}`.
    inputs: Vec<Vec<Tensor>>,
    /// The predictions `y_1 .. y_T`, each `[K, B, dim]`.
    pub predictions: Vec<Tensor>,
}

impl Rollout {
    /// `n_steps` steps of every stacked net from `x: [K, B, dim]` (detached weights).
    pub fn run(weights: &[Tensor], biases: &[Tensor], x: &Tensor, n_steps: usize) -> Result<Self> {
        let (mut inputs, mut predictions) =
            (Vec::with_capacity(n_steps), Vec::with_capacity(n_steps));
        let mut y = x.clone();
        for _ in 0..n_steps {
            let mut hs = Vec::with_capacity(weights.len());
            y = forward_keeping(weights, biases, &y, Some(&mut hs))?;
            predictions.push(y.clone());
            inputs.push(hs);
        }
        Ok(Rollout {
            inputs,
            predictions,
        })
    }

    /// The gradients with respect to `W_0, b_0, W_1, b_1, ...` (the order of
    /// [`super::stack::StackedNet::vars`]) from `pred_grads[t] = dL/dy_{t+1}` (`[K, B, dim]`).
    pub fn backward(&self, weights: &[Tensor], pred_grads: &[Tensor]) -> Result<Vec<Tensor>> {
        let n_steps = self.predictions.len();
        if weights.len() != self.inputs.first().map_or(0, Vec::len) {
            return Err(Error::invalid(
                "rollout backward",
                format!(
                    "{} weights for a rollout of {} layers",
                    weights.len(),
                    self.inputs.first().map_or(0, Vec::len)
                ),
            ));
        }
        if n_steps == 0
            || pred_grads.len() != n_steps
            || pred_grads
                .iter()
                .zip(&self.predictions)
                .any(|(g, p)| g.dims() != p.dims())
        {
            return Err(Error::shape(
                "prediction gradients",
                format!("{n_steps} (>= 1) tensors shaped like the predictions"),
                format!(
                    "{:?}",
                    pred_grads
                        .iter()
                        .map(|g| g.dims().to_vec())
                        .collect::<Vec<_>>()
                ),
            ));
        }
        let n_layers = weights.len();
        let mut deltas: Vec<Vec<Tensor>> = vec![Vec::new(); n_steps];
        let mut g: Option<Tensor> = None;
        for t in (0..n_steps).rev() {
            let g_y = match g.take() {
                Some(g) => (g + &pred_grads[t])?,
                None => pred_grads[t].clone(),
            };
            let mut ds = vec![g_y.clone(); n_layers];
            for l in (1..n_layers).rev() {
                let back = bmm(&ds[l], &weights[l].transpose(1, 2)?)?;
                ds[l - 1] = (back * self.inputs[t][l].sign()?)?;
            }
            if t > 0 {
                g = Some((&g_y + bmm(&ds[0], &weights[0].transpose(1, 2)?)?)?);
            }
            deltas[t] = ds;
        }
        // Weight gradients step by step (products with a short inner dimension run faster here
        // than one long one); bias gradients as `1^T d` (candle's sum over a middle dimension is
        // slow on the CPU).
        let x = &self.inputs[0][0];
        let (k, b, _) = x.dims3()?;
        let ones = Tensor::ones((k, 1, b), x.dtype(), x.device())?;
        let mut grads = Vec::with_capacity(2 * n_layers);
        for l in 0..n_layers {
            let (mut gw, mut gb) = (None::<Tensor>, None::<Tensor>);
            for (hs, ds) in self.inputs.iter().zip(&deltas) {
                let w_t = bmm(&hs[l].transpose(1, 2)?, &ds[l])?;
                let b_t = bmm(&ones, &ds[l])?;
                gw = Some(match gw {
                    Some(acc) => (acc + w_t)?,
                    None => w_t,
                });
                gb = Some(match gb {
                    Some(acc) => (acc + b_t)?,
                    None => b_t,
                });
            }
            grads.push(gw.expect("at least one step (checked)"));
            grads.push(gb.expect("at least one step (checked)"));
        }
        Ok(grads)
    }
}

/// Rows of a CPU minibatch at and above which [`loss_and_grads`] splits it into
/// [`ROW_BLOCKS`] blocks run side by side.
pub const SPLIT_ROWS: usize = 256;

/// Row blocks of a split CPU minibatch. Fixed, not the machine's thread count, so the numbers
/// are the same on every machine (one core runs the blocks one after the other).
pub const ROW_BLOCKS: usize = 2;

/// The loss `L_k` of each stacked net (`[K]`) and the gradients of `sum_k L_k` with respect to
/// `W_0, b_0, W_1, b_1, ...` (the order of [`super::stack::StackedNet::vars`]), for starts
/// `x: [K, B, dim]`, targets `targets[t]: [K, B, dim]` (step `t + 1`), `loss` with mean/max
/// weight `w` (paper loss only). Weights and biases are detached tensors.
///
/// On the CPU a minibatch of one net (K = 1; stacks of several keep one block, measured faster)
/// with at least [`SPLIT_ROWS`] rows is rolled out and differentiated in [`ROW_BLOCKS`] row
/// blocks on rayon's pool (the loss itself, which may couple the rows through its max, sees the
/// whole batch), and the blocks' weight gradients are summed: with
/// single-threaded matrix products ([`super::device::one_thread_per_matmul`]) one stepper then
/// trains on every core. The sum regroups the gradient's terms (rounding at the level of
/// `f32`'s epsilon against one block); other devices take the whole batch in one pass.
pub fn loss_and_grads(
    weights: &[Tensor],
    biases: &[Tensor],
    x: &Tensor,
    targets: &[Tensor],
    loss: &Loss,
) -> Result<(Tensor, Vec<Tensor>)> {
    check_starts_and_targets(x, targets)?;
    let n_steps = targets.len();
    let blocks = row_blocks(x)?;
    let rollouts = in_parallel(&blocks, |&(start, len)| {
        Rollout::run(
            weights,
            biases,
            &x.narrow(1, start, len)?.contiguous()?,
            n_steps,
        )
    })?;
    let predictions = (0..n_steps)
        .map(|t| {
            let parts: Vec<&Tensor> = rollouts.iter().map(|r| &r.predictions[t]).collect();
            Tensor::cat(&parts, 1)
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    let (values, pred_grads) = loss.values_and_grads(&predictions, targets)?;
    let jobs: Vec<(&Rollout, (usize, usize))> = rollouts.iter().zip(blocks).collect();
    let per_block = in_parallel(&jobs, |&(rollout, (start, len))| {
        let grads = pred_grads
            .iter()
            .map(|g| g.narrow(1, start, len)?.contiguous())
            .collect::<candle_core::Result<Vec<_>>>()?;
        rollout.backward(weights, &grads)
    })?;
    let mut per_block = per_block.into_iter();
    let mut grads = per_block
        .next()
        .expect("row_blocks gives at least one block");
    for more in per_block {
        for (acc, g) in grads.iter_mut().zip(more) {
            *acc = (&*acc + g)?;
        }
    }
    Ok((values, grads))
}

/// The row blocks `(start, len)` of [`loss_and_grads`] for starts `x: [K, B, dim]`: one block of
/// the whole batch, or [`ROW_BLOCKS`] on the CPU for one net (K = 1) with at least
/// [`SPLIT_ROWS`] rows. One block is the whole tensors, untouched (candle's `narrow` of the full
/// range, `contiguous` of a contiguous tensor and `cat` of one part return it as it is).
fn row_blocks(x: &Tensor) -> Result<Vec<(usize, usize)>> {
    let (k, rows, _) = x.dims3()?;
    if !x.device().is_cpu() || k > 1 || rows < SPLIT_ROWS {
        return Ok(vec![(0, rows)]);
    }
    let block = rows.div_ceil(ROW_BLOCKS);
    Ok((0..rows)
        .step_by(block)
        .map(|start| (start, block.min(rows - start)))
        .collect())
}

/// `f` of every item, in order; the first error. A single item on this thread; several on
/// rayon's pool, unless the cores are already kept busy (on a rayon pool thread, or while two or
/// more threads of [`super::train_hierarchy`] each train their own stepper, see
/// [`BusyTrainer`]): there the hand-offs cost more than they gain. Either way the same blocks
/// and the same sums, so the same numbers.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R> + Sync + Send,
) -> Result<Vec<R>> {
    use rayon::prelude::*;
    let busy = BUSY_TRAINERS.load(std::sync::atomic::Ordering::Relaxed) > 1;
    if items.len() < 2 || busy || rayon::current_thread_index().is_some() {
        return items.iter().map(f).collect();
    }
    items.par_iter().map(f).collect()
}

/// How many [`BusyTrainer`]s are alive in this process.
static BUSY_TRAINERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Held by a thread that trains beside others on a core of its own (the threads of
/// [`super::train_hierarchy`]): while two or more are held, [`loss_and_grads`] runs its row
/// blocks one after the other; when one trainer is left, on every core again.
pub(crate) struct BusyTrainer(());

impl BusyTrainer {
    pub(crate) fn start() -> Self {
        BUSY_TRAINERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        BusyTrainer(())
    }
}

impl Drop for BusyTrainer {
    fn drop(&mut self) {
        BUSY_TRAINERS.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn filled(dims: &[usize], salt: usize) -> Tensor {
        let n: usize = dims.iter().product();
        let v: Vec<f32> = (0..n)
            .map(|i| (((i * 7919 + salt * 104_729) % 1013) as f32 / 506.5 - 1.0) * 0.3)
            .collect();
        Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
    }

    /// The row blocks give the same numbers whether they run side by side or (while trainers
    /// keep the cores busy) one after the other.
    #[test]
    fn row_blocks_give_the_same_numbers_in_parallel_and_in_turn() {
        let arch = [2, 16, 16, 2];
        let rows = SPLIT_ROWS + 45;
        let weights: Vec<Tensor> = arch
            .windows(2)
            .enumerate()
            .map(|(l, w)| filled(&[1, w[0], w[1]], l))
            .collect();
        let biases: Vec<Tensor> = arch[1..]
            .iter()
            .enumerate()
            .map(|(l, &o)| filled(&[1, 1, o], 10 + l))
            .collect();
        let x = filled(&[1, rows, 2], 20);
        let targets: Vec<Tensor> = (0..3).map(|t| filled(&[1, rows, 2], 30 + t)).collect();
        let run = || loss_and_grads(&weights, &biases, &x, &targets, &Loss::paper(0.7)).unwrap();
        let flat = |(v, g): (Tensor, Vec<Tensor>)| {
            let mut all = v.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            for t in g {
                all.extend(t.flatten_all().unwrap().to_vec1::<f32>().unwrap());
            }
            all
        };
        let side_by_side = flat(run());
        let in_turn = {
            let _busy = (BusyTrainer::start(), BusyTrainer::start());
            flat(run())
        };
        assert_eq!(side_by_side, in_turn);
        assert!(side_by_side.iter().all(|v| v.is_finite()));
    }
}
