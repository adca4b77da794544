//! Figure 10 (increments), the noise study (Figure 6A, 8, Tables 6-8) and the training
//! report helpers, on analytic cases and tiny configurations.

use std::path::PathBuf;

use candle_core::{Device, Module};
use hits::data::Sizes;
use hits::experiments::increment::{
    self, increment_field, increment_fields, learned_increment, IncrementConfig, Slice2d, EXACT_TOL,
};
use hits::experiments::noisy::{self, load_summary, run_system, NoisyResult};
use hits::experiments::training::{loss_figure, training_table};
use hits::forecast::states_tensor;
use hits::problem::OdeProblem;
use hits::stepper::ResNetStepper;
use hits::SystemKind;

/// The vector field of a built-in system.
fn field(kind: SystemKind) -> hits::systems::VectorField {
    kind.problem().field.expect("a built-in vector field")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hits-odeb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Hyperbolic: x' = -0.05 x, y' = -(y - x^2) has x(t) = x0 e^{-0.05 t} and
/// y(t) = x0^2/0.9 e^{-0.1 t} + (y0 - x0^2/0.9) e^{-t}.
fn hyperbolic_exact(x0: f64, y0: f64, t: f64) -> (f64, f64) {
    let c = x0 * x0 / 0.9;
    (
        x0 * (-0.05 * t).exp(),
        c * (-0.1 * t).exp() + (y0 - c) * (-t).exp(),
    )
}

#[test]
fn exact_increment_matches_the_analytic_flow() -> hits::Result<()> {
    let grid = Slice2d::of(&SystemKind::Hyperbolic.problem(), 9)?;
    let (xs, ys) = (grid.x_values(), grid.y_values());
    let deltas = [0.01, 0.16, 10.24, 1.28];
    let fields = increment_fields(&field(SystemKind::Hyperbolic), &grid, &deltas, EXACT_TOL)?;
    assert_eq!(fields.len(), 4);
    for (f, &d) in fields.iter().zip(&deltas) {
        assert_eq!(f.delta, d);
        assert_eq!(f.field.dim(), (2, 9, 9));
        let mut worst: f64 = 0.0;
        for (i, &y0) in ys.iter().enumerate() {
            for (j, &x0) in xs.iter().enumerate() {
                // The linear part, exactly: x(t + D) - x(t) = x (e^{-0.05 D} - 1).
                let dx = x0 * ((-0.05 * d).exp() - 1.0);
                let (_, y1) = hyperbolic_exact(x0, y0, d);
                worst = worst
                    .max((f.field[[0, i, j]] - dx).abs())
                    .max((f.field[[1, i, j]] - (y1 - y0)).abs());
            }
        }
        assert!(worst < 1e-8, "Δ = {d}: worst error {worst:e}");
    }
    // One Δ alone gives the same field as within a batch.
    let single = increment_field(&field(SystemKind::Hyperbolic), &grid, 1.28)?;
    let diff = (&single.field - &fields[3].field)
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(diff < 1e-9, "{diff:e}");
    Ok(())
}

#[test]
fn hopf_slice_keeps_mu_and_its_increment_is_zero() -> hits::Result<()> {
    let grid = Slice2d::of(&SystemKind::Hopf.problem(), 6)?;
    assert!(grid.states().column(0).iter().all(|&m| m == 0.2));
    let f = increment_field(&field(SystemKind::Hopf), &grid, 0.5)?;
    assert!(f
        .field
        .index_axis(ndarray::Axis(0), 0)
        .iter()
        .all(|&v| v == 0.0));
    assert!(f.field.iter().any(|&v| v.abs() > 1e-3));
    assert!(increment_field(&field(SystemKind::Hopf), &grid, -1.0).is_err());
    assert!(
        increment_field(&field(SystemKind::Cubic), &grid, 1.0).is_err(),
        "a 3-D grid for a 2-D system"
    );
    Ok(())
}

#[test]
fn learned_increment_is_the_mlp_output_on_the_grid() -> hits::Result<()> {
    let grid = Slice2d::of(&SystemKind::VanDerPol.problem(), 5)?;
    let net = ResNetStepper::new(&[2, 16, 16, 2], 8, 0.01, 3, &Device::Cpu)?;
    let learned = learned_increment(&net, &grid)?;
    assert!((learned.delta - 0.08).abs() < 1e-15);
    let states = grid.states();
    let x = states_tensor(states.view(), &Device::Cpu)?;
    let next: Vec<Vec<f32>> = net.forward(&x)?.to_vec2()?;
    let nx = grid.cells[0];
    for (r, row) in next.iter().enumerate() {
        let (i, j) = (r / nx, r % nx);
        for d in 0..2 {
            let want = row[d] as f64 - states[[r, d]];
            assert!(
                (learned.field[[d, i, j]] - want).abs() < 1e-5,
                "({d}, {i}, {j})"
            );
        }
    }
    // The experiment pairs it with the exact field of the same Δ and renders both.
    let mut cfg = IncrementConfig::quick(&SystemKind::VanDerPol.problem())?;
    cfg.grid = grid;
    cfg.panel_steps = vec![1, 8];
    cfg.animation_steps = vec![1, 8];
    let result = increment::run(&cfg, &[net])?;
    assert_eq!(result.relative_errors().len(), 1);
    assert_eq!(result.panel_figure()?.get_panels().len(), 2 * 4);
    assert_eq!(result.animation()?.len(), 2);
    let dir = temp_dir("increment");
    let paths = result.save(&dir)?;
    assert!(paths
        .iter()
        .all(|p| p.exists() && p.starts_with(dir.join("VanDerPol"))));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tiny_config(system: SystemKind) -> OdeProblem {
    let mut cfg = system.problem().quick();
    cfg.sizes = Sizes {
        n_train: 12,
        n_val: 6,
        n_test: 5,
        n_points: 65,
    };
    cfg.hierarchy.steps = vec![1, 2, 4];
    cfg.hierarchy.arch = vec![2, 8, 8, 2];
    cfg.hierarchy.train.epochs = 20;
    cfg.hierarchy.train.eval_every = 10;
    cfg
}

#[test]
fn noisy_study_runs_every_level_and_keeps_models_apart() -> hits::Result<()> {
    let (data_root, models_root, out) = (temp_dir("data"), temp_dir("models"), temp_dir("out"));
    let cfg = tiny_config(SystemKind::Hyperbolic);
    let noises = [0.0, 0.01, 0.02];
    let runs = run_system(
        &cfg,
        &noises,
        &data_root,
        &models_root,
        &Device::Cpu,
        &mut |_| {},
    )?;
    assert_eq!(runs.runs.len(), 3);
    for (run, &noise) in runs.runs.iter().zip(&noises) {
        assert_eq!(run.noise, noise);
        assert_eq!(run.rows.len(), 4, "three step sizes and the multiscale");
        let ms = run.multiscale().expect("multiscale row");
        assert!(ms.mse.is_finite() && run.multiscale_mse_clean.is_finite());
        assert_eq!(ms.mse_per_step.len(), 64);
        assert_eq!(run.epoch_limit, 20);
        let dir = cfg.dir_under(&models_root);
        let f = dir.join(format!(
            "model_D4_noise{}.safetensors",
            hits::data::npy::python_float(noise)
        ));
        assert!(f.exists(), "{}", f.display());
    }
    // At noise 0 the noisy and the clean truth are the same set.
    assert_eq!(
        runs.runs[0].multiscale().map(|r| r.mse),
        Some(runs.runs[0].multiscale_mse_clean)
    );

    // The saved levels are numpy's: the generator at that level, and noise linear in the level
    // (same draws from the same stream, scale level * mean temporal std of the clean split).
    let dir = cfg.dir_under(&data_root);
    let load = |n: f64| cfg.load_data(&dir, n);
    let (clean, one, two) = (load(0.0)?, load(0.01)?, load(0.02)?);
    assert_eq!(one.test, cfg.generate(0.01)?.test);
    let d1 = &one.train - &clean.train;
    let d2 = &two.train - &clean.train;
    assert!(d1.iter().any(|v| v.abs() > 1e-6));
    let worst = d1
        .iter()
        .zip(d2.iter())
        .fold(0.0f64, |m, (a, b)| m.max((2.0 * a - b).abs()));
    assert!(worst < 1e-12, "{worst:e}");

    // The summary written to disk reads back equal; the report files are there.
    let result = NoisyResult {
        quick: true,
        epoch_cap: Some(20),
        systems: vec![runs],
    };
    let paths = result.save(&out)?;
    for name in [
        "tables.md",
        "tables.csv",
        "fig6a.png",
        "fig6a.svg",
        "fig8_Hyperbolic.png",
        "summary.json",
    ] {
        assert!(paths.contains(&out.join(name)), "{name}");
    }
    let summary = load_summary(&out)?;
    let written = result.summary();
    assert_eq!(summary.entries.len(), written.entries.len());
    // serde_json (without its float_roundtrip feature) may read a float back 1 ulp off.
    let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs());
    for (a, b) in summary.entries.iter().zip(&written.entries) {
        assert!(
            close(a.multiscale_mse, b.multiscale_mse)
                && close(a.multiscale_mse_clean, b.multiscale_mse_clean)
        );
        assert!(
            close(a.best_single_mse, b.best_single_mse)
                && close(a.multiscale_seconds, b.multiscale_seconds)
        );
        let strip = |e: &noisy::NoisyEntry| noisy::NoisyEntry {
            multiscale_mse: 0.0,
            multiscale_mse_clean: 0.0,
            best_single_mse: 0.0,
            multiscale_seconds: 0.0,
            ..e.clone()
        };
        assert_eq!(strip(a), strip(b));
    }
    assert_eq!((summary.quick, summary.epoch_cap), (true, Some(20)));
    assert_eq!(summary.entries.len(), 3);
    let e = summary.entry("Hyperbolic", 0.02).expect("2% entry");
    assert_eq!(e.paper_mse, Some(6.1e-6));
    assert!(!e.selected_steps.is_empty());
    let md = result.tables_markdown();
    assert!(
        md.contains("## Table 6: 0% noise") && md.contains("## Table 8: 2% noise"),
        "{md}"
    );
    assert!(load_summary(&data_root).is_err());

    // Re-running loads the finished steppers instead of training them again.
    let again = run_system(
        &cfg,
        &[0.01],
        &data_root,
        &models_root,
        &Device::Cpu,
        &mut |_| panic!("retrained"),
    )?;
    assert_eq!(
        again.runs[0].multiscale().map(|r| r.mse),
        result.systems[0].runs[1].multiscale().map(|r| r.mse)
    );
    for d in [data_root, models_root, out] {
        let _ = std::fs::remove_dir_all(d);
    }
    Ok(())
}

#[test]
fn loss_figure_and_table_come_from_the_histories() -> hits::Result<()> {
    let reports: Vec<hits::stepper::TrainReport> = [2usize, 1]
        .iter()
        .map(|&k| hits::stepper::TrainReport {
            step_size: k,
            epochs: 30,
            best_val_loss: 1e-3 / k as f64,
            history: vec![
                (10, 1e-2, f64::NAN),
                (20, 5e-3, 2e-3),
                (30, 1e-3, 1e-3 / k as f64),
            ],
            stopped_early: false,
            seconds: 0.0,
        })
        .collect();
    let fig = loss_figure(&reports, 0.01, "test")?;
    assert_eq!(fig.get_panels().len(), 2);
    fig.to_png()?;
    let table = training_table(&reports, 0.01);
    let first = table.lines().nth(2).unwrap_or_default();
    assert!(
        first.starts_with("| 1 | 0.01 | 30 | 1.00e-3 | 1.00e-3 |"),
        "{table}"
    );
    assert!(loss_figure(&[], 0.01, "none").is_err());
    Ok(())
}
