//! Classic RK4 on many states at once, vectorised: structure of arrays, one batched right-hand
//! side per stage.
//!
//! One step of size `h` for every state (lane) of the batch:
//!
//! `k1 = f(t, y)`, `k2 = f(t + h/2, y + h/2 k1)`, `k3 = f(t + h/2, y + h/2 k2)`,
//! `k4 = f(t + h, y + h k3)`, `y_next = y + h/6 (((k1 + 2 k2) + 2 k3) + k4)`.
//!
//! The states are stored as a structure of arrays: component `d` of lane `i` is
//! `y[d * lanes + i]`, so every stage is a handful of loops over contiguous `f64` blocks, which
//! the compiler turns into SIMD code, and the right-hand side is one call of
//! [`System::rhs_batch`] per stage (the paper's systems override it with whole-component loops).
//! Stage buffers are allocated once per batch; `y` and `y_next` are swapped, not copied, so the
//! previous state stays readable ([`Rk4Lanes::previous`]) for interpolation.
//!
//! Every lane sees exactly the floating-point operations of the scalar RK4 (same order, no fused
//! multiply-add): results equal those of a state-by-state loop bit for bit, whatever the
//! number of lanes or threads.
//!
//! ```
//! use hits::solvers::Rk4Lanes;
//! use hits::problem::builtin::Harmonic;
//! let mut rk = Rk4Lanes::new(2, 3); // dim 2, three states
//! rk.load_rows(&[0.0, 1.0, 1.0, 0.0, 0.5, 0.5]); // rows [x, y]
//! for s in 0..100 {
//!     rk.step(&Harmonic, s as f64 * 0.01, 0.01);
//! }
//! let mut rows = [0.0; 6];
//! rk.store_rows(&mut rows);
//! assert!((rows[0] - 1f64.sin()).abs() < 1e-9); // x = sin t from (0, 1)
//! ```

use crate::System;

/// RK4 state and stage buffers for `lanes` states of dimension `dim` (see the module docs).
#[derive(Debug, Clone)]
pub struct Rk4Lanes {
    dim: usize,
    lanes: usize,
    /// The current states, SoA.
    y: Vec<f64>,
    /// The states before the last step (after a step), else scratch for the next one.
    next: Vec<f64>,
    /// k1 + 2 k2 + 2 k3 + k4, accumulated stage by stage.
    acc: Vec<f64>,
    /// The current stage's slope.
    k: Vec<f64>,
    /// The current stage's argument.
    tmp: Vec<f64>,
}

impl Rk4Lanes {
    /// Zero states, `lanes` of them, each of dimension `dim`.
    pub fn new(dim: usize, lanes: usize) -> Self {
        let n = dim * lanes;
        Rk4Lanes {
            dim,
            lanes,
            y: vec![0.0; n],
            next: vec![0.0; n],
            acc: vec![0.0; n],
            k: vec![0.0; n],
            tmp: vec![0.0; n],
        }
    }

    /// The number of states.
    pub fn lanes(&self) -> usize {
        self.lanes
    }

    /// The state dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The current states, SoA (`[dim][lanes]`).
    pub fn state(&self) -> &[f64] {
        &self.y
    }

    /// The current states, SoA, writable.
    pub fn state_mut(&mut self) -> &mut [f64] {
        &mut self.y
    }

    /// The states before the last [`Rk4Lanes::step`], SoA (unspecified before the first step).
    pub fn previous(&self) -> &[f64] {
        &self.next
    }

    /// Set the states from `rows` (row-major `[lanes, dim]`, `lanes * dim` numbers).
    ///
    /// # Panics
    /// If `rows` is shorter than `lanes * dim`.
    pub fn load_rows(&mut self, rows: &[f64]) {
        let (dim, lanes) = (self.dim, self.lanes);
        for (i, row) in rows[..lanes * dim].chunks_exact(dim).enumerate() {
            for (d, v) in row.iter().enumerate() {
                self.y[d * lanes + i] = *v;
            }
        }
    }

    /// Write the states into `rows` (row-major `[lanes, dim]`).
    ///
    /// # Panics
    /// If `rows` is shorter than `lanes * dim`.
    pub fn store_rows(&self, rows: &mut [f64]) {
        let (dim, lanes) = (self.dim, self.lanes);
        for (i, row) in rows[..lanes * dim].chunks_exact_mut(dim).enumerate() {
            for (d, v) in row.iter_mut().enumerate() {
                *v = self.y[d * lanes + i];
            }
        }
    }

