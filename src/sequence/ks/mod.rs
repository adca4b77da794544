//! Kuramoto-Sivashinsky data: ETDRK4 on a periodic domain.
//!
//! The equation is
//!
//! ```text
//! u_t = -u u_x - u_xx - u_xxxx,   x in (0, L], periodic,
//! ```
//!
//! written in Fourier space (v = FFT(u), wavenumbers k = 2 pi j / L) as
//! `v_t = L v + N(v)` with the linear symbol `L(k) = k^2 - k^4` and the nonlinear term
//! `N(v) = -(i k / 2) FFT(IFFT(v)^2)`. It is integrated with the exponential time-differencing
//! fourth-order Runge-Kutta scheme of Cox & Matthews in the form of Kassam & Trefethen:
//!
//! ```text
//! a = E2 v + Q N(v)          b = E2 v + Q N(a)          c = E2 a + Q (2 N(b) - N(v))
//! v <- E v + f1 N(v) + 2 f2 (N(a) + N(b)) + f3 N(c),     E = e^{hL}, E2 = e^{hL/2}
//! ```
//!
//! The coefficients `Q, f1, f2, f3` (h times the phi functions of hL) suffer catastrophic
//! cancellation near hL = 0, so, as in the paper, each is evaluated as the mean of the function
//! over M = 32 points on the circle of radius 1 around hL in the complex plane (Cauchy's
//! integral formula). The points are `hL + exp(2 pi i (m - 1/2) / 32)`, m = 1..32: the 16 in the
//! upper half-plane are those of `kursiv.m`, which takes the real part of their mean; for real hL
//! the full circle gives the same value.
//!
//! Choices, all as in `kursiv.m`:
//! - the Nyquist wavenumber is set to 0 (`k = [0:N/2-1 0 -N/2+1:-1] 2 pi / L`);
//! - the initial condition is `u0 = cos(2 pi x / L) (1 + sin(2 pi x / L))` on
//!   `x = L (1..=N) / N`, i.e. `cos(x/16)(1 + sin(x/16))` for L = 32 pi;
//! - no dealiasing by default. With the paper's N = 512 and L = 32 pi the largest resolved
//!   wavenumber is k = 16, where `hL = -1638`: every mode above k ~ 2 is damped within a step,
//!   so aliasing errors stay at round-off level (the `dealias_agrees` test measures it). The
//!   2/3 rule (nonlinear term kept only for |j| < N/3) is available with
//!   [`KsConfig::dealias`].
//!
//! Real FFTs (realfft/rustfft) hold the N/2 + 1 non-negative wavenumbers. The run's settings
//! and [`simulate`] are here, the scheme itself ([`KsEtdrk4`]) in [`etdrk4`].
//!
//! ```bibtex
//! @article{kassam2005fourth,
//!   title   = {Fourth-order time-stepping for stiff {PDE}s},
//!   author  = {Kassam, Aly-Khan and Trefethen, Lloyd N.},
//!   journal = {SIAM Journal on Scientific Computing}, volume = {26}, number = {4},
//!   pages   = {1214--1233}, year = {2005}}
//! @article{cox2002exponential,
//!   title   = {Exponential time differencing for stiff systems},
//!   author  = {Cox, Steven M. and Matthews, Paul C.},
//!   journal = {Journal of Computational Physics}, volume = {176}, number = {2},
//!   pages   = {430--455}, year = {2002}}
//! ```
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::sequence::ks::{simulate, KsConfig};
//! let cfg = KsConfig { t_end: 4.0, ..KsConfig::quick() };
//! let u = simulate(&cfg)?; // [n_x, n_saved], column s = u(x, s * save_every)
//! assert_eq!(u.dim(), (cfg.n_x, 9));
//! # Ok(()) }
//! ```

use std::f64::consts::PI;

use ndarray::Array2;

use super::fixed_step::FixedStepper;
use crate::{Error, Result, SolverError};

mod etdrk4;
pub use etdrk4::{etdrk4_coefficients, KsEtdrk4};

/// Settings of one Kuramoto-Sivashinsky run.
#[derive(Debug, Clone, PartialEq)]
pub struct KsConfig {
    /// Number of grid points (even).
    pub n_x: usize,
    /// Length L of the periodic domain.
    pub length: f64,
    /// Time step h.
    pub h: f64,
    /// Time between saved snapshots (a multiple of `h`).
    pub save_every: f64,
    /// Final time (a multiple of `save_every`); t = 0 is saved too.
    pub t_end: f64,
    /// Apply the 2/3 rule to the nonlinear term (off in `kursiv.m` and by default).
    pub dealias: bool,
}

