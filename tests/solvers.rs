//! Solvers against scipy fixtures, analytic solutions and their error cases.
//!
//! Fixtures: `tools/make_solver_fixtures.py` (scipy `solve_ivp(method='RK45')` on the paper's
//! grids). Run with `cargo test --test solvers -- --nocapture` to see the measured agreement.

use hits::problem::builtin::{Harmonic, Hyperbolic};
use hits::problem::SystemKind;
use hits::solvers::{
    linspace, rk4_step_batch, rk4_trajectories, solve_ivp, solve_ivp_many, Tolerances,
};
use hits::{Error, SolverError, System};
use ndarray::{Array1, Array2, Array3};
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/solvers")
}

fn npy<T: ndarray_npy::ReadableElement, D: ndarray::Dimension>(name: &str) -> ndarray::Array<T, D> {
    let path = fixture_dir().join(name);
    ndarray_npy::read_npy(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Case {
    name: String,
    kind: SystemKind,
    t0: f64,
    tf: f64,
    n_points: usize,
    stride: usize,
    tol: Tolerances,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(fixture_dir().join("cases.txt")).expect("cases.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let num = |i: usize| {
                f[i].parse::<f64>()
                    .unwrap_or_else(|e| panic!("{l}: field {i}: {e}"))
            };
            Case {
                name: f[0].to_string(),
                kind: SystemKind::from_name(f[1]).expect("system name"),
                t0: num(2),
                tf: num(3),
                n_points: f[4].parse().expect("n_points"),
                stride: f[5].parse().expect("stride"),
                tol: Tolerances::new(num(6), num(7)),
            }
        })
        .collect()
}

#[test]
fn rk45_agrees_with_scipy_on_the_paper_systems() {
    let cases = cases();
    assert!(
        cases.len() >= 9,
        "expected the 9 fixture cases, found {}",
        cases.len()
    );
    let mut total = 0usize;
    let mut identical = 0usize;
    for case in &cases {
        let system = case.kind.problem().field.expect("a built-in vector field");
        let y0s: Array2<f64> = npy(&format!("{}_y0.npy", case.name));
        let t_saved: Array1<f64> = npy(&format!("{}_t.npy", case.name));
        let want: Array3<f64> = npy(&format!("{}_y.npy", case.name));
        let stats: Array2<i64> = npy(&format!("{}_stats.npy", case.name));
        let t_eval = linspace(case.t0, case.tf, case.n_points);
        let ours_saved: Vec<f64> = t_eval.iter().step_by(case.stride).copied().collect();
        assert_eq!(
            ours_saved,
            t_saved.to_vec(),
            "{}: linspace differs from numpy",
            case.name
        );

        let (mut max_abs, mut max_rel) = (0.0f64, 0.0f64);
        for (r, y0) in y0s.rows().into_iter().enumerate() {
            let sol = solve_ivp(
                system.as_ref(),
                (case.t0, case.tf),
                &y0.to_vec(),
                &t_eval,
                case.tol,
            )
            .unwrap_or_else(|e| panic!("{} #{r}: {e}", case.name));
            let s = sol.stats;
            let got_stats = [s.n_rhs as i64, s.n_accepted as i64, s.n_rejected as i64];
            assert_eq!(
                got_stats.to_vec(),
                stats.row(r).to_vec(),
                "{} #{r}: [nfev, accepted, rejected]",
                case.name
            );
            for (k, i) in (0..case.n_points).step_by(case.stride).enumerate() {
                for d in 0..system.dim() {
                    let (a, b) = (sol.y[[i, d]], want[[r, k, d]]);
                    total += 1;
                    identical += usize::from(a.to_bits() == b.to_bits());
                    let diff = (a - b).abs();
                    max_abs = max_abs.max(diff);
                    max_rel = max_rel.max(diff / b.abs().max(1e-300));
                    assert!(
                        diff <= 1e-10 * b.abs().max(1e-3),
                        "{} #{r}: y[{i}][{d}] = {a:e}, scipy {b:e}",
                        case.name
                    );
                }
            }
        }
        println!(
            "{:20} max |ours - scipy| {max_abs:.1e}, max relative {max_rel:.1e}",
            case.name
        );
    }
    println!("bit-identical to scipy: {identical} of {total} values");
    // The float operations mirror numpy/OpenBLAS (src/solvers/order.rs), so the committed fixtures
    // are reproduced exactly; tools/make_solver_fixtures.py warns if a regenerating machine's
    // OpenBLAS sums in another order (then only the 1e-10 bound above is expected to hold).
    assert_eq!(identical, total, "values not bit-identical to scipy");
}