    /// Whether every component of every state is finite.
    pub fn all_finite(&self) -> bool {
        self.y.iter().fold(true, |ok, v| ok & v.is_finite())
    }

    /// `n_steps` RK4 steps of size `h` from time `t0` (step `k` starts at `t0 + k h`), calling
    /// `after_step(k + 1, previous, current)` (SoA states) after each: the place to store or
    /// interpolate outputs. On x86-64 CPUs with AVX2 the whole loop, `after_step` and (for a
    /// concrete system type) the right-hand side are compiled for AVX2 (4 `f64` per instruction),
    /// chosen at run time: the same operations in the same order (no fused multiply-adds: Rust
    /// never contracts `a * b + c`), so the same numbers. An AVX-512F build was measured slower
    /// on an AVX-512 AMD EPYC (RK4 alone, 320 states x 5120 steps: median 3.5 ms against AVX2's
    /// 2.9 ms, `BENCHMARKS.md`) and is not kept.
    pub fn run<S, F>(&mut self, system: &S, t0: f64, h: f64, n_steps: usize, after_step: F)
    where
        S: System + ?Sized,
        F: FnMut(usize, &[f64], &[f64]),
    {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { self.run_avx2(system, t0, h, n_steps, after_step) };
            return;
        }
        self.run_plain(system, t0, h, n_steps, after_step);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2<S, F>(&mut self, system: &S, t0: f64, h: f64, n_steps: usize, after_step: F)
    where
        S: System + ?Sized,
        F: FnMut(usize, &[f64], &[f64]),
    {
        self.run_plain(system, t0, h, n_steps, after_step);
    }

    #[inline(always)]
    fn run_plain<S, F>(&mut self, system: &S, t0: f64, h: f64, n_steps: usize, mut after_step: F)
    where
        S: System + ?Sized,
        F: FnMut(usize, &[f64], &[f64]),
    {
        for k in 0..n_steps {
            self.step(system, t0 + k as f64 * h, h);
            after_step(k + 1, &self.next, &self.y);
        }
    }

    /// Advance every state by one RK4 step of size `h` from time `t`.
    #[inline(always)]
    pub fn step<S: System + ?Sized>(&mut self, system: &S, t: f64, h: f64) {
        let lanes = self.lanes;
        let half = 0.5 * h;
        let sixth = h / 6.0;
        let Rk4Lanes {
            y,
            next,
            acc,
            k,
            tmp,
            ..
        } = self;
        system.rhs_batch(t, lanes, y, acc); // k1
        for ((x, &yi), &ki) in tmp.iter_mut().zip(y.iter()).zip(acc.iter()) {
            *x = yi + half * ki;
        }
        system.rhs_batch(t + half, lanes, tmp, k); // k2
        for (((x, a), &yi), &ki) in tmp
            .iter_mut()
            .zip(acc.iter_mut())
            .zip(y.iter())
            .zip(k.iter())
        {
            *a += 2.0 * ki;
            *x = yi + half * ki;
        }
        system.rhs_batch(t + half, lanes, tmp, k); // k3
        for (((x, a), &yi), &ki) in tmp
            .iter_mut()
            .zip(acc.iter_mut())
            .zip(y.iter())
            .zip(k.iter())
        {
            *a += 2.0 * ki;
            *x = yi + h * ki;
        }
        system.rhs_batch(t + h, lanes, tmp, k); // k4
        for (((n, &a), &yi), &ki) in next.iter_mut().zip(acc.iter()).zip(y.iter()).zip(k.iter()) {
            *n = yi + sixth * (a + ki);
        }
        std::mem::swap(y, next);
    }
}

