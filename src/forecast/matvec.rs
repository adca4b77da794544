//! One dense layer applied to ONE row, for the latency of tiny batches: `dst = bias + W x`.
//!
//! A general matrix product (the `gemm` crate) packs its operands and dispatches on shapes
//! before any arithmetic, which dominates when the batch is a single state. Here the layer is a
//! plain loop in the form that suits it: for wide outputs, `dst += x[k] * Wt[k, :]` over the
//! transposed weights with 64 outputs held in eight AVX registers (fused multiply-add); for
//! narrow outputs (the read-out to the state), one dot product per output. On CPUs without
//! AVX2/FMA the same loops run in scalar form. Results agree with the matrix-product path to
//! `f32` rounding (the order of the additions differs).

/// Outputs handled together in registers by the AVX2 path (8 vectors of 8 `f32`).
const BLOCK: usize = 64;

/// `dst[j] = bias[j] + sum_k x[k] w[j, k]` for one row. `w` is `[m, k]` row-major and `wt` its
/// transpose `[k, m]` (both given: the wide path reads `wt`, the narrow one `w`).
pub(crate) fn affine_row(x: &[f32], w: &[f32], wt: &[f32], bias: &[f32], dst: &mut [f32]) {
    debug_assert_eq!(w.len(), x.len() * dst.len());
    debug_assert_eq!(wt.len(), w.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above); slice lengths as asserted.
        unsafe {
            if dst.len() >= BLOCK {
                wide_avx2(x, wt, bias, dst);
            } else {
                narrow_avx2(x, w, bias, dst);
            }
        }
        return;
    }
    affine_row_plain(x, w, bias, dst);
}

/// The portable form: one dot product per output.
fn affine_row_plain(x: &[f32], w: &[f32], bias: &[f32], dst: &mut [f32]) {
    let k = x.len();
    for ((o, b), row) in dst.iter_mut().zip(bias).zip(w.chunks_exact(k)) {
        *o = b + row.iter().zip(x).map(|(a, v)| a * v).sum::<f32>();
    }
}

/// Wide outputs: blocks of 64 outputs accumulated in registers over all inputs, the rest by
/// the narrow path's dot products.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn wide_avx2(x: &[f32], wt: &[f32], bias: &[f32], dst: &mut [f32]) {
    use std::arch::x86_64::*;
    let m = dst.len();
    let full = m / BLOCK * BLOCK;
    let mut j0 = 0;
    while j0 < full {
        let mut acc = [_mm256_setzero_ps(); BLOCK / 8];
        for (v, a) in acc.iter_mut().enumerate() {
            *a = _mm256_loadu_ps(bias.as_ptr().add(j0 + 8 * v));
        }
        for (kk, &xv) in x.iter().enumerate() {
            let xb = _mm256_set1_ps(xv);
            let row = wt.as_ptr().add(kk * m + j0);
            for (v, a) in acc.iter_mut().enumerate() {
                *a = _mm256_fmadd_ps(xb, _mm256_loadu_ps(row.add(8 * v)), *a);
            }
        }
        for (v, a) in acc.iter().enumerate() {
            _mm256_storeu_ps(dst.as_mut_ptr().add(j0 + 8 * v), *a);
        }
        j0 += BLOCK;
    }
    for j in full..m {
        let mut s = bias[j];
        for (kk, &xv) in x.iter().enumerate() {
            s = xv.mul_add(wt[kk * m + j], s);
        }
        dst[j] = s;
    }
}

/// Narrow outputs: one 8-lane dot product per output row of `w`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn narrow_avx2(x: &[f32], w: &[f32], bias: &[f32], dst: &mut [f32]) {
    use std::arch::x86_64::*;
    let k = x.len();
    let full = k / 8 * 8;
    for (j, o) in dst.iter_mut().enumerate() {
        let row = w.as_ptr().add(j * k);
        let mut acc = _mm256_setzero_ps();
        let mut kk = 0;
        while kk < full {
            acc = _mm256_fmadd_ps(
                _mm256_loadu_ps(x.as_ptr().add(kk)),
                _mm256_loadu_ps(row.add(kk)),
                acc,
            );
            kk += 8;
        }
        let mut lanes = [0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), acc);
        let mut s = bias[j] + lanes.iter().sum::<f32>();
        for t in full..k {
            s = x[t].mul_add(w[j * k + t], s);
        }
        *o = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path against an `f64` reference, for widths around the register block.
    #[test]
    fn affine_row_matches_an_f64_reference() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        for (k, m) in [
            (2, 128),
            (128, 128),
            (128, 2),
            (5, 70),
            (130, 3),
            (1, 1),
            (64, 64),
        ] {
            let x: Vec<f32> = (0..k).map(|_| next()).collect();
            let w: Vec<f32> = (0..m * k).map(|_| next()).collect();
            let b: Vec<f32> = (0..m).map(|_| next()).collect();
            let mut wt = vec![0f32; m * k];
            for j in 0..m {
                for t in 0..k {
                    wt[t * m + j] = w[j * k + t];
                }
            }
            let mut got = vec![0f32; m];
            affine_row(&x, &w, &wt, &b, &mut got);
            let mut plain = vec![0f32; m];
            affine_row_plain(&x, &w, &b, &mut plain);
            for j in 0..m {
                let want: f64 = b[j] as f64
                    + (0..k)
                        .map(|t| w[j * k + t] as f64 * x[t] as f64)
                        .sum::<f64>();
                for v in [got[j], plain[j]] {
                    assert!(
                        (v as f64 - want).abs() < 1e-5,
                        "k {k} m {m} j {j}: {v} vs {want}"
                    );
                }
            }
        }
    }
}
