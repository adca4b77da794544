//! Clockwork RNN (Koutník, Greff, Gomez & Schmidhuber, "A Clockwork RNN", ICML 2014) with a linear
//! read-out, as a next-frame predictor.
//!
//! The hidden state `h_t [h]` is split into `g` modules of `m = h/g` units with periods
//! `T_i = 4^i` (`i = 0..g`, fastest first). At time `t` module `i` is active when
//! `t mod T_i = 0`; only active modules update, the others keep their state:
//!
//! ```text
//! a_t[u] = 1 if t mod T_{module(u)} = 0 else 0
//! h_t = a_t ⊙ tanh(W_H h_{t-1} + b_hh + W_I x_t + b_ih) + (1 - a_t) ⊙ h_{t-1},   h_{-1} = 0
//! x̂_{t+1} = W_out h_t + b_out
//! ```
//!
//! `W_H [h, h]` is block upper-triangular: module `i` reads from modules `j >= i` (itself and the
//! slower ones); its lower blocks are held at zero by a fixed mask, so they are not trainable.
//! `t` is the absolute frame index (generation starts at `t = 0`, when every module fires).
//! The weights are those of the original (`src/cwrnn.py`: a `torch.nn.RNNCell` whose rows are
//! updated per module, and a `torch.nn.Linear` read-out), two biases included:
//! `h^2 + 2 h d + 2 h + d` in all, of which `m^2 g(g+1)/2 + 2 h d + 2 h + d` are trained
//! ([`super::sizing`]).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::config::{BaselineTrainConfig, TrainHistory};
use super::save::{load_model, save_model, BaselineMeta};
use super::sizing::{parameter_count, trained_parameter_count, BaselineKind};
use super::train::{sequence_tensor, to_array2, train_loop, uniform_tensor, Unroll};
use super::{check_first, SequenceModel};
use crate::rng::RandomState;
use crate::{Error, Result};

/// Size of the clockwork RNN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CwRnnConfig {
    /// Hidden size `h`, a multiple of `n_modules`.
    pub hidden: usize,
    /// Number of modules `g` (periods `1, 4, 16, ..., 4^(g-1)`).
    pub n_modules: usize,
}

impl CwRnnConfig {
    /// Check the sizes; returns the module size `m`.
    pub fn validate(&self) -> Result<usize> {
        let (h, g) = (self.hidden, self.n_modules);
        if g == 0 || g > 31 || h == 0 || h % g != 0 {
            return Err(Error::invalid(
                "CW-RNN size",
                format!("hidden ({h}) must be a positive multiple of n_modules ({g}), with 1 <= n_modules <= 31"),
            ));
        }
        Ok(h / g)
    }
}

/// Tensor names, in initialisation order (that of `nn.RNNCell`'s `weight_ih`, `weight_hh`,
/// `bias_ih`, `bias_hh`, then the read-out).
pub const CWRNN_NAMES: [&str; 6] = [
    "input.weight",
    "recurrent.weight",
    "input.bias",
    "recurrent.bias",
    "readout.weight",
    "readout.bias",
];

/// A clockwork RNN next-frame predictor.
#[derive(Debug, Clone)]
pub struct CwRnn {
    /// `[W_I [h, d], W_H [h, h], b_ih [h], b_hh [h], W_out [d, h], b_out [d]]`, f32.
    params: Vec<Tensor>,
    /// `mask[r, c] = 1` when module(c) >= module(r).
    mask: Tensor,
    periods: Vec<usize>,
    dim: usize,
    cfg: CwRnnConfig,
}

