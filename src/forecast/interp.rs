//! Linear interpolation of sparse forecast points to every step of the data grid.
//!
//! The coupled forecasts compute states only at some positions p_0 < p_1 < ... (in units of
//! `dt`); the output needs every step t = 1..n. For p_j <= t <= p_{j+1},
//!
//! x(t) = x_j + (x_{j+1} - x_j) (t - p_j) / (p_{j+1} - p_j),
//!
//! which is what `scipy.interpolate.interp1d(kind='linear')` computes in the original. A step that
//! coincides with a computed position returns the computed value exactly (weight 0).
//!
//! Values are `[n_points, n_traj, dim]` buffers (point-major, how the coupling produces them);
//! the result is `[n_traj, n_steps, dim]` (trajectory-major, the data layout). Trajectories are
//! filled in parallel, each into its own contiguous slice.

use rayon::prelude::*;

use crate::{Error, Result};

/// A floating-point sample type of the interpolated buffers (`f32` for networks, `f64` for RK4).
pub trait Sample: Copy + Send + Sync + 'static {
    /// Widen to f64.
    fn to_f64(self) -> f64;
    /// Narrow from f64 (rounding to nearest).
    fn from_f64(v: f64) -> Self;
}

impl Sample for f32 {
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Sample for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// Interpolate points known at `positions` (in units of `dt`, any order, all distinct) with
/// `values` laid out `[positions.len(), n_traj, dim]` to the steps 1..=`n_steps`.
///
/// Returns `[n_traj, n_steps, dim]` row-major. The positions must cover `[1, n_steps]`.
pub fn interpolate_to_steps<T: Sample>(
    positions: &[f64],
    values: &[T],
    n_traj: usize,
    dim: usize,
    n_steps: usize,
) -> Result<Vec<T>> {
    let n_pts = positions.len();
    if values.len() != n_pts * n_traj * dim {
        return Err(Error::shape(
            "interpolation values",
            format!("[{n_pts}, {n_traj}, {dim}]"),
            format!("{} numbers", values.len()),
        ));
    }
    if n_steps == 0 || n_traj == 0 || dim == 0 {
        return Ok(Vec::new());
    }
    let mut order: Vec<usize> = (0..n_pts).collect();
    order.sort_by(|&a, &b| positions[a].total_cmp(&positions[b]));
    let sorted: Vec<f64> = order.iter().map(|&j| positions[j]).collect();
    if sorted.iter().any(|p| !p.is_finite()) {
        return Err(Error::invalid("interpolation positions", "must be finite"));
    }
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::invalid(
            "interpolation positions",
            format!("position {} appears twice", w[0]),
        ));
    }
    let (first, last) = (sorted[0], sorted[n_pts - 1]);
    if first > 1.0 || last < n_steps as f64 {
        return Err(Error::invalid(
            "interpolation positions",
            format!("they span [{first}, {last}] but must cover the steps [1, {n_steps}]"),
        ));
    }

    // For every output step: (lower point, upper point, weight of the upper one).
    let mut segments = Vec::with_capacity(n_steps);
    let mut j = 0;
    for t in 1..=n_steps {
        let t = t as f64;
        while j + 1 < n_pts && sorted[j + 1] <= t {
            j += 1;
        }
        if sorted[j] == t || j + 1 == n_pts {
            segments.push((order[j], order[j], 0.0));
        } else {
            let w = (t - sorted[j]) / (sorted[j + 1] - sorted[j]);
            segments.push((order[j], order[j + 1], w));
        }
    }

    let row = n_traj * dim;
    let mut out = vec![T::from_f64(0.0); n_traj * n_steps * dim];
    out.par_chunks_mut(n_steps * dim)
        .enumerate()
        .for_each(|(traj, dst)| {
            for (t, &(lo, hi, w)) in segments.iter().enumerate() {
                let a = &values[lo * row + traj * dim..][..dim];
                let o = &mut dst[t * dim..][..dim];
                if w == 0.0 {
                    o.copy_from_slice(a);
                } else {
                    let b = &values[hi * row + traj * dim..][..dim];
                    for d in 0..dim {
                        let (xa, xb) = (a[d].to_f64(), b[d].to_f64());
                        o[d] = T::from_f64(xa + (xb - xa) * w);
                    }
                }
            }
        });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_linear_functions_and_hits_points_exactly() -> Result<()> {
        // Two trajectories, dim 1: x = 3 p + traj, known at unsorted positions 0, 8, 3, 12.
        let pos = [0.0, 8.0, 3.0, 12.0];
        let mut vals = Vec::new();
        for &p in &pos {
            for traj in 0..2 {
                vals.push(3.0 * p + traj as f64);
            }
        }
        let out = interpolate_to_steps(&pos, &vals, 2, 1, 11)?;
        for traj in 0..2 {
            for t in 1..=11 {
                let want = 3.0 * t as f64 + traj as f64;
                assert!(
                    (out[traj * 11 + t - 1] - want).abs() < 1e-12,
                    "traj {traj} step {t}"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn rejects_gaps_and_duplicates() {
        let err = interpolate_to_steps(&[0.0, 4.0], &[0.0f32, 1.0], 1, 1, 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("[1, 5]"), "{err}");
        let err = interpolate_to_steps(&[0.0, 0.0, 5.0], &[0.0f32, 1.0, 2.0], 1, 1, 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("twice"), "{err}");
        let err = interpolate_to_steps(&[0.0, 5.0], &[0.0f32; 3], 1, 1, 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("shape"), "{err}");
    }
}
