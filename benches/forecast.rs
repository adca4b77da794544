//! Forecasting benchmark, side by side with the original PyTorch functions on the SAME weights
//! and inputs. Run `bash tools/bench_forecast.sh` (it runs `tools/original_forecast.py bench`
//! first, which exports the 11 Hyperbolic models and 320 initial states to
//! `target/bench_forecast/`, then this with `cargo bench --bench forecast`).
//!
//! Measures (best of 3, 5120 steps): uni-scale step 1, multiscale with all 11 steppers, hybrid
//! (1024 dt net + RK4 at h = dt), RK4 alone, batch-1 and batch-320 step latency. GFLOP/s count
//! 2 in out per layer for every row of every stepper call actually made (counted by wrapping the
//! steppers; the Python side counts its own calls the same way), against the peak of the `gemm`
//! crate (the one the fused forward uses) measured here on 1 and 2 threads. Prints markdown
//! tables and the agreement with the original's predictions.
//!
//! `HITS_BENCH_ONLY=rk4` runs only the RK4 and hybrid rows (quick iteration).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use candle_core::{Device, Tensor};
use hits::forecast::{
    hybrid_forecast, multiscale_forecast, rk4_forecast, states_tensor, uni_scale_forecast,
    CpuResNet, Stepper,
};
use hits::problem::builtin::Hyperbolic;
use hits::stepper::ResNetStepper;
use hits::System;
use ndarray::{Array1, Array2, Array3};
use ndarray_npy::read_npy;

const N_STEPS: usize = 5120;

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

/// CPU time of this process so far (all threads) [s], from `/proc/self/task/*/schedstat`
/// (nanoseconds on the CPU); NaN where that is not available. On a loaded machine, CPU time per
/// call is a steadier figure than wall time (it excludes the time other jobs held the cores).
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let mut ns = 0u64;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        ns += stat
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
    }
    ns as f64 * 1e-9
}

/// Best wall time of `repeat` calls, and the mean CPU time per call (all threads).
fn best_and_cpu<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let c0 = cpu_seconds();
    let (best, out) = best_of(repeat, &mut f);
    (best, (cpu_seconds() - c0) / repeat as f64, out)
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
        let w = Tensor::from_vec(
            w.iter().copied().collect::<Vec<f32>>(),
            (o, n),
            &Device::Cpu,
        )?;
        layers.push((w, Tensor::from_vec(b.to_vec(), o, &Device::Cpu)?));
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

/// A stepper that counts the rows it is asked to advance (the FLOP count of a forecast).
struct Counting<'a> {
    inner: &'a dyn Stepper,
    rows: AtomicUsize,
}

impl Stepper for Counting<'_> {
    fn step_size(&self) -> usize {
        self.inner.step_size()
    }
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn step(&self, x: &Tensor) -> hits::Result<Tensor> {
        self.rows.fetch_add(x.dim(0)?, Ordering::Relaxed);
        self.inner.step(x)
    }
}

/// Rows advanced by `forecast` over all of `steppers`.
fn count_rows(
    steppers: &[&dyn Stepper],
    forecast: impl Fn(&[&dyn Stepper]) -> hits::Result<ndarray::Array3<f64>>,
) -> hits::Result<f64> {
    let counting: Vec<Counting> = steppers
        .iter()
        .map(|&s| Counting {
            inner: s,
            rows: AtomicUsize::new(0),
        })
        .collect();
    let refs: Vec<&dyn Stepper> = counting.iter().map(|c| c as &dyn Stepper).collect();
    forecast(&refs)?;
    Ok(counting
        .iter()
        .map(|c| c.rows.load(Ordering::Relaxed))
        .sum::<usize>() as f64)
}

