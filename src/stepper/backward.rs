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

/// The loss `L_k` of each stacked net (`[K]`) and the gradients of `sum_k L_k` with respect to
/// `W_0, b_0, W_1, b_1, ...` (the order of [`super::stack::StackedNet::vars`]), for starts
/// `x: [K, B, dim]`, targets `targets[t]: [K, B, dim]` (step `t + 1`), `loss` with mean/max
/// weight `w` (paper loss only). Weights and biases are detached tensors.
pub fn loss_and_grads(
    weights: &[Tensor],
    biases: &[Tensor],
    x: &Tensor,
    targets: &[Tensor],
    loss: &Loss,
    w: f64,
) -> Result<(Tensor, Vec<Tensor>)> {
    check_starts_and_targets(x, targets)?;
    let rollout = Rollout::run(weights, biases, x, targets.len())?;
    let (values, pred_grads) = loss.values_and_grads(w, &rollout.predictions, targets)?;
    let grads = rollout.backward(weights, &pred_grads)?;
    Ok((values, grads))
}