#[test]
fn t_eval_does_not_change_the_steps() {
    let vdp = SystemKind::VanDerPol
        .problem()
        .field
        .expect("a built-in vector field");
    let tol = Tolerances::scipy_default();
    let full = solve_ivp(
        vdp.as_ref(),
        (0.0, 20.0),
        &[1.0, 2.0],
        &linspace(0.0, 20.0, 2001),
        tol,
    )
    .unwrap();
    let none = solve_ivp(vdp.as_ref(), (0.0, 20.0), &[1.0, 2.0], &[], tol).unwrap();
    let end = solve_ivp(vdp.as_ref(), (0.0, 20.0), &[1.0, 2.0], &[20.0], tol).unwrap();
    assert_eq!(full.stats, none.stats);
    assert_eq!(full.stats, end.stats);
    assert_eq!(none.y.shape(), &[0, 2]);
    // the last point: one point per step and several points per step are summed in different
    // orders (as numpy does), so agree to rounding
    for d in 0..2 {
        assert!((full.y[[2000, d]] - end.y[[0, d]]).abs() < 1e-13);
    }
}

#[test]
fn rk45_matches_analytic_solutions_at_tight_tolerance() {
    let tol = Tolerances::new(1e-10, 1e-12);
    let t_eval = linspace(0.0, 20.0, 401);
    // harmonic oscillator: a rotation
    let y0 = [0.3, -1.2];
    let sol = solve_ivp(&Harmonic, (0.0, 20.0), &y0, &t_eval, tol).unwrap();
    let mut err_h = 0.0f64;
    for (i, &t) in t_eval.iter().enumerate() {
        let exact = Harmonic.flow(y0, t);
        err_h = err_h
            .max((sol.y[[i, 0]] - exact[0]).abs())
            .max((sol.y[[i, 1]] - exact[1]).abs());
    }
    // hyperbolic fixed point: x = x0 e^{mu t}, y = (y0 - b x0^2) e^{lambda t} + b x0^2 e^{2 mu t}
    let sys = Hyperbolic::default();
    let (mu, la) = (sys.mu, sys.lambda);
    let b = la / (la - 2.0 * mu);
    let (x0, z0) = (0.8, -0.4);
    let sol = solve_ivp(&sys, (0.0, 20.0), &[x0, z0], &t_eval, tol).unwrap();
    let mut err_y = 0.0f64;
    for (i, &t) in t_eval.iter().enumerate() {
        let x = x0 * (mu * t).exp();
        let z = (z0 - b * x0 * x0) * (la * t).exp() + b * x0 * x0 * (2.0 * mu * t).exp();
        err_y = err_y
            .max((sol.y[[i, 0]] - x).abs())
            .max((sol.y[[i, 1]] - z).abs());
    }
    println!("tight RK45 max error: harmonic {err_h:.1e}, hyperbolic {err_y:.1e}");
    assert!(err_h < 1e-8, "harmonic error {err_h:e}");
    assert!(err_y < 1e-9, "hyperbolic error {err_y:e}");
    // and loose tolerances are visibly worse: the test can tell them apart
    let loose = solve_ivp(
        &Harmonic,
        (0.0, 20.0),
        &y0,
        &t_eval,
        Tolerances::scipy_default(),
    )
    .unwrap();
    let exact = Harmonic.flow(y0, 20.0);
    assert!((loose.y[[400, 0]] - exact[0]).abs() > 1e-6);
}

