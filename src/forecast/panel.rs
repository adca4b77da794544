//! A dense layer over a block of rows with the weights packed once, for CPUs with AVX-512.
//!
//! [`super::CpuResNet`] applies the same few layers to thousands of row blocks. A general matrix
//! product (the `gemm` crate) packs its right-hand operand again at every call, which for the
//! stepper's hidden layers (`K = 128`: little arithmetic per packed byte) costs a large share of
//! the call. Here the transposed weights are packed ONCE, at construction, into panels of
//! [`PANEL`] output columns (`[k][PANEL]` contiguous per panel), and one register-blocked kernel
//! computes `dst = act(bias + src W^T)` tile by tile: up to [`TILE_ROWS`] rows times one panel
//! held in 24 AVX-512 accumulators, started from the bias, with ReLU applied before the single
//! store. The left operand is read in place (row-major activations, one broadcast per row and
//! input).
//!
//! Used only where the CPU has `avx512f` (checked at run time by [`PackedLayer::new`]) and the
//! layer has a multiple of 16 outputs; every other layer and CPU keeps the `gemm` path. The sum
//! runs over the inputs in order with fused multiply-adds, so results differ from the `gemm`
//! path by `f32` rounding only (tested here against a sum in `f64`, and the whole fused forward
//! against candle's in [`super::fast`]).

/// Output columns per packed panel (two 16-lane vectors); a last panel may hold 16.
pub(crate) const PANEL: usize = 32;

/// Rows per register tile (12 rows x 2 vectors = 24 accumulators of the 32 registers).
pub(crate) const TILE_ROWS: usize = 12;

/// The transposed weights of one layer, packed in panels for the AVX-512 kernel.
#[derive(Debug, Clone)]
pub(crate) struct PackedLayer {
    k: usize,
    m: usize,
    /// Panel after panel: for columns `j0..j0 + width`, `k` rows of `width` numbers.
    data: Vec<f32>,
}

impl PackedLayer {
    /// Pack `wt` (`W^T`, `[k, m]` row-major) when this CPU and shape can use the kernel: the CPU
    /// has AVX-512F and `m` is a non-zero multiple of 16. `None` otherwise (use `gemm`).
    pub(crate) fn new(k: usize, m: usize, wt: &[f32]) -> Option<Self> {
        if !Self::cpu_has_kernel() || m == 0 || !m.is_multiple_of(16) || k == 0 {
            return None;
        }
        debug_assert_eq!(wt.len(), k * m);
        let mut data = Vec::with_capacity(k * m);
        for j0 in (0..m).step_by(PANEL) {
            let width = PANEL.min(m - j0);
            for p in 0..k {
                data.extend_from_slice(&wt[p * m + j0..][..width]);
            }
        }
        Some(PackedLayer { k, m, data })
    }

