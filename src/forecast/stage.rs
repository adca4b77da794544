//! Output staging for the streamed RK4 fills of [`crate::forecast::hybrid_forecast`] and
//! [`crate::forecast::rk4_forecast`].
//!
//! The RK4 lanes hold the states as a structure of arrays (component by component), while the
//! output is `[n_traj, n_steps, dim]`: one long row per trajectory. Writing each step straight
//! into the rows would touch a different cache line for every lane. Instead a step is first
//! copied (or interpolated) into a small cache-resident stage in the lanes' own layout
//! (contiguous, vectorised), and every [`BLOCK`] steps each trajectory's run of steps is
//! gathered from the stage and written to its row in one piece with non-temporal stores (the
//! output is far larger than the caches and is not read back here, so its lines need not be
//! fetched first).

use std::mem::MaybeUninit;

/// Output steps staged before they are written to the output rows.
pub(crate) const BLOCK: usize = 16;

/// Staged outputs of the lanes `j * m + i` of a batch (`k` intervals of `m` trajectories):
/// interval j holds `count[j]` consecutive steps from `first[j]`, step-major
/// (`data[((j * BLOCK + slot) * dim + d) * m + i]`).
pub(crate) struct Stage {
    data: Vec<f64>,
    first: Vec<usize>,
    count: Vec<usize>,
    m: usize,
    dim: usize,
    /// Numbers written to the output so far.
    written: usize,
}

impl Stage {
    /// An empty stage for `k` intervals of `m` trajectories of dimension `dim`.
    pub(crate) fn new(k: usize, m: usize, dim: usize) -> Self {
        Stage {
            data: vec![0.0; k * BLOCK * dim * m],
            first: vec![0; k],
            count: vec![0; k],
            m,
            dim,
            written: 0,
        }
    }

    /// Stage output step `t` (the next one of interval `j`): for every component d, trajectory
    /// i gets `lo[d][i] + (hi[d][i] - lo[d][i]) w`, or `lo[d][i]` itself when `w` is none (SoA
    /// batches, lanes `j * m + i` at `d * lanes + j * m + i`). Writes out a full block.
    #[inline(always)]
    pub(crate) fn put(
        &mut self,
        j: usize,
        t: usize,
        out: &mut [MaybeUninit<f64>],
        lo: &[f64],
        hi: &[f64],
        w: Option<f64>,
    ) {
        let (m, dim) = (self.m, self.dim);
        let lanes = lo.len() / dim;
        if self.count[j] == 0 {
            self.first[j] = t;
        }
        let slot = self.count[j];
        for d in 0..dim {
            let a = &lo[d * lanes + j * m..][..m];
            let b = &hi[d * lanes + j * m..][..m];
            let dst = &mut self.data[((j * BLOCK + slot) * dim + d) * m..][..m];
            match w {
                None => dst.copy_from_slice(a),
                Some(w) => dst
                    .iter_mut()
                    .zip(a.iter().zip(b))
                    .for_each(|(o, (&a, &b))| *o = a + (b - a) * w),
            }
        }
        self.count[j] += 1;
        if self.count[j] == BLOCK {
            self.flush(j, out);
        }
    }

    /// Write interval `j`'s staged steps to their output rows (`out`: `[m, n_steps, dim]`).
    fn flush(&mut self, j: usize, out: &mut [MaybeUninit<f64>]) {
        let (m, dim, count) = (self.m, self.dim, self.count[j]);
        if count == 0 {
            return;
        }
        let row = out.len() / m;
        let block = &self.data[j * BLOCK * dim * m..][..count * dim * m];
        for i in 0..m {
            let dst = &mut out[i * row + (self.first[j] - 1) * dim..][..count * dim];
            stream_gather(dst, block, m, i);
        }
        self.written += m * count * dim;
        self.count[j] = 0;
    }

    /// Write out what is still staged and make the non-temporal stores visible to other
    /// threads; returns how many numbers were written to `out` in all.
    pub(crate) fn finish(&mut self, out: &mut [MaybeUninit<f64>]) -> usize {
        for j in 0..self.count.len() {
            self.flush(j, out);
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: SSE2 is part of the x86-64 baseline.
        unsafe {
            std::arch::x86_64::_mm_sfence()
        };
        self.written
    }
}

/// `dst[e] = block[e * m + i]` for every e (one trajectory's run gathered from the step-major
/// stage), with non-temporal 16-byte stores on x86-64 (a plain store for an unaligned first
/// element and an odd last one; plain stores elsewhere).
#[inline]
fn stream_gather(dst: &mut [MaybeUninit<f64>], block: &[f64], m: usize, i: usize) {
    let n = dst.len();
    debug_assert!(n == 0 || (n - 1) * m + i < block.len());
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_set_pd, _mm_stream_pd};
        let mut e = 0;
        if !(dst.as_ptr() as usize).is_multiple_of(16) && n > 0 {
            dst[0].write(block[i]);
            e = 1;
        }
        while e + 2 <= n {
            let (a, b) = (block[e * m + i], block[(e + 1) * m + i]);
            // SAFETY: `dst[e..e + 2]` is in bounds and 16-byte aligned (the base is 8-byte
            // aligned and was advanced to a 16-byte boundary above); SSE2 is baseline on x86-64;
            // MaybeUninit<f64> has the layout of f64.
            unsafe { _mm_stream_pd(dst.as_mut_ptr().add(e) as *mut f64, _mm_set_pd(b, a)) };
            e += 2;
        }
        if e < n {
            dst[e].write(block[e * m + i]);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for (e, o) in dst.iter_mut().enumerate() {
        o.write(block[e * m + i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_steps_land_in_their_rows_whatever_the_alignment() {
        // k = 2 intervals of m = 3 trajectories, dim 3 (odd: runs start unaligned), 40 steps.
        let (k, m, dim, n_steps) = (2, 3, 3, 40);
        let lanes = k * m;
        let mut out = vec![MaybeUninit::new(f64::NAN); m * n_steps * dim + 1];
        for shift in [0, 1] {
            let out = &mut out[shift..shift + m * n_steps * dim];
            let mut stage = Stage::new(k, m, dim);
            // Interval j covers steps 20 j + 1 ..= 20 j + 20; value = 1000 i + 10 t + d (+ 0.5 w).
            for s in 1..=20 {
                for j in 0..k {
                    let t = 20 * j + s;
                    let mut lo = vec![0.0; dim * lanes];
                    for d in 0..dim {
                        for i in 0..m {
                            lo[d * lanes + j * m + i] = (1000 * i + 10 * t + d) as f64;
                        }
                    }
                    let hi: Vec<f64> = lo.iter().map(|v| v + 1.0).collect();
                    stage.put(
                        j,
                        t,
                        out,
                        &lo,
                        &hi,
                        if t % 2 == 0 { Some(0.5) } else { None },
                    );
                }
            }
            assert_eq!(stage.finish(out), m * n_steps * dim);
            for i in 0..m {
                for t in 1..=n_steps {
                    for d in 0..dim {
                        // SAFETY: every element was written (the count from `finish` above).
                        let got = unsafe { out[(i * n_steps + t - 1) * dim + d].assume_init() };
                        let want =
                            (1000 * i + 10 * t + d) as f64 + if t % 2 == 0 { 0.5 } else { 0.0 };
                        assert_eq!(got, want, "shift {shift} i {i} t {t} d {d}");
                    }
                }
            }
        }
    }
}
