//! Dimensionality reduction of snapshot matrices by a truncated thin SVD.
//!
//! A snapshot matrix `X` is `[n_features, n_snapshots]`: column `k` is one snapshot (a flow
//! field, a video frame flattened). As in the original HiTS notebooks the mean is NOT
//! subtracted. With the thin SVD `X = U S V^T` (singular values sorted, largest first), keeping
//! `r` modes gives
//!
//! ```text
//! modes  = U[:, :r]                       [n_features, r]
//! coords = S[:r] V[:, :r]^T               [r, n_snapshots]    (the sequence a stepper learns)
//! X_r    = modes coords                   (best rank-r approximation of X)
//! ||X - X_r||_F^2 = sum_{i >= r} s_i^2    (Eckart-Young)
//! ```
//!
//! The original flower notebook saved `V^T[:r]` instead of `S V^T[:r]`; both rows differ by the
//! positive factor `s_i`, which the per-feature normalisation `(x - mean) / range` removes, so
//! the normalised training sequence is the same. [`Reduction::right_vectors`] gives `V^T[:r]`.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::sequence::svd::Reduction;
//! let x = ndarray::array![[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 0.0]];
//! let red = Reduction::fit(x.view(), 2)?;
//! assert_eq!(red.coords.dim(), (2, 3));
//! let back = red.reconstruct(red.coords.view())?;
//! assert!((&back - &x).iter().all(|e| e.abs() < 1e-12));
//! # Ok(())
//! # }
//! ```

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::{Error, Result};

/// A rank-`r` SVD reduction of a snapshot matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduction {
    /// Left singular vectors, `[n_features, r]`, orthonormal columns.
    pub modes: Array2<f64>,
    /// All singular values of the snapshot matrix (`min(n_features, n_snapshots)` of them),
    /// largest first; the first `r` belong to the kept modes.
    pub singular_values: Array1<f64>,
    /// Reduced coordinates `S V^T`, `[r, n_snapshots]`.
    pub coords: Array2<f64>,
}

impl Reduction {
    /// Thin SVD of `snapshots` (`[n_features, n_snapshots]`), keeping `r` modes.
    pub fn fit(snapshots: ArrayView2<f64>, r: usize) -> Result<Self> {
        let (m, n) = snapshots.dim();
        let mat = faer::Mat::<f64>::from_fn(m, n, |i, j| snapshots[[i, j]]);
        Self::fit_faer(mat, r)
    }

    /// Like [`Reduction::fit`], from a matrix already in faer's layout (saves a copy for big
    /// snapshot matrices such as a video's `[pixels, frames]`).
    pub fn fit_faer(snapshots: faer::Mat<f64>, r: usize) -> Result<Self> {
        let (m, n) = (snapshots.nrows(), snapshots.ncols());
        let k = m.min(n);
        if r == 0 || r > k {
            return Err(Error::invalid(
                "r (number of SVD modes)",
                format!("must be in 1..={k} for a {m} x {n} snapshot matrix, got {r}"),
            ));
        }
        if snapshots
            .col_iter()
            .any(|c| c.iter().any(|v| !v.is_finite()))
        {
            return Err(Error::invalid(
                "snapshot matrix",
                "contains NaN or infinite values",
            ));
        }
        let svd = snapshots.thin_svd().map_err(|e| {
            Error::invalid("snapshot matrix", format!("SVD did not converge: {e:?}"))
        })?;
        let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
        let singular_values = Array1::from_shape_fn(k, |i| s[i]);
        let modes = Array2::from_shape_fn((m, r), |(i, j)| u[(i, j)]);
        let coords = Array2::from_shape_fn((r, n), |(i, j)| s[i] * v[(j, i)]);
        Ok(Reduction {
            modes,
            singular_values,
            coords,
        })
    }

    /// Number of kept modes `r`.
    pub fn rank(&self) -> usize {
        self.modes.ncols()
    }

    /// `V^T[:r]` (unit-norm rows), what the original flower notebook saved as its data set.
    pub fn right_vectors(&self) -> Array2<f64> {
        let mut v = self.coords.clone();
        for (mut row, &s) in v.axis_iter_mut(Axis(0)).zip(self.singular_values.iter()) {
            if s > 0.0 {
                row.mapv_inplace(|x| x / s);
            }
        }
        v
    }

    /// Snapshots `modes @ coords` from reduced coordinates `[r, n_time]` (e.g. a forecast).
    pub fn reconstruct(&self, coords: ArrayView2<f64>) -> Result<Array2<f64>> {
        if coords.nrows() != self.rank() {
            return Err(Error::shape(
                "reduced coordinates",
                format!("[{}, n_time]", self.rank()),
                format!("{:?}", coords.shape()),
            ));
        }
        Ok(self.modes.dot(&coords))
    }

    /// `sqrt(sum_{i >= r} s_i^2)`: the Frobenius norm of what the truncation discards.
    pub fn discarded_energy(&self) -> f64 {
        self.singular_values
            .iter()
            .skip(self.rank())
            .map(|s| s * s)
            .sum::<f64>()
            .sqrt()
    }

    /// Fraction of `sum s_i^2` kept by the first `r` modes.
    pub fn energy_fraction(&self) -> f64 {
        let total: f64 = self.singular_values.iter().map(|s| s * s).sum();
        if total == 0.0 {
            return 1.0;
        }
        let kept: f64 = self
            .singular_values
            .iter()
            .take(self.rank())
            .map(|s| s * s)
            .sum();
        kept / total
    }
}