/// States per batch for `n` states on the current rayon pool: about four batches per thread
/// (balance), 8 to 256 states each (SIMD width, stage buffers in L1/L2).
pub fn lanes_per_batch(n: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    n.div_ceil(4 * threads).clamp(8, 256).min(n.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::builtin::{Cubic, Harmonic, Hopf, Hyperbolic, Lorenz, VanDerPol};

    /// The scalar RK4 of the module docs, state by state.
    fn scalar_step<S: System + ?Sized>(system: &S, t: f64, h: f64, y: &mut [f64]) {
        let n = y.len();
        let (mut k1, mut k2, mut k3, mut k4, mut tmp) = (
            vec![0.0; n],
            vec![0.0; n],
            vec![0.0; n],
            vec![0.0; n],
            vec![0.0; n],
        );
        system.rhs(t, y, &mut k1);
        for i in 0..n {
            tmp[i] = y[i] + 0.5 * h * k1[i];
        }
        system.rhs(t + 0.5 * h, &tmp, &mut k2);
        for i in 0..n {
            tmp[i] = y[i] + 0.5 * h * k2[i];
        }
        system.rhs(t + 0.5 * h, &tmp, &mut k3);
        for i in 0..n {
            tmp[i] = y[i] + h * k3[i];
        }
        system.rhs(t + h, &tmp, &mut k4);
        for i in 0..n {
            y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }

    /// 200 steps of 13 lanes by `step` and by `run` (the run-time choice of AVX2 /
    /// plain code, with the system's right-hand side inlined when its type is known) against
    /// the scalar loop, bit for bit.
    fn check_lanes<S: System + ?Sized>(system: &S, h: f64) {
        let dim = system.dim();
        let lanes = 13;
        let rows: Vec<f64> = (0..lanes * dim)
            .map(|i| ((i * 7919) % 23) as f64 / 11.5 - 1.0)
            .collect();
        let mut want = rows.clone();
        for s in 0..200 {
            for row in want.chunks_mut(dim) {
                scalar_step(system, s as f64 * h, h, row);
            }
        }
        let mut by_step = Rk4Lanes::new(dim, lanes);
        by_step.load_rows(&rows);
        for s in 0..200 {
            by_step.step(system, s as f64 * h, h);
        }
        let mut by_run = Rk4Lanes::new(dim, lanes);
        by_run.load_rows(&rows);
        let mut calls = 0;
        by_run.run(system, 0.0, h, 200, |k, _, _| {
            calls += 1;
            assert_eq!(k, calls);
        });
        assert_eq!(calls, 200);
        for rk in [&by_step, &by_run] {
            let mut got = vec![0.0; lanes * dim];
            rk.store_rows(&mut got);
            assert_eq!(got, want, "dim {dim}, h {h}");
            assert!(rk.all_finite());
        }
    }

    #[test]
    fn lanes_equal_the_scalar_loop_bit_for_bit_on_every_system() {
        check_lanes(&Hyperbolic::default(), 0.01);
        check_lanes(&Cubic, 0.01);
        check_lanes(&VanDerPol::default(), 0.01);
        check_lanes(&Hopf, 0.01);
        check_lanes(&Lorenz::default(), 0.0005);
        check_lanes(&Harmonic, 0.001);
        // through `&dyn System` (the batched right-hand side not inlined)
        let systems: Vec<(Box<dyn System>, f64)> = vec![
            (Box::new(Hyperbolic::default()), 0.01),
            (Box::new(Cubic), 0.01),
            (Box::new(VanDerPol::default()), 0.01),
            (Box::new(Hopf), 0.01),
            (Box::new(Lorenz::default()), 0.0005),
            (Box::new(Harmonic), 0.001),
        ];
        for (system, h) in systems {
            check_lanes(system.as_ref(), h);
        }
    }

    /// A system without a batched right-hand side: the trait's default gathers states.
    struct Decay;
    impl System for Decay {
        fn dim(&self) -> usize {
            1
        }
        fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
            dy[0] = -y[0] * (1.0 + t);
        }
    }

    #[test]
    fn the_default_batched_rhs_equals_the_scalar_one() {
        let mut rk = Rk4Lanes::new(1, 3);
        rk.load_rows(&[1.0, 2.0, -0.5]);
        let mut want = [1.0, 2.0, -0.5];
        for s in 0..50 {
            rk.step(&Decay, s as f64 * 0.02, 0.02);
            for y in want.chunks_mut(1) {
                scalar_step(&Decay, s as f64 * 0.02, 0.02, y);
            }
        }
        let mut got = [0.0; 3];
        rk.store_rows(&mut got);
        assert_eq!(got, want);
        // y' = -(1 + t) y: y(1) = y0 exp(-1.5)
        assert!((got[0] - (-1.5f64).exp()).abs() < 1e-8);
    }
}