#[test]
fn many_equals_one_by_one() {
    let lorenz = SystemKind::Lorenz
        .problem()
        .field
        .expect("a built-in vector field");
    let y0s = ndarray::array![
        [1.0, 2.0, 20.0],
        [-5.0, 3.0, 30.0],
        [0.1, 0.1, 0.1],
        [8.0, -8.0, 27.0]
    ];
    let t_eval = linspace(0.0, 2.56, 5121);
    let tol = Tolerances::scipy_default();
    let many = solve_ivp_many(lorenz.as_ref(), (0.0, 2.56), y0s.view(), &t_eval, tol).unwrap();
    assert_eq!(many.shape(), &[4, 5121, 3]);
    for r in 0..4 {
        let one = solve_ivp(
            lorenz.as_ref(),
            (0.0, 2.56),
            &y0s.row(r).to_vec(),
            &t_eval,
            tol,
        )
        .unwrap();
        assert_eq!(
            many.index_axis(ndarray::Axis(0), r),
            one.y,
            "trajectory {r}"
        );
    }
}

#[test]
fn rk4_converges_with_order_four() {
    let y0s = ndarray::array![[0.0, 1.0], [1.5, -0.5]];
    let t_end = 2.0;
    let mut errors = Vec::new();
    for n_steps in [20usize, 40, 80] {
        let h = t_end / n_steps as f64;
        let ys = rk4_trajectories(&Harmonic, y0s.view(), h, n_steps).unwrap();
        assert_eq!(ys.shape(), &[2, n_steps + 1, 2]);
        let mut err = 0.0f64;
        for r in 0..2 {
            let exact = Harmonic.flow([y0s[[r, 0]], y0s[[r, 1]]], t_end);
            err = err
                .max((ys[[r, n_steps, 0]] - exact[0]).abs())
                .max((ys[[r, n_steps, 1]] - exact[1]).abs());
        }
        errors.push(err);
    }
    let ratios = [errors[0] / errors[1], errors[1] / errors[2]];
    println!(
        "RK4 errors {:.2e} {:.2e} {:.2e}, ratios {:.2} {:.2}",
        errors[0], errors[1], errors[2], ratios[0], ratios[1]
    );
    for r in ratios {
        assert!(
            r > 14.0 && r < 18.0,
            "halving h divided the error by {r}, expected ~16"
        );
    }
}

#[test]
fn rk4_batch_step_equals_trajectory_step() {
    let lorenz = SystemKind::Lorenz
        .problem()
        .field
        .expect("a built-in vector field");
    let y0s = ndarray::array![[1.0, 2.0, 20.0], [-5.0, 3.0, 30.0]];
    let traj = rk4_trajectories(lorenz.as_ref(), y0s.view(), 0.001, 3).unwrap();
    let mut batch = y0s.clone();
    for k in 0..3 {
        rk4_step_batch(lorenz.as_ref(), k as f64 * 0.001, 0.001, batch.view_mut()).unwrap();
    }
    assert_eq!(batch, traj.index_axis(ndarray::Axis(1), 3));
    assert_eq!(traj.index_axis(ndarray::Axis(1), 0), y0s);
}

/// y' = y^2, y(0) = 1: y = 1 / (1 - t) blows up at t = 1.
struct BlowUp;
impl System for BlowUp {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = y[0] * y[0];
    }
}

/// A right-hand side that is NaN after t = 0.5 (or everywhere when `from` is 0).
struct NanAfter {
    from: f64,
}
impl System for NanAfter {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, t: f64, _y: &[f64], dy: &mut [f64]) {
        dy[0] = if t >= self.from { f64::NAN } else { 1.0 };
    }
}

fn solver_error(err: &Error) -> SolverError {
    match err {
        Error::Solver(e) => e.clone(),
        other => panic!("expected a solver error, got {other:?}"),
    }
}

#[test]
fn failures_are_reported_with_their_time() {
    let tol = Tolerances::scipy_default();
    let err = solve_ivp(&BlowUp, (0.0, 2.0), &[1.0], &[], tol).unwrap_err();
    match solver_error(&err) {
        SolverError::StepSizeTooSmall { t, h } => {
            assert!((t - 1.0).abs() < 1e-3 && h < 1e-12, "t = {t}, h = {h}");
        }
        other => panic!("expected StepSizeTooSmall, got {other:?}"),
    }
    assert!(err.to_string().contains("too small at t = "), "{err}");

    let err = solve_ivp(&NanAfter { from: 0.5 }, (0.0, 1.0), &[0.0], &[], tol).unwrap_err();
    match solver_error(&err) {
        SolverError::NonFinite { t } => assert!((t - 0.5).abs() < 1e-6, "t = {t}"),
        other => panic!("expected NonFinite, got {other:?}"),
    }
    assert!(
        err.to_string().starts_with("non-finite state at t = 0.49"),
        "{err}"
    );
    let err = solve_ivp(&NanAfter { from: 0.0 }, (0.0, 1.0), &[0.0], &[], tol).unwrap_err();
    assert!(
        matches!(err, Error::Solver(SolverError::NonFinite { t }) if t == 0.0),
        "{err:?}"
    );
}

