//! Problems of one's own (`hits::problem`): a system defined here, not in the crate, through
//! data -> steppers -> selection -> coupling; the same trajectories as a user's own `.npy`
//! files (a data-only problem) through the library and the command line; the clear errors of
//! what needs a vector field.
//!
//! Fixtures: `tools/make_problem_fixtures.py` (numpy + scipy) integrates FitzHugh-Nagumo with
//! scipy's default RK45 from initial conditions drawn with `np.random.seed(5)`, as the original
//! `data_generation.ipynb` does for its systems, and writes the trajectories as float64 (the
//! reference) and float32 (a user's data folder), plus numpy permutations.

use std::path::{Path, PathBuf};
use std::process::Command;

use candle_core::Device;
use hits::data::npy::read_array3;
use hits::data::{DataSet, Sizes};
use hits::experiments::multiscale_hits::{self, evaluate_steppers, obtain_steppers};
use hits::experiments::ode::ensure_data;
use hits::forecast::{EvalOptions, StepperSet};
use hits::problem::{InitialConditions, OdeProblem};
use hits::rng::RandomState;
use hits::systems::{vector_field, System};
use ndarray::{Array1, ArrayView3};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/problems")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hits-problems-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Largest |a - b| / max(1, |b|).
fn max_rel(a: ArrayView3<f64>, b: ArrayView3<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f64::max)
}

/// A damped rotation x' = A x, A = [[-0.1, 1], [-1, -0.1]], with the exact flow
/// x(t) = e^{-0.1 t} R(t) x(0): a system the crate does not know, written as a struct.
struct DampedRotation;

impl System for DampedRotation {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = -0.1 * y[0] + y[1];
        dy[1] = -y[0] - 0.1 * y[1];
    }
}

fn rotation_problem() -> OdeProblem {
    let mut p = OdeProblem::with_field(
        "Damped rotation",
        DampedRotation,
        InitialConditions::uniform(vec![(-1.0, 1.0), (-1.0, 1.0)]),
        0.05,
    )
    .unwrap();
    p.sizes = Sizes {
        n_train: 16,
        n_val: 8,
        n_test: 8,
        n_points: 257,
    };
    p.hierarchy.steps = vec![1, 4, 16];
    p.hierarchy.arch = vec![2, 16, 16, 2];
    p.hierarchy.train.epochs = 300;
    p.hierarchy.train.eval_every = 100;
    p.hierarchy.train.batch_size = 16;
    p
}

#[test]
fn a_system_defined_here_goes_through_data_steppers_selection_and_coupling() {
    let root = scratch("rotation");
    let problem = rotation_problem();
    problem.check().unwrap();
    let data = ensure_data(&problem, 0.0, &root.join("data")).unwrap();
    // generation used the field: RK45 at rtol 1e-3 against the exact flow
    for traj in data.test.outer_iter() {
        let (x0, y0) = (traj[[0, 0]], traj[[0, 1]]);
        let t: f64 = 256.0 * 0.05;
        let (s, c) = t.sin_cos();
        let decay = (-0.1 * t).exp();
        let want = [decay * (c * x0 + s * y0), decay * (-s * x0 + c * y0)];
        for d in 0..2 {
            assert!(
                (traj[[256, d]] - want[d]).abs() < 5e-3,
                "{:?} vs {want:?}",
                traj.row(256)
            );
        }
    }
    // the data are written under the problem's own folder
    assert!(root.join("data/DampedRotation/train_noise0.0.npy").exists());

    let dev = Device::Cpu;
    let models = root.join("models");
    let steppers = obtain_steppers(&problem, 0.0, &data, &models, None, &dev, &mut |_| {}).unwrap();
    assert_eq!(steppers.provenance.source, "trained");
    assert_eq!(steppers.steppers.len(), 3);
    let result = evaluate_steppers(&problem, &steppers, &data, 0.0).unwrap();
    let ms = result.multiscale_row();
    let variance = data.test.var(0.0);
    assert!(
        ms.mse.is_finite() && ms.mse < variance,
        "coupled MSE {} vs the data's variance {variance}",
        ms.mse
    );
    assert!(!result.selected_steps().is_empty());
    // no paper values for a system of one's own
    assert!(result.rows.iter().all(|r| r.paper_mse.is_none()));
    let dir = multiscale_hits::results_dir(&root.join("results"), &problem);
    assert!(dir.ends_with("multiscale_hits/DampedRotation"));
    result.save(&dir).unwrap();
    assert!(dir.join("fig5_error.png").exists());
    // a second run loads the finished checkpoints
    let again = obtain_steppers(&problem, 0.0, &data, &models, None, &dev, &mut |_| {
        panic!("retrained")
    })
    .unwrap();
    assert_eq!(again.provenance.source, "loaded");
    // the hybrid works: the problem has a vector field
    let set = StepperSet::new(&steppers.steppers, &dev).unwrap();
    let options = EvalOptions {
        couple: false,
        hybrid: vec![1.0],
        ..EvalOptions::default()
    };
    let ev = problem
        .evaluate(&set.refs(), None, data.test.view(), &options)
        .unwrap();
    assert_eq!(ev.rows.len(), 3 + 2);
    let _ = std::fs::remove_dir_all(&root);
}

