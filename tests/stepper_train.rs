//! Training: gradients, convergence, resume, batched hierarchy, checkpoints.

use std::path::PathBuf;

use candle_core::{DType, Device, Tensor, Var};
use hits::stepper::backward::mse_loss_and_grads;
use hits::stepper::stack::{recurrent_loss, stack_layers};
use hits::stepper::{
    checkpoint_stem, load_hierarchy, ResNetStepper, RunInfo, StepperData, StepperMeta, TrainConfig,
    TrainWindows, Trainer,
};
use hits::SystemKind;
use ndarray::{Array2, Array3};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hits_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Trajectories of the harmonic oscillator (exact flow), `[n, n_points, 2]`, sampled every dt.
fn rotation_trajectories(n: usize, n_points: usize, dt: f64, seed: u64) -> Array3<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut u = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut a = Array3::zeros((n, n_points, 2));
    for i in 0..n {
        let (r, phi) = (0.5 + u(), (2.0 * u() - 1.0) * std::f64::consts::PI);
        for k in 0..n_points {
            let t = k as f64 * dt + phi;
            a[[i, k, 0]] = r * t.sin();
            a[[i, k, 1]] = r * t.cos();
        }
    }
    a
}

/// Windows x = X[:, 0], ys = X[:, s, 2s, ..., nf*s].
fn windows(traj: &Array3<f64>, step: usize, nf: usize) -> TrainWindows {
    let x: Array2<f64> = traj.slice(ndarray::s![.., 0, ..]).to_owned();
    let ys = traj
        .slice(ndarray::s![.., step..=nf * step;step, ..])
        .to_owned();
    TrainWindows::from_arrays(x.view(), ys.view(), &Device::Cpu).unwrap()
}

fn data(step: usize, nf: usize) -> StepperData {
    let train = rotation_trajectories(40, 4 * 5 + 1, 0.05, 1);
    let val = rotation_trajectories(16, 4 * 5 + 1, 0.05, 2);
    StepperData {
        train: windows(&train, step, nf),
        val: windows(&val, step, nf),
    }
}

fn small_cfg(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        n_forward: 3,
        eval_every: 10,
        seed: 9,
        ..TrainConfig::default()
    }
}

fn max_diff(a: &[(Tensor, Tensor)], b: &[(Tensor, Tensor)]) -> f32 {
    a.iter()
        .zip(b)
        .flat_map(|((wa, ba), (wb, bb))| [(wa - wb).unwrap(), (ba - bb).unwrap()])
        .map(|d| {
            d.abs()
                .unwrap()
                .flatten_all()
                .unwrap()
                .max(0)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        })
        .fold(0.0, f32::max)
}

