//! A fused CPU forward of the ResNet stepper, for forecasting on the CPU.
//!
//! Same maths as [`crate::stepper::ResNetStepper`]: x + MLP(x), MLP = Linear, ReLU, ...,
//! Linear. Instead of one candle op (and one freshly allocated, zeroed tensor) per matmul, bias,
//! ReLU and residual, each layer here is ONE `gemm` call on reused buffers, the bias preloaded
//! into the destination (`dst = bias + h W^T`) and ReLU applied in place. Batches of up to
//! [`ROWS_PER_TASK`] rows run single-threaded (small matmuls lose time to thread hand-offs);
//! larger ones are split into row blocks over the rayon pool. Weights are copied once, at
//! construction. `f32` throughout; results agree with the candle forward to rounding.
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

use super::stepper::{check_states, Stepper};
use crate::stepper::ResNetStepper;
use crate::{Error, Result};

/// Rows handled by one thread at a time.
pub const ROWS_PER_TASK: usize = 2048;

/// A CPU copy of a [`ResNetStepper`] with a fused forward (see the module docs).
#[derive(Debug, Clone)]
pub struct CpuResNet {
    /// `(W [out, in] row-major, b [out])` per layer.
    layers: Vec<(Vec<f32>, Vec<f32>)>,
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
        Ok(CpuResNet {
            layers,
            arch: stepper.arch().to_vec(),
            step_size: stepper.step_size(),
        })
    }

    /// Advance `n` rows of `x` (`[n, dim]` row-major) into `out` (same size).
    pub fn forward_rows(&self, x: &[f32], out: &mut [f32]) -> Result<()> {
        let dim = self.arch[0];
        if x.len() % dim != 0 || out.len() != x.len() {
            return Err(Error::shape(
                "CpuResNet rows",
                format!("[n, {dim}] in and out"),
                format!("{} in, {} out", x.len(), out.len()),
            ));
        }
        let block = ROWS_PER_TASK * dim;
        if x.len() <= block {
            self.forward_block(x, out);
        } else {
            x.par_chunks(block)
                .zip(out.par_chunks_mut(block))
                .for_each(|(xi, oi)| self.forward_block(xi, oi));
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
                for row in dst.chunks_exact_mut(m) {
                    row.copy_from_slice(bias);
                }
                // SAFETY: src is [n, k] row-major, w is [m, k] row-major (read as its transpose
                // [k, m] with row stride 1 and column stride k), dst is [n, m] row-major; all
                // slices have exactly these lengths, and dst does not alias src or w.
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
                if i < last {
                    for v in dst.iter_mut() {
                        *v = v.max(0.0);
                    }
                } else {
                    for ((o, d), xv) in out.iter_mut().zip(dst.iter()).zip(x) {
                        *o = xv + d;
                    }
                }
            }
        });
    }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Module;

    #[test]
    fn fused_forward_matches_the_candle_forward() -> Result<()> {
        let net = ResNetStepper::new(&[3, 64, 48, 3], 2, 0.01, 3, &Device::Cpu)?;
        let fast = CpuResNet::new(&net)?;
        for n in [1, 7, 320, 2 * ROWS_PER_TASK + 5] {
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
}