fn fitzhugh_nagumo() -> OdeProblem {
    let (a, b, eps, i) = (0.7, 0.8, 0.08, 0.5);
    let field = vector_field(2, move |_t, y, dy| {
        dy[0] = y[0] - y[0] * y[0] * y[0] / 3.0 - y[1] + i;
        dy[1] = eps * (y[0] + a - b * y[1]);
    });
    let mut p = OdeProblem::with_field(
        "FitzHugh-Nagumo",
        field,
        InitialConditions::uniform(vec![(-2.0, 2.0), (-1.0, 1.5)]),
        0.1,
    )
    .unwrap();
    p.components = vec!["v".into(), "w".into()];
    p.sizes = Sizes {
        n_train: 12,
        n_val: 6,
        n_test: 6,
        n_points: 129,
    };
    p.seed = 5;
    p
}

#[test]
fn a_closure_system_is_generated_as_the_original_notebooks_would() {
    let p = fitzhugh_nagumo();
    let data = p.generate(0.0).unwrap();
    let want = DataSet::load(&fixtures().join("fhn"), 0.0).unwrap();
    for (split, (got, want)) in data.splits().into_iter().zip(want.splits()).enumerate() {
        // initial conditions are drawn, not solved: numpy's bits
        for (g, w) in got
            .slice(ndarray::s![.., 0, ..])
            .iter()
            .zip(want.slice(ndarray::s![.., 0, ..]))
        {
            assert_eq!(g.to_bits(), w.to_bits(), "split {split}");
        }
        let err = max_rel(got.view(), want.view());
        assert!(
            err < 1e-10,
            "split {split}: max relative difference to scipy {err:e}"
        );
    }
}

#[test]
fn a_split_follows_numpys_permutation() {
    let read_perm = |name: &str| -> Vec<usize> {
        let p = fixtures().join(name);
        let a: Array1<i64> = ndarray_npy::read_npy(&p).unwrap();
        a.iter().map(|&v| v as usize).collect()
    };
    assert_eq!(
        RandomState::new(7).permutation(24),
        read_perm("permutation_seed7_n24.npy")
    );
    assert_eq!(
        RandomState::new(123).permutation(1000),
        read_perm("permutation_seed123_n1000.npy")
    );

    let all = fixtures().join("fhn_all_f32.npy");
    let p = OdeProblem::from_npy_split("measured", &all, [0.5, 0.25, 0.25], 7, 0.1).unwrap();
    assert_eq!(p.sizes.counts(), [12, 6, 6]);
    assert!(p.field.is_none());
    let data = ensure_data(&p, 0.0, Path::new("/nonexistent")).unwrap();
    let whole = hits::data::npy::read_float_array3(&all).unwrap();
    let perm = read_perm("permutation_seed7_n24.npy");
    // train row 0 is trajectory perm[0], test row 0 is perm[18]
    assert_eq!(
        data.train.index_axis(ndarray::Axis(0), 0),
        whole.index_axis(ndarray::Axis(0), perm[0])
    );
    assert_eq!(
        data.test.index_axis(ndarray::Axis(0), 0),
        whole.index_axis(ndarray::Axis(0), perm[18])
    );
}

#[test]
fn a_data_only_problem_says_what_it_cannot_do() {
    let dir = fixtures().join("fhn_f32");
    let p = OdeProblem::from_data_dir(&dir, Some(0.1)).unwrap();
    assert_eq!(
        (p.folder.as_str(), p.dim(), p.sizes.counts()),
        ("Fhn_f32", 2, [12, 6, 6])
    );
    // float32 files are widened
    let data = ensure_data(&p, 0.0, Path::new("/nonexistent")).unwrap();
    let want = read_array3(&fixtures().join("fhn/test_noise0.0.npy")).unwrap();
    assert!(max_rel(data.test.view(), want.view()) < 1e-6);
    // generation, the hybrid and exact increments need the vector field
    let err = p.generate(0.0).unwrap_err().to_string();
    assert!(
        err.contains("data-only") && err.contains("fhn_f32"),
        "{err}"
    );
    let steppers =
        vec![hits::stepper::ResNetStepper::new(&[2, 4, 2], 1, 0.1, 0, &Device::Cpu).unwrap()];
    let set = StepperSet::new(&steppers, &Device::Cpu).unwrap();
    let options = EvalOptions {
        hybrid: vec![1.0],
        ..EvalOptions::default()
    };
    let err = p
        .evaluate(&set.refs(), None, data.test.view(), &options)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("hybrid") && err.contains("vector field"),
        "{err}"
    );
    let cfg = hits::experiments::increment::IncrementConfig::paper(&p)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        cfg.contains("increment_plane") && cfg.contains("from_data"),
        "{cfg}"
    );
    // a folder without its files names what is missing
    let err = OdeProblem::from_data_dir(&fixtures(), Some(0.1))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("train_noise0.0.npy") && err.contains("missing"),
        "{err}"
    );
    // a noise level without files of its own is added in memory, reproducibly
    let noisy = ensure_data(&p, 0.02, Path::new("/nonexistent")).unwrap();
    assert_eq!(
        noisy,
        ensure_data(&p, 0.02, Path::new("/nonexistent")).unwrap()
    );
    assert_ne!(noisy, data);
}

