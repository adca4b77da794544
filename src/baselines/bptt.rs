//! Hand-written back-propagation through time for whole-sequence training ([`super::train`]):
//! the teacher-forced one-step MSE of one sequence and its exact gradient, for the LSTM and the
//! CW-RNN, with candle tensor ops on any device (no autograd graph).
//!
//! Inputs `X [T, d]` (frames `0 .. T-1`), targets `Y [T, d]` (frames `1 .. T`), zero initial
//! state, `L = mean (Ŷ - Y)^2` over `T d` numbers, `dŶ = 2 (Ŷ - Y) / (T d)`. Everything that
//! does not depend on the recurrence is one matrix product over all `T` steps (input projections,
//! read-out, all weight gradients); only the `[1, h]` recurrences run step by step.
//!
//! **LSTM** (PyTorch's gates `i, f, g, o`, see [`super::lstm`]): forward
//! `a_t = X_t W_ih^T + b_ih + b_hh + h_{t-1} W_hh^T`, `c_t = f c_{t-1} + i g`,
//! `h_t = o tanh(c_t)`, `Ŷ = H W_out^T + b_out`; backward, from `t = T-1` down with
//! `δh_T = δc_T = 0`:
//!
//! ```text
//! dh   = dŶ_t W_out + δh_{t+1}
//! dc   = dh o (1 - tanh^2 c_t) + δc_{t+1}
//! da_t = [dc g i(1-i), dc c_{t-1} f(1-f), dc i (1-g^2), dh tanh(c_t) o(1-o)]
//! δc_t = dc f,   δh_t = da_t W_hh
//! dW_ih = dA^T X,  dW_hh = dA^T H_prev,  db_ih = db_hh = sum_t da_t,  dW_out = dŶ^T H
//! ```
//!
//! **CW-RNN** ([`super::cwrnn`]): at time `t` the active modules are a prefix (periods `4^i`
//! nest), the first `k_t m` units; they take `tanh` of `X_t W_I^T + b_ih + b_hh +
//! h_{t-1} (W_H ⊙ M)^T` (their rows), the others keep `h_{t-1}`. Backward: on the active units
//! `dp = dh (1 - h_t^2)`, `δh_t = dp (W_H ⊙ M)[active rows] + dh` on the inactive units;
//! `dW_I = dP^T X`, `dW_H = (dP^T H_prev) ⊙ M`.
//!
//! Both are checked against candle's autograd of the same model (unit tests below) and, through
//! training, against PyTorch (`tests/baselines.rs`).

use candle_core::{DType, Result, Tensor};

/// The parameters without autograd tracking (sharing their storage): computed from `Var`s,
/// every op would otherwise record a graph thousands of steps deep, whose recursive drop
/// overflows the stack.
fn untracked(params: &[Tensor]) -> Vec<Tensor> {
    params.iter().map(Tensor::detach).collect()
}

/// The MSE of predictions `pred [T, d]` against `ys` and its gradient `dL/dŶ`.
fn mse_and_grad(pred: &Tensor, ys: &Tensor) -> Result<(Tensor, Tensor)> {
    let diff = (pred - ys)?;
    let loss = diff.sqr()?.mean_all()?;
    let d_pred = (diff * (2.0 / pred.elem_count() as f64))?;
    Ok((loss, d_pred))
}

/// `[0; rows[0 .. T-1]]`: the states before each step.
fn shifted(rows: &Tensor) -> Result<Tensor> {
    let (t_len, h) = rows.dims2()?;
    let zero = Tensor::zeros((1, h), rows.dtype(), rows.device())?;
    Tensor::cat(&[&zero, &rows.narrow(0, 0, t_len - 1)?], 0)
}

/// Rows pushed from the last step to the first, as `[T, n]` in time order.
fn cat_reversed(mut rows: Vec<Tensor>) -> Result<Tensor> {
    rows.reverse();
    Tensor::cat(&rows, 0)
}

