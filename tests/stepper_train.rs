//! Training: convergence, resume, batched hierarchy, checkpoints (gradients and losses:
//! `stepper_loss.rs`).

mod common;

use candle_core::Device;
use common::{data, max_diff, small_cfg, tmpdir};
use hits::stepper::{
    checkpoint_stem, load_hierarchy, ExpectedStepper, ResNetStepper, RunInfo, StepperMeta,
    TrainConfig, Trainer,
};

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
        system: Some("Harmonic".into()),
        noise: 0.0,
        seed: Some(5),
        data_sha256: None,
    };
    let stems = vec![checkpoint_stem(&dir, 2, 0.0)];
    let mut half = Trainer::new(&[&s], vec![data(2, 3)], cfg.clone()).unwrap();
    half.run(30, &mut |_| {}).unwrap();
    half.save_state(&stems, &info).unwrap();
    drop(half);
    let expect = ExpectedStepper {
        step_size: Some(2),
        dt: Some(0.05),
        dim: Some(2),
        ..ExpectedStepper::default()
    };
    let mut resumed =
        Trainer::resume(&stems, &[expect], vec![data(2, 3)], cfg, &Device::Cpu).unwrap();
    assert_eq!(resumed.epoch(), 30);
    resumed.run(usize::MAX, &mut |_| {}).unwrap();

    // Exact: one state file holds weights, moments and counters of one moment.
    let a = whole.current().unwrap().pop().unwrap();
    let b = resumed.current().unwrap().pop().unwrap();
    let d = max_diff(a.layers(), b.layers());
    assert_eq!(d, 0.0, "current weights differ by {d:e}");
    let (ra, rb) = (
        whole.finish().unwrap().pop().unwrap(),
        resumed.finish().unwrap().pop().unwrap(),
    );
    assert_eq!(ra.1.history, rb.1.history);
    assert_eq!(max_diff(ra.0.layers(), rb.0.layers()), 0.0);
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
        system: Some("Hopf".into()),
        noise: 0.01,
        seed: Some(1),
        data_sha256: None,
    };
    let mut steppers = Vec::new();
    for k in [4usize, 1, 2] {
        let s = ResNetStepper::new(&[2, 8, 2], k, 0.05, k as u32, &Device::Cpu).unwrap();
        let stem = checkpoint_stem(&dir, k, 0.01);
        assert!(stem.ends_with(format!("model_D{k}_noise0.01")));
        s.save(&stem, &StepperMeta::new(&s, info.system.as_deref(), 0.01))
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
    let resume = |(step, dt, dim): (usize, f64, usize), system: &str| {
        let expect = ExpectedStepper {
            system: Some(system.into()),
            step_size: Some(step),
            dt: Some(dt),
            dim: Some(dim),
            noise: Some(0.01),
            ..ExpectedStepper::default()
        };
        Trainer::resume(
            &stems,
            &[expect],
            vec![data(2, 3)],
            small_cfg(10),
            &Device::Cpu,
        )
        .err()
        .map(|e| e.to_string())
    };
    let e = resume((4, 0.05, 2), "Hopf").unwrap();
    assert!(
        e.contains("model_D2_noise0.01.state.safetensors")
            && e.contains("step size 2 (expected 4)"),
        "{e}"
    );
    let e = resume((2, 0.01, 2), "Hopf").unwrap();
    assert!(e.contains("dt 0.05 (expected 0.01)"), "{e}");
    let e = resume((2, 0.05, 3), "Lorenz").unwrap();
    assert!(
        e.contains("system Hopf (expected Lorenz)") && e.contains("dim 2 (expected 3)"),
        "{e}"
    );
    assert!(resume((2, 0.05, 2), "Hopf").is_none());
}

/// A resume with an epoch cap below what an interrupted run has done ends the run there: the
/// state is kept (marked finished, with a phase recording the cap), nothing is deleted, and a
/// later resume with a larger cap continues it exactly.
#[test]
fn a_lowered_cap_finishes_an_interrupted_run_and_a_raised_one_continues_it() {
    let dir = tmpdir("cap");
    let s = ResNetStepper::new(&[2, 16, 16, 2], 2, 0.05, 5, &Device::Cpu).unwrap();
    let info = RunInfo {
        system: None,
        noise: 0.0,
        seed: Some(5),
        data_sha256: None,
    };
    let stems = vec![checkpoint_stem(&dir, 2, 0.0)];
    let expect = || vec![ExpectedStepper::default()];
    let mut t = Trainer::new(&[&s], vec![data(2, 3)], small_cfg(60)).unwrap();
    t.run(30, &mut |_| {}).unwrap();
    t.save(&stems, &info).unwrap();
    let low = Trainer::resume(
        &stems,
        &expect(),
        vec![data(2, 3)],
        small_cfg(20),
        &Device::Cpu,
    )
    .unwrap();
    assert!(low.is_finished() && low.needs_save());
    assert_eq!(low.epoch(), 30);
    low.save(&stems, &info).unwrap();
    let state = dir.join("model_D2_noise0.0.state.safetensors");
    assert!(state.exists());
    let meta: StepperMeta =
        serde_json::from_str(&std::fs::read_to_string(dir.join("model_D2_noise0.0.json")).unwrap())
            .unwrap();
    assert_eq!(meta.epochs, 30);
    assert_eq!(
        meta.phases
            .iter()
            .map(|p| (p.from_epoch, p.config.epochs))
            .collect::<Vec<_>>(),
        vec![(0, 60), (30, 20)]
    );
    // Raised again: continues to 60 with the same weights as one uninterrupted run.
    let mut high = Trainer::resume(
        &stems,
        &expect(),
        vec![data(2, 3)],
        small_cfg(60),
        &Device::Cpu,
    )
    .unwrap();
    assert!(!high.is_finished());
    high.run(usize::MAX, &mut |_| {}).unwrap();
    let mut whole = Trainer::new(&[&s], vec![data(2, 3)], small_cfg(60)).unwrap();
    whole.run(usize::MAX, &mut |_| {}).unwrap();
    let (a, b) = (whole.finish().unwrap(), high.finish().unwrap());
    assert_eq!(a[0].1.history, b[0].1.history);
    assert_eq!(max_diff(a[0].0.layers(), b[0].0.layers()), 0.0);
}
