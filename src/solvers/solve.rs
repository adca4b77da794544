//! The RK45 loop: scipy's `solve_ivp(method='RK45', t_eval=...)` joining step, controller and
//! interpolant.
//!
//! Each iteration makes one accepted step `t_old -> t` (retrying with smaller steps while the
//! controller rejects), clipped so that it never passes `t_bound`. The `t_eval` points `s` not yet
//! produced with `s <= t` (`s >= t` backwards) are then evaluated with that step's dense output:
//! so a point equal to `t0` comes from the first step at `x = 0` (exactly `y0`), and a point equal
//! to a step's end from that step at `x = 1`. `t_eval` never influences the steps taken.
//!
//! Failure: the step size falling under `10 ulp(t)` ends with
//! [`SolverError::StepSizeTooSmall`], or [`SolverError::NonFinite`] when the last trial errors
//! were NaN or infinite (scipy keeps shrinking the step on NaN too, and so do we before giving up).

use super::controller::{select_initial_step, Controller};
use super::dense::DenseOutput;
use super::step::{error_norm, rk_step, Stages};
use super::tableau::{DOPRI5, ERROR_ESTIMATOR_ORDER};
use super::{Solution, Stats, Tolerances};
use crate::{Error, Result, SolverError, System};

/// Solve `y' = f(t, y)`, `y(t_span.0) = y0` with scipy's RK45 and return the solution at `t_eval`.
///
/// The algorithm, and the float operations, are those of
/// `scipy.integrate.solve_ivp(f, t_span, y0, method='RK45', t_eval=t_eval, rtol=.., atol=..)`.
/// `t_eval` must lie in `t_span` and be strictly monotone in the direction of integration
/// (increasing if `t_span.1 > t_span.0`). An empty `t_eval` still integrates (for [`Stats`]).
///
/// ```
/// use hits::solvers::{solve_ivp, Tolerances};
/// use hits::problem::builtin::Harmonic;
/// # fn main() -> hits::Result<()> {
/// let t_eval: Vec<f64> = (0..=10).map(|i| 0.1 * i as f64).collect();
/// let sol = solve_ivp(&Harmonic, (0.0, 1.0), &[0.0, 1.0], &t_eval, Tolerances::new(1e-10, 1e-12))?;
/// assert!((sol.y[[10, 0]] - 1f64.sin()).abs() < 1e-9);
/// assert_eq!(sol.y.shape(), &[11, 2]);
/// # Ok(())
/// # }
/// ```
pub fn solve_ivp(
    system: &dyn System,
    t_span: (f64, f64),
    y0: &[f64],
    t_eval: &[f64],
    tol: Tolerances,
) -> Result<Solution> {
    let n = system.dim();
    let mut out = vec![0.0; t_eval.len() * n];
    let stats = solve_into(system, t_span, y0, t_eval, tol, &mut out)?;
    let y = ndarray::Array2::from_shape_vec((t_eval.len(), n), out).map_err(|e| {
        Error::shape(
            "solution",
            format!("[{}, {n}]", t_eval.len()),
            e.to_string(),
        )
    })?;
    Ok(Solution {
        t: t_eval.to_vec(),
        y,
        stats,
    })
}

/// Check `t_eval` against `t_span` as scipy does.
pub(crate) fn check_t_eval(t_span: (f64, f64), t_eval: &[f64]) -> Result<()> {
    let (t0, tf) = t_span;
    let (lo, hi) = (t0.min(tf), t0.max(tf));
    if let Some((i, s)) = t_eval
        .iter()
        .enumerate()
        .find(|(_, s)| !(**s >= lo && **s <= hi))
    {
        return Err(SolverError::InvalidTEval {
            msg: format!("t_eval[{i}] = {s} is not within t_span [{t0}, {tf}]"),
        }
        .into());
    }
    let forward = tf >= t0;
    for (i, w) in t_eval.windows(2).enumerate() {
        let ok = if forward { w[1] > w[0] } else { w[1] < w[0] };
        if !ok {
            let how = if forward {
                "strictly increasing"
            } else {
                "strictly decreasing (t_span runs backwards)"
            };
            return Err(SolverError::InvalidTEval {
                msg: format!(
                    "values must be {how}, but t_eval[{}] = {} follows t_eval[{i}] = {}",
                    i + 1,
                    w[1],
                    w[0]
                ),
            }
            .into());
        }
    }
    Ok(())
}

/// Check the system, initial state and time span.
pub(crate) fn check_problem(system: &dyn System, t_span: (f64, f64), y0: &[f64]) -> Result<()> {
    let n = system.dim();
    if n == 0 {
        return Err(Error::invalid("system", "dimension must be positive"));
    }
    if y0.len() != n {
        return Err(Error::invalid(
            "y0",
            format!(
                "length {} does not match the system dimension {n}",
                y0.len()
            ),
        ));
    }
    if let Some((i, v)) = y0.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::invalid("y0", format!("y0[{i}] = {v} is not finite")));
    }
    if !t_span.0.is_finite() || !t_span.1.is_finite() {
        return Err(Error::invalid(
            "t_span",
            format!("({}, {}) must be finite", t_span.0, t_span.1),
        ));
    }
    Ok(())
}

