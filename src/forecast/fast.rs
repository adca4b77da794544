//! A fused CPU forward of the ResNet stepper, for forecasting on the CPU.
//!
//! Same maths as [`crate::stepper::ResNetStepper`]: x + MLP(x), MLP = Linear, ReLU, ...,
//! Linear. Instead of one candle op (and one freshly allocated, zeroed tensor) per matmul, bias,
//! ReLU and residual, each layer here is ONE `gemm` call on reused buffers, the bias preloaded
//! into the destination (`dst = bias + h W^T`) and ReLU applied in place. On CPUs with AVX-512
//! the layers with a multiple of 16 outputs (the hidden ones) run instead through
//! `src/forecast/panel.rs`: weights packed once, bias and ReLU inside one register-blocked
//! kernel; layers with fewer than [`NARROW`] outputs (the read-out) take the matrix-vector
//! loops at every batch size. A batch is split into row blocks (one per thread, at least
//! [`MIN_ROWS_PER_TASK`] and at most [`ROWS_PER_TASK`] rows each): the calling thread steps the
//! first block while the rayon pool takes the others, so waking the pool overlaps with work. A
//! rollout ([`Stepper::step_repeated`]) keeps each thread on its own rows for all its steps.
//! Batches of at most [`SMALL_BATCH`] rows skip the matrix product for register-blocked
//! matrix-vector loops (latency of one state). Weights are copied once, at construction. `f32`
//! throughout; results agree with the candle forward to rounding.
//!
//! CPU-only: [`super::StepperSet`] uses it only when forecasting on the CPU; on a CUDA device
//! candle's own forward of the [`ResNetStepper`] runs there instead (`tools/gpu_check.sh`
//! compares the two). [`CpuResNet::new`] copies the weights from any device, once.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use candle_core::{Device, Module, Tensor};
//! use hits::forecast::{CpuResNet, Stepper};
//! use hits::stepper::ResNetStepper;
//! let net = ResNetStepper::new(&[2, 32, 32, 2], 4, 0.01, 7, &Device::Cpu)?;
//! let fast = CpuResNet::new(&net)?;
//! let x = Tensor::new(&[[0.1f32, -0.4], [0.7, 0.2]], &Device::Cpu)?;
//! let diff = (fast.step(&x)? - net.forward(&x)?)?.abs()?.max_all()?.to_scalar::<f32>()?;
//! assert!(diff < 1e-6);
//! # Ok(())
//! # }
//! ```

use std::cell::RefCell;

use candle_core::{DType, Device, Tensor};
use rayon::prelude::*;

use super::matvec;
use super::panel::PackedLayer;
use super::stepper::{check_states, Stepper};
use crate::stepper::ResNetStepper;
use crate::{Error, Result};

/// Rows handled by one thread at a time, at most.
pub const ROWS_PER_TASK: usize = 2048;

/// Rows below which a batch is not worth splitting between threads.
pub const MIN_ROWS_PER_TASK: usize = 64;

/// Batches up to this many rows use the matrix-vector path, row by row.
pub const SMALL_BATCH: usize = 4;

/// Layers with fewer outputs than this (the read-out to the state) use the matrix-vector
/// path at every batch size: a matrix product with so few columns costs more in packing and
/// dispatch than its arithmetic.
pub const NARROW: usize = 16;

/// A CPU copy of a [`ResNetStepper`] with a fused forward (see the module docs).
#[derive(Debug, Clone)]
pub struct CpuResNet {
    /// `(W [out, in] row-major, b [out])` per layer.
    layers: Vec<(Vec<f32>, Vec<f32>)>,
    /// `W^T [in, out]` row-major per layer (for the matrix-vector path).
    transposed: Vec<Vec<f32>>,
    /// The AVX-512 packing per layer, where this CPU and the layer's width allow it.
    packed: Vec<Option<PackedLayer>>,
    arch: Vec<usize>,
    step_size: usize,
}

