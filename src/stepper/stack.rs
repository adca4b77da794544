//! K residual MLPs of one architecture, stacked so they run in the same kernels, and the
//! recurrent rollout that the loss is computed on.
//!
//! Layer `i` of all K nets is one weight `W_i: [K, in, out]` (the transpose of PyTorch's
//! `[out, in]`, so the forward pass needs no transposed copies) and one bias `b_i: [K, 1, out]`.
//! A batch of states `x: [K, B, dim]` advances with batched matrix products:
//!
//! ```text
//! z_{i+1} = relu(z_i W_i + b_i),  last layer linear,   F(x) = x + z_n
//! ```
//!
//! The recurrent loss of the original `ResNet.calculate_loss` rolls each net out from the
//! window's start, `p_1 = F(x), p_{t+1} = F(p_t)`, and compares the predictions `p_t` with the
//! targets `ys: [K, B, n_forward, dim]` through a [`Loss`] (see [`super::loss`]: the paper's
//! `w * mean + (1 - w) * max` of the squared errors by default).
//!
//! Training minimises `sum_k L_k`: net k's parameters only touch `L_k`, so each gets exactly
//! the gradient it would get alone.

use candle_core::{DType, Device, Tensor, Var};

use super::loss::Loss;
use super::resnet::ResNetStepper;
use crate::{Error, Result};

/// Stacked parameters of K nets with one architecture.
#[derive(Debug)]
pub struct StackedNet {
    /// `W_i: [K, in, out]` per layer.
    pub weights: Vec<Var>,
    /// `b_i: [K, 1, out]` per layer.
    pub biases: Vec<Var>,
}

impl StackedNet {
    /// Stack the parameters of `steppers` (all with the same architecture) as `dtype`.
    pub fn from_steppers(steppers: &[&ResNetStepper], dtype: DType) -> Result<Self> {
        let first = steppers
            .first()
            .ok_or_else(|| Error::invalid("steppers", "need at least one"))?;
        if let Some(s) = steppers.iter().find(|s| s.arch() != first.arch()) {
            return Err(Error::invalid(
                "steppers",
                format!(
                    "all must share one architecture to train stacked; got {:?} and {:?}",
                    first.arch(),
                    s.arch()
                ),
            ));
        }
        let layers: Vec<Vec<(Tensor, Tensor)>> =
            steppers.iter().map(|s| s.layers().to_vec()).collect();
        let (ws, bs) = stack_layers(&layers)?;
        let var =
            |t: Tensor| -> Result<Var> { Ok(Var::from_tensor(&t.to_dtype(dtype)?.contiguous()?)?) };
        Ok(StackedNet {
            weights: ws.into_iter().map(var).collect::<Result<_>>()?,
            biases: bs.into_iter().map(var).collect::<Result<_>>()?,
        })
    }

    /// The number of stacked nets.
    pub fn k(&self) -> usize {
        self.weights[0].dims()[0]
    }

    /// The device of the parameters.
    pub fn device(&self) -> &Device {
        self.weights[0].device()
    }

    /// All parameters in the order `W_0, b_0, W_1, b_1, ...`.
    pub fn vars(&self) -> Vec<Var> {
        self.weights
            .iter()
            .zip(&self.biases)
            .flat_map(|(w, b)| [w.clone(), b.clone()])
            .collect()
    }

    /// Detached copies of `(weight [out, in], bias [out])` of net `k`, as f32.
    pub fn layers_of(&self, k: usize) -> Result<Vec<(Tensor, Tensor)>> {
        let (ws, bs) = self.detached();
        unstack_row(&ws, &bs, k)
    }

    /// A new stack holding only the nets `keep` (indices into this stack).
    pub fn select(&self, keep: &[usize]) -> Result<Self> {
        let idx = index_tensor(keep, self.device())?;
        let pick = |v: &Var| -> Result<Var> {
            Ok(Var::from_tensor(
                &v.as_tensor().index_select(&idx, 0)?.contiguous()?,
            )?)
        };
        Ok(StackedNet {
            weights: self.weights.iter().map(pick).collect::<Result<_>>()?,
            biases: self.biases.iter().map(pick).collect::<Result<_>>()?,
        })
    }

    /// The parameter tensors detached from the gradient graph (training computes its
    /// gradients by hand, [`super::backward`]).
    pub fn detached(&self) -> (Vec<Tensor>, Vec<Tensor>) {
        (
            self.weights
                .iter()
                .map(|v| v.as_tensor().detach())
                .collect(),
            self.biases.iter().map(|v| v.as_tensor().detach()).collect(),
        )
    }
}

/// Stack per-net layers `(weight [out, in], bias [out])` into `(W_i [K, in, out], b_i [K, 1, out])`.
pub fn stack_layers(nets: &[Vec<(Tensor, Tensor)>]) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    let n = nets.first().map_or(0, |l| l.len());
    let (mut weights, mut biases) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let ws = nets
            .iter()
            .map(|l| l[i].0.t())
            .collect::<candle_core::Result<Vec<_>>>()?;
        let bs = nets
            .iter()
            .map(|l| l[i].1.unsqueeze(0))
            .collect::<candle_core::Result<Vec<_>>>()?;
        weights.push(Tensor::stack(&ws, 0)?.contiguous()?);
        biases.push(Tensor::stack(&bs, 0)?.contiguous()?);
    }
    Ok((weights, biases))
}

