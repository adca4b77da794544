//! Device selection: one helper picks where tensors live.
//!
//! The default build is CPU-only. Built with `--features cuda`, [`device`] returns the first
//! CUDA device when one is usable and falls back to the CPU with a message on stderr otherwise.

use candle_core::Device;

/// The device to run on: the CPU when `cpu` is true or when no usable CUDA device exists.
///
/// ```
/// let dev = hits::stepper::device(true).unwrap();
/// assert!(dev.is_cpu());
/// ```
pub fn device(cpu: bool) -> candle_core::Result<Device> {
    if cpu {
        return Ok(Device::Cpu);
    }
    cuda_or_cpu()
}

/// A line on stderr; a closed stderr must not stop the program.
fn notice(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[cfg(feature = "cuda")]
fn cuda_or_cpu() -> candle_core::Result<Device> {
    if candle_core::utils::cuda_is_available() {
        match Device::new_cuda(0) {
            Ok(dev) => return Ok(dev),
            Err(e) => notice(&format!(
                "hits: CUDA device 0 not usable ({e}); running on the CPU"
            )),
        }
    } else {
        notice("hits: no CUDA device found; running on the CPU");
    }
    Ok(Device::Cpu)
}

#[cfg(not(feature = "cuda"))]
fn cuda_or_cpu() -> candle_core::Result<Device> {
    notice(
        "hits: built without the `cuda` feature; running on the CPU (rebuild with --features cuda)",
    );
    Ok(Device::Cpu)
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
