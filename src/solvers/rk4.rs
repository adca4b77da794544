//! Classic fixed-step Runge-Kutta 4, batched over rows (the hybrid NN + RK4 stepper's fine solver).
//!
//! One step of size `h`:
//! `k1 = f(t, y)`, `k2 = f(t + h/2, y + h/2 k1)`, `k3 = f(t + h/2, y + h/2 k2)`,
//! `k4 = f(t + h, y + h k3)`, `y_next = y + h/6 (k1 + 2 k2 + 2 k3 + k4)`:
//! global error `O(h^4)`. Rows are independent states; trajectories run in parallel (rayon),
//! each exactly as a serial loop, so results do not depend on the thread count.

use crate::{Error, Result, SolverError, System};
use ndarray::{Array3, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

/// Scratch vectors for one RK4 step of a `dim`-dimensional state.
struct Rk4Work {
    k1: Vec<f64>,
    k2: Vec<f64>,
    k3: Vec<f64>,
    k4: Vec<f64>,
    tmp: Vec<f64>,
}

impl Rk4Work {
    fn new(dim: usize) -> Self {
        Rk4Work {
            k1: vec![0.0; dim],
            k2: vec![0.0; dim],
            k3: vec![0.0; dim],
            k4: vec![0.0; dim],
            tmp: vec![0.0; dim],
        }
    }

    /// Advance `y` in place by one step from time `t`; false if the result is not finite.
    #[inline]
    fn step(&mut self, system: &dyn System, t: f64, h: f64, y: &mut [f64]) -> bool {
        let half = 0.5 * h;
        let Rk4Work {
            k1,
            k2,
            k3,
            k4,
            tmp,
        } = self;
        system.rhs(t, y, k1);
        for ((x, yi), k) in tmp.iter_mut().zip(y.iter()).zip(k1.iter()) {
            *x = yi + half * k;
        }
        system.rhs(t + half, tmp, k2);
        for ((x, yi), k) in tmp.iter_mut().zip(y.iter()).zip(k2.iter()) {
            *x = yi + half * k;
        }
        system.rhs(t + half, tmp, k3);
        for ((x, yi), k) in tmp.iter_mut().zip(y.iter()).zip(k3.iter()) {
            *x = yi + h * k;
        }
        system.rhs(t + h, tmp, k4);
        let sixth = h / 6.0;
        let mut finite = true;
        for (i, yi) in y.iter_mut().enumerate() {
            *yi += sixth * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            finite &= yi.is_finite();
        }
        finite
    }
}

fn check_step(h: f64) -> Result<()> {
    if !(h.is_finite() && h != 0.0) {
        return Err(Error::invalid(
            "h",
            format!("RK4 step must be finite and non-zero, got {h}"),
        ));
    }
    Ok(())
}

/// One RK4 step of size `h` from time `t` for every row of `ys` (`[n, dim]`), in place.
pub fn rk4_step_batch(
    system: &dyn System,
    t: f64,
    h: f64,
    mut ys: ArrayViewMut2<f64>,
) -> Result<()> {
    check_step(h)?;
    let dim = system.dim();
    super::check_states("RK4 states", ys.shape(), dim)?;
    let mut work = Rk4Work::new(dim);
    let mut row_buf = vec![0.0; dim];
    for mut row in ys.rows_mut() {
        for (b, v) in row_buf.iter_mut().zip(row.iter()) {
            *b = *v;
        }
        if !work.step(system, t, h, &mut row_buf) {
            return Err(SolverError::NonFinite { t: t + h }.into());
        }
        for (v, b) in row.iter_mut().zip(row_buf.iter()) {
            *v = *b;
        }
    }
    Ok(())
}

/// `n_steps` classic RK4 steps of size `h` from each row of `y0s` (`[n, dim]`), starting at
/// `t = 0`; returns `[n, n_steps + 1, dim]` with the initial states at index 0.
///
/// ```
/// use hits::solvers::rk4_trajectories;
/// use hits::systems::Harmonic;
/// # fn main() -> hits::Result<()> {
/// let y0s = ndarray::array![[0.0, 1.0]];
/// let ys = rk4_trajectories(&Harmonic, y0s.view(), 0.01, 100)?;
/// assert_eq!(ys.shape(), &[1, 101, 2]);
/// assert!((ys[[0, 100, 0]] - 1f64.sin()).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn rk4_trajectories(
    system: &dyn System,
    y0s: ArrayView2<f64>,
    h: f64,
    n_steps: usize,
) -> Result<Array3<f64>> {
    check_step(h)?;
    let dim = system.dim();
    super::check_states("initial states y0s", y0s.shape(), dim)?;
    let n = y0s.nrows();
    let per = (n_steps + 1) * dim;
    let mut out = vec![0.0; n * per];
    if dim > 0 {
        out.par_chunks_mut(per)
            .enumerate()
            .try_for_each(|(r, traj)| {
                let mut work = Rk4Work::new(dim);
                let mut y: Vec<f64> = y0s.row(r).to_vec();
                traj[..dim].copy_from_slice(&y);
                for k in 0..n_steps {
                    let t = k as f64 * h;
                    if !work.step(system, t, h, &mut y) {
                        return Err(Error::from(SolverError::NonFinite { t: t + h }));
                    }
                    traj[(k + 1) * dim..(k + 2) * dim].copy_from_slice(&y);
                }
                Ok(())
            })?;
    }
    Array3::from_shape_vec((n, n_steps + 1, dim), out).map_err(|e| {
        Error::shape(
            "RK4 trajectories",
            format!("[{n}, {}, {dim}]", n_steps + 1),
            e.to_string(),
        )
    })
}