/// Row `k` of stacked layers as `(weight [out, in], bias [out])` f32 copies.
pub fn unstack_row(
    weights: &[Tensor],
    biases: &[Tensor],
    k: usize,
) -> Result<Vec<(Tensor, Tensor)>> {
    weights
        .iter()
        .zip(biases)
        .map(|(w, b)| {
            let w = w
                .get(k)?
                .t()?
                .to_dtype(DType::F32)?
                .contiguous()?
                .copy()?
                .detach();
            let b = b
                .get(k)?
                .squeeze(0)?
                .to_dtype(DType::F32)?
                .contiguous()?
                .copy()?
                .detach();
            Ok((w, b))
        })
        .collect()
}

/// Batched product `a: [K, m, n] x b: [K, n, p] -> [K, m, p]`. On the CPU, candle's batched
/// kernel is about twice slower than K plain products (measured, candle 0.11.1), so there the
/// K products run one by one; elsewhere (CUDA) it is one batched kernel.
pub fn bmm(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    let k = a.dim(0)?;
    if k == 1 || !a.device().is_cpu() {
        return a.matmul(b);
    }
    let parts = (0..k)
        .map(|i| a.get(i)?.matmul(&b.get(i)?))
        .collect::<candle_core::Result<Vec<_>>>()?;
    Tensor::stack(&parts, 0)
}

/// A `u32` index tensor.
pub fn index_tensor(idx: &[usize], device: &Device) -> Result<Tensor> {
    let v: Vec<u32> = idx.iter().map(|&i| i as u32).collect();
    Ok(Tensor::from_vec(v, idx.len(), device)?)
}

/// One step `F(x) = x + MLP(x)` of every stacked net: `x: [K, B, dim]`.
pub fn forward(weights: &[Tensor], biases: &[Tensor], x: &Tensor) -> candle_core::Result<Tensor> {
    forward_keeping(weights, biases, x, None)
}

/// [`forward`], pushing the input of every layer onto `inputs` when given (for the backward
/// pass of [`super::backward`]).
pub fn forward_keeping(
    weights: &[Tensor],
    biases: &[Tensor],
    x: &Tensor,
    mut inputs: Option<&mut Vec<Tensor>>,
) -> candle_core::Result<Tensor> {
    let n = weights.len();
    let mut h = x.clone();
    for (i, (w, b)) in weights.iter().zip(biases).enumerate() {
        if let Some(inputs) = inputs.as_deref_mut() {
            inputs.push(h.clone());
        }
        h = bmm(&h, w)?.broadcast_add(b)?;
        if i + 1 < n {
            h = h.relu()?;
        }
    }
    x + h
}

/// The predictions `p_1 .. p_n` (`[K, B, dim]` each) of every stacked net from `x: [K, B, dim]`.
pub fn rollout(
    weights: &[Tensor],
    biases: &[Tensor],
    x: &Tensor,
    n_steps: usize,
) -> candle_core::Result<Vec<Tensor>> {
    let mut preds = Vec::with_capacity(n_steps);
    let mut y = x.clone();
    for _ in 0..n_steps {
        y = forward(weights, biases, &y)?;
        preds.push(y.clone());
    }
    Ok(preds)
}

/// The loss `L_k` of every stacked net (shape `[K]`) under `loss` (mean/max weight `w` for the
/// paper loss), for starts `x: [K, B, dim]` and targets `ys: [K, B, n_forward, dim]`.
pub fn recurrent_loss(
    weights: &[Tensor],
    biases: &[Tensor],
    x: &Tensor,
    ys: &Tensor,
    loss: &Loss,
) -> Result<Tensor> {
    let (k, b, nf, d) = ys.dims4().map_err(|_| {
        Error::shape(
            "targets ys",
            "[K, B, n_forward, dim]",
            format!("{:?}", ys.dims()),
        )
    })?;
    if x.dims() != [k, b, d] {
        return Err(Error::shape(
            "starts x",
            format!("[{k}, {b}, {d}]"),
            format!("{:?}", x.dims()),
        ));
    }
    let targets = (0..nf)
        .map(|t| ys.narrow(2, t, 1)?.squeeze(2)?.contiguous())
        .collect::<candle_core::Result<Vec<_>>>()?;
    recurrent_loss_steps(weights, biases, x, &targets, loss)
}

/// [`recurrent_loss`] with the targets given step by step: `targets[t]: [K, B, dim]` is the
/// state `t + 1` steps after `x`.
pub fn recurrent_loss_steps(
    weights: &[Tensor],
    biases: &[Tensor],
    x: &Tensor,
    targets: &[Tensor],
    loss: &Loss,
) -> Result<Tensor> {
    check_starts_and_targets(x, targets)?;
    let preds = rollout(weights, biases, x, targets.len())?;
    loss.values(&preds, targets)
}

/// Error unless `x: [K, B, dim]` and `targets` are `n_forward >= 1` tensors `[K, B, dim]`.
pub(crate) fn check_starts_and_targets(x: &Tensor, targets: &[Tensor]) -> Result<()> {
    let (k, b, d) = x
        .dims3()
        .map_err(|_| Error::shape("starts x", "[K, B, dim]", format!("{:?}", x.dims())))?;
    if targets.is_empty() || targets.iter().any(|t| t.dims() != [k, b, d]) {
        return Err(Error::shape(
            "targets",
            format!("n_forward >= 1 tensors [{k}, {b}, {d}]"),
            format!(
                "{:?}",
                targets
                    .iter()
                    .map(|t| t.dims().to_vec())
                    .collect::<Vec<_>>()
            ),
        ));
    }
    Ok(())
}
