//! Benchmark of the RK45 solver on the paper's data-set setups (harness-free binary).
//!
//! `cargo bench --bench solvers` prints one CSV line per measurement:
//! `rust,<case>,<seconds per trajectory>,<nfev per trajectory>`. The single-trajectory cases use
//! the initial states of `tests/fixtures/solvers/<system>_y0.npy`, which `tools/bench_scipy.py`
//! times with scipy; `tools/bench_solvers.sh` runs both and prints the side-by-side table.
//! The `lorenz_dataset_*` lines time the whole Lorenz data-set size (7680 trajectories of 5121
//! points) serially and with `solve_ivp_many` on all rayon threads.

use hits::problem::SystemKind;
use hits::solvers::{linspace, solve_ivp, solve_ivp_many, Tolerances};
use ndarray::Array2;
use std::path::Path;
use std::time::Instant;

fn fixture_y0(name: &str) -> Array2<f64> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/solvers/{name}_y0.npy"));
    ndarray_npy::read_npy(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The paper's grid for `kind`: (t_end, number of points).
fn grid(kind: SystemKind) -> (f64, usize) {
    match kind {
        SystemKind::Harmonic => (1999.0 * 0.001, 2000),
        k => (5120.0 * k.problem().dt, 5121),
    }
}

/// Median over repeats of the time per call, repeating each batch for at least `min_s` seconds.
fn time_per_call(min_s: f64, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let mut samples = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let mut calls = 0usize;
        while start.elapsed().as_secs_f64() < min_s / 5.0 {
            f();
            calls += 1;
        }
        samples.push(start.elapsed().as_secs_f64() / calls as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() -> hits::Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let min_s = if quick { 0.1 } else { 1.0 };
    let tol = Tolerances::scipy_default();
    for kind in SystemKind::ALL {
        let system = kind.problem().field.expect("a built-in vector field");
        let name = kind.name().to_ascii_lowercase();
        let y0s = fixture_y0(&name);
        let (t_end, n) = grid(kind);
        let t_eval = linspace(0.0, t_end, n);
        let mut nfev = 0;
        for row in y0s.rows() {
            nfev += solve_ivp(system.as_ref(), (0.0, t_end), &row.to_vec(), &t_eval, tol)?
                .stats
                .n_rhs;
        }
        let secs = time_per_call(min_s, || {
            for row in y0s.rows() {
                let sol = solve_ivp(
                    system.as_ref(),
                    (0.0, t_end),
                    row.as_slice().unwrap_or(&[]),
                    &t_eval,
                    tol,
                );
                std::hint::black_box(sol.ok());
            }
        });
        let k = y0s.nrows() as f64;
        println!("rust,{name},{:.6e},{:.0}", secs / k, nfev as f64 / k);
    }

    // The Lorenz data-set size: 7680 trajectories (initial states spread over the attractor's box).
    let n_traj = if quick { 768 } else { 7680 };
    let mut state = 12345u64;
    let mut uniform = |lo: f64, hi: f64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
    };
    let y0s = Array2::from_shape_fn((n_traj, 3), |(_, d)| {
        if d < 2 {
            uniform(-15.0, 15.0)
        } else {
            uniform(5.0, 40.0)
        }
    });
    let lorenz = SystemKind::Lorenz
        .problem()
        .field
        .expect("a built-in vector field");
    let (t_end, n) = grid(SystemKind::Lorenz);
    let t_eval = linspace(0.0, t_end, n);
    let start = Instant::now();
    let mut nfev = 0;
    for row in y0s.rows() {
        nfev += solve_ivp(lorenz.as_ref(), (0.0, t_end), &row.to_vec(), &t_eval, tol)?
            .stats
            .n_rhs;
    }
    let serial = start.elapsed().as_secs_f64();
    println!(
        "rust,lorenz_dataset_serial,{:.6e},{:.0}",
        serial / n_traj as f64,
        nfev as f64 / n_traj as f64
    );
    let start = Instant::now();
    let ys = solve_ivp_many(lorenz.as_ref(), (0.0, t_end), y0s.view(), &t_eval, tol)?;
    let parallel = start.elapsed().as_secs_f64();
    std::hint::black_box(ys);
    println!(
        "rust,lorenz_dataset_parallel_{}threads,{:.6e},{:.0}",
        rayon::current_num_threads(),
        parallel / n_traj as f64,
        nfev as f64 / n_traj as f64
    );
    println!("# lorenz data set ({n_traj} trajectories): serial {serial:.3} s, solve_ivp_many {parallel:.3} s");
    Ok(())
}