impl Default for KsConfig {
    /// The paper's field: N = 512, L = 32 pi, h = 0.025, saved every 0.4 up to t = 1600,
    /// giving 512 x 4001 values.
    fn default() -> Self {
        KsConfig {
            n_x: 512,
            length: 32.0 * PI,
            h: 0.025,
            save_every: 0.4,
            t_end: 1600.0,
            dealias: false,
        }
    }
}

impl KsConfig {
    /// A short run for tests and CI: the settings of `kursiv.m` (N = 128, h = 1/4) saved every
    /// 0.5 up to t = 50 (128 x 101 values).
    pub fn quick() -> Self {
        KsConfig {
            n_x: 128,
            h: 0.25,
            save_every: 0.5,
            t_end: 50.0,
            ..KsConfig::default()
        }
    }

    /// Check the settings; returns (steps per saved snapshot, number of saved snapshots).
    pub fn schedule(&self) -> Result<(usize, usize)> {
        check_grid(self.n_x, self.length)?;
        if !(self.h.is_finite() && self.h > 0.0) {
            return Err(Error::invalid(
                "h",
                format!("time step must be positive and finite, got {}", self.h),
            ));
        }
        let per_save = whole_multiple("save_every", self.save_every, "h", self.h)?;
        let n_saves = if self.t_end == 0.0 {
            0
        } else {
            whole_multiple("t_end", self.t_end, "save_every", self.save_every)?
        };
        Ok((per_save, n_saves + 1))
    }

    /// The grid `x_j = L j / N`, j = 1..=N (as in `kursiv.m`).
    pub fn grid(&self) -> Vec<f64> {
        (1..=self.n_x)
            .map(|j| self.length * j as f64 / self.n_x as f64)
            .collect()
    }

    /// The initial condition `cos(2 pi x / L) (1 + sin(2 pi x / L))` on [`KsConfig::grid`].
    pub fn initial_condition(&self) -> Vec<f64> {
        self.grid()
            .iter()
            .map(|&x| {
                let s = 2.0 * PI * x / self.length;
                s.cos() * (1.0 + s.sin())
            })
            .collect()
    }
}

fn check_grid(n_x: usize, length: f64) -> Result<()> {
    if n_x < 4 || !n_x.is_multiple_of(2) {
        return Err(Error::invalid(
            "n_x",
            format!("number of grid points must be even and at least 4, got {n_x}"),
        ));
    }
    if !(length.is_finite() && length > 0.0) {
        return Err(Error::invalid(
            "length",
            format!("domain length must be positive and finite, got {length}"),
        ));
    }
    Ok(())
}

/// `value / unit` as a whole number >= 1, or an error naming `name`.
fn whole_multiple(name: &str, value: f64, unit_name: &str, unit: f64) -> Result<usize> {
    let ratio = value / unit;
    let n = ratio.round();
    if !(value.is_finite() && value > 0.0) || n < 1.0 || (ratio - n).abs() > 1e-9 * ratio.max(1.0) {
        return Err(Error::invalid(
            name,
            format!("must be a positive whole multiple of {unit_name} = {unit}, got {value} ({ratio} x {unit_name})"),
        ));
    }
    Ok(n as usize)
}

/// Simulate from the configured initial condition; returns u as [n_x, n_saved], column s
/// holding u(x, s * save_every) (column 0 is the initial condition).
pub fn simulate(cfg: &KsConfig) -> Result<Array2<f64>> {
    simulate_from(cfg, &cfg.initial_condition())
}

/// Like [`simulate`] from a given initial state `u0` of length `n_x`.
pub fn simulate_from(cfg: &KsConfig, u0: &[f64]) -> Result<Array2<f64>> {
    let (per_save, n_saved) = cfg.schedule()?;
    if u0.len() != cfg.n_x {
        return Err(Error::shape(
            "initial state u0",
            format!("[{}]", cfg.n_x),
            format!("[{}]", u0.len()),
        ));
    }
    let mut solver = KsEtdrk4::new(cfg.n_x, cfg.length, cfg.h, cfg.dealias)?;
    let mut v = solver.to_spectral(u0)?;
    let mut out = Array2::<f64>::zeros((cfg.n_x, n_saved));
    let mut u = u0.to_vec();
    for s in 0..n_saved {
        if s > 0 {
            solver.advance(&mut v, per_save);
            solver.to_physical(&v, &mut u)?;
            if u.iter().any(|x| !x.is_finite()) {
                return Err(SolverError::NonFinite {
                    t: s as f64 * cfg.save_every,
                }
                .into());
            }
        }
        out.column_mut(s)
            .iter_mut()
            .zip(&u)
            .for_each(|(o, &x)| *o = x);
    }
    Ok(out)
}
