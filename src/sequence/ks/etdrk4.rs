//! The ETDRK4 scheme for Kuramoto-Sivashinsky (the formula and its coefficients: see the
//! parent module's docs, [`super`]).

use std::f64::consts::PI;
use std::sync::Arc;

use num_complex::Complex64;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use super::check_grid;
use crate::sequence::fixed_step::FixedStepper;
use crate::{Error, Result};

/// Number of contour points for the phi functions (Kassam & Trefethen use 32, or 16 plus
/// symmetry).
const CONTOUR_POINTS: usize = 32;

/// The ETDRK4 integrator for Kuramoto-Sivashinsky; its state is the spectrum `v = FFT(u)`
/// (unnormalised, N/2 + 1 non-negative wavenumbers).
pub struct KsEtdrk4 {
    n_x: usize,
    h: f64,
    /// Wavenumbers (Nyquist set to 0).
    k: Vec<f64>,
    e: Vec<f64>,
    e2: Vec<f64>,
    q: Vec<f64>,
    f1: Vec<f64>,
    f2: Vec<f64>,
    f3: Vec<f64>,
    /// The nonlinear factor -i k / 2 (zeroed above N/3 when dealiasing), as its imaginary part.
    g: Vec<f64>,
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    real: Vec<f64>,
    spec: Vec<Complex64>,
    scratch: Vec<Complex64>,
    stages: [Vec<Complex64>; 7],
}

impl KsEtdrk4 {
    /// Set up the scheme for `n_x` points on a domain of length `length` with step `h`.
    pub fn new(n_x: usize, length: f64, h: f64, dealias: bool) -> Result<Self> {
        check_grid(n_x, length)?;
        if !(h.is_finite() && h > 0.0) {
            return Err(Error::invalid(
                "h",
                format!("time step must be positive and finite, got {h}"),
            ));
        }
        let n_c = n_x / 2 + 1;
        let k: Vec<f64> = (0..n_c)
            .map(|j| {
                if j == n_x / 2 {
                    0.0
                } else {
                    2.0 * PI * j as f64 / length
                }
            })
            .collect();
        let lin: Vec<f64> = k.iter().map(|&k| k * k - k.powi(4)).collect();
        let (mut q, mut f1, mut f2, mut f3) = (
            vec![0.0; n_c],
            vec![0.0; n_c],
            vec![0.0; n_c],
            vec![0.0; n_c],
        );
        for j in 0..n_c {
            [q[j], f1[j], f2[j], f3[j]] = etdrk4_coefficients(h * lin[j]).map(|c| h * c);
        }
        let g = (0..n_c)
            .map(|j| {
                if dealias && 3 * j >= n_x {
                    0.0
                } else {
                    -0.5 * k[j]
                }
            })
            .collect();
        let mut planner = RealFftPlanner::<f64>::new();
        let r2c = planner.plan_fft_forward(n_x);
        let c2r = planner.plan_fft_inverse(n_x);
        let scratch_len = r2c.get_scratch_len().max(c2r.get_scratch_len());
        Ok(KsEtdrk4 {
            n_x,
            h,
            e: lin.iter().map(|&l| (h * l).exp()).collect(),
            e2: lin.iter().map(|&l| (h * l / 2.0).exp()).collect(),
            k,
            q,
            f1,
            f2,
            f3,
            g,
            r2c,
            c2r,
            real: vec![0.0; n_x],
            spec: vec![Complex64::default(); n_c],
            scratch: vec![Complex64::default(); scratch_len],
            stages: std::array::from_fn(|_| vec![Complex64::default(); n_c]),
        })
    }

    /// Drop the nonlinear term: the scheme then advances `v_t = L v` (exactly, `v <- E v`).
    /// For verification.
    pub fn linear_only(mut self) -> Self {
        self.g.iter_mut().for_each(|g| *g = 0.0);
        self
    }

    /// The wavenumbers of the state's entries (the Nyquist entry has k = 0).
    pub fn wavenumbers(&self) -> &[f64] {
        &self.k
    }

    /// `FFT(u)` for a real field of length `n_x`.
    pub fn to_spectral(&mut self, u: &[f64]) -> Result<Vec<Complex64>> {
        if u.len() != self.n_x {
            return Err(Error::shape(
                "field u",
                format!("[{}]", self.n_x),
                format!("[{}]", u.len()),
            ));
        }
        self.real.copy_from_slice(u);
        let mut v = vec![Complex64::default(); self.k.len()];
        // Lengths match by construction, so the transform cannot fail.
        let _ = self
            .r2c
            .process_with_scratch(&mut self.real, &mut v, &mut self.scratch);
        Ok(v)
    }

    /// `IFFT(v)` (normalised) into `u` of length `n_x`; `v` holds `n_x / 2 + 1` entries.
    pub fn to_physical(&mut self, v: &[Complex64], u: &mut [f64]) -> Result<()> {
        if v.len() != self.k.len() || u.len() != self.n_x {
            return Err(Error::shape(
                "spectrum v and field u",
                format!("[{}] and [{}]", self.k.len(), self.n_x),
                format!("[{}] and [{}]", v.len(), u.len()),
            ));
        }
        self.spec.copy_from_slice(v);
        inverse(&*self.c2r, &mut self.spec, u, &mut self.scratch);
        Ok(())
    }

