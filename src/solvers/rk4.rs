//! Classic fixed-step Runge-Kutta 4, batched over rows (the hybrid NN + RK4 stepper's fine solver).
//!
//! One step of size `h`:
//! `k1 = f(t, y)`, `k2 = f(t + h/2, y + h/2 k1)`, `k3 = f(t + h/2, y + h/2 k2)`,
//! `k4 = f(t + h, y + h k3)`, `y_next = y + h/6 (k1 + 2 k2 + 2 k3 + k4)`:
//! global error `O(h^4)`. Rows are independent states, integrated in vectorised batches
//! ([`super::Rk4Lanes`]), batches in parallel (rayon); every row sees exactly the operations of a
//! serial scalar loop, so results depend neither on the batch size nor on the thread count.

use super::rk4_batch::{lanes_per_batch, Rk4Lanes};
use crate::{Error, Result, SolverError, System};
use ndarray::{Array3, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

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
pub fn rk4_step_batch<S: System + ?Sized>(
    system: &S,
    t: f64,
    h: f64,
    mut ys: ArrayViewMut2<f64>,
) -> Result<()> {
    check_step(h)?;
    let dim = system.dim();
    super::check_states("RK4 states", ys.shape(), dim)?;
    let n = ys.nrows();
    if n == 0 || dim == 0 {
        return Ok(());
    }
    let mut rows: Vec<f64> = ys.iter().copied().collect();
    let mut rk = Rk4Lanes::new(dim, n);
    rk.load_rows(&rows);
    rk.step(system, t, h);
    if !rk.all_finite() {
        return Err(SolverError::NonFinite { t: t + h }.into());
    }
    rk.store_rows(&mut rows);
    for (v, r) in ys.iter_mut().zip(&rows) {
        *v = *r;
    }
    Ok(())
}

/// `n_steps` classic RK4 steps of size `h` from each row of `y0s` (`[n, dim]`), starting at
/// `t = 0`; returns `[n, n_steps + 1, dim]` with the initial states at index 0.
///
/// ```
/// use hits::solvers::rk4_trajectories;
/// use hits::problem::builtin::Harmonic;
/// # fn main() -> hits::Result<()> {
/// let y0s = ndarray::array![[0.0, 1.0]];
/// let ys = rk4_trajectories(&Harmonic, y0s.view(), 0.01, 100)?;
/// assert_eq!(ys.shape(), &[1, 101, 2]);
/// assert!((ys[[0, 100, 0]] - 1f64.sin()).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn rk4_trajectories<S: System + ?Sized>(
    system: &S,
    y0s: ArrayView2<f64>,
    h: f64,
    n_steps: usize,
) -> Result<Array3<f64>> {
    check_step(h)?;
    let dim = system.dim();
    super::check_states("initial states y0s", y0s.shape(), dim)?;
    let n = y0s.nrows();
    let per = (n_steps + 1) * dim;
    let y0s = y0s.as_standard_layout();
    let y0s = y0s.as_slice().unwrap_or_default();
    let mut out = vec![0.0; n * per];
    if dim > 0 && n > 0 {
        let lanes = lanes_per_batch(n);
        out.par_chunks_mut(lanes * per)
            .zip(y0s.par_chunks(lanes * dim))
            .try_for_each(|(traj, rows)| {
                let m = rows.len() / dim;
                let mut rk = Rk4Lanes::new(dim, m);
                rk.load_rows(rows);
                for (i, row) in rows.chunks_exact(dim).enumerate() {
                    traj[i * per..i * per + dim].copy_from_slice(row);
                }
                rk.run(system, 0.0, h, n_steps, |k, _, y| {
                    for (i, dst) in traj.chunks_exact_mut(per).enumerate() {
                        for (d, v) in dst[k * dim..(k + 1) * dim].iter_mut().enumerate() {
                            *v = y[d * m + i];
                        }
                    }
                });
                if rk.all_finite() {
                    return Ok(());
                }
                // Non-finite values stay non-finite: report the first step that produced one.
                let first = (1..=n_steps)
                    .find(|&k| {
                        (0..m).any(|i| {
                            traj[i * per + k * dim..][..dim]
                                .iter()
                                .any(|v| !v.is_finite())
                        })
                    })
                    .unwrap_or(n_steps);
                Err(Error::from(SolverError::NonFinite {
                    t: first as f64 * h,
                }))
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