/// LSTM loss and gradients; `params = [W_ih, W_hh, b_ih, b_hh, W_out, b_out]`, gradients in
/// the same order.
pub(crate) fn lstm_loss_and_grads(
    params: &[Tensor],
    xs: &Tensor,
    ys: &Tensor,
) -> Result<(Tensor, Vec<Tensor>)> {
    let params = untracked(params);
    let [w_ih, w_hh, b_ih, b_hh, w_out, b_out] = params.as_slice() else {
        candle_core::bail!("LSTM: expected 6 parameter tensors, got {}", params.len())
    };
    let (t_len, _) = xs.dims2()?;
    let h = w_hh.dim(1)?;
    let dev = xs.device();
    // Forward: the input projection of every frame at once, then the recurrence.
    let xa = xs.matmul(&w_ih.t()?)?.broadcast_add(&(b_ih + b_hh)?)?;
    let w_hh_t = w_hh.t()?.contiguous()?;
    let mut hid = Tensor::zeros((1, h), DType::F32, dev)?;
    let mut cell = hid.clone();
    let (mut pre, mut cells, mut hids) = (
        Vec::with_capacity(t_len),
        Vec::with_capacity(t_len),
        Vec::with_capacity(t_len),
    );
    for t in 0..t_len {
        let a = (xa.narrow(0, t, 1)? + hid.matmul(&w_hh_t)?)?;
        let s = candle_nn::ops::sigmoid(&a)?;
        let g = a.narrow(1, 2 * h, h)?.tanh()?;
        cell = ((s.narrow(1, h, h)? * &cell)? + (s.narrow(1, 0, h)? * g)?)?;
        hid = (s.narrow(1, 3 * h, h)? * cell.tanh()?)?;
        pre.push(a);
        cells.push(cell.clone());
        hids.push(hid.clone());
    }
    let (a, c, hs) = (
        Tensor::cat(&pre, 0)?,
        Tensor::cat(&cells, 0)?,
        Tensor::cat(&hids, 0)?,
    );
    let pred = hs.matmul(&w_out.t()?)?.broadcast_add(b_out)?;
    let (loss, d_pred) = mse_and_grad(&pred, ys)?;
    // The per-step factors, for all steps at once.
    let s = candle_nn::ops::sigmoid(&a)?;
    let (i, f, o) = (
        s.narrow(1, 0, h)?,
        s.narrow(1, h, h)?,
        s.narrow(1, 3 * h, h)?,
    );
    let g = a.narrow(1, 2 * h, h)?.tanh()?;
    let tc = c.tanh()?;
    let dsig = |x: &Tensor| x * (1.0 - x)?;
    let dc_from_dh = (&o * (1.0 - tc.sqr()?)?)?;
    let gate_factor = Tensor::cat(
        &[
            (&g * dsig(&i)?)?,
            (shifted(&c)? * dsig(&f)?)?,
            (&i * (1.0 - g.sqr()?)?)?,
            (&tc * dsig(&o)?)?,
        ],
        1,
    )?;
    let dh_out = d_pred.matmul(w_out)?;
    // Backward through time.
    let mut dh_next = Tensor::zeros((1, h), DType::F32, dev)?;
    let mut dc_next = dh_next.clone();
    let mut das = Vec::with_capacity(t_len);
    for t in (0..t_len).rev() {
        let dh = (dh_out.narrow(0, t, 1)? + &dh_next)?;
        let dc = ((&dh * dc_from_dh.narrow(0, t, 1)?)? + &dc_next)?;
        let da = (Tensor::cat(&[&dc, &dc, &dc, &dh], 1)? * gate_factor.narrow(0, t, 1)?)?;
        dc_next = (dc * f.narrow(0, t, 1)?)?;
        dh_next = da.matmul(w_hh)?;
        das.push(da);
    }
    let da = cat_reversed(das)?;
    let db = da.sum(0)?;
    let grads = vec![
        da.t()?.matmul(xs)?,
        da.t()?.matmul(&shifted(&hs)?)?,
        db.clone(),
        db,
        d_pred.t()?.matmul(&hs)?,
        d_pred.sum(0)?,
    ];
    Ok((loss, grads))
}