impl CwRnn {
    /// PyTorch-default initial weights `U(-1/sqrt(h), 1/sqrt(h))` (as `nn.RNN` and `nn.Linear`),
    /// drawn in the order of [`CWRNN_NAMES`] from numpy's stream seeded with `seed`; the lower
    /// blocks of `W_H` are then zeroed.
    pub fn new(dim: usize, cfg: &CwRnnConfig, seed: u64, device: &Device) -> Result<CwRnn> {
        cfg.validate()?;
        if dim == 0 {
            return Err(Error::invalid("dim", "must be positive"));
        }
        let h = cfg.hidden;
        let mut rng = RandomState::new(seed as u32);
        let shapes: [&[usize]; 6] = [&[h, dim], &[h, h], &[h], &[h], &[dim, h], &[dim]];
        let mut params = shapes
            .iter()
            .map(|s| uniform_tensor(&mut rng, h, s, device))
            .collect::<Result<Vec<_>>>()?;
        let mask = block_mask(cfg, device)?;
        params[1] = (&params[1] * &mask)?;
        Ok(CwRnn {
            params,
            mask,
            periods: periods(cfg.n_modules),
            dim,
            cfg: *cfg,
        })
    }

    /// A CW-RNN from tensors named as in [`CWRNN_NAMES`] with `n_modules` modules (converted to
    /// f32; the lower blocks of `W_H` are zeroed).
    pub fn from_tensors(tensors: &HashMap<String, Tensor>, n_modules: usize) -> Result<CwRnn> {
        let get = |name: &str| {
            tensors
                .get(name)
                .ok_or_else(|| Error::invalid("CW-RNN tensors", format!("missing {name}")))
                .and_then(|t| Ok(t.to_dtype(DType::F32)?))
        };
        let mut params = CWRNN_NAMES
            .iter()
            .map(|n| get(n))
            .collect::<Result<Vec<_>>>()?;
        let (h, dim) = params[0].dims2()?;
        let cfg = CwRnnConfig {
            hidden: h,
            n_modules,
        };
        cfg.validate()?;
        let expected: [Vec<usize>; 6] = [
            vec![h, dim],
            vec![h, h],
            vec![h],
            vec![h],
            vec![dim, h],
            vec![dim],
        ];
        for ((p, e), name) in params.iter().zip(&expected).zip(CWRNN_NAMES) {
            if p.dims() != e.as_slice() {
                return Err(Error::shape(
                    name,
                    format!("{e:?}"),
                    format!("{:?}", p.dims()),
                ));
            }
        }
        let mask = block_mask(&cfg, params[0].device())?;
        params[1] = (&params[1] * &mask)?;
        Ok(CwRnn {
            params,
            mask,
            periods: periods(n_modules),
            dim,
            cfg,
        })
    }

