//! numpy-compatible random numbers: the legacy `np.random.RandomState` stream.
//!
//! The paper's data sets were drawn with `np.random.seed(2)` followed by `np.random.uniform` and
//! `np.random.randn`. [`RandomState`] reproduces that stream bit for bit, so the data sets of
//! `hits` have the same initial conditions and the same noise as the original ones.
//!
//! - Generator: the Mersenne Twister MT19937 (Matsumoto & Nishimura 1998). An integer seed
//!   `s` is expanded with `init_genrand`: `key[0] = s`,
//!   `key[i] = 1812433253 * (key[i-1] ^ (key[i-1] >> 30)) + i (mod 2^32)`, exactly what numpy's
//!   legacy seeding (`mt19937_seed`) does for an integer (arrays would use `init_by_array`).
//! - `random_sample`: two 32-bit words `a`, `b` give the 53-bit double
//!   `((a >> 5) * 2^26 + (b >> 6)) / 2^53` in [0, 1).
//! - `uniform(low, high) = low + (high - low) * random_sample()`.
//! - `standard_normal`: numpy's legacy polar Box-Muller (`legacy_gauss`). Draw
//!   `x1 = 2 u1 - 1`, `x2 = 2 u2 - 1` until `0 < r2 = x1^2 + x2^2 < 1`; with
//!   `f = sqrt(-2 ln(r2) / r2)` return `f x2` and keep `f x1` for the next call. The cached
//!   value survives calls to other distributions, as in numpy.
//!
//! ```
//! use hits::rng::RandomState;
//! let mut rs = RandomState::new(0);
//! // np.random.seed(0); np.random.random_sample()
//! assert_eq!(rs.random_sample(), 0.5488135039273248);
//! ```

/// Words of MT19937 state.
const N: usize = 624;
/// MT19937 middle word offset.
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// numpy's legacy `RandomState`: MT19937 plus the cached second Gaussian.
#[derive(Clone)]
pub struct RandomState {
    key: [u32; N],
    pos: usize,
    gauss: Option<f64>,
}

impl std::fmt::Debug for RandomState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RandomState")
            .field("pos", &self.pos)
            .field("gauss", &self.gauss)
            .finish_non_exhaustive()
    }
}

impl RandomState {
    /// The state after `np.random.seed(seed)` (an integer seed, 0 ..= 2^32 - 1).
    pub fn new(seed: u32) -> RandomState {
        let mut key = [0u32; N];
        let mut s = seed;
        for (i, k) in key.iter_mut().enumerate() {
            *k = s;
            s = 1_812_433_253u32
                .wrapping_mul(s ^ (s >> 30))
                .wrapping_add(i as u32 + 1);
        }
        RandomState {
            key,
            pos: N,
            gauss: None,
        }
    }

    /// Regenerate the 624 words of state (the MT19937 "twist").
    fn twist(&mut self) {
        let k = &mut self.key;
        let mix = |hi: u32, lo: u32, far: u32| {
            let y = (hi & UPPER_MASK) | (lo & LOWER_MASK);
            far ^ (y >> 1) ^ (if y & 1 == 1 { MATRIX_A } else { 0 })
        };
        for i in 0..N - M {
            k[i] = mix(k[i], k[i + 1], k[i + M]);
        }
        for i in N - M..N - 1 {
            k[i] = mix(k[i], k[i + 1], k[i + M - N]);
        }
        k[N - 1] = mix(k[N - 1], k[0], k[M - 1]);
        self.pos = 0;
    }

    /// The next tempered 32-bit word.
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == N {
            self.twist();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A double in [0, 1) with 53 random bits (`np.random.random_sample()`).
    pub fn random_sample(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `n` draws of [`RandomState::random_sample`].
    pub fn random_sample_n(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.random_sample()).collect()
    }

    /// A uniform draw on [low, high) (`np.random.uniform(low, high)`).
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        let range = high - low;
        low + range * self.random_sample()
    }

    /// `n` uniform draws on [low, high) (`np.random.uniform(low, high, n)`).
    pub fn uniform_n(&mut self, low: f64, high: f64, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.uniform(low, high)).collect()
    }

    /// A standard normal draw (`np.random.standard_normal()`, legacy polar method).
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `n` standard normal draws (`np.random.randn(n)`; for a shape, draws in C order).
    pub fn randn(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.standard_normal()).collect()
    }

    /// A uniform integer in `0 ..= max` by numpy's legacy bounded draw (`random_interval`:
    /// masked 32-bit words, or 64-bit words for `max` above `u32::MAX`, rejected while above `max`).
    pub fn random_interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        loop {
            let value = if max <= u32::MAX as u64 {
                (self.next_u32() as u64) & mask
            } else {
                let hi = self.next_u32() as u64;
                let lo = self.next_u32() as u64;
                ((hi << 32) | lo) & mask
            };
            if value <= max {
                return value;
            }
        }
    }

    /// `np.random.permutation(n)`: `0 .. n` shuffled by numpy's legacy Fisher-Yates
    /// (`for i in reversed(range(1, n)): j = random_interval(i); swap(i, j)`).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.random_interval(i as u64) as usize;
            p.swap(i, j);
        }
        p
    }

    /// Fill `out` with standard normal draws in order (`np.random.randn(*shape)` in C order).
    pub fn fill_standard_normal(&mut self, out: &mut [f64]) {
        for v in out {
            *v = self.standard_normal();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_mt19937_words() {
        // The reference implementation's init_genrand(5489) starts with 3499211612, 581869302.
        let mut rs = RandomState::new(5489);
        assert_eq!(rs.next_u32(), 3_499_211_612);
        assert_eq!(rs.next_u32(), 581_869_302);
        // The 10000th output of the default-seeded MT19937 is 4123659995 (C++ std::mt19937).
        let mut rs = RandomState::new(5489);
        let w = (0..10_000).map(|_| rs.next_u32()).last();
        assert_eq!(w, Some(4_123_659_995));
    }

    #[test]
    fn cached_gauss_is_returned_next() {
        let mut a = RandomState::new(7);
        let first = a.standard_normal();
        let cached = a.gauss;
        assert!(cached.is_some());
        let _ = a.uniform(0.0, 1.0);
        assert_eq!(Some(a.standard_normal()), cached);
        assert!(first.is_finite());
    }
}
