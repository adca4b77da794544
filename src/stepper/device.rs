//! Device selection: one place decides where tensors live.
//!
//! The default build is CPU-only; `--features cuda` adds CUDA (see README, "CUDA"). A choice is
//! a [`DeviceChoice`]: `Cpu`, `Cuda` (strict: an error when this build or machine has no usable
//! CUDA device, so a script that asked for the GPU does not silently run for hours on the CPU)
//! or `Auto` (CUDA device 0 when usable, else the CPU with a notice on stderr).
//! [`select_device`] resolves it; [`device`] is the lenient shorthand (`Cpu` or `Auto`).
//!
//! What runs where: training ([`super::train::Trainer`]: the stacked forward, the hand-written
//! backward of [`super::backward`], Adam) and candle's forecasting run on any device;
//! the fused forward [`crate::forecast::CpuResNet`] is CPU-only and is chosen only for a CPU
//! device ([`crate::forecast::StepperSet`]); [`one_thread_per_matmul`] only changes candle's
//! CPU kernels (a CUDA run ignores it).

use candle_core::Device;

use crate::{Error, Result};

/// Where to run, as asked for (`--device`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DeviceChoice {
    /// The CPU.
    #[default]
    Cpu,
    /// CUDA device 0, strictly: an error (exit status 1) when this build has no `cuda` feature
    /// or no usable CUDA device is found.
    Cuda,
    /// CUDA device 0 when this build and machine have one, else the CPU (with a notice).
    Auto,
}

/// The device of `choice` (see the module docs): `Cuda` fails with a message saying why CUDA
/// is not usable here and what to do; `Auto` falls back to the CPU with a notice on stderr.
///
/// ```
/// use hits::stepper::device::{select_device, DeviceChoice};
/// assert!(select_device(DeviceChoice::Cpu).unwrap().is_cpu());
/// # #[cfg(not(feature = "cuda"))]
/// assert!(select_device(DeviceChoice::Cuda).is_err()); // a CPU-only build
/// ```
pub fn select_device(choice: DeviceChoice) -> Result<Device> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Cuda => cuda().map_err(|why| {
            Error::invalid(
                "--device cuda",
                format!("{why}; use --device auto to fall back to the CPU, or --device cpu"),
            )
        }),
        DeviceChoice::Auto => Ok(cuda().unwrap_or_else(|why| {
            notice(&format!("hits: {why}; running on the CPU"));
            Device::Cpu
        })),
    }
}

/// True when this build has the `cuda` feature (it may still find no GPU).
pub const fn cuda_built() -> bool {
    cfg!(feature = "cuda")
}

/// A line on stderr; a closed stderr must not stop the program.
fn notice(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// CUDA device 0, or why not.
#[cfg(feature = "cuda")]
fn cuda() -> std::result::Result<Device, String> {
    if !candle_core::utils::cuda_is_available() {
        return Err("no CUDA device found".into());
    }
    Device::new_cuda(0).map_err(|e| format!("CUDA device 0 not usable ({e})"))
}

/// CUDA device 0, or why not.
#[cfg(not(feature = "cuda"))]
fn cuda() -> std::result::Result<Device, String> {
    Err(
        "this hits was built without the `cuda` feature (rebuild with `cargo build --release \
         --features cuda`, see README, \"CUDA\")"
            .into(),
    )
}

/// Make candle's CPU matrix products single-threaded, keeping every core for independent work
/// (several steppers training at once, trajectory batches of the solvers).
///
/// The paper's nets are small (`[2, 128, 128, 128, 2]` on minibatches of 320): splitting one such
/// product over two threads made training about 2x SLOWER here (79 vs 160 epochs/s), while two
/// steppers trained side by side on one thread each ran at 150-180 epochs/s each
/// (`BENCHMARKS.md`, "Training"). candle reads its thread count from `RAYON_NUM_THREADS` at
/// every product, so this first starts rayon's global pool with every core (for the solvers
/// and [`super::train_hierarchy`], which then trains one stepper per core) and then sets
/// `RAYON_NUM_THREADS=1` for candle. It changes the process environment: call it once, early,
/// from a program or notebook (the `hits` command does), not from library code. A user who
/// set `RAYON_NUM_THREADS` keeps their setting, and nothing is changed.
///
/// Only candle's CPU kernels read `RAYON_NUM_THREADS`: on a CUDA device it changes nothing,
/// and [`super::train_hierarchy`] then trains the steppers one group after the other.
///
/// In an evcxr notebook every cell links its own copy of rayon, so call it at the top of each
/// cell that trains: the marker variable `HITS_ONE_THREAD_PER_MATMUL` tells a later call that
/// `RAYON_NUM_THREADS=1` was set here, and it sizes that cell's pool to every core again.
/// Returns the number of threads of rayon's global pool.
pub fn one_thread_per_matmul() -> usize {
    let set_here = std::env::var_os(MARKER).is_some();
    if std::env::var_os("RAYON_NUM_THREADS").is_some() && !set_here {
        return rayon::current_num_threads();
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Fails only when the pool already exists, which is fine: it has its size already.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(cores)
        .build_global();
    std::env::set_var("RAYON_NUM_THREADS", "1");
    std::env::set_var(MARKER, "1");
    rayon::current_num_threads()
}

/// Set by [`one_thread_per_matmul`] beside `RAYON_NUM_THREADS=1`.
const MARKER: &str = "HITS_ONE_THREAD_PER_MATMUL";