/// [`solve_ivp`] writing `[t_eval.len(), dim]` row-major into `out`; returns the statistics.
pub(crate) fn solve_into(
    system: &dyn System,
    t_span: (f64, f64),
    y0: &[f64],
    t_eval: &[f64],
    tol: Tolerances,
    out: &mut [f64],
) -> Result<Stats> {
    check_problem(system, t_span, y0)?;
    check_t_eval(t_span, t_eval)?;
    let tol = tol.validated()?;
    let n = system.dim();
    if out.len() != t_eval.len() * n {
        return Err(Error::shape(
            "output buffer",
            format!("{}", t_eval.len() * n),
            format!("{}", out.len()),
        ));
    }
    let (t0, t_bound) = t_span;
    let direction = if t_bound != t0 {
        (t_bound - t0).signum()
    } else {
        1.0
    };
    let max_step = f64::INFINITY;
    let tab = &DOPRI5;
    let controller = Controller::new(ERROR_ESTIMATOR_ORDER);
    let mut stats = Stats::default();

    let mut t = t0;
    let mut y = y0.to_vec();
    let mut f = vec![0.0; n];
    system.rhs(t, &y, &mut f);
    stats.n_rhs += 1;
    if f.iter().any(|v| !v.is_finite()) {
        return Err(SolverError::NonFinite { t }.into());
    }
    let (mut h_abs, evals) = select_initial_step(
        system,
        t,
        &y,
        &f,
        t_bound,
        max_step,
        direction,
        ERROR_ESTIMATOR_ORDER,
        tol,
    );
    stats.n_rhs += evals;

    if t == t_bound {
        // scipy: no step, a constant interpolant; every t_eval point equals t0.
        for row in out.chunks_exact_mut(n) {
            row.copy_from_slice(&y);
        }
        return Ok(stats);
    }

    let mut stages = Stages::new(n);
    let mut y_new = vec![0.0; n];
    let mut dense = DenseOutput::new(tab, t, t, &y, &stages);
    let mut next_eval = 0;
    loop {
        // scipy RungeKutta._step_impl
        let min_step = 10.0 * (next_toward(t, direction) - t).abs();
        if h_abs > max_step {
            h_abs = max_step;
        } else if h_abs < min_step {
            h_abs = min_step;
        }
        let mut step_rejected = false;
        let mut last_error = 0.0f64;
        let t_new = loop {
            if h_abs < min_step {
                return Err(if last_error.is_finite() {
                    SolverError::StepSizeTooSmall { t, h: h_abs }
                } else {
                    SolverError::NonFinite { t }
                }
                .into());
            }
            let mut h = h_abs * direction;
            let mut t_new = t + h;
            if direction * (t_new - t_bound) > 0.0 {
                t_new = t_bound;
            }
            h = t_new - t;
            h_abs = h.abs();
            rk_step(system, tab, t, &y, &f, h, &mut stages, &mut y_new);
            stats.n_rhs += 6;
            last_error = error_norm(tab, &stages, h, &y, &y_new, tol);
            let decision = controller.adapt(last_error, step_rejected);
            h_abs *= decision.factor;
            if decision.accept {
                stats.n_accepted += 1;
                break t_new;
            }
            step_rejected = true;
            stats.n_rejected += 1;
        };

        // scipy solve_ivp: the t_eval points reached by this step, from its dense output
        let mut end = next_eval;
        while end < t_eval.len() && direction * (t_eval[end] - t_new) <= 0.0 {
            end += 1;
        }
        if end > next_eval {
            dense.reset(tab, t, t_new, &y, &stages);
            dense.eval_into(&t_eval[next_eval..end], &mut out[next_eval * n..end * n]);
            next_eval = end;
        }

        std::mem::swap(&mut y, &mut y_new);
        f.copy_from_slice(stages.stage(6));
        t = t_new;
        if direction * (t - t_bound) >= 0.0 {
            return Ok(stats);
        }
    }
}

/// `np.nextafter(t, direction * inf)` for finite `t`.
fn next_toward(t: f64, direction: f64) -> f64 {
    if !t.is_finite() {
        return t;
    }
    if t == 0.0 {
        let tiny = f64::from_bits(1);
        return if direction > 0.0 { tiny } else { -tiny };
    }
    let bits = t.to_bits();
    let away_from_zero = (t > 0.0) == (direction > 0.0);
    f64::from_bits(if away_from_zero { bits + 1 } else { bits - 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_toward_matches_nextafter() {
        assert_eq!(next_toward(1.0, 1.0), 1.0 + f64::EPSILON);
        assert_eq!(next_toward(1.0, -1.0), 1.0 - f64::EPSILON / 2.0);
        assert_eq!(next_toward(-1.0, -1.0), -1.0 - f64::EPSILON);
        assert_eq!(next_toward(0.0, -1.0), -f64::from_bits(1));
    }
}
