//! Chunked training windows for sequence generation, as in the original `seq_generations`.
//!
//! One long sequence `x_0 .. x_{T-1}` (here `[n_features, T]`) is cut into chunks so that a
//! stepper of step size `s` trained with `n_forward` recurrent steps sees the whole sequence:
//! with `L = s n_forward`,
//!
//! ```text
//! n_chunks = ceil((T - 1) / L)
//! chunk c  = x_{cL} .. x_{cL + L}        (L + 1 points; consecutive chunks share one point)
//! ```
//!
//! The last chunk runs past `x_{T-1}` and is zero-padded, exactly as the original
//! (`pdata = np.zeros(...)`). The original then trains on those zeros as if they were data;
//! here [`Chunks::mask`] marks which points are real (`true`) so that a trainer can leave the
//! padded targets out of its loss (our choice; using every point reproduces the original).
//! The chunk tensor is `[n_chunks, L + 1, n_features]`, the `[n_traj, n_points, dim]` layout
//! of `hits::data` training windows: `x = chunk[:, 0]`, targets `chunk[:, s], .., chunk[:, L]`.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::sequence::chunks::Chunks;
//! let seq = ndarray::Array2::<f64>::ones((3, 10)); // 3 features, T = 10
//! let c = Chunks::new(seq.view(), 2, 2)?;          // L = 4: chunks start at 0, 4, 8
//! assert_eq!(c.data.dim(), (3, 5, 3));
//! assert_eq!(c.n_real(2), 2);                      // x_8, x_9, then 3 padded points
//! # Ok(())
//! # }
//! ```

use ndarray::{s, Array2, Array3, ArrayView2};

use crate::{Error, Result};

/// A sequence cut into overlapping, zero-padded training chunks.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunks {
    /// `[n_chunks, step * n_forward + 1, n_features]`, zero where padded.
    pub data: Array3<f64>,
    /// `[n_chunks, step * n_forward + 1]`: `true` for real points, `false` for padding.
    pub mask: Array2<bool>,
    /// Step size of the stepper (in sequence samples).
    pub step: usize,
    /// Number of recurrent steps per training window.
    pub n_forward: usize,
}

impl Chunks {
    /// Cut `sequence` (`[n_features, n_time]`) for a stepper of step `step` and `n_forward` steps.
    pub fn new(sequence: ArrayView2<f64>, step: usize, n_forward: usize) -> Result<Self> {
        if step == 0 || n_forward == 0 {
            return Err(Error::invalid(
                "step / n_forward",
                format!("must both be positive, got step {step}, n_forward {n_forward}"),
            ));
        }
        let (n_features, n_time) = sequence.dim();
        if n_time < 2 {
            return Err(Error::shape(
                "sequence",
                "[n_features, n_time >= 2]",
                format!("{:?}", sequence.shape()),
            ));
        }
        let len = step * n_forward;
        let n_chunks = (n_time - 1).div_ceil(len);
        let mut data = Array3::<f64>::zeros((n_chunks, len + 1, n_features));
        let mut mask = Array2::from_elem((n_chunks, len + 1), false);
        for c in 0..n_chunks {
            let start = c * len;
            let end = (start + len + 1).min(n_time);
            let n_real = end - start;
            data.slice_mut(s![c, ..n_real, ..])
                .assign(&sequence.slice(s![.., start..end]).t());
            mask.slice_mut(s![c, ..n_real]).fill(true);
        }
        Ok(Chunks {
            data,
            mask,
            step,
            n_forward,
        })
    }

    /// Number of chunks.
    pub fn n_chunks(&self) -> usize {
        self.data.shape()[0]
    }

    /// Number of real (unpadded) points of chunk `c`.
    pub fn n_real(&self, c: usize) -> usize {
        self.mask.row(c).iter().filter(|&&m| m).count()
    }

    /// `[n_chunks, n_forward]` mask of the training targets `chunk[:, step * (k + 1)]`:
    /// `true` where the target is a real point.
    pub fn target_mask(&self) -> Array2<bool> {
        Array2::from_shape_fn((self.n_chunks(), self.n_forward), |(c, k)| {
            self.mask[[c, self.step * (k + 1)]]
        })
    }
}
