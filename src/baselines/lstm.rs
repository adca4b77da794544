//! One LSTM layer with PyTorch's gate layout and a linear read-out, as a next-frame predictor.
//!
//! With input `x_t [d]`, hidden `h_t`, cell `c_t` (`[h]`, zero at the start) and the gates in
//! PyTorch's order `i, f, g, o` stacked in `W_ih [4h, d]`, `W_hh [4h, h]`, `b_ih`, `b_hh [4h]`:
//!
//! ```text
//! (i, f, g, o) = split_4(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
//! c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g),   h_t = σ(o) ⊙ tanh(c_t)
//! x̂_{t+1} = W_out h_t + b_out                (W_out [d, h])
//! ```
//!
//! exactly `torch.nn.LSTM(d, h)` followed by `torch.nn.Linear(h, d)` (checked against PyTorch
//! in `tests/baselines.rs`). Parameters: `4h(d + h) + 8h + h d + d`. Weights are f32 tensors on
//! one device, named as in PyTorch (`weight_ih_l0`, ..., `readout.weight`, `readout.bias`).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::config::{BaselineTrainConfig, TrainHistory};
use super::save::{load_model, save_model, BaselineMeta};
use super::sizing::{parameter_count, BaselineKind};
use super::train::{to_array2, train_loop, uniform_tensor, Unroll};
use super::{check_first, SequenceModel};
use crate::rng::RandomState;
use crate::{Error, Result};

/// Size of the LSTM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LstmConfig {
    /// Hidden (and cell) size `h`.
    pub hidden: usize,
}

/// Tensor names, in PyTorch's `nn.LSTM` + `nn.Linear` naming, in initialisation order.
pub const LSTM_NAMES: [&str; 6] = [
    "weight_ih_l0",
    "weight_hh_l0",
    "bias_ih_l0",
    "bias_hh_l0",
    "readout.weight",
    "readout.bias",
];

/// A trained (or freshly initialised) LSTM next-frame predictor.
#[derive(Debug, Clone)]
pub struct Lstm {
    /// `[W_ih, W_hh, b_ih, b_hh, W_out, b_out]`, f32.
    params: Vec<Tensor>,
    dim: usize,
    hidden: usize,
}

impl Lstm {
    /// PyTorch-default initial weights `U(-1/sqrt(h), 1/sqrt(h))` for `dim` features, drawn in
    /// the order of [`LSTM_NAMES`] from numpy's stream seeded with `seed`.
    pub fn new(dim: usize, cfg: &LstmConfig, seed: u64, device: &Device) -> Result<Lstm> {
        let h = cfg.hidden;
        if dim == 0 || h == 0 {
            return Err(Error::invalid(
                "LSTM size",
                format!("dim and hidden must be positive, got {dim}, {h}"),
            ));
        }
        let mut rng = RandomState::new(seed as u32);
        let shapes: [&[usize]; 6] = [
            &[4 * h, dim],
            &[4 * h, h],
            &[4 * h],
            &[4 * h],
            &[dim, h],
            &[dim],
        ];
        let params = shapes
            .iter()
            .map(|s| uniform_tensor(&mut rng, h, s, device))
            .collect::<Result<Vec<_>>>()?;
        Ok(Lstm {
            params,
            dim,
            hidden: h,
        })
    }

    /// An LSTM from tensors named as in [`LSTM_NAMES`] (e.g. a PyTorch `state_dict`), converted
    /// to f32; the shapes must agree.
    pub fn from_tensors(tensors: &HashMap<String, Tensor>) -> Result<Lstm> {
        let get = |name: &str| {
            tensors
                .get(name)
                .ok_or_else(|| Error::invalid("LSTM tensors", format!("missing {name}")))
                .and_then(|t| Ok(t.to_dtype(DType::F32)?))
        };
        let params = LSTM_NAMES
            .iter()
            .map(|n| get(n))
            .collect::<Result<Vec<_>>>()?;
        let (h4, dim) = params[0].dims2()?;
        let hidden = h4 / 4;
        let expected: [Vec<usize>; 6] = [
            vec![4 * hidden, dim],
            vec![4 * hidden, hidden],
            vec![4 * hidden],
            vec![4 * hidden],
            vec![dim, hidden],
            vec![dim],
        ];
        for ((p, e), name) in params.iter().zip(&expected).zip(LSTM_NAMES) {
            if p.dims() != e.as_slice() || h4 % 4 != 0 || hidden == 0 {
                return Err(Error::shape(
                    name,
                    format!("{e:?}"),
                    format!("{:?}", p.dims()),
                ));
            }
        }
        Ok(Lstm {
            params,
            dim,
            hidden,
        })
    }

