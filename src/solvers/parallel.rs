//! Many independent RK45 solves in parallel (rayon, one trajectory per task).
//!
//! Every trajectory is exactly [`super::solve_ivp`] from its own initial state, so the result
//! does not depend on the number of threads (`RAYON_NUM_THREADS`).

use super::solve::{check_t_eval, solve_into};
use super::Tolerances;
use crate::{Error, Result, System};
use ndarray::{Array3, ArrayView2};
use rayon::prelude::*;

/// Solve from each row of `y0s` (`[n, dim]`) with [`super::solve_ivp`], in parallel.
///
/// Returns the states `[n, t_eval.len(), dim]`; the first failure (in trajectory order of
/// discovery) is returned as the error.
///
/// ```
/// use hits::solvers::{solve_ivp_many, Tolerances};
/// use hits::problem::builtin::Harmonic;
/// # fn main() -> hits::Result<()> {
/// let y0s = ndarray::array![[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]];
/// let t_eval = [0.0, 0.5, 1.0];
/// let ys = solve_ivp_many(&Harmonic, (0.0, 1.0), y0s.view(), &t_eval, Tolerances::new(1e-10, 1e-12))?;
/// assert_eq!(ys.shape(), &[3, 3, 2]);
/// assert!((ys[[0, 2, 0]] - 1f64.sin()).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn solve_ivp_many(
    system: &dyn System,
    t_span: (f64, f64),
    y0s: ArrayView2<f64>,
    t_eval: &[f64],
    tol: Tolerances,
) -> Result<Array3<f64>> {
    let dim = system.dim();
    super::check_states("initial states y0s", y0s.shape(), dim)?;
    check_t_eval(t_span, t_eval)?;
    tol.validated()?;
    let n = y0s.nrows();
    let per = t_eval.len() * dim;
    let mut out = vec![0.0; n * per];
    if per > 0 {
        out.par_chunks_mut(per)
            .enumerate()
            .try_for_each(|(i, chunk)| {
                let y0: Vec<f64> = y0s.row(i).to_vec();
                solve_into(system, t_span, &y0, t_eval, tol, chunk).map(|_| ())
            })?;
    } else {
        (0..n).into_par_iter().try_for_each(|i| {
            let y0: Vec<f64> = y0s.row(i).to_vec();
            solve_into(system, t_span, &y0, t_eval, tol, &mut []).map(|_| ())
        })?;
    }
    Array3::from_shape_vec((n, t_eval.len(), dim), out).map_err(|e| {
        Error::shape(
            "solutions",
            format!("[{n}, {}, {dim}]", t_eval.len()),
            e.to_string(),
        )
    })
}
