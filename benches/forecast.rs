//! Forecasting benchmark, side by side with the original PyTorch functions on the SAME weights
//! and inputs. Run `bash tools/bench_forecast.sh` (it runs `tools/original_forecast.py bench`
//! first, which exports the 11 Hyperbolic models and 320 initial states to
//! `target/bench_forecast/`, then this with `cargo bench --bench forecast`).
//!
//! Measures (best of 3, 5120 steps): uni-scale step 1, multiscale with all 11 steppers,
//! hybrid (1024 dt net + RK4 at h = dt), RK4 alone, batch-1 and batch-320 step latency, and the
//! achieved GFLOP/s against a 2048^3 candle matmul. Prints a markdown table and checks that the
//! predictions agree with the original's.

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{Device, Tensor};
use hits::forecast::{
    hybrid_forecast, multiscale_forecast, multiscale_points, rk4_forecast, states_tensor,
    to_array3, uni_scale_forecast, CpuResNet, Stepper,
};
use hits::stepper::ResNetStepper;
use hits::systems::Hyperbolic;
use ndarray::{Array1, Array2, Array3};
use ndarray_npy::read_npy;

const N_STEPS: usize = 5120;

/// Timings [s] and predictions of one backend.
struct Times {
    uni: f64,
    ms: f64,
    hy: f64,
    b1: f64,
    b320: f64,
    ms1: f64,
    uni_pred: Tensor,
    ms_pred: Tensor,
    hy_pred: Array3<f64>,
}

fn best_of<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeat {
        let t0 = Instant::now();
        let v = f();
        best = best.min(t0.elapsed().as_secs_f64());
        out = Some(v);
    }
    (best, out.expect("repeat >= 1"))
}

fn load_net(dir: &Path, step: usize) -> hits::Result<ResNetStepper> {
    let mut layers = Vec::new();
    for i in 0.. {
        let w_path = dir.join(format!("D{step}_W{i}.npy"));
        if !w_path.exists() {
            break;
        }
        let w: Array2<f32> =
            read_npy(&w_path).map_err(|e| hits::Error::bad_file(&w_path, e.to_string()))?;
        let b_path = dir.join(format!("D{step}_b{i}.npy"));
        let b: Array1<f32> =
            read_npy(&b_path).map_err(|e| hits::Error::bad_file(&b_path, e.to_string()))?;
        let (o, n) = w.dim();
        layers.push((
            Tensor::from_vec(
                w.iter().copied().collect::<Vec<f32>>(),
                (o, n),
                &Device::Cpu,
            )?,
            Tensor::from_vec(b.to_vec(), o, &Device::Cpu)?,
        ));
    }
    ResNetStepper::from_layers(layers, step, 0.01)
}

fn read3(path: &Path) -> Option<Array3<f64>> {
    read_npy::<_, Array3<f32>>(path)
        .map(|a| a.mapv(f64::from))
        .or_else(|_| read_npy::<_, Array3<f64>>(path))
        .ok()
}

