//! The error-controlled multiscale forecast on a linear system with a known flow: its local
//! error estimate (one step of 2s against two of s) bounds the true local error of every state it
//! accepts, trajectories of different sizes get schedules of their own, and bad input is refused.

use hits::forecast::{error_controlled_forecast, Rk4Stepper, Stepper};
use hits::systems::vector_field;
use ndarray::{s, Array2};

const A: f64 = 0.1;
const W: f64 = 1.0;
const DT: f64 = 0.05;

/// x' = -a x + w y, y' = -w x - a y: a damped rotation, exp(tA) = e^{-at} R(wt).
fn exact(y: [f64; 2], t: f64) -> [f64; 2] {
    let (s, c) = (W * t).sin_cos();
    let e = (-A * t).exp();
    [e * (c * y[0] + s * y[1]), e * (-s * y[0] + c * y[1])]
}

/// One RK4 step of h = step dt per stepper: local error ~ h^5, larger for larger steps.
fn steppers(sizes: &[usize]) -> Vec<Rk4Stepper> {
    sizes
        .iter()
        .map(|&k| {
            let field = vector_field(2, |_t, y, dy| {
                dy[0] = -A * y[0] + W * y[1];
                dy[1] = -W * y[0] - A * y[1];
            });
            Rk4Stepper::new(Box::new(field), DT, k, 1).unwrap()
        })
        .collect()
}

fn rms(a: [f64; 2], b: [f64; 2]) -> f64 {
    (((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)) / 2.0).sqrt()
}

#[test]
fn the_estimate_bounds_the_true_local_error_and_each_trajectory_has_its_schedule() {
    let nets = steppers(&[1, 2, 4, 8, 16, 32]);
    let refs: Vec<&dyn Stepper> = nets.iter().map(|n| n as &dyn Stepper).collect();
    // amplitudes 0.1, 1 and 10: the error of a linear flow scales with the state
    let x0 = Array2::from_shape_vec((3, 2), vec![0.1, 0.0, 1.0, 0.0, 10.0, 0.0]).unwrap();
    let horizon = 400;
    let tol = 1e-4;
    let out = error_controlled_forecast(&refs, x0.view(), horizon, tol).unwrap();
    assert_eq!(out.forecast.dim(), (3, horizon, 2));
    assert!(out.accepted > 0 && out.rejected > 0, "{out:?}");
    let state = |i: usize, t: usize| -> [f64; 2] {
        if t == 0 {
            [x0[[i, 0]], x0[[i, 1]]]
        } else {
            [out.forecast[[i, t - 1, 0]], out.forecast[[i, t - 1, 1]]]
        }
    };
    let (mut checked, mut worst) = (0, 0.0f64);
    for &(i, t, advance, estimate) in &out.estimates {
        if estimate > tol {
            continue; // forced at the smallest pair
        }
        let truth = exact(state(i, t), advance as f64 * DT);
        let local = rms(truth, state(i, t + advance));
        // f32 steppers: a floor of rounding under the estimate
        let floor = 1e-6 * (1.0 + state(i, t)[0].abs().max(state(i, t)[1].abs()));
        assert!(
            local <= estimate + floor,
            "trajectory {i} at {t}: local error {local:e} above the estimate {estimate:e} (advance {advance})"
        );
        worst = worst.max(local / estimate);
        checked += 1;
    }
    eprintln!("{checked} accepted tries, worst local error / estimate {worst:.3}; {} accepted, {} rejected, {} forced, {:.1} evaluations per trajectory", out.accepted, out.rejected, out.forced, out.evaluations);
    assert!(checked > 20, "{checked} accepted tries checked");
    // every schedule reaches the horizon exactly, and larger states take smaller steps
    for s in &out.schedules {
        assert_eq!(s.iter().sum::<usize>(), horizon);
    }
    let mean_step = |i: usize| horizon as f64 / out.schedules[i].len() as f64;
    assert!(
        mean_step(0) > mean_step(1) && mean_step(1) > mean_step(2),
        "mean advances {} {} {}",
        mean_step(0),
        mean_step(1),
        mean_step(2)
    );
    // the forecast stays near the flow over the horizon and costs fewer steps than dt by dt
    for i in 0..3 {
        let end = exact(state(i, 0), horizon as f64 * DT);
        let size = state(i, 0)[0].abs();
        assert!(rms(end, state(i, horizon)) < 1e-2 * size, "trajectory {i}");
    }
    assert!(
        out.evaluations < horizon as f64,
        "{} evaluations",
        out.evaluations
    );
}

#[test]
fn bad_steppers_and_tolerances_are_errors() {
    let nets = steppers(&[1, 2, 8]);
    let refs: Vec<&dyn Stepper> = nets.iter().map(|n| n as &dyn Stepper).collect();
    let x0 = Array2::<f64>::zeros((2, 2));
    let e = error_controlled_forecast(&refs, x0.view(), 10, 1e-3)
        .unwrap_err()
        .to_string();
    assert!(e.contains("double") && e.contains("2 then 8"), "{e}");
    let ok = &refs[..2];
    for tol in [0.0, f64::NAN, -1.0] {
        let e = error_controlled_forecast(ok, x0.view(), 10, tol)
            .unwrap_err()
            .to_string();
        assert!(e.contains("tol"), "{e}");
    }
    let e = error_controlled_forecast(ok, x0.slice(s![.., ..1]), 10, 1e-3)
        .unwrap_err()
        .to_string();
    assert!(e.contains("x0"), "{e}");
}