/// GFLOP/s of an `m x k` times `k x n` f32 product with the `gemm` crate on `threads` threads.
fn gemm_gflops(m: usize, k: usize, n: usize, threads: usize, repeat: usize) -> f64 {
    let a = vec![0.5f32; m * k];
    let b = vec![0.25f32; k * n];
    let mut c = vec![0f32; m * n];
    let par = if threads <= 1 {
        gemm::Parallelism::None
    } else {
        gemm::Parallelism::Rayon(threads)
    };
    let reps = (2e9 / (2.0 * (m * k * n) as f64)).ceil().max(1.0) as usize; // ~2 GFLOP per try
    let (t, _) = best_of(repeat, || {
        for _ in 0..reps {
            // SAFETY: row-major a [m, k], b [k, n], c [m, n] with exactly these lengths.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    c.as_mut_ptr(),
                    1,
                    n as isize,
                    false,
                    a.as_ptr(),
                    1,
                    k as isize,
                    b.as_ptr(),
                    1,
                    n as isize,
                    0.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    par,
                );
            }
        }
    });
    2.0 * (m * k * n * reps) as f64 / t / 1e9
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
    let only_rk4 = std::env::var("HITS_BENCH_ONLY").is_ok_and(|v| v == "rk4");
    let nets: Vec<ResNetStepper> = (0..11)
        .map(|k| load_net(&dir, 1 << k))
        .collect::<hits::Result<_>>()?;
    let fast: Vec<CpuResNet> = nets
        .iter()
        .map(CpuResNet::new)
        .collect::<hits::Result<_>>()?;
    let x0_path = dir.join("x0.npy");
    let x0_f64: Array2<f64> =
        read_npy(&x0_path).map_err(|e| hits::Error::bad_file(&x0_path, e.to_string()))?;
    let x0 = states_tensor(x0_f64.view(), &Device::Cpu)?;
    let n_traj = x0_f64.nrows();
    let py: serde_json::Value = std::fs::read_to_string(dir.join("python_times.json"))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null);
    let p = |k: &str| py.get(k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
    println!("rayon threads: {}", rayon::current_num_threads());

    // RK4 and the hybrid: generic (system type known: rhs inlined) and through `&dyn System`.
    let hyper = Hyperbolic::default();
    let dyn_sys: Box<dyn System> = Box::new(hyper);
    let (t_rk, c_rk, rk) = best_and_cpu(10, || {
        rk4_forecast(&hyper, 0.01, 1.0, x0_f64.view(), N_STEPS).expect("rk4")
    });
    let (t_rk_dyn, c_rk_dyn, _) = best_and_cpu(10, || {
        rk4_forecast(dyn_sys.as_ref(), 0.01, 1.0, x0_f64.view(), N_STEPS).expect("rk4")
    });
    let (t_hy, c_hy, hy) = best_and_cpu(10, || {
        hybrid_forecast(&fast[10], &hyper, 0.01, 1.0, x0_f64.view(), N_STEPS).expect("hybrid")
    });
    let (t_hy_dyn, c_hy_dyn, _) = best_and_cpu(10, || {
        hybrid_forecast(
            &fast[10],
            dyn_sys.as_ref(),
            0.01,
            1.0,
            x0_f64.view(),
            N_STEPS,
        )
        .expect("hybrid")
    });
    println!("\n| {n_traj} states, {N_STEPS} steps | original [s] | hits [s] | speed-up | hits CPU per call [s] | hits via `&dyn System` [s] / CPU [s] |");
    println!("|---|---|---|---|---|---|");
    for (name, tp, t, c, td, cd) in [
        (
            "RK4 alone, h = dt",
            p("rk4"),
            t_rk,
            c_rk,
            t_rk_dyn,
            c_rk_dyn,
        ),
        (
            "hybrid: 1024 dt net + RK4, h = dt",
            p("hybrid"),
            t_hy,
            c_hy,
            t_hy_dyn,
            c_hy_dyn,
        ),
    ] {
        println!(
            "| {name} | {tp:.3e} | {t:.3e} | {:.1}x | {c:.3e} | {td:.3e} / {cd:.3e} |",
            tp / t
        );
    }
    for (name, ours) in [("rk4.npy", rk), ("hybrid.npy", hy)] {
        match read3(&dir.join(name)) {
            Some(theirs) => println!(
                "max |hits - original| {name}: {:.2e}",
                max_diff(&ours, &theirs, 0)
            ),
            None => println!("{name}: missing"),
        }
    }
    if only_rk4 {
        return Ok(());
    }

    // The matmul peak of the gemm crate, and at the forecast's own shape.
    let arch = nets[0].arch().to_vec();
    let flops_per_row: f64 = arch.windows(2).map(|w| 2.0 * (w[0] * w[1]) as f64).sum();
    let (w, n320) = (arch[1], n_traj);
    let peak1 = gemm_gflops(2048, 2048, 2048, 1, 3);
    let peak2 = gemm_gflops(2048, 2048, 2048, 2, 3);
    let shape1 = gemm_gflops(n320, w, w, 1, 5);
    let shape2 = gemm_gflops(n320, w, w, 2, 5);
    println!(
        "\ngemm 0.19 f32 peak: 2048^3 {peak1:.1} GFLOP/s (1 thread), {peak2:.1} (2 threads); \
         [{n320}, {w}] x [{w}, {w}] {shape1:.1} (1 thread), {shape2:.1} (2 threads); \
         PyTorch 2048^3 {:.1} (2 threads)",
        p("matmul2048_gflops")
    );

    let refs: Vec<&dyn Stepper> = nets.iter().map(|n| n as &dyn Stepper).collect();
    let fast_refs: Vec<&dyn Stepper> = fast.iter().map(|n| n as &dyn Stepper).collect();
    let x1 = x0.narrow(0, 0, 1)?;
    let x1_f64 = x0_f64.slice(ndarray::s![0..1, ..]);
    let uni = |s: &[&dyn Stepper]| uni_scale_forecast(s[0], x0_f64.view(), N_STEPS);
    let ms = |s: &[&dyn Stepper]| multiscale_forecast(s, x0_f64.view(), N_STEPS);
    let rows_uni = count_rows(&fast_refs, uni)?;
    let rows_ms = count_rows(&fast_refs, ms)?;
    let gf = |rows: f64, t: f64| rows * flops_per_row / t / 1e9;
    println!(
        "\nstepper rows per forecast: uni-scale step 1 {rows_uni} (original {}), multiscale {rows_ms} (original {})",
        p("uni1_rows"),
        p("multiscale_rows")
    );
    println!("\n| {n_traj} states, {N_STEPS} steps, arch {arch:?} | original PyTorch [s] | hits candle [s] | hits fused [s] | speed-up (fused) | GFLOP/s PyTorch / candle / fused |");
    println!("|---|---|---|---|---|---|");
    let mut preds = Vec::new();
    let row = |name: &str, key: &str, tc: f64, tf: f64, rows: Option<(f64, f64)>| {
        let tp = p(key);
        let g = rows.map_or(String::from("-"), |(r_py, r)| {
            format!("{:.1} / {:.1} / {:.1}", gf(r_py, tp), gf(r, tc), gf(r, tf))
        });
        println!(
            "| {name} | {tp:.3e} | {tc:.3e} | {tf:.3e} | {:.1}x | {g} |",
            tp / tf
        );
    };
    let mut timed = |s: &[&dyn Stepper]| -> hits::Result<[f64; 5]> {
        let (t_uni, u) = best_of(3, || uni(s).expect("uni-scale"));
        let (t_ms, m) = best_of(3, || ms(s).expect("multiscale"));
        let (b1, _) = best_of(3, || {
            (0..1000).for_each(|_| drop(s[0].step(&x1).expect("step")))
        });
        let (b320, _) = best_of(3, || {
            (0..100).for_each(|_| drop(s[0].step(&x0).expect("step")))
        });
        let (ms1, _) = best_of(3, || {
            multiscale_forecast(s, x1_f64, N_STEPS).expect("multiscale, 1 state")
        });
        preds.push((u, m));
        Ok([t_uni, t_ms, b1 / 1000.0, b320 / 100.0, ms1])
    };
    let c = timed(&refs)?;
    let f = timed(&fast_refs)?;
    let py_rows = |k: &str, ours: f64| if p(k).is_nan() { ours } else { p(k) };
    row(
        "uni-scale, step 1 dt",
        "uni1",
        c[0],
        f[0],
        Some((py_rows("uni1_rows", rows_uni), rows_uni)),
    );
    row(
        "multiscale, all 11 steppers",
        "multiscale",
        c[1],
        f[1],
        Some((py_rows("multiscale_rows", rows_ms), rows_ms)),
    );
    row(
        "one step, batch 1 (latency)",
        "step_batch1",
        c[2],
        f[2],
        Some((1.0, 1.0)),
    );
    let b = n_traj as f64;
    row(
        "one step, batch 320",
        "step_batch320",
        c[3],
        f[3],
        Some((b, b)),
    );
    row("multiscale, 1 state", "multiscale_batch1", c[4], f[4], None);

    // Agreement with the original's predictions (its step-1 uni-scale output 0 is NaN).
    for (backend, (u, m)) in ["candle", "fused"].iter().zip(&preds) {
        for (file, ours, from) in [("uni1.npy", u, 1), ("multiscale.npy", m, 0)] {
            match read3(&dir.join(file)) {
                Some(theirs) => println!(
                    "max |hits - original| {file} ({backend}): {:.2e}",
                    max_diff(ours, &theirs, from)
                ),
                None => println!("{file}: missing"),
            }
        }
    }
    Ok(())
}
