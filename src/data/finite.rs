//! NaN and infinity in data: found before they reach training or a metric.

use ndarray::ArrayView3;

use crate::{Error, Result};

/// The first non-finite value of `a` in memory order of `[trajectory, point, component]`,
/// with its index.
pub fn first_non_finite(a: ArrayView3<f64>) -> Option<([usize; 3], f64)> {
    // The common case, all finite, as one pass over memory; indices only for a bad value.
    let all_finite = match a.as_slice_memory_order() {
        Some(s) => slice_all_finite(s),
        None => a.iter().all(|v| v.is_finite()),
    };
    if all_finite {
        return None;
    }
    a.indexed_iter()
        .find(|(_, v)| !v.is_finite())
        .map(|((i, t, d), &v)| ([i, t, d], v))
}

/// Whether every value is finite: the exponent bits of NaN and infinity are all ones. Chunks
/// without a branch per value, so the compiler can vectorise them.
fn slice_all_finite(s: &[f64]) -> bool {
    const EXP: u64 = 0x7ff0_0000_0000_0000;
    s.chunks(4096)
        .all(|c| c.iter().fold(true, |ok, v| ok & (v.to_bits() & EXP != EXP)))
}

/// Error [`Error::NonFinite`] naming `what` (e.g. the file and split) and the index
/// `[trajectory, point, component]` of the first NaN or infinite value of `a`.
pub fn check_finite(a: ArrayView3<f64>, what: &str) -> Result<()> {
    match first_non_finite(a) {
        None => Ok(()),
        Some(([i, t, d], value)) => Err(Error::NonFinite {
            what: what.to_string(),
            value,
            at: format!("[{i}, {t}, {d}] (trajectory {i}, point {t}, component {d})"),
            hint: "; clean or regenerate the data (hits never trains on or scores NaN)".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn the_first_bad_value_is_named() {
        let mut a = Array3::<f64>::zeros((2, 3, 2));
        assert!(check_finite(a.view(), "x").is_ok());
        a[[1, 2, 0]] = f64::INFINITY;
        a[[1, 0, 1]] = f64::NAN;
        assert_eq!(first_non_finite(a.view()).map(|(i, _)| i), Some([1, 0, 1]));
        let e = check_finite(a.view(), "val_noise0.0.npy (val split)")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("val_noise0.0.npy (val split): non-finite value NaN at [1, 0, 1]"),
            "{e}"
        );
    }
}