    /// The weights by name ([`LSTM_NAMES`]).
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        LSTM_NAMES
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
        cfg: &LstmConfig,
        train: &BaselineTrainConfig,
        device: &Device,
        progress: &mut dyn FnMut(usize, f64),
    ) -> Result<(Lstm, TrainHistory)> {
        Lstm::new(seq.ncols(), cfg, train.seed, device)?.train_from(seq, train, progress)
    }

    /// Train from these weights (e.g. PyTorch's, [`Lstm::from_tensors`]) on `seq`; returns the
    /// kept weights ([`super::train`]) on this model's device.
    pub fn train_from(
        self,
        seq: ArrayView2<f64>,
        train: &BaselineTrainConfig,
        progress: &mut dyn FnMut(usize, f64),
    ) -> Result<(Lstm, TrainHistory)> {
        let device = self.device().clone();
        let (live, vars) = self.with_vars()?;
        let (params, history) = train_loop(&live, &vars, seq, train, &device, progress)?;
        Ok((Lstm { params, ..live }, history))
    }

    /// The same model over trainable `Var`s (returned in parameter order).
    pub(crate) fn with_vars(self) -> Result<(Lstm, Vec<Var>)> {
        let vars = self
            .params
            .iter()
            .map(Var::from_tensor)
            .collect::<candle_core::Result<Vec<_>>>()?;
        let live = Lstm {
            params: vars.iter().map(|v| v.as_tensor().clone()).collect(),
            ..self
        };
        Ok((live, vars))
    }

    /// Features `d`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Hidden size `h`.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Where the weights live.
    pub fn device(&self) -> &Device {
        self.params[0].device()
    }

    /// Teacher-forced pass over `xs [T, dim]` from the zero state: hidden states `h_t [T, h]`
    /// and predictions `x̂_{t+1} [T, dim]`.
    pub fn teacher_forced(&self, xs: ArrayView2<f64>) -> Result<(Array2<f64>, Array2<f64>)> {
        if xs.ncols() != self.dim || xs.nrows() == 0 {
            return Err(Error::shape(
                "inputs",
                format!("[T >= 1, {}]", self.dim),
                format!("{:?}", xs.shape()),
            ));
        }
        let x = super::train::sequence_tensor(xs, self.device())?.unsqueeze(0)?;
        let hs = self.hidden_states(&x)?;
        let pred = self.readout(&hs)?;
        Ok((to_array2(&hs.squeeze(0)?)?, to_array2(&pred.squeeze(0)?)?))
    }

    /// Hidden states `[B, T, h]` of inputs `[B, T, d]` from the zero state.
    ///
    /// One product `[x_t, h_{t-1}] [W_ih, W_hh]^T` per step: slicing a precomputed input
    /// projection instead would make candle's backward pad every slice's gradient to the full
    /// `[B, T, 4h]` (measured slower).
    fn hidden_states(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t_len, _) = xs.dims3()?;
        let h = self.hidden;
        let (w_cat_t, bias) = self.fused()?;
        let mut hid = Tensor::zeros((b, h), DType::F32, xs.device())?;
        let mut cell = hid.clone();
        let mut hs = Vec::with_capacity(t_len);
        for t in 0..t_len {
            let x_t = xs.narrow(1, t, 1)?.squeeze(1)?;
            let gates = Tensor::cat(&[&x_t, &hid], 1)?
                .matmul(&w_cat_t)?
                .broadcast_add(&bias)?;
            (hid, cell) = lstm_cell(&gates, &cell, h)?;
            hs.push(hid.clone());
        }
        Tensor::stack(&hs, 1)
    }

    /// `[W_ih, W_hh]^T [d + h, 4h]` and `b_ih + b_hh [4h]`.
    fn fused(&self) -> candle_core::Result<(Tensor, Tensor)> {
        let p = &self.params;
        Ok((Tensor::cat(&[&p[0], &p[1]], 1)?.t()?, (&p[2] + &p[3])?))
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
        let meta = BaselineMeta::new(BaselineKind::Lstm, self.dim, self.hidden, 0, history);
        save_model(path, &self.tensors(), &meta)
    }

    /// Load a model written by [`Lstm::save`] onto `device`.
    pub fn load(path: &Path, device: &Device) -> Result<(Lstm, BaselineMeta)> {
        let (tensors, meta) = load_model(path, BaselineKind::Lstm, device)?;
        let lstm = Lstm::from_tensors(&tensors)?;
        meta.check(lstm.dim, lstm.hidden, path)?;
        Ok((lstm, meta))
    }
}

