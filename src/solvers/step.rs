//! One explicit Runge-Kutta step with its embedded error estimate (scipy's `rk_step`).
//!
//! With stages `K_0 = f(t, y)` (carried over from the previous step: first same as last),
//! `K_s = f(t + c_s h, y + h sum_{j<s} a_sj K_j)` for `s = 1..5`, the step is
//! `y_new = y + h sum_s b_s K_s`, and the FSAL stage `K_6 = f(t + h, y_new)` starts the next
//! step. The error estimate is `err = h K^T e` (all seven stages), measured in scipy's scaled RMS
//! norm `||err / (atol + max(|y|, |y_new|) rtol)||_rms`. Sums follow numpy's operation order
//! (see [`super::order`]) so that results agree with scipy bit for bit.

use super::order::{gemv_sum, rms_norm, with_fma};
use super::tableau::{Tableau, N_STAGES};
use super::Tolerances;
use crate::System;

/// Stage storage for one step of an `n`-dimensional system: `K` as `[7, n]` rows, plus a
/// scratch state.
#[derive(Debug, Clone)]
pub struct Stages {
    n: usize,
    /// `K[s * n + i]`: stage `s`, component `i` (row-major, like scipy's `self.K`).
    pub k: Vec<f64>,
    scratch: Vec<f64>,
}

impl Stages {
    /// Zeroed storage for a system of dimension `n`.
    pub fn new(n: usize) -> Self {
        Stages {
            n,
            k: vec![0.0; (N_STAGES + 1) * n],
            scratch: vec![0.0; n],
        }
    }

    /// Stage `s` (0..=6) as a slice of length `n`.
    pub fn stage(&self, s: usize) -> &[f64] {
        &self.k[s * self.n..(s + 1) * self.n]
    }
}

with_fma! {
    /// One Runge-Kutta step of size `h` from `(t, y)` with `f = f(t, y)`.
    ///
    /// Writes `y + h K^T b` into `y_new` and fills all seven rows of `stages` (row 6 is
    /// `f(t + h, y_new)`). Makes six right-hand-side evaluations.
    pub fn rk_step(
        system: &dyn System,
        tab: &Tableau,
        t: f64,
        y: &[f64],
        f: &[f64],
        h: f64,
        stages: &mut Stages,
        y_new: &mut [f64],
    ) => rk_step_body
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn rk_step_body(
    system: &dyn System,
    tab: &Tableau,
    t: f64,
    y: &[f64],
    f: &[f64],
    h: f64,
    stages: &mut Stages,
    y_new: &mut [f64],
) {
    let n = stages.n;
    let Stages { k, scratch, .. } = stages;
    k[..n].copy_from_slice(f);
    for s in 1..N_STAGES {
        let a = &tab.a[s][..s];
        for i in 0..n {
            // numpy: dy = np.dot(K[:s].T, a[:s]) * h; y + dy
            let dy = gemv_sum(a, |j| k[j * n + i]) * h;
            scratch[i] = y[i] + dy;
        }
        system.rhs(t + tab.c[s] * h, scratch, &mut k[s * n..(s + 1) * n]);
    }
    for i in 0..n {
        // numpy: y + h * np.dot(K[:-1].T, B)
        y_new[i] = y[i] + h * gemv_sum(&tab.b, |j| k[j * n + i]);
    }
    system.rhs(t + h, y_new, &mut k[N_STAGES * n..]);
}

with_fma! {
    /// scipy's scaled RMS norm of the error estimate `h K^T e` of the last step.
    pub fn error_norm(
        tab: &Tableau,
        stages: &Stages,
        h: f64,
        y: &[f64],
        y_new: &[f64],
        tol: Tolerances,
    ) -> f64 => error_norm_body
}

#[inline(always)]
fn error_norm_body(
    tab: &Tableau,
    stages: &Stages,
    h: f64,
    y: &[f64],
    y_new: &[f64],
    tol: Tolerances,
) -> f64 {
    let n = stages.n;
    let k = &stages.k;
    rms_norm(n, |i| {
        // numpy: scale = atol + np.maximum(np.abs(y), np.abs(y_new)) * rtol
        let scale = tol.atol + nan_max(y[i].abs(), y_new[i].abs()) * tol.rtol;
        // numpy: np.dot(K.T, E) * h / scale
        (gemv_sum(&tab.e, |j| k[j * n + i]) * h) / scale
    })
}

/// `np.maximum`: the larger value, NaN if either is NaN.
#[inline(always)]
fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::builtin::Harmonic;
    use crate::solvers::tableau::DOPRI5;

    #[test]
    fn one_step_is_fifth_order_accurate_on_the_harmonic_oscillator() {
        let y = [0.3, 1.1];
        let mut f = [0.0; 2];
        Harmonic.rhs(0.0, &y, &mut f);
        let mut errs = Vec::new();
        for h in [0.2, 0.1] {
            let mut st = Stages::new(2);
            let mut y_new = [0.0; 2];
            rk_step(&Harmonic, &DOPRI5, 0.0, &y, &f, h, &mut st, &mut y_new);
            let exact = Harmonic.flow(y, h);
            errs.push((y_new[0] - exact[0]).hypot(y_new[1] - exact[1]));
            // FSAL row is f(t + h, y_new).
            assert_eq!(st.stage(6), &[y_new[1], -y_new[0]]);
        }
        // local error O(h^6): halving h divides it by ~64
        let ratio = errs[0] / errs[1];
        assert!(ratio > 50.0 && ratio < 80.0, "local error ratio {ratio}");
    }
}