#[test]
fn bad_inputs_name_the_parameter() {
    let tol = Tolerances::scipy_default();
    let msg = |r: hits::Result<hits::solvers::Solution>| r.unwrap_err().to_string();
    let m = msg(solve_ivp(
        &Harmonic,
        (0.0, 1.0),
        &[0.0, 1.0],
        &[0.0, 0.5, 0.4],
        tol,
    ));
    assert!(
        m.starts_with("invalid t_eval")
            && m.contains("strictly increasing")
            && m.contains("t_eval[2] = 0.4"),
        "{m}"
    );
    let m = msg(solve_ivp(
        &Harmonic,
        (0.0, 1.0),
        &[0.0, 1.0],
        &[0.0, 1.5],
        tol,
    ));
    assert!(
        m.contains("t_eval[1] = 1.5 is not within t_span [0, 1]"),
        "{m}"
    );
    let m = msg(solve_ivp(
        &Harmonic,
        (1.0, 0.0),
        &[0.0, 1.0],
        &[0.0, 0.5],
        tol,
    ));
    assert!(m.contains("strictly decreasing"), "{m}");
    let m = msg(solve_ivp(&Harmonic, (0.0, 1.0), &[0.0, 1.0, 2.0], &[], tol));
    assert_eq!(
        m,
        "invalid y0: length 3 does not match the system dimension 2"
    );
    let m = msg(solve_ivp(&Harmonic, (0.0, 1.0), &[0.0, f64::NAN], &[], tol));
    assert!(m.contains("y0[1] = NaN is not finite"), "{m}");
    let m = msg(solve_ivp(
        &Harmonic,
        (0.0, 1.0),
        &[0.0, 1.0],
        &[],
        Tolerances::new(0.0, 1e-6),
    ));
    assert!(m.starts_with("invalid rtol"), "{m}");
    let m = msg(solve_ivp(
        &Harmonic,
        (0.0, 1.0),
        &[0.0, 1.0],
        &[],
        Tolerances::new(1e-3, -1.0),
    ));
    assert!(m.starts_with("invalid atol"), "{m}");

    let y0s = Array2::<f64>::zeros((4, 3));
    let m = solve_ivp_many(&Harmonic, (0.0, 1.0), y0s.view(), &[], tol)
        .unwrap_err()
        .to_string();
    assert_eq!(
        m,
        "shape mismatch for initial states y0s: expected [n, 2], got [4, 3]"
    );
    let m = rk4_trajectories(&Harmonic, y0s.view(), 0.1, 3)
        .unwrap_err()
        .to_string();
    assert!(m.contains("expected [n, 2], got [4, 3]"), "{m}");
    let y0s = Array2::<f64>::zeros((1, 2));
    let m = rk4_trajectories(&Harmonic, y0s.view(), f64::NAN, 3)
        .unwrap_err()
        .to_string();
    assert!(m.starts_with("invalid h"), "{m}");
    let m = rk4_trajectories(&BlowUp, Array2::from_elem((1, 1), 1.0).view(), 0.5, 100)
        .unwrap_err()
        .to_string();
    assert!(m.starts_with("non-finite state at t = "), "{m}");
}

#[test]
fn degenerate_interval_returns_the_initial_state() {
    let sol = solve_ivp(
        &Harmonic,
        (1.0, 1.0),
        &[0.5, 0.25],
        &[1.0],
        Tolerances::scipy_default(),
    )
    .unwrap();
    assert_eq!(sol.y.row(0).to_vec(), vec![0.5, 0.25]);
    assert_eq!(sol.stats.n_rhs, 1);
}