thread_local! {
    /// Two ping-pong activation buffers per thread, grown on demand.
    static BUFFERS: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl CpuResNet {
    /// Copy the weights of `stepper` (from any device) to the CPU.
    pub fn new(stepper: &ResNetStepper) -> Result<Self> {
        let layers = stepper
            .layers()
            .iter()
            .map(|(w, b)| {
                let w = w
                    .to_device(&Device::Cpu)?
                    .to_dtype(DType::F32)?
                    .flatten_all()?
                    .to_vec1()?;
                let b = b.to_device(&Device::Cpu)?.to_dtype(DType::F32)?.to_vec1()?;
                Ok((w, b))
            })
            .collect::<Result<Vec<_>>>()?;
        let arch = stepper.arch().to_vec();
        let transposed = layers
            .iter()
            .enumerate()
            .map(|(i, (w, _))| {
                let (k, m) = (arch[i], arch[i + 1]);
                let mut wt = vec![0f32; k * m];
                for j in 0..m {
                    for t in 0..k {
                        wt[t * m + j] = w[j * k + t];
                    }
                }
                wt
            })
            .collect::<Vec<_>>();
        let packed = transposed
            .iter()
            .enumerate()
            .map(|(i, wt)| PackedLayer::new(arch[i], arch[i + 1], wt))
            .collect();
        Ok(CpuResNet {
            layers,
            transposed,
            packed,
            arch: stepper.arch().to_vec(),
            step_size: stepper.step_size(),
        })
    }

    /// Advance `n` rows of `x` (`[n, dim]` row-major) into `out` (same size).
    pub fn forward_rows(&self, x: &[f32], out: &mut [f32]) -> Result<()> {
        let dim = self.arch[0];
        if !x.len().is_multiple_of(dim) || out.len() != x.len() {
            return Err(Error::shape(
                "CpuResNet rows",
                format!("[n, {dim}] in and out"),
                format!("{} in, {} out", x.len(), out.len()),
            ));
        }
        let block = block_rows(x.len() / dim) * dim;
        if x.len() <= block {
            self.forward_block(x, out);
        } else {
            // The calling thread steps the first block itself while the pool takes the others:
            // the pool's wake-up overlaps with that work instead of preceding all of it.
            rayon::in_place_scope(|scope| {
                let mut blocks = x.chunks(block).zip(out.chunks_mut(block));
                let first = blocks.next();
                for (xi, oi) in blocks {
                    scope.spawn(move |_| self.forward_block(xi, oi));
                }
                if let Some((xi, oi)) = first {
                    self.forward_block(xi, oi);
                }
            });
        }
        Ok(())
    }

    /// `n_calls` steps of the `n` rows of `x` (`[n, dim]`): `out` is `[n_calls, n, dim]`. Each
    /// thread steps its own block of rows through all the calls.
    pub fn repeat_rows(&self, x: &[f32], n_calls: usize, out: &mut [f32]) -> Result<()> {
        let dim = self.arch[0];
        if !x.len().is_multiple_of(dim) || out.len() != x.len() * n_calls {
            return Err(Error::shape(
                "CpuResNet rollout",
                format!("[n, {dim}] in, [{n_calls}, n, {dim}] out"),
                format!("{} in, {} out", x.len(), out.len()),
            ));
        }
        if x.is_empty() || n_calls == 0 {
            return Ok(());
        }
        let block = block_rows(x.len() / dim) * dim;
        let run = |xi: &[f32]| {
            let mut states = vec![0f32; xi.len() * n_calls];
            let (first, _) = states.split_at_mut(xi.len());
            self.forward_block(xi, first);
            for c in 1..n_calls {
                let (done, rest) = states.split_at_mut(c * xi.len());
                self.forward_block(&done[(c - 1) * xi.len()..], &mut rest[..xi.len()]);
            }
            states
        };
        let blocks: Vec<Vec<f32>> = if x.len() <= block {
            vec![run(x)]
        } else {
            x.par_chunks(block).map(run).collect()
        };
        let row = x.len();
        let mut offset = 0;
        for states in &blocks {
            let len = states.len() / n_calls;
            for (c, part) in states.chunks_exact(len).enumerate() {
                out[c * row + offset..][..len].copy_from_slice(part);
            }
            offset += len;
        }
        Ok(())
    }

    /// One block of rows on the current thread.
    fn forward_block(&self, x: &[f32], out: &mut [f32]) {
        let dim = self.arch[0];
        let n = x.len() / dim;
        let widest = self.arch.iter().copied().max().unwrap_or(dim);
        BUFFERS.with(|cell| {
            let mut bufs = cell.borrow_mut();
            let (a, b) = &mut *bufs;
            for v in [&mut *a, &mut *b] {
                if v.len() < n * widest {
                    v.resize(n * widest, 0.0);
                }
            }
            let last = self.layers.len() - 1;
            for (i, (w, bias)) in self.layers.iter().enumerate() {
                let (k, m) = (self.arch[i], self.arch[i + 1]);
                let (src, dst): (&[f32], &mut [f32]) = if i == 0 {
                    (x, &mut a[..n * m])
                } else if i % 2 == 1 {
                    (&a[..n * k], &mut b[..n * m])
                } else {
                    (&b[..n * k], &mut a[..n * m])
                };
                // the packed kernel applies the ReLU itself, before its one store
                let mut relu_applied = false;
                if n <= SMALL_BATCH || m < NARROW {
                    for (sr, dr) in src.chunks_exact(k).zip(dst.chunks_exact_mut(m)) {
                        matvec::affine_row(sr, w, &self.transposed[i], bias, dr);
                    }
                } else if let Some(packed) = &self.packed[i] {
                    packed.apply(src, bias, dst, i < last);
                    relu_applied = i < last;
                } else {
                    affine_gemm(n, k, m, src, w, bias, dst);
                }
                if i == last {
                    for ((o, d), xv) in out.iter_mut().zip(dst.iter()).zip(x) {
                        *o = xv + d;
                    }
                } else if !relu_applied {
                    for v in dst.iter_mut() {
                        *v = v.max(0.0);
                    }
                }
            }
        });
    }
}

/// `dst = bias + src W^T` for `n` rows as one `gemm` call (bias preloaded into `dst`).
fn affine_gemm(
    n: usize,
    k: usize,
    m: usize,
    src: &[f32],
    w: &[f32],
    bias: &[f32],
    dst: &mut [f32],
) {
    for row in dst.chunks_exact_mut(m) {
        row.copy_from_slice(bias);
    }
    // SAFETY: src is [n, k] row-major, w is [m, k] row-major (read as its transpose [k, m] with
    // row stride 1 and column stride k), dst is [n, m] row-major; all slices have exactly these
    // lengths, and dst does not alias src or w.
    unsafe {
        gemm::gemm(
            n,
            m,
            k,
            dst.as_mut_ptr(),
            1,
            m as isize,
            true,
            src.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            k as isize,
            1,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Rows per parallel block for a batch of `n` rows: one block per thread (the whole batch on
/// one thread below two [`MIN_ROWS_PER_TASK`] blocks), at most [`ROWS_PER_TASK`] rows each.
fn block_rows(n: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let blocks = threads
        .min(n / MIN_ROWS_PER_TASK)
        .max(n.div_ceil(ROWS_PER_TASK))
        .max(1);
    n.div_ceil(blocks).max(1)
}

impl Stepper for CpuResNet {
    fn step_size(&self) -> usize {
        self.step_size
    }
    fn dim(&self) -> usize {
        self.arch[0]
    }
    fn step(&self, x: &Tensor) -> Result<Tensor> {
        let n = check_states("CpuResNet input", x, self.arch[0])?;
        let v: Vec<f32> = x.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
        let mut out = vec![0f32; v.len()];
        self.forward_rows(&v, &mut out)?;
        Ok(Tensor::from_vec(out, (n, self.arch[0]), x.device())?)
    }
    fn step_repeated(&self, x: &Tensor, n_calls: usize) -> Result<Tensor> {
        let n = check_states("CpuResNet input", x, self.arch[0])?;
        let v: Vec<f32> = x.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
        let mut out = vec![0f32; v.len() * n_calls];
        self.repeat_rows(&v, n_calls, &mut out)?;
        Ok(Tensor::from_vec(
            out,
            (n_calls, n, self.arch[0]),
            x.device(),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Module;

    #[test]
    fn fused_forward_matches_the_candle_forward() -> Result<()> {
        let net = ResNetStepper::new(&[3, 64, 48, 3], 2, 0.01, 3, &Device::Cpu)?;
        let fast = CpuResNet::new(&net)?;
        for n in [
            1,
            3,
            SMALL_BATCH,
            SMALL_BATCH + 1,
            7,
            130,
            320,
            2 * ROWS_PER_TASK + 5,
        ] {
            let x = Tensor::randn(0f32, 1.0, (n, 3), &Device::Cpu)?;
            let want = net.forward(&x)?;
            let got = fast.step(&x)?;
            let diff = (got - &want)?.abs()?.max_all()?.to_scalar::<f32>()?;
            let scale = want.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(diff <= 1e-5 * (1.0 + scale), "batch {n}: max diff {diff}");
        }
        let err = fast
            .step(&Tensor::zeros((2, 2), DType::F32, &Device::Cpu)?)
            .unwrap_err();
        assert!(err.to_string().contains("[n, 3]"), "{err}");
        Ok(())
    }

    #[test]
    fn a_rollout_equals_repeated_steps_bit_for_bit() -> Result<()> {
        let net = ResNetStepper::new(&[2, 96, 96, 2], 1, 0.01, 5, &Device::Cpu)?;
        let fast = CpuResNet::new(&net)?;
        for n in [1, SMALL_BATCH + 2, 300] {
            let x = Tensor::randn(0f32, 0.5, (n, 2), &Device::Cpu)?;
            let states = fast.step_repeated(&x, 6)?;
            assert_eq!(states.dims(), &[6, n, 2]);
            let mut cur = x.clone();
            for k in 0..6 {
                cur = fast.step(&cur)?;
                let diff = (states.get(k)? - &cur)?
                    .abs()?
                    .max_all()?
                    .to_scalar::<f32>()?;
                assert_eq!(diff, 0.0, "batch {n}, call {k}");
            }
        }
        let none = fast.step_repeated(&Tensor::zeros((3, 2), DType::F32, &Device::Cpu)?, 0)?;
        assert_eq!(none.dims(), &[0, 3, 2]);
        Ok(())
    }
}
