//! Step-size control as in scipy's `RungeKutta._step_impl` and `select_initial_step`.
//!
//! A step with error norm `e < 1` is accepted and the next step is scaled by
//! `min(MAX_FACTOR, SAFETY e^(-1/(q+1)))` (`MAX_FACTOR` if `e = 0`), where `q` is the order of
//! the error estimator (4 for RK45); after a rejection within the same step the factor is capped
//! at 1. A step with `e >= 1` (or NaN) is retried with `h max(MIN_FACTOR, SAFETY e^(-1/(q+1)))`.
//!
//! The first step follows Hairer, Norsett & Wanner, *Solving ODEs I*, Sec. II.4:
//! with `sc = atol + |y0| rtol`, `d0 = ||y0/sc||`, `d1 = ||f0/sc||`,
//! `h0 = 0.01 d0/d1` (or `1e-6` if `d0` or `d1 < 1e-5`), one explicit Euler trial
//! `f1 = f(t0 + h0, y0 + h0 f0)`, `d2 = ||(f1 - f0)/sc|| / h0`,
//! `h1 = (0.01 / max(d1, d2))^(1/(q+1))` (or `max(1e-6, 1e-3 h0)` if both are tiny), and
//! `h = min(100 h0, h1, |t_bound - t0|, max_step)`.

use super::order::rms_norm;
use super::Tolerances;
use crate::System;

/// Factor applied to the asymptotically optimal step.
pub const SAFETY: f64 = 0.9;
/// Smallest factor by which a step may shrink after a rejection.
pub const MIN_FACTOR: f64 = 0.2;
/// Largest factor by which a step may grow.
pub const MAX_FACTOR: f64 = 10.0;

/// The decision on a trial step: accepted or not, and the factor for the next step size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Whether the step is accepted.
    pub accept: bool,
    /// Multiply `|h|` by this for the next trial.
    pub factor: f64,
}

/// scipy's step-size controller for an error estimator of order `q`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Controller {
    /// `-1 / (q + 1)`.
    pub error_exponent: f64,
}

impl Controller {
    /// Controller for an error estimator of order `q` (4 for RK45).
    pub fn new(error_estimator_order: i32) -> Self {
        Controller {
            error_exponent: -1.0 / f64::from(error_estimator_order + 1),
        }
    }

    /// Accept or reject a trial step with scaled error norm `error_norm`; `step_rejected` says
    /// whether a trial of the same step was already rejected.
    pub fn adapt(&self, error_norm: f64, step_rejected: bool) -> Decision {
        if error_norm < 1.0 {
            let mut factor = if error_norm == 0.0 {
                MAX_FACTOR
            } else {
                MAX_FACTOR.min(SAFETY * error_norm.powf(self.error_exponent))
            };
            if step_rejected {
                factor = factor.min(1.0);
            }
            Decision {
                accept: true,
                factor,
            }
        } else {
            // Python's max(MIN_FACTOR, nan) is MIN_FACTOR, as is f64::max.
            let factor = MIN_FACTOR.max(SAFETY * error_norm.powf(self.error_exponent));
            Decision {
                accept: false,
                factor,
            }
        }
    }
}

