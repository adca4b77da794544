//! Figure 5 / Table 5 (`experiments::multiscale_hits`) and Figure 6B / 9 / Table 9
//! (`experiments::hybrid`) on small problems with known answers:
//! - exact steppers (RK4 of the Hyperbolic system with fine substeps) on an analytic test set:
//!   every forecast, the coupling and the hybrid must be near zero error;
//! - a tiny trained hierarchy through the whole pipeline (data, training, reloading, saving).

use std::path::{Path, PathBuf};

use candle_core::Device;
use hits::data::{DataSet, Sizes};
use hits::experiments::hybrid::{self, HybridResult};
use hits::experiments::multiscale_hits::{self, MultiscaleResult, Provenance};
use hits::forecast::{Rk4Stepper, Stepper};
use hits::problem::builtin::Hyperbolic;
use hits::stepper::TrainConfig;
use hits::SystemKind;
use ndarray::Array3;

const DT: f64 = 0.01;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hits-ode-a-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The exact solution of x' = -0.05 x, y' = -(y - x^2):
/// x = x0 e^{-0.05 t}, y = (y0 - c x0^2) e^{-t} + c x0^2 e^{-0.1 t}, c = 1 / 0.9.
fn hyperbolic_exact(n_traj: usize, n_points: usize, shift: f64) -> Array3<f64> {
    let c = 1.0 / 0.9;
    Array3::from_shape_fn((n_traj, n_points, 2), |(i, k, d)| {
        let x0 = -0.9 + 0.45 * i as f64 + shift;
        let y0 = 0.7 - 0.35 * i as f64 - shift;
        let t = k as f64 * DT;
        if d == 0 {
            x0 * (-0.05 * t).exp()
        } else {
            (y0 - c * x0 * x0) * (-t).exp() + c * x0 * x0 * (-0.1 * t).exp()
        }
    })
}

fn exact_data(n_points: usize) -> DataSet {
    DataSet::new(
        hyperbolic_exact(2, n_points, 0.05),
        hyperbolic_exact(4, n_points, 0.1),
        hyperbolic_exact(5, n_points, 0.0),
    )
    .expect("a valid data set")
}

fn rk4_steppers(steps: &[usize]) -> Vec<Rk4Stepper> {
    steps
        .iter()
        .map(|&k| {
            Rk4Stepper::new(Box::new(Hyperbolic::default()), DT, k, 2 * k)
                .expect("valid RK4 stepper")
        })
        .collect()
}

fn files_exist(paths: &[PathBuf], names: &[&str], dir: &Path) {
    for name in names {
        let p = dir.join(name);
        assert!(
            paths.contains(&p),
            "{} not reported as written",
            p.display()
        );
        let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        assert!(
            len > 100,
            "{} missing or nearly empty ({len} bytes)",
            p.display()
        );
    }
}

/// Equal as JSON, numbers to 1e-14 relative (serde_json's float parsing may differ in the last
/// bit from the value written).
fn assert_same_json<T: serde::Serialize>(a: &T, b: &T) {
    fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value as V;
        match (a, b) {
            (V::Number(x), V::Number(y)) => {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                (x - y).abs() <= 1e-14 * x.abs().max(y.abs())
            }
            (V::Array(x), V::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(u, v)| same(u, v))
            }
            (V::Object(x), V::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, u)| y.get(k).is_some_and(|v| same(u, v)))
            }
            _ => a == b,
        }
    }
    let (a, b) = (
        serde_json::to_value(a).expect("json"),
        serde_json::to_value(b).expect("json"),
    );
    assert!(same(&a, &b), "{a}\n!=\n{b}");
}