/// Backprop gradients of the recurrent loss (with its max term) equal central finite
/// differences, in f64.
#[test]
fn loss_gradient_matches_finite_differences() {
    let dev = Device::Cpu;
    let s = ResNetStepper::new(&[2, 5, 5, 2], 1, 0.1, 3, &dev).unwrap();
    let (ws, bs) = stack_layers(&[s.layers().to_vec()]).unwrap();
    let params: Vec<Tensor> = ws
        .iter()
        .zip(&bs)
        .flat_map(|(w, b)| [w.clone(), b.clone()])
        .map(|t| t.to_dtype(DType::F64).unwrap())
        .collect();
    let vars: Vec<Var> = params
        .iter()
        .map(|t| Var::from_tensor(t).unwrap())
        .collect();
    let mut checked = 0;
    let traj = rotation_trajectories(6, 4, 0.3, 4);
    let x = Tensor::from_vec(
        traj.slice(ndarray::s![.., 0, ..])
            .iter()
            .cloned()
            .collect::<Vec<_>>(),
        (1, 6, 2),
        &dev,
    )
    .unwrap();
    let ys = Tensor::from_vec(
        traj.slice(ndarray::s![.., 1.., ..])
            .iter()
            .cloned()
            .collect::<Vec<_>>(),
        (1, 6, 3, 2),
        &dev,
    )
    .unwrap();
    let targets: Vec<Tensor> = (0..3)
        .map(|t| {
            ys.narrow(2, t, 1)
                .unwrap()
                .squeeze(2)
                .unwrap()
                .contiguous()
                .unwrap()
        })
        .collect();
    // w = 0.7 (with the max term: candle autograd) and w = 1 (hand-written gradients).
    for w in [0.7, 1.0] {
        let loss_of = |ps: &[Tensor]| -> Tensor {
            let (wv, bv): (Vec<_>, Vec<_>) = (
                ps.iter().step_by(2).cloned().collect(),
                ps.iter().skip(1).step_by(2).cloned().collect(),
            );
            recurrent_loss(&wv, &bv, &x, &ys, w)
                .unwrap()
                .sum_all()
                .unwrap()
        };
        let tensors: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let grads: Vec<Tensor> = if w == 1.0 {
            let (wv, bv): (Vec<_>, Vec<_>) = (
                tensors.iter().step_by(2).cloned().collect(),
                tensors.iter().skip(1).step_by(2).cloned().collect(),
            );
            let (loss, grads) = mse_loss_and_grads(&wv, &bv, &x, &targets).unwrap();
            let want = loss_of(&tensors).to_scalar::<f64>().unwrap();
            assert!((loss.sum_all().unwrap().to_scalar::<f64>().unwrap() - want).abs() < 1e-14);
            grads
        } else {
            let store = loss_of(&tensors).backward().unwrap();
            vars.iter()
                .map(|v| store.get(v.as_tensor()).unwrap().clone())
                .collect()
        };
        let h = 1e-6;
        for (pi, v) in vars.iter().enumerate() {
            assert_eq!(grads[pi].dims(), v.dims());
            let g: Vec<f64> = grads[pi].flatten_all().unwrap().to_vec1().unwrap();
            let base: Vec<f64> = v.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
            for j in 0..base.len() {
                let eval = |delta: f64| -> f64 {
                    let mut p = base.clone();
                    p[j] += delta;
                    let mut ps: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().detach()).collect();
                    ps[pi] = Tensor::from_vec(p, v.dims(), &dev).unwrap();
                    loss_of(&ps).to_scalar::<f64>().unwrap()
                };
                let fd = (eval(h) - eval(-h)) / (2.0 * h);
                assert!(
                    (fd - g[j]).abs() <= 1e-6 + 1e-4 * fd.abs(),
                    "w {w}, param {pi}[{j}]: gradient {} vs finite difference {fd}",
                    g[j]
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2 * ((2 * 5 + 5) + (5 * 5 + 5) + (5 * 2 + 2)));
}

#[test]
fn loss_decreases_on_a_small_problem() {
    let s = ResNetStepper::new(&[2, 32, 32, 2], 2, 0.05, 1, &Device::Cpu).unwrap();
    let cfg = TrainConfig {
        epochs: 400,
        eval_every: 50,
        ..small_cfg(400)
    };
    let mut t = Trainer::new(&[&s], vec![data(2, 3)], cfg).unwrap();
    t.run(usize::MAX, &mut |_| {}).unwrap();
    let (_, r) = t.finish().unwrap().pop().unwrap();
    let first = r.history[0].2;
    assert_eq!(r.epochs, 400);
    assert!(
        r.best_val_loss < first / 10.0,
        "val loss {first} -> best {}",
        r.best_val_loss
    );
}

#[test]
fn resumed_training_equals_uninterrupted() {
    let dir = tmpdir("resume");
    let s = ResNetStepper::new(&[2, 16, 16, 2], 2, 0.05, 5, &Device::Cpu).unwrap();
    let cfg = small_cfg(60);
    let mut whole = Trainer::new(&[&s], vec![data(2, 3)], cfg.clone()).unwrap();
    whole.run(usize::MAX, &mut |_| {}).unwrap();

    let info = RunInfo {
        system: Some(SystemKind::Harmonic.name().to_string()),
        noise: 0.0,
        seed: Some(5),
    };
    let stems = vec![checkpoint_stem(&dir, 2, 0.0)];
    let mut half = Trainer::new(&[&s], vec![data(2, 3)], cfg.clone()).unwrap();
    half.run(30, &mut |_| {}).unwrap();
    half.save_state(&stems, &info).unwrap();
    drop(half);
    let mut resumed = Trainer::resume(
        &stems,
        &[(2, 0.05, 2)],
        vec![data(2, 3)],
        cfg,
        &info,
        &Device::Cpu,
    )
    .unwrap();
    assert_eq!(resumed.epoch(), 30);
    resumed.run(usize::MAX, &mut |_| {}).unwrap();

    let a = whole.current().unwrap().pop().unwrap();
    let b = resumed.current().unwrap().pop().unwrap();
    let d = max_diff(a.layers(), b.layers());
    assert!(d <= 1e-7, "current weights differ by {d:e}");
    let (ra, rb) = (
        whole.finish().unwrap().pop().unwrap(),
        resumed.finish().unwrap().pop().unwrap(),
    );
    assert_eq!(ra.1.history, rb.1.history);
    assert!(max_diff(ra.0.layers(), rb.0.layers()) <= 1e-7);
    // The weights changed over the second half (the comparison is not vacuous).
    assert!(max_diff(a.layers(), s.layers()) > 1e-3);
}

#[test]
fn batched_hierarchy_equals_separate_training() {
    let steps = [1usize, 2, 4];
    let steppers: Vec<ResNetStepper> = steps
        .iter()
        .map(|&k| {
            ResNetStepper::new(&[2, 16, 16, 2], k, 0.05, 20 + k as u32, &Device::Cpu).unwrap()
        })
        .collect();
    let mut cfg = small_cfg(50);
    // Pick a target loss that the first check of exactly one stepper reaches (found from the
    // separate runs), so the batched run must also stop that one early.
    let run_separate =
        |cfg: &TrainConfig| -> Vec<(ResNetStepper, hits::stepper::TrainReport, ResNetStepper)> {
            steppers
                .iter()
                .zip(steps)
                .map(|(s, k)| {
                    let mut t = Trainer::new(&[s], vec![data(k, 3)], cfg.clone()).unwrap();
                    t.run(usize::MAX, &mut |_| {}).unwrap();
                    let last = t.current().unwrap().pop().unwrap();
                    let (best, r) = t.finish().unwrap().pop().unwrap();
                    (best, r, last)
                })
                .collect()
        };
    let probe = run_separate(&cfg);
    let bests: Vec<f64> = probe.iter().map(|p| p.1.best_val_loss).collect();
    let target = (0..probe.len())
        .find_map(|a| {
            let others = (0..probe.len())
                .filter(|&b| b != a)
                .map(|b| bests[b])
                .fold(f64::INFINITY, f64::min);
            let h = &probe[a].1.history;
            h[..h.len() - 1]
                .iter()
                .map(|e| e.2)
                .find(|&v| v < others)
                .map(|v| (v + others) / 2.0)
        })
        .expect("one stepper beats the others' best before the last check");
    cfg.target_loss = target;
    let separate = run_separate(&cfg);
    assert_eq!(separate.iter().filter(|p| p.1.stopped_early).count(), 1);

    let refs: Vec<&ResNetStepper> = steppers.iter().collect();
    let mut t = Trainer::new(&refs, steps.iter().map(|&k| data(k, 3)).collect(), cfg).unwrap();
    t.run(usize::MAX, &mut |_| {}).unwrap();
    let lasts = t.current().unwrap();
    for (((best, r), last), sep) in t.finish().unwrap().into_iter().zip(lasts).zip(&separate) {
        assert_eq!(
            (r.epochs, r.stopped_early),
            (sep.1.epochs, sep.1.stopped_early),
            "step {}",
            r.step_size
        );
        for (a, b) in r.history.iter().zip(&sep.1.history) {
            assert_eq!(a.0, b.0);
            assert!(
                (a.1 - b.1).abs() <= 1e-5 * b.1 && (a.2 - b.2).abs() <= 1e-5 * b.2,
                "step {}: {a:?} vs {b:?}",
                r.step_size
            );
        }
        let (db, dl) = (
            max_diff(best.layers(), sep.0.layers()),
            max_diff(last.layers(), sep.2.layers()),
        );
        assert!(
            db < 1e-5 && dl < 1e-5,
            "step {}: best {db:e}, last {dl:e}",
            r.step_size
        );
    }
}

#[test]
fn checkpoints_round_trip_and_mismatches_are_clear_errors() {
    let dir = tmpdir("ckpt");
    let info = RunInfo {
        system: Some(SystemKind::Hopf.name().to_string()),
        noise: 0.01,
        seed: Some(1),
    };
    let mut steppers = Vec::new();
    for k in [4usize, 1, 2] {
        let s = ResNetStepper::new(&[2, 8, 2], k, 0.05, k as u32, &Device::Cpu).unwrap();
        let stem = checkpoint_stem(&dir, k, 0.01);
        assert!(stem.ends_with(format!("model_D{k}_noise0.01")));
        s.save(&stem, &StepperMeta::new(&s, info.system.clone(), 0.01))
            .unwrap();
        steppers.push(s);
    }
    let loaded = load_hierarchy(&dir, 0.01, &Device::Cpu).unwrap();
    assert_eq!(
        loaded.iter().map(|s| s.step_size()).collect::<Vec<_>>(),
        vec![1, 2, 4]
    );
    assert_eq!(max_diff(loaded[2].layers(), steppers[0].layers()), 0.0);
    let e = load_hierarchy(&dir, 0.0, &Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no model_D*_noise0.0.safetensors"), "{e}");

    // A training state made for step 2 cannot resume a run for step 4, nor for another system.
    let s = ResNetStepper::new(&[2, 8, 2], 2, 0.05, 0, &Device::Cpu).unwrap();
    let stems = vec![checkpoint_stem(&dir, 2, 0.01)];
    let mut t = Trainer::new(&[&s], vec![data(2, 3)], small_cfg(10)).unwrap();
    t.run(10, &mut |_| {}).unwrap();
    t.save_state(&stems, &info).unwrap();
    let resume = |expect: (usize, f64, usize), system| {
        let info = RunInfo {
            system,
            ..info.clone()
        };
        Trainer::resume(
            &stems,
            &[expect],
            vec![data(2, 3)],
            small_cfg(10),
            &info,
            &Device::Cpu,
        )
        .err()
        .map(|e| e.to_string())
    };
    let e = resume((4, 0.05, 2), Some(SystemKind::Hopf.name().to_string())).unwrap();
    assert!(
        e.contains("model_D2_noise0.01.state.json") && e.contains("step size 2 (expected 4)"),
        "{e}"
    );
    let e = resume((2, 0.01, 2), Some(SystemKind::Hopf.name().to_string())).unwrap();
    assert!(e.contains("dt 0.05 (expected 0.01)"), "{e}");
    let e = resume((2, 0.05, 3), Some(SystemKind::Lorenz.name().to_string())).unwrap();
    assert!(
        e.contains("system Hopf (expected Lorenz)") && e.contains("dim Some(2) (expected 3)"),
        "{e}"
    );
    assert!(resume((2, 0.05, 2), Some(SystemKind::Hopf.name().to_string())).is_none());
}