    /// The weights by name ([`CWRNN_NAMES`]).
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        CWRNN_NAMES
            .iter()
            .zip(&self.params)
            .map(|(n, t)| (n.to_string(), t.clone()))
            .collect()
    }

    /// Train from fresh initial weights (seed `train.seed`) on the normalised sequence
    /// `seq [n_frames, dim]` by teacher forcing (see [`super::train`]); `progress(epoch, loss)`
    /// is called at each look at the loss.
    pub fn train(
        seq: ArrayView2<f64>,
        cfg: &CwRnnConfig,
        train: &BaselineTrainConfig,
        device: &Device,
        progress: &mut dyn FnMut(usize, f64),
    ) -> Result<(CwRnn, TrainHistory)> {
        CwRnn::new(seq.ncols(), cfg, train.seed, device)?.train_from(seq, train, progress)
    }

    /// Train from these weights on `seq`; returns the kept weights ([`super::train`]).
    pub fn train_from(
        self,
        seq: ArrayView2<f64>,
        train: &BaselineTrainConfig,
        progress: &mut dyn FnMut(usize, f64),
    ) -> Result<(CwRnn, TrainHistory)> {
        let device = self.device().clone();
        let (live, vars) = self.with_vars()?;
        let (mut params, history) = train_loop(&live, &vars, seq, train, &device, progress)?;
        params[1] = (&params[1] * &live.mask)?;
        Ok((CwRnn { params, ..live }, history))
    }

    /// The same model over trainable `Var`s (returned in parameter order).
    pub(crate) fn with_vars(self) -> Result<(CwRnn, Vec<Var>)> {
        let vars = self
            .params
            .iter()
            .map(Var::from_tensor)
            .collect::<candle_core::Result<Vec<_>>>()?;
        let live = CwRnn {
            params: vars.iter().map(|v| v.as_tensor().clone()).collect(),
            ..self
        };
        Ok((live, vars))
    }

    /// Clock periods `4^i` of the modules, fastest first.
    pub fn periods(&self) -> &[usize] {
        &self.periods
    }

    /// Features `d`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Hidden size and module count.
    pub fn config(&self) -> &CwRnnConfig {
        &self.cfg
    }

    /// Where the weights live.
    pub fn device(&self) -> &Device {
        self.params[0].device()
    }

    /// The recurrent matrix `W_H [h, h]` as used (lower blocks zero).
    pub fn recurrent_weight(&self) -> Result<Array2<f64>> {
        to_array2(&(&self.params[1] * &self.mask)?)
    }

    /// Teacher-forced pass over `xs [T, dim]` from the zero state at `t = 0`: hidden states
    /// `h_t [T, h]` and predictions `x̂_{t+1} [T, dim]`.
    pub fn teacher_forced(&self, xs: ArrayView2<f64>) -> Result<(Array2<f64>, Array2<f64>)> {
        if xs.ncols() != self.dim || xs.nrows() == 0 {
            return Err(Error::shape(
                "inputs",
                format!("[T >= 1, {}]", self.dim),
                format!("{:?}", xs.shape()),
            ));
        }
        let x = sequence_tensor(xs, self.device())?.unsqueeze(0)?;
        let hs = self.hidden_states(&x, &[0])?;
        let pred = self.readout(&hs)?;
        Ok((to_array2(&hs.squeeze(0)?)?, to_array2(&pred.squeeze(0)?)?))
    }

    /// Activity `[B, h]` (1 = update) of windows starting at `starts`, at offset `k`.
    fn activity(&self, starts: &[usize], k: usize) -> candle_core::Result<Tensor> {
        let m = self.cfg.hidden / self.cfg.n_modules;
        let v: Vec<f32> = starts
            .iter()
            .flat_map(|&s| {
                self.periods.iter().flat_map(move |&p| {
                    std::iter::repeat_n(f32::from(u8::from((s + k).is_multiple_of(p))), m)
                })
            })
            .collect();
        Tensor::from_vec(v, (starts.len(), self.cfg.hidden), self.device())
    }

    /// Hidden states `[B, T, h]` of inputs `[B, T, d]`, window `b` starting at time `starts[b]`
    /// (one product `[x_t, h_{t-1}] [W_I, W_H]^T` per step, as in the LSTM).
    fn hidden_states(&self, xs: &Tensor, starts: &[usize]) -> candle_core::Result<Tensor> {
        let (b, t_len, _) = xs.dims3()?;
        let w_cat_t = self.fused()?;
        let bias = (&self.params[2] + &self.params[3])?;
        let mut hid = Tensor::zeros((b, self.cfg.hidden), DType::F32, xs.device())?;
        let mut hs = Vec::with_capacity(t_len);
        for k in 0..t_len {
            let a = self.activity(starts, k)?;
            let x_k = xs.narrow(1, k, 1)?.squeeze(1)?;
            let cand = Tensor::cat(&[&x_k, &hid], 1)?
                .matmul(&w_cat_t)?
                .broadcast_add(&bias)?
                .tanh()?;
            hid = ((&a * cand)? + ((1.0 - &a)? * &hid)?)?;
            hs.push(hid.clone());
        }
        Tensor::stack(&hs, 1)
    }

    /// `[W_I, W_H ⊙ mask]^T [d + h, h]`.
    fn fused(&self) -> candle_core::Result<Tensor> {
        let w_h = (&self.params[1] * &self.mask)?;
        Tensor::cat(&[&self.params[0], &w_h], 1)?.t()
    }

    /// Read-out `[B, T, h] -> [B, T, d]`.
    fn readout(&self, hs: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t_len, h) = hs.dims3()?;
        hs.reshape((b * t_len, h))?
            .matmul(&self.params[4].t()?)?
            .broadcast_add(&self.params[5])?
            .reshape((b, t_len, self.dim))
    }

    /// Save to `<stem>.safetensors` + `<stem>.json` (with `history` when given).
    pub fn save(&self, path: &Path, history: Option<&TrainHistory>) -> Result<()> {
        let meta = BaselineMeta::new(
            BaselineKind::CwRnn,
            self.dim,
            self.cfg.hidden,
            self.cfg.n_modules,
            history,
        );
        save_model(path, &self.tensors(), &meta)
    }

    /// Load a model written by [`CwRnn::save`] onto `device`.
    pub fn load(path: &Path, device: &Device) -> Result<(CwRnn, BaselineMeta)> {
        let (tensors, meta) = load_model(path, BaselineKind::CwRnn, device)?;
        let model = CwRnn::from_tensors(&tensors, meta.n_modules)?;
        meta.check(model.dim, model.cfg.hidden, path)?;
        Ok((model, meta))
    }
}

