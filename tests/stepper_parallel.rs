//! Training a hierarchy with one stepper per core (after `one_thread_per_matmul`) gives every
//! stepper exactly what it gets when trained alone, checkpoints and progress included.
//!
//! Its own test binary: `one_thread_per_matmul` changes the process environment.

mod cli_common;

use candle_core::Device;
use cli_common::rotations as trajectories;
use hits::hierarchy::train_hierarchy;
use hits::stepper::device::one_thread_per_matmul;
use hits::stepper::{HierarchySpec, TrainConfig, TrainRun};

#[test]
fn steppers_trained_side_by_side_equal_steppers_trained_alone() {
    let cores = one_thread_per_matmul();
    assert_eq!(candle_core::utils::get_num_threads(), 1);
    let (train, val) = (trajectories(40, 25, 1), trajectories(16, 25, 2));
    let cfg = TrainConfig {
        epochs: 60,
        batch_size: 16,
        n_forward: 3,
        eval_every: 20,
        seed: 4,
        ..TrainConfig::default()
    };
    let dir = std::env::temp_dir().join(format!("hits_parallel_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = |steps: Vec<usize>| HierarchySpec {
        weight_seed: 3,
        ..HierarchySpec::new(vec![2, 16, 16, 2], steps, cfg.clone())
    };
    let run = |out: &str| TrainRun {
        out_dir: Some(dir.join(out)),
        ..TrainRun::in_memory(0.05)
    };
    let mut reports = 0;
    let together = train_hierarchy(
        &spec(vec![1, 2, 4, 8]),
        &run("together"),
        train.view(),
        val.view(),
        &Device::Cpu,
        &mut |_| reports += 1,
    )
    .expect("parallel training");
    assert_eq!(
        reports,
        4 * 3,
        "every check of every stepper reaches the caller ({cores} cores)"
    );
    let pairs = together.steppers.iter().zip(&together.reports);
    for (k, (s, r)) in [1usize, 2, 4, 8].into_iter().zip(pairs) {
        assert_eq!(s.step_size(), k, "results come back sorted by step size");
        assert_eq!(r.step_size, k, "each report with its stepper");
        let alone = train_hierarchy(
            &spec(vec![k]),
            &run("alone"),
            train.view(),
            val.view(),
            &Device::Cpu,
            &mut |_| {},
        )
        .expect("training alone");
        let (a, ra) = (&alone.steppers[0], &alone.reports[0]);
        assert_eq!(r.history, ra.history, "step {k}");
        for ((w1, b1), (w2, b2)) in s.layers().iter().zip(a.layers()) {
            assert_eq!(
                w1.to_vec2::<f32>().unwrap(),
                w2.to_vec2::<f32>().unwrap(),
                "step {k}"
            );
            assert_eq!(
                b1.to_vec1::<f32>().unwrap(),
                b2.to_vec1::<f32>().unwrap(),
                "step {k}"
            );
        }
        assert!(dir
            .join("together")
            .join(format!("model_D{k}_noise0.0.safetensors"))
            .exists());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
