//! Hand-written gradients of the recurrent mean-squared loss (`w = 1`, the paper's setting),
//! fewer tensor passes than candle's generic autograd.
//!
//! With `y_0 = x`, `y_t = y_{t-1} + MLP(y_{t-1})` (`t = 1..T`), layer inputs `h_{t,l}`
//! (`h_{t,0} = y_{t-1}`, `h_{t,l+1} = relu(h_{t,l} W_l + b_l)`) and per net `k`
//! `L = (1/C) sum_t |y_t - ys_t|^2`, `C = B T dim`, reverse mode gives
//!
//! ```text
//! g_T = 0;  for t = T..1:  g_y = g + (2/C)(y_t - ys_t)
//!     d_{L-1} = g_y;  d_{l-1} = (d_l W_l^T) * [h_{t,l} > 0]
//!     g = g_y + d_0 W_0^T                                   (gradient w.r.t. y_{t-1})
//! dL/dW_l = sum_t h_{t,l}^T d_{t,l},   dL/db_l = sum_t sum_rows d_{t,l}
//! ```
//!
//! The test `loss_gradient_matches_finite_differences` checks these against
//! finite differences and candle's autograd.

use candle_core::Tensor;

use super::stack::bmm;

use crate::{Error, Result};

/// The loss `L_k` of each stacked net (`[K]`) and the gradients of `sum_k L_k` with respect to
/// `W_0, b_0, W_1, b_1, ...` (the order of [`super::stack::StackedNet::vars`]). `x: [K, B, dim]`,
/// `targets[t]: [K, B, dim]`.
pub fn mse_loss_and_grads(
    weights: &[Tensor],
    biases: &[Tensor],
    x: &Tensor,
    targets: &[Tensor],
) -> Result<(Tensor, Vec<Tensor>)> {
    let (k, b, d) = x
        .dims3()
        .map_err(|_| Error::shape("starts x", "[K, B, dim]", format!("{:?}", x.dims())))?;
    let n_steps = targets.len();
    if n_steps == 0 || targets.iter().any(|t| t.dims() != [k, b, d]) {
        return Err(Error::shape(
            "targets",
            format!("n_forward >= 1 tensors [{k}, {b}, {d}]"),
            format!("{} tensors", n_steps),
        ));
    }
    let n_layers = weights.len();
    let c = (b * n_steps * d) as f64;
    // Forward, keeping every layer input.
    let mut inputs: Vec<Vec<Tensor>> = Vec::with_capacity(n_steps);
    let mut diffs = Vec::with_capacity(n_steps);
    let mut y = x.clone();
    for target in targets {
        let mut hs = Vec::with_capacity(n_layers);
        let mut h = y.clone();
        for (l, (w, bias)) in weights.iter().zip(biases).enumerate() {
            hs.push(h.clone());
            h = bmm(&h, w)?.broadcast_add(bias)?;
            if l + 1 < n_layers {
                h = h.relu()?;
            }
        }
        y = (y + h)?;
        diffs.push((&y - target)?);
        inputs.push(hs);
    }
    let mut loss_sum = None::<Tensor>;
    for diff in &diffs {
        let s = diff.sqr()?.sum((1, 2))?;
        loss_sum = Some(match loss_sum {
            Some(acc) => (acc + s)?,
            None => s,
        });
    }
    let loss = (loss_sum.expect("at least one step") / c)?;
    // Backward through time.
    let mut deltas: Vec<Vec<Tensor>> = vec![Vec::new(); n_steps];
    let mut g: Option<Tensor> = None;
    for t in (0..n_steps).rev() {
        let direct = (&diffs[t] * (2.0 / c))?;
        let g_y = match g.take() {
            Some(g) => (g + direct)?,
            None => direct,
        };
        let mut ds = vec![g_y.clone(); n_layers];
        for l in (1..n_layers).rev() {
            let back = bmm(&ds[l], &weights[l].transpose(1, 2)?)?;
            ds[l - 1] = (back * inputs[t][l].sign()?)?;
        }
        if t > 0 {
            g = Some((&g_y + bmm(&ds[0], &weights[0].transpose(1, 2)?)?)?);
        }
        deltas[t] = ds;
    }
    // Weight gradients step by step (products with a short inner dimension run faster here
    // than one long one); bias gradients as `1^T d` (candle's sum over a middle dimension is
    // slow on the CPU).
    let ones = Tensor::ones((k, 1, b), x.dtype(), x.device())?;
    let mut grads = Vec::with_capacity(2 * n_layers);
    for l in 0..n_layers {
        let (mut gw, mut gb) = (None::<Tensor>, None::<Tensor>);
        for t in 0..n_steps {
            let w_t = bmm(&inputs[t][l].transpose(1, 2)?, &deltas[t][l])?;
            let b_t = bmm(&ones, &deltas[t][l])?;
            gw = Some(match gw {
                Some(acc) => (acc + w_t)?,
                None => w_t,
            });
            gb = Some(match gb {
                Some(acc) => (acc + b_t)?,
                None => b_t,
            });
        }
        grads.push(gw.expect("at least one step"));
        grads.push(gb.expect("at least one step"));
    }
    Ok((loss, grads))
}
