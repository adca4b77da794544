//! Floating-point summation orders of the numpy/OpenBLAS calls inside scipy's RK45.
//!
//! scipy computes every linear combination of Runge-Kutta stages with `np.dot`, which numpy hands
//! to OpenBLAS. Rounding depends on the order of the additions and on fused multiply-adds, so to
//! reproduce scipy bit for bit each call is mirrored here. The orders were measured against
//! numpy 2.4 / scipy-openblas 0.3.31 on x86-64 (FMA) by comparing `np.dot` with exactly rounded
//! candidates (`tools/make_solver_fixtures.py` documents the experiment) for state dimensions
//! 2 and 3; other dimensions use the same orders (still accurate, possibly not bit-identical).
//!
//! | numpy call | BLAS routine | order |
//! |---|---|---|
//! | `np.dot(K[:s].T, a)` | `dgemv_n` tail rows | pairs `acc + fma(a0, x0, a1 x1)`, then a fused chain |
//! | `K.T.dot(P)`, `np.dot(Q, p)` (several points) | small `dgemm` | fused chain from 0 |
//! | `np.dot(Q, p)` (one point) | `dgemv_t` | `(q0 p0 + q2 p2) + (q1 p1 + q3 p3)`, unfused |
//! | `np.linalg.norm(x)` | `ddot` | `sqrt` of a fused chain of squares |

/// Define `$name` calling the `#[inline(always)]` body `$body` compiled with hardware FMA when
/// the CPU has it (checked once per call, cached by std), else with `f64::mul_add` from libm.
/// Both give the same, correctly rounded, results: this is only for speed.
macro_rules! with_fma {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:path) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn fast($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU supports FMA, checked just above.
                    return unsafe { fast($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}
pub(crate) use with_fma;

/// `sum_i m(i) w[i]` in the order of OpenBLAS `dgemv_n` for fewer than four rows: blocks of four
/// terms added as `acc + fma(m0, w0, m1 w1)` twice, the remaining terms as a fused chain.
#[inline(always)]
pub(crate) fn gemv_sum(w: &[f64], m: impl Fn(usize) -> f64) -> f64 {
    let s = w.len();
    let mut acc = 0.0;
    let mut i = 0;
    while i + 4 <= s {
        acc += m(i).mul_add(w[i], m(i + 1) * w[i + 1]);
        acc += m(i + 2).mul_add(w[i + 2], m(i + 3) * w[i + 3]);
        i += 4;
    }
    while i < s {
        acc = m(i).mul_add(w[i], acc);
        i += 1;
    }
    acc
}

/// `sum_i m(i) w[i]` as a fused multiply-add chain from 0 (OpenBLAS small `dgemm`).
#[inline(always)]
pub(crate) fn fma_chain(w: &[f64], m: impl Fn(usize) -> f64) -> f64 {
    let mut acc = 0.0;
    for (i, wi) in w.iter().enumerate() {
        acc = m(i).mul_add(*wi, acc);
    }
    acc
}

/// `q . p` for four terms in the order of OpenBLAS `dgemv_t`: `(q0 p0 + q2 p2) + (q1 p1 + q3 p3)`.
#[inline(always)]
pub(crate) fn dot4_gemv_t(q: &[f64], p: &[f64; 4]) -> f64 {
    (q[0] * p[0] + q[2] * p[2]) + (q[1] * p[1] + q[3] * p[3])
}

/// numpy's RMS norm `np.linalg.norm(x) / x.size ** 0.5` of the values `x(0..n)`.
#[inline(always)]
pub(crate) fn rms_norm(n: usize, x: impl Fn(usize) -> f64) -> f64 {
    let mut sq = 0.0;
    for i in 0..n {
        let v = x(i);
        sq = v.mul_add(v, sq);
    }
    sq.sqrt() / (n as f64).powf(0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_agree_with_plain_sums_to_rounding() {
        let w = [0.3, -1.7, 2.5, 0.125, -0.9, 4.0, 1.0 / 3.0];
        let m = |i: usize| (i as f64 + 1.0).sqrt();
        let plain: f64 = w.iter().enumerate().map(|(i, wi)| m(i) * wi).sum();
        for s in 1..=w.len() {
            let plain_s: f64 = w[..s].iter().enumerate().map(|(i, wi)| m(i) * wi).sum();
            assert!((gemv_sum(&w[..s], m) - plain_s).abs() < 1e-14);
            assert!((fma_chain(&w[..s], m) - plain_s).abs() < 1e-14);
        }
        assert!((gemv_sum(&w, m) - plain).abs() < 1e-14);
        let q = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(dot4_gemv_t(&q, &[1.0, 1.0, 1.0, 1.0]), 10.0);
        assert_eq!(rms_norm(2, |i| [3.0, 4.0][i]), 5.0 / 2f64.sqrt());
    }

    #[test]
    fn gemv_pairs_round_like_openblas() {
        // fma(m0, w0, m1 w1) keeps m0 w0 unrounded: a = 1 + 2^-30 gives a^2 = 1 + 2^-29 + 2^-60,
        // whose last bit survives only the fused sum a^2 - 1.
        let a = 1.0 + 2f64.powi(-30);
        let w = [a, -1.0, 0.0, 0.0];
        let m = |i: usize| [a, 1.0, 0.0, 0.0][i];
        let fused = a.mul_add(a, -1.0);
        assert_eq!(gemv_sum(&w, m), fused);
        assert_ne!(fused, a * a - 1.0);
    }
}