fn max_diff(a: &Array3<f64>, b: &Array3<f64>, from: usize) -> f64 {
    let (a, b) = (
        a.slice(ndarray::s![.., from.., ..]),
        b.slice(ndarray::s![.., from.., ..]),
    );
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn main() -> hits::Result<()> {
    let dir = std::env::var_os("HITS_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench_forecast"));
    if !dir.join("x0.npy").exists() {
        eprintln!(
            "no {}: run `bash tools/bench_forecast.sh` (it exports the weights first)",
            dir.join("x0.npy").display()
        );
        return Ok(());
    }
    let nets: Vec<ResNetStepper> = (0..11)
        .map(|k| load_net(&dir, 1 << k))
        .collect::<hits::Result<_>>()?;
    let refs: Vec<&dyn Stepper> = nets.iter().map(|n| n as &dyn Stepper).collect();
    let x0_path = dir.join("x0.npy");
    let x0_f64: Array2<f64> =
        read_npy(&x0_path).map_err(|e| hits::Error::bad_file(&x0_path, e.to_string()))?;
    let x0 = states_tensor(x0_f64.view(), &Device::Cpu)?;
    let n_traj = x0_f64.nrows();
    let arch = nets[0].arch().to_vec();
    let flops_per_row: f64 = arch.windows(2).map(|w| 2.0 * (w[0] * w[1]) as f64).sum();

    // Peak: a large candle matmul.
    let a = Tensor::randn(0f32, 1.0, (2048, 2048), &Device::Cpu)?;
    let (t_mm, _) = best_of(5, || a.matmul(&a).expect("matmul"));
    let peak = 2.0 * 2048f64.powi(3) / t_mm / 1e9;

    let fast: Vec<CpuResNet> = nets
        .iter()
        .map(CpuResNet::new)
        .collect::<hits::Result<_>>()?;
    let fast_refs: Vec<&dyn Stepper> = fast.iter().map(|n| n as &dyn Stepper).collect();
    let x1 = x0.narrow(0, 0, 1)?;
    let run = |steppers: &[&dyn Stepper]| -> Times {
        let (uni, uni_pred) = best_of(3, || {
            uni_scale_forecast(steppers[0], &x0, N_STEPS).expect("uni-scale")
        });
        let (ms, ms_pred) = best_of(3, || {
            multiscale_forecast(steppers, &x0, N_STEPS).expect("multiscale")
        });
        let (hy, hy_pred) = best_of(3, || {
            hybrid_forecast(
                steppers[10],
                &Hyperbolic::default(),
                0.01,
                1.0,
                &x0,
                N_STEPS,
            )
            .expect("hybrid")
        });
        let (b1, _) = best_of(3, || {
            (0..1000).for_each(|_| drop(steppers[0].step(&x1).expect("step")))
        });
        let (b320, _) = best_of(3, || {
            (0..100).for_each(|_| drop(steppers[0].step(&x0).expect("step")))
        });
        let (ms1, _) = best_of(3, || {
            multiscale_forecast(steppers, &x1, N_STEPS).expect("multiscale, 1 state")
        });
        Times {
            uni,
            ms,
            hy,
            b1: b1 / 1000.0,
            b320: b320 / 100.0,
            ms1,
            uni_pred,
            ms_pred,
            hy_pred,
        }
    };
    let candle = run(&refs);
    let fused = run(&fast_refs);
    let (positions, _) = multiscale_points(&refs, &x0, N_STEPS)?;
    let ms_rows = ((positions.len() - 1) * n_traj) as f64;
    let (t_rk, rk) = best_of(3, || {
        rk4_forecast(&Hyperbolic::default(), 0.01, 1.0, x0_f64.view(), N_STEPS).expect("rk4")
    });

    let py: serde_json::Value = std::fs::read_to_string(dir.join("python_times.json"))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null);
    let p = |k: &str| py.get(k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
    let gf = |rows: f64, t: f64| rows * flops_per_row / t / 1e9;
    let uni_rows = (N_STEPS * n_traj) as f64;
    println!("| {n_traj} states, {N_STEPS} steps, arch {arch:?} | original PyTorch [s] | hits candle [s] | hits fused [s] | speed-up (fused) | GFLOP/s PyTorch / candle / fused |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str, tp: f64, tc: f64, tf: f64, rows: Option<f64>| {
        let g = rows.map_or(String::from("-"), |r| {
            format!("{:.1} / {:.1} / {:.1}", gf(r, tp), gf(r, tc), gf(r, tf))
        });
        println!(
            "| {name} | {tp:.3e} | {tc:.3e} | {tf:.3e} | {:.1}x | {g} |",
            tp / tf
        );
    };
    row(
        "uni-scale, step 1 dt",
        p("uni1"),
        candle.uni,
        fused.uni,
        Some(uni_rows),
    );
    row(
        "multiscale, all 11 steppers",
        p("multiscale"),
        candle.ms,
        fused.ms,
        Some(ms_rows),
    );
    row(
        "hybrid: 1024 dt net + RK4 h = dt",
        p("hybrid"),
        candle.hy,
        fused.hy,
        None,
    );
    row("RK4 alone, h = dt (no network)", p("rk4"), t_rk, t_rk, None);
    row(
        "one step, batch 1 (latency)",
        p("step_batch1"),
        candle.b1,
        fused.b1,
        Some(1.0),
    );
    row(
        "one step, batch 320",
        p("step_batch320"),
        candle.b320,
        fused.b320,
        Some(n_traj as f64),
    );
    row(
        "multiscale, 1 state",
        p("multiscale_batch1"),
        candle.ms1,
        fused.ms1,
        None,
    );
    println!(
        "\nmatmul 2048^3 f32 peak: candle {peak:.1} GFLOP/s, PyTorch {:.1} GFLOP/s; multiscale computes {} points per state",
        p("matmul2048_gflops"),
        positions.len() - 1
    );

    // Agreement with the original's predictions (its step-1 uni-scale output 0 is NaN).
    let checks = [
        ("uni1.npy (candle)", to_array3(&candle.uni_pred)?, 1),
        ("uni1.npy (fused)", to_array3(&fused.uni_pred)?, 1),
        ("multiscale.npy (candle)", to_array3(&candle.ms_pred)?, 0),
        ("multiscale.npy (fused)", to_array3(&fused.ms_pred)?, 0),
        ("hybrid.npy (candle)", candle.hy_pred, 0),
        ("hybrid.npy (fused)", fused.hy_pred, 0),
        ("rk4.npy", rk, 0),
    ];
    for (name, ours, from) in checks {
        let file = name.split(' ').next().unwrap_or(name);
        match read3(&dir.join(file)) {
            Some(theirs) => println!(
                "max |hits - original| {name}: {:.2e}",
                max_diff(&ours, &theirs, from)
            ),
            None => println!("{name}: missing"),
        }
    }
    Ok(())
}
