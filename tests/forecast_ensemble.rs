//! Ensembles of step paths: paths reach the horizon, the seed fixes them, the mean and spread
//! are those of the members, and the calibration is the share of truth inside the band (checked
//! by hand and on draws from the band's own normal law).

use hits::forecast::{calibration, step_path_ensemble, FlowMapStepper, Stepper};
use hits::rng::RandomState;
use ndarray::{array, Array3};

fn maps(sizes: &[usize]) -> Vec<FlowMapStepper> {
    sizes
        .iter()
        .map(|&k| FlowMapStepper::harmonic(0.01, k))
        .collect()
}

#[test]
fn paths_reach_the_horizon_and_the_seed_fixes_them() {
    let nets = maps(&[1, 2, 4, 8, 16, 32]);
    let refs: Vec<&dyn Stepper> = nets.iter().map(|n| n as &dyn Stepper).collect();
    let x0 = array![[0.0, 1.0], [1.0, 0.0], [0.5, -0.5]];
    let a = step_path_ensemble(&refs, x0.view(), 200, 8, 7).unwrap();
    let b = step_path_ensemble(&refs, x0.view(), 200, 8, 7).unwrap();
    let c = step_path_ensemble(&refs, x0.view(), 200, 8, 8).unwrap();
    assert_eq!(a.paths, b.paths);
    assert_eq!(a.mean, b.mean);
    assert_ne!(a.paths, c.paths);
    assert_eq!(a.paths.len(), 8);
    for p in &a.paths {
        assert_eq!(p.iter().sum::<usize>(), 200);
    }
    assert_eq!(a.mean.dim(), (3, 200, 2));
    assert_eq!(a.evaluations, a.paths.iter().map(Vec::len).sum::<usize>());
    // exact flow maps: where every member computed a point the members agree, so the spread
    // is zero there and the mean is the flow (t = 200 dt is every path's last point)
    let t = 2.0f64;
    for i in 0..3 {
        let (x, y) = (x0[[i, 0]], x0[[i, 1]]);
        let want = [x * t.cos() + y * t.sin(), -x * t.sin() + y * t.cos()];
        for (d, w) in want.iter().enumerate() {
            assert!((a.mean[[i, 199, d]] - w).abs() < 1e-5);
            assert!(a.std[[i, 199, d]] < 1e-5);
        }
    }
    // between points the members interpolate over different spans: a spread, larger than 0
    assert!(a.std.iter().any(|&s| s > 1e-4));
}

#[test]
fn calibration_counts_the_truth_inside_the_band() {
    let mean = Array3::from_shape_vec((1, 4, 1), vec![0.0, 1.0, 2.0, 3.0]).unwrap();
    let std = Array3::from_shape_vec((1, 4, 1), vec![1.0, 0.5, 0.0, 2.0]).unwrap();
    let truth = Array3::from_shape_vec((1, 4, 1), vec![1.9, 2.1, 2.0, -1.5]).unwrap();
    // |1.9| <= 2: in; |1.1| > 1: out; |0| <= 0: in; |4.5| > 4: out
    let c = calibration(mean.view(), std.view(), truth.view(), 2.0).unwrap();
    assert_eq!(c, 0.5);
    // k = 3: 1.9 <= 3, 1.1 <= 1.5, 0 <= 0, 4.5 <= 6: all in; k = 1: only the exact one
    assert_eq!(
        calibration(mean.view(), std.view(), truth.view(), 3.0).unwrap(),
        1.0
    );
    assert_eq!(
        calibration(mean.view(), std.view(), truth.view(), 1.0).unwrap(),
        0.25
    );
    // truth drawn from N(mean, std): inside mean +- 2 std 95.45 % of the time
    let n = 20_000;
    let mut rng = RandomState::new(3);
    let mean = Array3::from_shape_fn((1, n, 1), |(_, t, _)| (t as f64 * 0.01).sin());
    let std = Array3::from_shape_fn((1, n, 1), |(_, t, _)| 0.1 + 0.01 * (t % 7) as f64);
    let truth = Array3::from_shape_fn((1, n, 1), |(i, t, d)| {
        mean[[i, t, d]] + std[[i, t, d]] * rng.standard_normal()
    });
    let c = calibration(mean.view(), std.view(), truth.view(), 2.0).unwrap();
    assert!((c - 0.9545).abs() < 0.01, "{c}");
    let wrong = calibration(mean.view(), std.view(), mean.view(), 2.0).unwrap();
    assert_eq!(wrong, 1.0);
    let e = calibration(
        mean.view(),
        std.view(),
        truth.view().slice_move(ndarray::s![.., ..5, ..]),
        2.0,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("truth"), "{e}");
}

#[test]
fn bad_ensembles_are_errors() {
    let nets = maps(&[2, 4]);
    let refs: Vec<&dyn Stepper> = nets.iter().map(|n| n as &dyn Stepper).collect();
    let x0 = array![[0.0, 1.0]];
    let e = step_path_ensemble(&refs, x0.view(), 10, 1, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("members"), "{e}");
    let e = step_path_ensemble(&refs, x0.view(), 9, 4, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("multiple of the smallest step 2"), "{e}");
}
