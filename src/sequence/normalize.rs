//! Per-feature normalisation `(x - mean) / range` of a sequence, and its inverse.
//!
//! Sequences are `[n_features, n_time]` (the layout of `data/<Name>/data.npy`). For each
//! feature `i` (a row), over time (axis 1):
//!
//! ```text
//! mean_i  = (1 / T) sum_t x[i, t]
//! range_i = max_t x[i, t] - min_t x[i, t]          (numpy's ptp)
//! z[i, t] = (x[i, t] - mean_i) / range_i,          x[i, t] = z[i, t] range_i + mean_i
//! ```
//!
//! This is the original `seq_generations` notebook's `data.mean(0)`, `data.ptp(0)` on its
//! transposed `[n_time, n_features]` array. A constant feature (range 0) is an error here
//! where the original would divide by zero.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::sequence::normalize::Normalization;
//! let x = ndarray::array![[0.0, 2.0, 4.0], [1.0, 1.5, 3.0]];
//! let norm = Normalization::fit(x.view())?;
//! let z = norm.apply(x.view())?;
//! assert!((z[[0, 2]] - 0.5).abs() < 1e-15);
//! assert!((&norm.invert(z.view())? - &x).iter().all(|e| e.abs() < 1e-15));
//! # Ok(())
//! # }
//! ```

use std::path::Path;

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::io::write_atomic;
use crate::{Error, Result};

/// Per-feature mean and range of a `[n_features, n_time]` sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Mean over time of each feature.
    pub mean: Vec<f64>,
    /// `max - min` over time of each feature.
    pub range: Vec<f64>,
}

impl Normalization {
    /// Statistics of `data` (`[n_features, n_time]`), over time for each feature.
    pub fn fit(data: ArrayView2<f64>) -> Result<Self> {
        if data.ncols() == 0 {
            return Err(Error::shape(
                "sequence",
                "[n_features, n_time >= 1]",
                format!("{:?}", data.shape()),
            ));
        }
        let mut mean = Vec::with_capacity(data.nrows());
        let mut range = Vec::with_capacity(data.nrows());
        for (i, row) in data.axis_iter(Axis(0)).enumerate() {
            let (lo, hi) = row
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            let r = hi - lo;
            if !(r > 0.0 && r.is_finite()) {
                return Err(Error::invalid(
                    "sequence",
                    format!("feature {i} has range {r} over time (constant or non-finite); cannot normalise by it"),
                ));
            }
            mean.push(row.sum() / row.len() as f64);
            range.push(r);
        }
        Ok(Normalization { mean, range })
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// `(x - mean) / range`, feature by feature (rows of `data`).
    pub fn apply(&self, data: ArrayView2<f64>) -> Result<Array2<f64>> {
        self.check(data)?;
        let mut z = data.to_owned();
        for ((mut row, &m), &r) in z.axis_iter_mut(Axis(0)).zip(&self.mean).zip(&self.range) {
            row.mapv_inplace(|x| (x - m) / r);
        }
        Ok(z)
    }

    /// `z * range + mean`, the inverse of [`Normalization::apply`].
    pub fn invert(&self, data: ArrayView2<f64>) -> Result<Array2<f64>> {
        self.check(data)?;
        let mut x = data.to_owned();
        for ((mut row, &m), &r) in x.axis_iter_mut(Axis(0)).zip(&self.mean).zip(&self.range) {
            row.mapv_inplace(|z| z * r + m);
        }
        Ok(x)
    }

    /// Write as JSON (`{"mean": [...], "range": [...]}`), atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        write_atomic(path, |tmp| {
            std::fs::write(tmp, text.as_bytes()).map_err(|e| Error::io(tmp, e))
        })
    }

    /// Read what [`Normalization::save`] wrote.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::io::read_data_text(path)?;
        let n: Normalization = serde_json::from_str(&text)
            .map_err(|e| Error::bad_file(path, format!("not a normalisation file: {e}")))?;
        if n.mean.len() != n.range.len() {
            return Err(Error::bad_file(
                path,
                format!("{} means but {} ranges", n.mean.len(), n.range.len()),
            ));
        }
        Ok(n)
    }

    fn check(&self, data: ArrayView2<f64>) -> Result<()> {
        if data.nrows() != self.n_features() {
            return Err(Error::shape(
                "sequence to (de)normalise",
                format!("[{}, n_time]", self.n_features()),
                format!("{:?}", data.shape()),
            ));
        }
        Ok(())
    }
}
