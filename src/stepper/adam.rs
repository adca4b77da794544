//! Adam with PyTorch's update and exposed state, so that training can be checkpointed.
//!
//! For each parameter `p` with gradient `g`, at step `t = 1, 2, ...` (PyTorch `torch.optim.Adam`,
//! `amsgrad = False`, no weight decay):
//!
//! ```text
//! m <- m + (1 - beta1) (g - m)             (torch: exp_avg.lerp_(g, 1 - beta1))
//! v <- beta2 v + (1 - beta2) g^2
//! p <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//! ```
//!
//! Every operation is elementwise, so a stack of K nets updated together gets exactly the
//! updates each would get alone.

use candle_core::{backprop::GradStore, Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::Result;

/// Adam hyper-parameters (PyTorch defaults, the paper's learning rate 1e-3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// Adam optimiser state: step count and first/second moments, one per parameter.
#[derive(Debug, Clone)]
pub struct Adam {
    pub config: AdamConfig,
    /// Steps taken.
    pub t: u64,
    /// First moments `m`, in the order of the parameters given to [`Adam::new`].
    pub m: Vec<Tensor>,
    /// Second moments `v`.
    pub v: Vec<Tensor>,
}

impl Adam {
    /// Fresh state (zero moments) for `vars`.
    pub fn new(vars: &[Var], config: AdamConfig) -> Result<Self> {
        let m = vars
            .iter()
            .map(|v| v.as_tensor().zeros_like())
            .collect::<candle_core::Result<Vec<_>>>()?;
        let v = m.clone();
        Ok(Adam { config, t: 0, m, v })
    }

    /// One update of `vars` (the same parameters, in the same order, as at creation) from the
    /// gradients in `grads`. Parameters without a gradient are left alone.
    pub fn step(&mut self, vars: &[Var], grads: &GradStore) -> Result<()> {
        let grads: Vec<Option<Tensor>> = vars
            .iter()
            .map(|v| grads.get(v.as_tensor()).cloned())
            .collect();
        self.step_with(vars, &grads)
    }

    /// One update from gradients given in the order of `vars` (`None`: no gradient).
    pub fn step_with(&mut self, vars: &[Var], grads: &[Option<Tensor>]) -> Result<()> {
        self.t += 1;
        let AdamConfig {
            lr,
            beta1,
            beta2,
            eps,
        } = self.config;
        let t = self.t as i32;
        let step_size = lr / (1.0 - beta1.powi(t));
        let bc2_sqrt = (1.0 - beta2.powi(t)).sqrt();
        for (i, var) in vars.iter().enumerate() {
            let Some(g) = &grads[i] else {
                continue;
            };
            // Detached: the moments must not carry a gradient graph from one step to the next.
            let g = &g.detach();
            let m = (&self.m[i] + ((g - &self.m[i])? * (1.0 - beta1))?)?;
            let v = ((&self.v[i] * beta2)? + (g.sqr()? * (1.0 - beta2))?)?;
            let denom = ((v.sqrt()? / bc2_sqrt)? + eps)?;
            let p = (var.as_tensor() - ((&m / denom)? * step_size)?)?;
            var.set(&p)?;
            self.m[i] = m.detach();
            self.v[i] = v.detach();
        }
        Ok(())
    }

    /// Keep only the rows `idx` (dimension 0) of every moment, to follow
    /// [`super::stack::StackedNet::select`].
    pub fn select(&self, idx: &Tensor) -> Result<Self> {
        let pick = |ts: &[Tensor]| {
            ts.iter()
                .map(|t| t.index_select(idx, 0))
                .collect::<candle_core::Result<Vec<_>>>()
        };
        Ok(Adam {
            config: self.config,
            t: self.t,
            m: pick(&self.m)?,
            v: pick(&self.v)?,
        })
    }
}