/// Number of active CW-RNN modules at time `t` (periods `4^i`, `g` modules): all at `t = 0`.
pub(crate) fn active_modules(t: usize, g: usize) -> usize {
    let mut k = 1;
    let mut period = 4usize;
    while k < g && t.is_multiple_of(period) {
        k += 1;
        period = period.saturating_mul(4);
    }
    k
}

/// CW-RNN loss and gradients; `params = [W_I, W_H, b_ih, b_hh, W_out, b_out]`, `mask` the block
/// upper-triangular `[h, h]` mask of `g` modules; gradients in the order of `params` (that of
/// `W_H` masked).
pub(crate) fn cwrnn_loss_and_grads(
    params: &[Tensor],
    mask: &Tensor,
    g: usize,
    xs: &Tensor,
    ys: &Tensor,
) -> Result<(Tensor, Vec<Tensor>)> {
    let params = untracked(params);
    let [w_i, w_h, b_ih, b_hh, w_out, b_out] = params.as_slice() else {
        candle_core::bail!("CW-RNN: expected 6 parameter tensors, got {}", params.len())
    };
    let (t_len, _) = xs.dims2()?;
    let h = w_h.dim(0)?;
    let m = h / g;
    let dev = xs.device();
    let wm = (w_h * mask)?;
    // (W_H ⊙ M)^T restricted to the rows of the first k modules, for k = 1..=g.
    let wm_t: Vec<Tensor> = (1..=g)
        .map(|k| wm.narrow(0, 0, k * m)?.t()?.contiguous())
        .collect::<Result<_>>()?;
    let xa = xs.matmul(&w_i.t()?)?.broadcast_add(&(b_ih + b_hh)?)?;
    let mut hid = Tensor::zeros((1, h), DType::F32, dev)?;
    let mut hids = Vec::with_capacity(t_len);
    for t in 0..t_len {
        let k = active_modules(t, g);
        let n = k * m;
        let new = (xa.narrow(0, t, 1)?.narrow(1, 0, n)? + hid.matmul(&wm_t[k - 1])?)?.tanh()?;
        hid = if n == h {
            new
        } else {
            Tensor::cat(&[&new, &hid.narrow(1, n, h - n)?], 1)?
        };
        hids.push(hid.clone());
    }
    let hs = Tensor::cat(&hids, 0)?;
    let pred = hs.matmul(&w_out.t()?)?.broadcast_add(b_out)?;
    let (loss, d_pred) = mse_and_grad(&pred, ys)?;
    let dtanh = (1.0 - hs.sqr()?)?;
    let dh_out = d_pred.matmul(w_out)?;
    let mut carry = Tensor::zeros((1, h), DType::F32, dev)?;
    let mut dps = Vec::with_capacity(t_len);
    for t in (0..t_len).rev() {
        let n = active_modules(t, g) * m;
        let dh = (dh_out.narrow(0, t, 1)? + &carry)?;
        let dp = (dh.narrow(1, 0, n)? * dtanh.narrow(0, t, 1)?.narrow(1, 0, n)?)?;
        let back = dp.matmul(&wm.narrow(0, 0, n)?)?;
        if n == h {
            carry = back;
            dps.push(dp);
        } else {
            let zeros = Tensor::zeros((1, n), DType::F32, dev)?;
            carry = (back + Tensor::cat(&[&zeros, &dh.narrow(1, n, h - n)?], 1)?)?;
            let rest = Tensor::zeros((1, h - n), DType::F32, dev)?;
            dps.push(Tensor::cat(&[&dp, &rest], 1)?);
        }
    }
    let dp = cat_reversed(dps)?;
    let db = dp.sum(0)?;
    let grads = vec![
        dp.t()?.matmul(xs)?,
        (dp.t()?.matmul(&shifted(&hs)?)? * mask)?,
        db.clone(),
        db,
        d_pred.t()?.matmul(&hs)?,
        d_pred.sum(0)?,
    ];
    Ok((loss, grads))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baselines::train::Unroll;
    use crate::baselines::{CwRnn, CwRnnConfig, Lstm, LstmConfig};
    use candle_core::{Device, Var};

    fn inputs(t_len: usize, d: usize) -> (Tensor, Tensor) {
        let v: Vec<f32> = (0..(t_len + 1) * d)
            .map(|k| ((k * 37 % 23) as f32 / 23.0 - 0.5) * 1.6)
            .collect();
        let all = Tensor::from_vec(v, (t_len + 1, d), &Device::Cpu).unwrap();
        (
            all.narrow(0, 0, t_len).unwrap(),
            all.narrow(0, 1, t_len).unwrap(),
        )
    }

    /// Largest |a - b| relative to the largest |b| of each gradient.
    fn compare(ours: &[Tensor], auto: &[Tensor]) -> f32 {
        ours.iter()
            .zip(auto)
            .map(|(a, b)| {
                let scale = b
                    .abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap();
                let diff = (a - b).unwrap().abs().unwrap().max_all().unwrap();
                diff.to_scalar::<f32>().unwrap() / scale.max(1e-12)
            })
            .fold(0.0, f32::max)
    }

    fn autograd(model: &dyn Unroll, vars: &[Var], xs: &Tensor, ys: &Tensor) -> (f32, Vec<Tensor>) {
        let pred = model.unroll(&xs.unsqueeze(0).unwrap(), &[0]).unwrap();
        let loss = (pred.squeeze(0).unwrap() - ys)
            .unwrap()
            .sqr()
            .unwrap()
            .mean_all()
            .unwrap();
        let grads = loss.backward().unwrap();
        let g = vars
            .iter()
            .map(|v| grads.get(v.as_tensor()).unwrap().clone())
            .collect();
        (loss.to_scalar::<f32>().unwrap(), g)
    }

    #[test]
    fn lstm_gradient_is_autograds() {
        let (xs, ys) = inputs(13, 3);
        let init = Lstm::new(3, &LstmConfig { hidden: 5 }, 2, &Device::Cpu).unwrap();
        let (live, vars) = init.with_vars().unwrap();
        let (loss, ours) = live.loss_and_grads(&xs, &ys).unwrap();
        let (loss_auto, auto) = autograd(&live, &vars, &xs, &ys);
        assert!((loss.to_scalar::<f32>().unwrap() - loss_auto).abs() < 1e-6);
        let err = compare(&ours, &auto);
        assert!(err < 1e-4, "LSTM gradients differ from autograd by {err}");
    }

    #[test]
    fn cwrnn_gradient_is_autograds() {
        // 20 steps: module 2 (period 16) fires at 0 and 16, module 1 every 4.
        let (xs, ys) = inputs(20, 2);
        let cfg = CwRnnConfig {
            hidden: 9,
            n_modules: 3,
        };
        let init = CwRnn::new(2, &cfg, 4, &Device::Cpu).unwrap();
        let (live, vars) = init.with_vars().unwrap();
        let (loss, ours) = live.loss_and_grads(&xs, &ys).unwrap();
        let (loss_auto, auto) = autograd(&live, &vars, &xs, &ys);
        assert!((loss.to_scalar::<f32>().unwrap() - loss_auto).abs() < 1e-6);
        // autograd's W_H gradient is already masked (the model multiplies by the mask).
        let err = compare(&ours, &auto);
        assert!(err < 1e-4, "CW-RNN gradients differ from autograd by {err}");
    }

    #[test]
    fn active_modules_follow_the_clocks() {
        let k: Vec<usize> = [0, 1, 4, 8, 16, 32, 64, 128]
            .iter()
            .map(|&t| active_modules(t, 4))
            .collect();
        assert_eq!(k, vec![4, 1, 2, 2, 3, 3, 4, 4]);
        assert_eq!(active_modules(0, 1), 1);
        assert_eq!(active_modules(256, 5), 5);
    }
}
