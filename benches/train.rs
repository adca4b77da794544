//! Training speed: ms per epoch (one minibatch + Adam step) of one stepper [2,128,128,128,2],
//! batch 320, n_forward 5, and of a hierarchy of 11 steppers, batched vs one after the other.
//!
//! Run: `cargo bench --bench train` (or tools/bench_train.sh, which also times the original
//! PyTorch train_net). Set RAYON_NUM_THREADS to pin candle's CPU threads.

use std::time::Instant;

use candle_core::Device;
use hits::stepper::{ResNetStepper, StepperData, TrainConfig, TrainWindows, Trainer};
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
}