/// One LSTM cell update from the pre-activations `gates [B, 4h]` (order i, f, g, o).
fn lstm_cell(gates: &Tensor, cell: &Tensor, h: usize) -> candle_core::Result<(Tensor, Tensor)> {
    let s = candle_nn::ops::sigmoid(gates)?;
    let (i, f, o) = (
        s.narrow(1, 0, h)?,
        s.narrow(1, h, h)?,
        s.narrow(1, 3 * h, h)?,
    );
    let g = gates.narrow(1, 2 * h, h)?.tanh()?;
    let cell = ((f * cell)? + (i * g)?)?;
    let hid = (o * cell.tanh()?)?;
    Ok((hid, cell))
}

impl Unroll for Lstm {
    fn identity(&self) -> String {
        format!("LSTM dim {} hidden {}", self.dim, self.hidden)
    }

    fn unroll(&self, xs: &Tensor, _starts: &[usize]) -> candle_core::Result<Tensor> {
        self.readout(&self.hidden_states(xs)?)
    }

    fn loss_and_grads(
        &self,
        xs: &Tensor,
        ys: &Tensor,
    ) -> candle_core::Result<(Tensor, Vec<Tensor>)> {
        super::bptt::lstm_loss_and_grads(&self.params, xs, ys)
    }
}

impl SequenceModel for Lstm {
    fn name(&self) -> &str {
        "LSTM"
    }

    fn n_params(&self) -> usize {
        parameter_count(BaselineKind::Lstm, self.dim, self.hidden, 0)
    }

    fn generate(&self, first: ArrayView1<f64>, n_frames: usize) -> Result<Array2<f64>> {
        check_first(first, self.dim)?;
        let dev = self.device();
        let (w_cat_t, bias) = self.fused()?;
        let w_out_t = self.params[4].t()?;
        let b_out = self.params[5].unsqueeze(0)?;
        let x0: Vec<f32> = first.iter().map(|&v| v as f32).collect();
        let mut x = Tensor::from_vec(x0, (1, self.dim), dev)?;
        let mut hid = Tensor::zeros((1, self.hidden), DType::F32, dev)?;
        let mut cell = hid.clone();
        let mut frames = vec![x.clone()];
        for _ in 1..n_frames {
            let gates = Tensor::cat(&[&x, &hid], 1)?
                .matmul(&w_cat_t)?
                .broadcast_add(&bias)?;
            (hid, cell) = lstm_cell(&gates, &cell, self.hidden)?;
            x = (hid.matmul(&w_out_t)? + &b_out)?;
            frames.push(x.clone());
        }
        if n_frames == 0 {
            return Ok(Array2::zeros((0, self.dim)));
        }
        to_array2(&Tensor::cat(&frames, 0)?)
    }
}