    /// Whether this CPU runs the kernel (AVX-512F, detected at run time).
    pub(crate) fn cpu_has_kernel() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// `dst = bias + src W^T` for the rows of `src` (`[n, k]`), with ReLU when `relu`; `dst` is
    /// `[n, m]`, `bias` has `m` numbers.
    pub(crate) fn apply(&self, src: &[f32], bias: &[f32], dst: &mut [f32], relu: bool) {
        let (k, m) = (self.k, self.m);
        let n = src.len() / k;
        assert!(
            src.len() == n * k && dst.len() == n * m && bias.len() == m,
            "PackedLayer::apply: src {} (k {k}), dst {} (m {m}), bias {}",
            src.len(),
            dst.len(),
            bias.len()
        );
        #[cfg(target_arch = "x86_64")]
        {
            let mut offset = 0;
            for j0 in (0..m).step_by(PANEL) {
                let width = PANEL.min(m - j0);
                let panel = &self.data[offset..offset + k * width];
                offset += k * width;
                for r0 in (0..n).step_by(TILE_ROWS) {
                    let rows = TILE_ROWS.min(n - r0);
                    let tile = Tile {
                        a: src[r0 * k..].as_ptr(),
                        k,
                        b: panel.as_ptr(),
                        bias: bias[j0..].as_ptr(),
                        c: dst[r0 * m + j0..].as_mut_ptr(),
                        ldc: m,
                        relu,
                    };
                    // SAFETY: `new` returned Some only where the CPU has AVX-512F; the tile
                    // reads `rows` rows of `k` inputs from src, `k * width` packed weights,
                    // `width` biases, and writes `rows` rows of `width` outputs of dst, all
                    // inside the slices checked above (width is 16 or 32).
                    unsafe { tile.run(rows, width) };
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("PackedLayer exists only on x86_64 CPUs with AVX-512F");
    }
}

/// One register tile's operands (raw pointers into the slices of [`PackedLayer::apply`]).
#[cfg(target_arch = "x86_64")]
struct Tile {
    a: *const f32,
    k: usize,
    b: *const f32,
    bias: *const f32,
    c: *mut f32,
    ldc: usize,
    relu: bool,
}

#[cfg(target_arch = "x86_64")]
impl Tile {
    /// Dispatch `rows` (1..=12) and `width` (16 or 32) to the kernel compiled for them.
    unsafe fn run(&self, rows: usize, width: usize) {
        macro_rules! by_rows {
            ($v:literal) => {
                match rows {
                    12 => self.kernel::<12, $v>(),
                    11 => self.kernel::<11, $v>(),
                    10 => self.kernel::<10, $v>(),
                    9 => self.kernel::<9, $v>(),
                    8 => self.kernel::<8, $v>(),
                    7 => self.kernel::<7, $v>(),
                    6 => self.kernel::<6, $v>(),
                    5 => self.kernel::<5, $v>(),
                    4 => self.kernel::<4, $v>(),
                    3 => self.kernel::<3, $v>(),
                    2 => self.kernel::<2, $v>(),
                    _ => self.kernel::<1, $v>(),
                }
            };
        }
        if width == PANEL {
            by_rows!(2)
        } else {
            by_rows!(1)
        }
    }

    /// `R` rows times `V` vectors of 16 outputs, accumulated over all `k` inputs in registers.
    #[target_feature(enable = "avx512f")]
    unsafe fn kernel<const R: usize, const V: usize>(&self) {
        use std::arch::x86_64::*;
        let mut acc = [[_mm512_setzero_ps(); V]; R];
        for v in 0..V {
            let b = _mm512_loadu_ps(self.bias.add(16 * v));
            for row in acc.iter_mut() {
                row[v] = b;
            }
        }
        for p in 0..self.k {
            let bp = self.b.add(p * 16 * V);
            let mut w = [_mm512_setzero_ps(); V];
            for (v, wv) in w.iter_mut().enumerate() {
                *wv = _mm512_loadu_ps(bp.add(16 * v));
            }
            for (r, row) in acc.iter_mut().enumerate() {
                let x = _mm512_set1_ps(*self.a.add(r * self.k + p));
                for v in 0..V {
                    row[v] = _mm512_fmadd_ps(x, w[v], row[v]);
                }
            }
        }
        let zero = _mm512_setzero_ps();
        for (r, row) in acc.iter().enumerate() {
            for (v, &s) in row.iter().enumerate() {
                let s = if self.relu { _mm512_max_ps(s, zero) } else { s };
                _mm512_storeu_ps(self.c.add(r * self.ldc + 16 * v), s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` numbers drawn uniformly from [-1, 1) (numpy's `RandomState(seed)`).
    fn numbers(len: usize, seed: u32) -> Vec<f32> {
        crate::rng::RandomState::new(seed)
            .uniform_n(-1.0, 1.0, len)
            .into_iter()
            .map(|v| v as f32)
            .collect()
    }

    #[test]
    fn packed_layer_equals_a_sum_in_f64_on_every_tile_shape() {
        if !PackedLayer::cpu_has_kernel() {
            crate::testing::skip(
                "packed_layer_equals_a_sum_in_f64_on_every_tile_shape",
                "this CPU has no AVX-512F, the packed kernel cannot run here",
            );
            return;
        }
        // rows: whole tiles, every remainder, one row; outputs: whole panels, a 16-wide last
        // panel, a single 16-wide panel; inputs: the stepper's 2 and 128 and an odd count.
        for (n, k, m) in [
            (160, 128, 128),
            (25, 2, 128),
            (13, 37, 48),
            (1, 5, 16),
            (11, 128, 144),
        ] {
            let src = numbers(n * k, 1 + n as u32);
            let wt = numbers(k * m, 2 + m as u32);
            let bias = numbers(m, 3 + k as u32);
            let layer = PackedLayer::new(k, m, &wt).expect("AVX-512F and m % 16 == 0");
            for relu in [false, true] {
                let mut dst = vec![f32::NAN; n * m];
                layer.apply(&src, &bias, &mut dst, relu);
                for i in 0..n {
                    for j in 0..m {
                        let mut s = bias[j] as f64;
                        for p in 0..k {
                            s += src[i * k + p] as f64 * wt[p * m + j] as f64;
                        }
                        if relu {
                            s = s.max(0.0);
                        }
                        let got = dst[i * m + j] as f64;
                        assert!(
                            (got - s).abs() <= 1e-5 * (1.0 + k as f64),
                            "[{n},{k}]x[{k},{m}] relu {relu}: ({i},{j}) {got} vs {s}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn layers_the_kernel_cannot_take_are_left_to_gemm() {
        let wt = numbers(128 * 2, 9);
        assert!(
            PackedLayer::new(128, 2, &wt).is_none(),
            "2 outputs: not a multiple of 16"
        );
        assert!(
            PackedLayer::new(4, 20, &numbers(80, 1)).is_none(),
            "20 outputs"
        );
        assert!(PackedLayer::new(0, 16, &[]).is_none(), "no inputs");
    }
}