    /// `out = g * FFT(IFFT(v)^2)`.
    fn nonlinear(&mut self, v: &[Complex64], out: &mut [Complex64]) {
        self.spec.copy_from_slice(v);
        inverse(
            &*self.c2r,
            &mut self.spec,
            &mut self.real,
            &mut self.scratch,
        );
        self.real.iter_mut().for_each(|u| *u *= *u);
        let _ = self
            .r2c
            .process_with_scratch(&mut self.real, out, &mut self.scratch);
        out.iter_mut()
            .zip(&self.g)
            .for_each(|(o, &g)| *o *= Complex64::new(0.0, g));
    }
}

/// Normalised inverse real FFT; zeroes the imaginary parts that must vanish for a real signal.
fn inverse(
    c2r: &dyn ComplexToReal<f64>,
    spec: &mut [Complex64],
    u: &mut [f64],
    scratch: &mut [Complex64],
) {
    let n = u.len();
    spec[0].im = 0.0;
    spec[n / 2].im = 0.0;
    // Lengths match by construction and the imaginary parts that must vanish are zero.
    let _ = c2r.process_with_scratch(spec, u, scratch);
    let scale = 1.0 / n as f64;
    u.iter_mut().for_each(|x| *x *= scale);
}

/// `[Q, f1, f2, f3] / h` at `z = h L` by the contour mean of Kassam & Trefethen (their eq. 2.5
/// coefficients, with 32 points on the unit circle around z).
pub fn etdrk4_coefficients(z: f64) -> [f64; 4] {
    let mut acc = [Complex64::default(); 4];
    for m in 0..CONTOUR_POINTS {
        let theta = 2.0 * PI * (m as f64 + 0.5) / CONTOUR_POINTS as f64;
        let lr = z + Complex64::from_polar(1.0, theta);
        let (e, e_half) = (lr.exp(), (lr / 2.0).exp());
        let lr3 = lr * lr * lr;
        acc[0] += (e_half - 1.0) / lr;
        acc[1] += (-4.0 - lr + e * (4.0 - 3.0 * lr + lr * lr)) / lr3;
        acc[2] += (2.0 + lr + e * (lr - 2.0)) / lr3;
        acc[3] += (-4.0 - 3.0 * lr - lr * lr + e * (4.0 - lr)) / lr3;
    }
    acc.map(|a| a.re / CONTOUR_POINTS as f64)
}

impl FixedStepper for KsEtdrk4 {
    type State = Vec<Complex64>;

    fn step_size(&self) -> f64 {
        self.h
    }

    fn step(&mut self, v: &mut Vec<Complex64>) {
        let mut st = std::mem::take(&mut self.stages);
        let [nv, a, na, b, nb, c, nc] = &mut st;
        self.nonlinear(v, nv);
        for j in 0..v.len() {
            a[j] = self.e2[j] * v[j] + self.q[j] * nv[j];
        }
        self.nonlinear(a, na);
        for j in 0..v.len() {
            b[j] = self.e2[j] * v[j] + self.q[j] * na[j];
        }
        self.nonlinear(b, nb);
        for j in 0..v.len() {
            c[j] = self.e2[j] * a[j] + self.q[j] * (2.0 * nb[j] - nv[j]);
        }
        self.nonlinear(c, nc);
        for j in 0..v.len() {
            v[j] = self.e[j] * v[j]
                + self.f1[j] * nv[j]
                + 2.0 * self.f2[j] * (na[j] + nb[j])
                + self.f3[j] * nc[j];
        }
        self.stages = st;
    }
}

impl std::fmt::Debug for KsEtdrk4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KsEtdrk4")
            .field("n_x", &self.n_x)
            .field("h", &self.h)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contour mean matches the closed forms where those are accurate (|z| large).
    #[test]
    fn contour_coefficients_match_closed_forms() {
        for z in [-40.0f64, -3.0, 2.5] {
            let [q, f1, f2, f3] = etdrk4_coefficients(z);
            let e = z.exp();
            assert!((q - ((z / 2.0).exp() - 1.0) / z).abs() < 1e-13);
            assert!((f1 - (-4.0 - z + e * (4.0 - 3.0 * z + z * z)) / z.powi(3)).abs() < 1e-13);
            assert!((f2 - (2.0 + z + e * (z - 2.0)) / z.powi(3)).abs() < 1e-13);
            assert!((f3 - (-4.0 - 3.0 * z - z * z + e * (4.0 - z)) / z.powi(3)).abs() < 1e-13);
        }
        // At z = 0 the limits are 1/2, 1/6, 1/6, 1/6.
        let c = etdrk4_coefficients(0.0);
        for (got, want) in c.iter().zip([0.5, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0]) {
            assert!((got - want).abs() < 1e-14, "{c:?}");
        }
    }
}
