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

#[cfg(feature = "cuda")]
fn cuda_or_cpu() -> candle_core::Result<Device> {
    if candle_core::utils::cuda_is_available() {
        match Device::new_cuda(0) {
            Ok(dev) => return Ok(dev),
            Err(e) => eprintln!("hits: CUDA device 0 not usable ({e}); running on the CPU"),
        }
    } else {
        eprintln!("hits: no CUDA device found; running on the CPU");
    }
    Ok(Device::Cpu)
}

#[cfg(not(feature = "cuda"))]
fn cuda_or_cpu() -> candle_core::Result<Device> {
    eprintln!(
        "hits: built without the `cuda` feature; running on the CPU (rebuild with --features cuda)"
    );
    Ok(Device::Cpu)
}
