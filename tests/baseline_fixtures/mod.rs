//! Helpers shared by the baseline test files.

use std::path::PathBuf;

use ndarray::Array2;

/// A file of `tests/fixtures/baselines/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/baselines")
        .join(name)
}

/// A circle of radius 0.5 with 20 frames per period: `[n, 2]`; per-feature variance 0.125.
pub fn circle(n: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, 2), |(t, j)| {
        let a = 2.0 * std::f64::consts::PI * t as f64 / 20.0;
        0.5 * if j == 0 { a.cos() } else { a.sin() }
    })
}
