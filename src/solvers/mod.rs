//! ODE solvers: scipy-compatible adaptive RK45 and fixed-step RK4.
//!
//! [`solve_ivp`] reproduces `scipy.integrate.solve_ivp(method='RK45', t_eval=...)`, the solver
//! that made the paper's data: the Dormand-Prince 5(4) pair ([`tableau`]) stepped with local
//! extrapolation,
//!
//! `y_{n+1} = y_n + h sum_s b_s K_s`,  error `h sum_s e_s K_s`,
//!
//! accepted when the scaled RMS norm `||err / (atol + max(|y_n|, |y_{n+1}|) rtol)||` is below 1,
//! the step adapted by `0.9 ||err||^(-1/5)` within `[0.2, 10]` ([`controller`]), and the output
//! at `t_eval` taken from Shampine's quartic interpolant ([`dense`]). The same initial-step
//! heuristic, clipping at the end of the interval, `t_eval` mapping and even the order of float
//! operations (including fused multiply-adds, see `order.rs`) are used, so results agree with
//! scipy to the last bit on the paper's systems (checked against fixtures in `tests/solvers.rs`).
//!
//! | item | what |
//! |---|---|
//! | [`solve_ivp`] | one trajectory at `t_eval` -> [`Solution`] (`y`: `[t_eval.len(), dim]`) |
//! | [`solve_ivp_many`] | many initial states in parallel (rayon) -> `[n, t_eval.len(), dim]` |
//! | [`rk4_trajectories`] | classic fixed-step RK4, `[n, n_steps + 1, dim]` |
//! | [`rk4_step_batch`] | one RK4 step of every row of a `[n, dim]` batch, in place |
//! | [`Rk4Lanes`] | vectorised RK4 of many states at once (structure of arrays) |
//! | [`linspace`] | `numpy.linspace`, bit for bit, to build `t_eval` |
//!
//! Tolerances have no hidden defaults: pass [`Tolerances::scipy_default`] (rtol 1e-3,
//! atol 1e-6, what the paper used) or [`Tolerances::new`].
//!
//! ```
//! use hits::solvers::{solve_ivp, Tolerances};
//! use hits::problem::builtin::VanDerPol;
//! # fn main() -> hits::Result<()> {
//! let t_eval: Vec<f64> = (0..=100).map(|i| 0.01 * i as f64).collect();
//! let sol = solve_ivp(&VanDerPol::default(), (0.0, 1.0), &[1.0, 0.0], &t_eval, Tolerances::scipy_default())?;
//! assert_eq!(sol.y.shape(), &[101, 2]);
//! assert_eq!(sol.stats.n_rhs, 2 + 6 * (sol.stats.n_accepted + sol.stats.n_rejected));
//! # Ok(())
//! # }
//! ```

pub mod controller;
pub mod dense;
mod order;
mod parallel;
mod rk4;
mod rk4_batch;
mod solve;
pub mod step;
pub mod tableau;

pub use parallel::solve_ivp_many;
pub use rk4::{rk4_step_batch, rk4_trajectories};
pub use rk4_batch::{lanes_per_batch, Rk4Lanes};
pub use solve::solve_ivp;

use crate::{Error, Result};

/// `numpy.linspace(start, stop, num)` bit for bit: `i * ((stop - start) / (num - 1)) + start`,
/// with the last point exactly `stop` (the usual way to build `t_eval`).
///
/// ```
/// let t = hits::solvers::linspace(0.0, 51.2, 5121);
/// assert_eq!((t.len(), t[0], t[5120]), (5121, 0.0, 51.2));
/// ```
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    match num {
        0 => Vec::new(),
        1 => vec![start],
        _ => {
            let div = (num - 1) as f64;
            let delta = stop - start;
            let step = delta / div;
            let mut t: Vec<f64> = if step == 0.0 {
                (0..num).map(|i| i as f64 / div * delta + start).collect()
            } else {
                (0..num).map(|i| i as f64 * step + start).collect()
            };
            t[num - 1] = stop;
            t
        }
    }
}

/// Relative and absolute error tolerances of the adaptive solver.
///
/// A step is accepted when its estimated local error `err` satisfies
/// `||err_i / (atol + rtol max(|y_i|, |y_new_i|))||_rms < 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// Relative tolerance (scipy clamps values below `100 * f64::EPSILON` up to it; so do we).
    pub rtol: f64,
    /// Absolute tolerance (`>= 0`).
    pub atol: f64,
}

impl Tolerances {
    /// Tolerances `rtol`, `atol`.
    pub fn new(rtol: f64, atol: f64) -> Self {
        Tolerances { rtol, atol }
    }

    /// scipy's defaults, used by the paper: rtol 1e-3, atol 1e-6.
    pub fn scipy_default() -> Self {
        Tolerances {
            rtol: 1e-3,
            atol: 1e-6,
        }
    }

    /// Check the values and apply scipy's floor `rtol >= 100 eps`.
    pub fn validated(self) -> Result<Tolerances> {
        if !(self.rtol > 0.0 && self.rtol.is_finite()) {
            return Err(Error::invalid(
                "rtol",
                format!("must be positive and finite, got {}", self.rtol),
            ));
        }
        if !(self.atol >= 0.0 && self.atol.is_finite()) {
            return Err(Error::invalid(
                "atol",
                format!("must be >= 0 and finite, got {}", self.atol),
            ));
        }
        Ok(Tolerances {
            rtol: self.rtol.max(100.0 * f64::EPSILON),
            atol: self.atol,
        })
    }
}

/// Work done by a solve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Right-hand-side evaluations (scipy's `nfev`).
    pub n_rhs: usize,
    /// Accepted steps.
    pub n_accepted: usize,
    /// Rejected trial steps.
    pub n_rejected: usize,
}

/// The solution of [`solve_ivp`] at the requested times.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The times `t_eval`.
    pub t: Vec<f64>,
    /// States `[t.len(), dim]`: row `i` is `y(t[i])`.
    pub y: ndarray::Array2<f64>,
    /// Work done.
    pub stats: Stats,
}

/// Check that a batch of states is `[n, dim]`; `what` names it in the error.
pub(crate) fn check_states(what: &str, shape: &[usize], dim: usize) -> crate::Result<()> {
    if shape.get(1) != Some(&dim) {
        return Err(crate::Error::shape(
            what,
            format!("[n, {dim}]"),
            format!("{shape:?}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_are_checked() {
        assert!(Tolerances::new(0.0, 1e-6)
            .validated()
            .unwrap_err()
            .to_string()
            .contains("rtol"));
        assert!(Tolerances::new(1e-3, -1.0)
            .validated()
            .unwrap_err()
            .to_string()
            .contains("atol"));
        assert!(Tolerances::new(f64::NAN, 1.0).validated().is_err());
        assert_eq!(
            Tolerances::new(1e-20, 0.0).validated().unwrap().rtol,
            100.0 * f64::EPSILON
        );
    }
}