#[test]
fn exact_steppers_make_a_near_zero_table_5_with_the_papers_columns() {
    let data = exact_data(257);
    let steppers = rk4_steppers(&[1, 4, 16, 64]);
    let refs: Vec<&dyn Stepper> = steppers.iter().map(|s| s as &dyn Stepper).collect();
    let prov = Provenance::exact("RK4 with h = dt / 2");
    let result: MultiscaleResult =
        multiscale_hits::evaluate(&hits::problem::hyperbolic(), &refs, &data, 0.0, prov)
            .expect("evaluate");

    // A row per step size and the multiscale row. Step 1 lands on every grid point: only RK4
    // and f32 rounding errors; larger steps add the linear interpolation error (~ (k dt)^4),
    // which grows with the step. The coupling keeps step 1 and is as exact as it.
    assert_eq!(result.rows.len(), 5);
    let mse: Vec<f64> = result.rows.iter().map(|r| r.mse).collect();
    assert!(mse[0] < 1e-12, "{mse:?}");
    assert!(
        mse[1] < mse[2] && mse[2] < mse[3] && mse[3] < 1e-4,
        "{mse:?}"
    );
    assert!(mse[4] < 1e-12, "multiscale {mse:?}");
    assert_eq!(result.selected_steps().first(), Some(&1));
    assert!(result.rows.iter().all(|r| r.mse_per_step.len() == 256));
    assert_eq!(result.multiscale_row().method, "multiscale");
    assert!(!result.selected_steps().is_empty());
    // The sample trajectory: x0 first, forecasts on top of the truth.
    assert_eq!(result.sample_truth.dim(), (257, 2));
    let worst = (&result.sample_multiscale - &result.sample_truth)
        .mapv(f64::abs)
        .fold(0.0f64, |a, &b| a.max(b));
    assert!(worst < 1e-5, "multiscale sample off by {worst}");

    // The paper's values sit in the paper columns of the right rows.
    let table = result.table_markdown();
    let line = |needle: &str| {
        table
            .lines()
            .find(|l| l.starts_with(needle))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("| uni-scale | 1 |").contains("| 1.5e-3 |")
            && line("| uni-scale | 1 |").contains("| 10.06 |"),
        "{table}"
    );
    assert!(line("| uni-scale | 4 |").contains("| 1.7e-5 |"), "{table}");
    assert!(line("| uni-scale | 16 |").contains("| 1.5e-6 |"), "{table}");
    assert!(line("| uni-scale | 64 |").contains("| 4.8e-6 |"), "{table}");
    assert!(
        line("| multiscale |").contains("| 5.1e-8 |")
            && line("| multiscale |").contains("| 0.89 |"),
        "{table}"
    );
    let csv = result.table_csv();
    let header: Vec<&str> = csv.lines().next().unwrap_or_default().split(',').collect();
    let paper_col = header
        .iter()
        .position(|h| *h == "paper_mse")
        .expect("a paper_mse column");
    let ms: Vec<&str> = csv.lines().last().unwrap_or_default().split(',').collect();
    assert_eq!(ms[0], "multiscale");
    assert_eq!(ms[paper_col].parse::<f64>().ok(), Some(5.1e-8));

    let dir = temp_dir("multiscale");
    let paths = result.save(&dir).expect("save");
    files_exist(
        &paths,
        &[
            "table.md",
            "table.csv",
            "summary.json",
            "fig5_error.png",
            "fig5_error.svg",
            "fig5_samples.png",
            "fig5_samples.svg",
            "timing.png",
            "timing.svg",
        ],
        &dir,
    );
    let summary = multiscale_hits::load_summary(&dir).expect("load summary");
    assert_same_json(&summary, &result.summary());
    assert_eq!(summary.steps, vec![1, 4, 16, 64]);
    assert_eq!(summary.paper_multiscale_mse, Some(5.1e-8));
    assert_eq!(summary.paper_single_mse[1], Some(1.7e-5));
    assert!(summary.multiscale_mse.is_some_and(|m| m < 1e-12));
    assert_eq!(summary.provenance.source, "exact");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exact_coarse_stepper_makes_the_hybrid_exact_and_table_9_carries_the_papers_values() {
    let data = exact_data(257);
    let coarse =
        Rk4Stepper::new(Box::new(Hyperbolic::default()), DT, 64, 128).expect("RK4 stepper");
    let result: HybridResult = hybrid::evaluate(
        &hits::problem::hyperbolic(),
        &coarse,
        data.test.view(),
        &[1.0, 2.0, 4.0],
        Provenance::exact("RK4 over 64 dt as the coarse stepper"),
    )
    .expect("hybrid evaluate");
    assert_eq!(result.rows.len(), 3);
    let at_dt = &result.rows[0];
    // On the grid (h = dt) both are RK4 errors of a smooth problem: tiny.
    assert!(at_dt.rk4_mse < 1e-12, "RK4 {:e}", at_dt.rk4_mse);
    assert!(at_dt.hybrid_mse < 1e-10, "hybrid {:e}", at_dt.hybrid_mse);
    // Larger h: linear interpolation between RK4 points adds error, so it must grow.
    assert!(result.rows[2].rk4_mse > at_dt.rk4_mse, "{:?}", result.rows);
    assert!(result.rows[2].rk4_mse < 1e-5);
    assert_eq!(
        (at_dt.paper_rk4_mse, at_dt.paper_hybrid_mse),
        (Some(1.9e-9), Some(1.7e-8))
    );
    assert_eq!(result.rows[1].paper_rk4_mse, None);
    let table = result.table_markdown();
    assert!(
        table.lines().nth(2).is_some_and(|l| l.starts_with("| 1 |")
            && l.contains("| 1.9e-9 |")
            && l.contains("| 1.7e-8 |")),
        "{table}"
    );
    assert_eq!(table.lines().count(), 5, "{table}");

    let dir = temp_dir("hybrid");
    let paths = result.save(&dir).expect("save");
    files_exist(
        &paths,
        &[
            "table.md",
            "table.csv",
            "summary.json",
            "fig6b_accuracy.png",
            "fig6b_accuracy.svg",
            "fig9_error.png",
            "fig9_error.svg",
        ],
        &dir,
    );
    let summary = hybrid::load_summary(&dir).expect("load summary");
    assert_same_json(&summary, &result.summary());
    assert_eq!(summary.h, vec![1.0, 2.0, 4.0]);
    assert_eq!(summary.coarse_step, 64);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tiny_trained_hierarchy_runs_end_to_end_and_is_reloaded_not_retrained() {
    let root = temp_dir("trained");
    let (data_root, models_root) = (root.join("data"), root.join("models"));
    let mut cfg = SystemKind::Hyperbolic.problem().quick();
    cfg.sizes = Sizes {
        n_train: 8,
        n_val: 4,
        n_test: 4,
        n_points: 1281,
    };
    cfg.hierarchy.steps = vec![64, 128, 256];
    cfg.hierarchy.arch = vec![2, 8, 8, 2];
    cfg.hierarchy.train = TrainConfig {
        epochs: 20,
        eval_every: 10,
        batch_size: 16,
        ..TrainConfig::default()
    };
    let dev = Device::Cpu;
    let missing = root.join("no-original-models");

    let first = multiscale_hits::run(
        &cfg,
        &data_root,
        &models_root,
        Some(&missing),
        &dev,
        &mut |_| {},
    )
    .expect("first run");
    assert_eq!(first.provenance.source, "trained");
    assert_eq!(first.provenance.steps_trained, vec![64, 128, 256]);
    assert!(
        first.provenance.detail.contains("no original models"),
        "{}",
        first.provenance.detail
    );
    assert_eq!(first.provenance.epochs, vec![20, 20, 20]);
    assert_eq!(first.rows.len(), 4);
    assert_eq!(first.n_test, 4);
    assert!(first.multiscale_row().mse.is_finite());

    let second = multiscale_hits::run(&cfg, &data_root, &models_root, None, &dev, &mut |_| {
        panic!("retrained")
    })
    .expect("second run");
    assert_eq!(second.provenance.source, "loaded");
    assert_eq!(second.provenance.steps_loaded, vec![64, 128, 256]);
    // Same weights, same data: the same numbers.
    assert_eq!(first.multiscale_row().mse, second.multiscale_row().mse);

    let hy = hybrid::run(
        &cfg,
        &data_root,
        &models_root,
        None,
        &[1.0, 4.0],
        &dev,
        &mut |_| panic!("retrained"),
    )
    .expect("hybrid run");
    assert_eq!(hy.coarse_step, 256);
    assert_eq!(hy.provenance.source, "loaded");
    assert!(hy
        .rows
        .iter()
        .all(|r| r.rk4_mse.is_finite() && r.hybrid_mse.is_finite()));
    let dir = hybrid::results_dir(&root.join("results"), &cfg);
    assert!(dir.ends_with("quick/hybrid/Hyperbolic"));
    hy.save(&dir).expect("save");
    assert_eq!(
        hybrid::load_summary(&dir)
            .expect("summary")
            .provenance
            .steps_loaded,
        vec![256]
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_missing_summary_names_its_path() {
    let err =
        multiscale_hits::load_summary(Path::new("/nonexistent/hits-ode-a")).expect_err("no file");
    assert!(
        err.to_string()
            .contains("/nonexistent/hits-ode-a/summary.json"),
        "{err}"
    );
}