fn hits_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hits"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_data_folder_trains_and_forecasts_through_the_command_line() {
    let root = scratch("cli");
    let data = fixtures().join("fhn_f32");
    let models = root.join("models");
    let out = root.join("results");
    let (d, m, o) = (
        data.to_str().unwrap(),
        models.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let train = hits_cli(&[
        "train",
        "--data-dir",
        d,
        "--dt",
        "0.1",
        "--step-sizes",
        "1,2,4,8",
        "--arch",
        "2,16,16,2",
        "--epochs",
        "200",
        "--eval-every",
        "100",
        "--out",
        m,
    ]);
    let text = String::from_utf8_lossy(&train.stdout);
    assert!(
        train.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&train.stderr)
    );
    let folder = models.join("Fhn_f32");
    assert!(
        folder.join("model_D8_noise0.0.safetensors").exists(),
        "{text}"
    );

    let forecast = hits_cli(&[
        "forecast",
        "--data-dir",
        d,
        "--dt",
        "0.1",
        "--models",
        folder.to_str().unwrap(),
        "--select",
        "--out",
        o,
    ]);
    let text = String::from_utf8_lossy(&forecast.stdout);
    assert!(
        forecast.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&forecast.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.contains("| multiscale |"))
        .unwrap_or_else(|| panic!("no multiscale row in\n{text}"));
    let mse: f64 = line.split('|').nth(4).unwrap().trim().parse().unwrap();
    assert!(mse.is_finite() && mse > 0.0, "{line}");
    assert!(out.join("Fhn_f32/forecast_noise0.0.md").exists());

    // without --dt the command says what is missing
    let bad = hits_cli(&["train", "--data-dir", d, "--out", m]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--dt"));
    // the hybrid needs a vector field
    let bad = hits_cli(&[
        "forecast",
        "--data-dir",
        d,
        "--dt",
        "0.1",
        "--models",
        folder.to_str().unwrap(),
        "--hybrid",
        "1",
        "--out",
        o,
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("vector field"), "{err}");
    let _ = std::fs::remove_dir_all(&root);
}

/// `hits train` trains the problem's own recipe (`problem.train`), as a notebook does; flags
/// replace single fields of it (issue 27: it had quick defaults of its own, 1000/250 against the
/// problem's 400/100).
#[test]
fn hits_train_trains_the_problems_recipe_and_flags_replace_its_fields() {
    let root = scratch("cli-recipe");
    let data = fixtures().join("fhn_f32");
    let problem = hits::OdeProblem::from_data_dir(&data, Some(0.1))
        .unwrap()
        .select(true);
    for (extra, want) in [
        (vec![], problem.hierarchy.train.clone()),
        (
            vec!["--lr", "0.0005", "--epochs", "30"],
            hits::stepper::TrainConfig {
                lr: 5e-4,
                epochs: 30,
                eval_every: 30,
                ..problem.hierarchy.train.clone()
            },
        ),
    ] {
        let models = root.join(format!("models{}", extra.len()));
        let mut args = vec![
            "train",
            "--quick",
            "--data-dir",
            data.to_str().unwrap(),
            "--dt",
            "0.1",
            "--step-sizes",
            "1",
            "--arch",
            "2,8,2",
            "--out",
            models.to_str().unwrap(),
        ];
        args.extend(extra.iter().copied());
        let o = hits_cli(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let json = std::fs::read_to_string(
            models
                .join("quick")
                .join(&problem.folder)
                .join("model_D1_noise0.0.json"),
        )
        .unwrap();
        let meta: hits::stepper::StepperMeta = serde_json::from_str(&json).unwrap();
        assert_eq!(meta.train_config.as_ref(), Some(&want), "{extra:?}");
    }
    std::fs::remove_dir_all(&root).unwrap();
}
