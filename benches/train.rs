//! Training speed: ms per epoch (one minibatch + Adam step) of one stepper [2,128,128,128,2],
//! batch 320, n_forward 5, and of a hierarchy of 11 steppers, batched vs one after the other;
//! then the same as `hits train` runs it: single-threaded matrix products
//! (`one_thread_per_matmul`) and, for the hierarchy, one stepper per core (`train_hierarchy`).
//!
//! Run: `cargo bench --bench train` (or tools/bench_train.sh, which also times the original
//! PyTorch train_net). RAYON_NUM_THREADS sets candle's CPU threads for the first three rows.

use std::time::Instant;

use candle_core::Device;
use hits::hierarchy::train_hierarchy;
use hits::stepper::device::one_thread_per_matmul;
use hits::stepper::{
    HierarchySpec, ResNetStepper, StepperData, TrainConfig, TrainRun, TrainWindows, Trainer,
};
use ndarray::{Array2, Array3};

fn windows(n: usize, seed: u32) -> TrainWindows {
    let mut rng = hits::rng::RandomState::new(seed);
    let x = Array2::from_shape_vec((n, 2), rng.uniform_n(-1.0, 1.0, n * 2)).unwrap();
    let ys = Array3::from_shape_vec((n, 5, 2), rng.uniform_n(-1.0, 1.0, n * 10)).unwrap();
    TrainWindows::from_arrays(x.view(), ys.view(), &Device::Cpu).unwrap()
}

/// Seconds per epoch of `k` steppers trained together (epochs after a short warm-up).
fn time_epochs(k: usize, epochs: usize) -> f64 {
    let arch = [2, 128, 128, 128, 2];
    let steppers: Vec<ResNetStepper> = (0..k)
        .map(|i| ResNetStepper::new(&arch, 1 << i, 0.01, i as u32, &Device::Cpu).unwrap())
        .collect();
    let data: Vec<StepperData> = (0..k)
        .map(|i| StepperData {
            train: windows(1600, i as u32),
            val: windows(320, 100 + i as u32),
        })
        .collect();
    // Validation every 1000 epochs as in the paper; no check falls in the timed window.
    let cfg = TrainConfig {
        epochs: 100_000,
        eval_every: 1000,
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(&steppers.iter().collect::<Vec<_>>(), data, cfg).unwrap();
    t.run(5, &mut |_| {}).unwrap();
    let start = Instant::now();
    t.run(5 + epochs, &mut |_| {}).unwrap();
    start.elapsed().as_secs_f64() / epochs as f64
}

/// Seconds per epoch of the whole hierarchy of 11 steppers (steps 1..1024) as `hits train`
/// trains it after [`one_thread_per_matmul`]: one stepper per core, each for `epochs` epochs,
/// on random trajectories of the paper's shape (1600 / 320 x 5121 points); the wall time
/// includes cutting the windows and one validation per stepper at the end.
fn time_hierarchy(epochs: usize) -> f64 {
    let mut rng = hits::rng::RandomState::new(7);
    let mut trajectories = |n: usize| {
        Array3::from_shape_vec((n, 5121, 2), rng.uniform_n(-1.0, 1.0, n * 5121 * 2)).unwrap()
    };
    let (train, val) = (trajectories(1600), trajectories(320));
    let cfg = TrainConfig {
        epochs,
        eval_every: 1000,
        ..TrainConfig::default()
    };
    let spec = HierarchySpec::new(
        vec![2, 128, 128, 128, 2],
        (0..11).map(|i| 1 << i).collect(),
        cfg,
    );
    let start = Instant::now();
    train_hierarchy(
        &spec,
        &TrainRun::in_memory(0.01),
        train.view(),
        val.view(),
        &Device::Cpu,
        &mut |_| {},
    )
    .unwrap();
    start.elapsed().as_secs_f64() / epochs as f64
}

fn main() {
    let quick = std::env::var("HITS_QUICK")
        .map(|v| !v.is_empty() && v != "0")
        .unwrap_or(false);
    let n = if quick { 20 } else { 200 };
    let one = time_epochs(1, n);
    println!("hits one stepper: {:.3} ms/epoch ({n} epochs)", one * 1e3);
    let batched = time_epochs(11, n / 4);
    println!(
        "hits 11 steppers batched: {:.3} ms/epoch ({} epochs)",
        batched * 1e3,
        n / 4
    );
    println!(
        "hits 11 steppers separate: {:.3} ms/epoch (11 x one)",
        11.0 * one * 1e3
    );
    // From here on as `hits train`: one thread per matrix product (for the rest of the run;
    // without RAYON_NUM_THREADS, which bench_train.sh sets for the rows above and which
    // `one_thread_per_matmul` would respect as the user's choice).
    std::env::remove_var("RAYON_NUM_THREADS");
    let cores = one_thread_per_matmul();
    let one = time_epochs(1, n);
    println!(
        "hits one stepper, 1 thread per product (as hits train): {:.3} ms/epoch ({n} epochs)",
        one * 1e3
    );
    let hierarchy = time_hierarchy(n);
    println!(
        "hits 11 steppers as hits train (one per core, {cores} cores): {:.3} ms/epoch ({n} epochs each)",
        hierarchy * 1e3
    );
}