/// scipy's `select_initial_step`: a first step size for `y' = f(t, y)` from `(t0, y0)` with
/// `f0 = f(t0, y0)`, towards `t_bound` in `direction` (+1 or -1). Returns the step and the number
/// of right-hand-side evaluations made (0 or 1).
#[allow(clippy::too_many_arguments)]
pub fn select_initial_step(
    system: &dyn System,
    t0: f64,
    y0: &[f64],
    f0: &[f64],
    t_bound: f64,
    max_step: f64,
    direction: f64,
    error_estimator_order: i32,
    tol: Tolerances,
) -> (f64, usize) {
    let n = y0.len();
    if n == 0 {
        return (f64::INFINITY, 0);
    }
    let interval_length = (t_bound - t0).abs();
    if interval_length == 0.0 {
        return (0.0, 0);
    }
    let scale: Vec<f64> = y0.iter().map(|v| tol.atol + v.abs() * tol.rtol).collect();
    let d0 = rms_norm(n, |i| y0[i] / scale[i]);
    let d1 = rms_norm(n, |i| f0[i] / scale[i]);
    let mut h0 = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    };
    h0 = py_min(h0, interval_length);
    let y1: Vec<f64> = (0..n).map(|i| y0[i] + h0 * direction * f0[i]).collect();
    let mut f1 = vec![0.0; n];
    system.rhs(t0 + h0 * direction, &y1, &mut f1);
    let d2 = rms_norm(n, |i| (f1[i] - f0[i]) / scale[i]) / h0;
    let h1 = if d1 <= 1e-15 && d2 <= 1e-15 {
        py_max(1e-6, h0 * 1e-3)
    } else {
        (0.01 / py_max(d1, d2)).powf(1.0 / f64::from(error_estimator_order + 1))
    };
    let h = py_min(py_min(py_min(100.0 * h0, h1), interval_length), max_step);
    (h, 1)
}

/// Python's `min(a, b)`: `b` if `b < a`, else `a`.
#[inline]
fn py_min(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// Python's `max(a, b)`: `b` if `b > a`, else `a`.
#[inline]
fn py_max(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::builtin::Harmonic;

    #[test]
    fn controller_follows_scipy_rules() {
        let c = Controller::new(4);
        assert_eq!(c.error_exponent, -0.2);
        let d = c.adapt(0.0, false);
        assert_eq!(
            d,
            Decision {
                accept: true,
                factor: 10.0
            }
        );
        let d = c.adapt(0.5, false);
        assert!(d.accept && (d.factor - 0.9 * 0.5f64.powf(-0.2)).abs() < 1e-15);
        // after a rejection the step may not grow
        assert_eq!(c.adapt(0.5, true).factor, 1.0);
        let d = c.adapt(2.0, false);
        assert!(!d.accept && (d.factor - 0.9 * 2f64.powf(-0.2)).abs() < 1e-15);
        assert_eq!(c.adapt(1e10, false).factor, MIN_FACTOR);
        assert_eq!(
            c.adapt(f64::NAN, false),
            Decision {
                accept: false,
                factor: MIN_FACTOR
            }
        );
    }

    #[test]
    fn initial_step_uses_the_documented_branches() {
        let tol = Tolerances::scipy_default();
        // y0 = 0 and f0 = 0: d0, d1 < 1e-5 -> h0 = 1e-6; d1 = d2 = 0 -> h1 = max(1e-6, 1e-9)
        let (h, evals) = select_initial_step(
            &Harmonic,
            0.0,
            &[0.0, 0.0],
            &[0.0, 0.0],
            10.0,
            f64::INFINITY,
            1.0,
            4,
            tol,
        );
        assert_eq!((h, evals), (1e-6, 1));
        // scipy's select_initial_step(f, 0, [1, 0], t_bound, inf, [0, -1], 1, 4, 1e-3, 1e-6) for
        // t_bound 10 and 1e-5 (the interval caps the step): 0.000999000999000999 and 1e-05
        let first = |t_bound: f64| {
            select_initial_step(
                &Harmonic,
                0.0,
                &[1.0, 0.0],
                &[0.0, -1.0],
                t_bound,
                f64::INFINITY,
                1.0,
                4,
                tol,
            )
            .0
        };
        assert_eq!(first(10.0), 0.000999000999000999);
        assert_eq!(first(1e-5), 1e-5);
        assert_eq!(
            select_initial_step(
                &Harmonic,
                1.0,
                &[1.0, 0.0],
                &[0.0, -1.0],
                1.0,
                f64::INFINITY,
                1.0,
                4,
                tol
            ),
            (0.0, 0)
        );
    }
}
