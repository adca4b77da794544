//! Dense output of one accepted RK45 step (scipy's `RkDenseOutput`).
//!
//! Over a step from `t_old` to `t = t_old + h` with stages `K` (`[7, n]`, the FSAL stage last),
//! `Q = K^T P` (`[n, 4]`) and, for `x = (s - t_old) / h`,
//! `y(s) = y_old + h Q (x, x^2, x^3, x^4)`,
//! a quartic that matches `y_old` at `x = 0` and (up to rounding) `y_new` at `x = 1`.
//! Powers are formed as numpy's `cumprod` does (`x^3 = (x x) x`), and the products with `Q`
//! follow numpy's BLAS calls, which differ between one and several points per step.

use super::order::{dot4_gemv_t, fma_chain, with_fma};
use super::step::Stages;
use super::tableau::{Tableau, N_STAGES};

/// The interpolant of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseOutput {
    /// Start of the step.
    pub t_old: f64,
    /// Signed step `t - t_old`.
    pub h: f64,
    /// State at `t_old`.
    pub y_old: Vec<f64>,
    /// `Q = K^T P`, `[n, 4]` row-major.
    pub q: Vec<f64>,
}

impl DenseOutput {
    /// Build the interpolant of the step `t_old -> t` from `y_old` with the step's stages.
    pub fn new(tab: &Tableau, t_old: f64, t: f64, y_old: &[f64], stages: &Stages) -> Self {
        let mut out = DenseOutput {
            t_old,
            h: 0.0,
            y_old: vec![0.0; y_old.len()],
            q: vec![0.0; 4 * y_old.len()],
        };
        out.reset(tab, t_old, t, y_old, stages);
        out
    }

    /// Rebuild in place for another step (no allocation).
    pub fn reset(&mut self, tab: &Tableau, t_old: f64, t: f64, y_old: &[f64], stages: &Stages) {
        reset(self, tab, t_old, t, y_old, stages)
    }

    /// Evaluate at the times `ts` (all within the step), writing `[ts.len(), n]` row-major into
    /// `out`. The float operations are those of scipy evaluating the same points in one call.
    pub fn eval_into(&self, ts: &[f64], out: &mut [f64]) {
        eval_into(self, ts, out)
    }
}

with_fma! {
    fn reset(d: &mut DenseOutput, tab: &Tableau, t_old: f64, t: f64, y_old: &[f64], stages: &Stages) => DenseOutput::reset_body
}

with_fma! {
    fn eval_into(d: &DenseOutput, ts: &[f64], out: &mut [f64]) => DenseOutput::eval_into_body
}

impl DenseOutput {
    #[inline(always)]
    fn reset_body(&mut self, tab: &Tableau, t_old: f64, t: f64, y_old: &[f64], stages: &Stages) {
        let n = y_old.len();
        self.t_old = t_old;
        self.h = t - t_old;
        self.y_old.copy_from_slice(y_old);
        let k = &stages.k;
        for i in 0..n {
            for c in 0..4 {
                // numpy: Q = K.T.dot(P)  (small dgemm: fused chain over the 7 stages)
                let mut col = [0.0; N_STAGES + 1];
                for (s, v) in col.iter_mut().enumerate() {
                    *v = tab.p[s][c];
                }
                self.q[i * 4 + c] = fma_chain(&col, |s| k[s * n + i]);
            }
        }
    }

    #[inline(always)]
    fn eval_into_body(&self, ts: &[f64], out: &mut [f64]) {
        let n = self.y_old.len();
        let (t_old, h) = (self.t_old, self.h);
        let powers = |t: f64| {
            let x = (t - t_old) / h;
            let x2 = x * x;
            let x3 = x2 * x;
            [x, x2, x3, x3 * x]
        };
        if ts.len() == 1 {
            // one point: numpy sees a matrix times a column vector (dgemv_t)
            let p = powers(ts[0]);
            for ((o, q), y0) in out[..n]
                .iter_mut()
                .zip(self.q.chunks_exact(4))
                .zip(&self.y_old)
            {
                *o = h * dot4_gemv_t(q, &p) + y0;
            }
            return;
        }
        // several points: a matrix product (small dgemm, a fused chain from 0)
        for (row, &t) in out.chunks_exact_mut(n).zip(ts) {
            let p = powers(t);
            for ((o, q), y0) in row.iter_mut().zip(self.q.chunks_exact(4)).zip(&self.y_old) {
                let dot = q[3].mul_add(
                    p[3],
                    q[2].mul_add(p[2], q[1].mul_add(p[1], q[0].mul_add(p[0], 0.0))),
                );
                *o = h * dot + y0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::builtin::Harmonic;
    use crate::solvers::step::rk_step;
    use crate::solvers::tableau::DOPRI5;
    use crate::systems::System;

    #[test]
    fn interpolant_matches_both_ends_and_the_exact_flow_inside() {
        let y = [0.3, 1.1];
        let mut f = [0.0; 2];
        Harmonic.rhs(0.0, &y, &mut f);
        let (t0, h) = (2.0, 0.05);
        let mut st = Stages::new(2);
        let mut y_new = [0.0; 2];
        rk_step(&Harmonic, &DOPRI5, t0, &y, &f, h, &mut st, &mut y_new);
        let d = DenseOutput::new(&DOPRI5, t0, t0 + h, &y, &st);
        let mut out = [0.0; 6];
        d.eval_into(&[t0, t0 + 0.4 * h, t0 + h], &mut out);
        assert_eq!(&out[..2], &y);
        for i in 0..2 {
            assert!((out[4 + i] - y_new[i]).abs() < 1e-15, "end point");
        }
        let exact = Harmonic.flow(y, 0.4 * h);
        for i in 0..2 {
            assert!(
                (out[2 + i] - exact[i]).abs() < 1e-9,
                "interior {} vs {}",
                out[2 + i],
                exact[i]
            );
        }
        // a single point uses another summation order but the same value to rounding
        let mut one = [0.0; 2];
        d.eval_into(&[t0 + 0.4 * h], &mut one);
        assert!((one[0] - out[2]).abs() < 1e-15 && (one[1] - out[3]).abs() < 1e-15);
    }
}