/// Periods `4^i`, `i = 0..g`.
fn periods(g: usize) -> Vec<usize> {
    (0..g as u32).map(|i| 4usize.pow(i)).collect()
}

/// The block upper-triangular mask `[h, h]`: 1 where module(col) >= module(row).
fn block_mask(cfg: &CwRnnConfig, device: &Device) -> Result<Tensor> {
    let h = cfg.hidden;
    let m = cfg.validate()?;
    let v: Vec<f32> = (0..h * h)
        .map(|k| f32::from(u8::from((k % h) / m >= (k / h) / m)))
        .collect();
    Ok(Tensor::from_vec(v, (h, h), device)?)
}

impl Unroll for CwRnn {
    fn identity(&self) -> String {
        format!(
            "CW-RNN dim {} hidden {} modules {}",
            self.dim, self.cfg.hidden, self.cfg.n_modules
        )
    }

    fn unroll(&self, xs: &Tensor, starts: &[usize]) -> candle_core::Result<Tensor> {
        self.readout(&self.hidden_states(xs, starts)?)
    }

    fn loss_and_grads(
        &self,
        xs: &Tensor,
        ys: &Tensor,
    ) -> candle_core::Result<(Tensor, Vec<Tensor>)> {
        super::bptt::cwrnn_loss_and_grads(&self.params, &self.mask, self.cfg.n_modules, xs, ys)
    }
}

impl SequenceModel for CwRnn {
    fn name(&self) -> &str {
        "CW-RNN"
    }

    fn n_params(&self) -> usize {
        parameter_count(
            BaselineKind::CwRnn,
            self.dim,
            self.cfg.hidden,
            self.cfg.n_modules,
        )
    }

    fn n_trained(&self) -> usize {
        trained_parameter_count(
            BaselineKind::CwRnn,
            self.dim,
            self.cfg.hidden,
            self.cfg.n_modules,
        )
    }

    fn generate(&self, first: ArrayView1<f64>, n_frames: usize) -> Result<Array2<f64>> {
        check_first(first, self.dim)?;
        if n_frames == 0 {
            return Ok(Array2::zeros((0, self.dim)));
        }
        let dev = self.device();
        let w_cat_t = self.fused()?;
        let w_out_t = self.params[4].t()?;
        let b = (&self.params[2] + &self.params[3])?.unsqueeze(0)?;
        let b_out = self.params[5].unsqueeze(0)?;
        let x0: Vec<f32> = first.iter().map(|&v| v as f32).collect();
        let mut x = Tensor::from_vec(x0, (1, self.dim), dev)?;
        let mut hid = Tensor::zeros((1, self.cfg.hidden), DType::F32, dev)?;
        let mut frames = vec![x.clone()];
        for t in 0..n_frames - 1 {
            let a = self.activity(&[t], 0)?;
            let cand = (Tensor::cat(&[&x, &hid], 1)?.matmul(&w_cat_t)? + &b)?.tanh()?;
            hid = ((&a * cand)? + ((1.0 - &a)? * &hid)?)?;
            x = (hid.matmul(&w_out_t)? + &b_out)?;
            frames.push(x.clone());
        }
        to_array2(&Tensor::cat(&frames, 0)?)
    }
}
