//! The shape of the paper's forecasting numbers for one system ([`PaperValues`]); the values
//! themselves sit with each built-in system ([`crate::problem::builtin`]) and reach the tables
//! through [`crate::problem::OdeProblem::reference`].
//!
//! Test MSE at 0 % noise for every single step size 2^k dt (k = 0..10) and for the multiscale
//! coupling (Table 5); the multiscale MSE at 1 % and 2 % noise; the hybrid comparison at
//! h = dt (Table 9); and the forecast wall times on the authors' laptop CPU (from
//! `../shared/PAPER.md`: the values the authors plotted in their public notebooks).
//!
//! ```
//! let p = hits::problem::hyperbolic().reference.unwrap();
//! assert_eq!(p.single_mse(32), Some(1.8e-6));
//! assert_eq!(p.multiscale_at(0.0), Some(5.1e-8));
//! assert_eq!(p.multiscale_at(0.5), None);
//! ```

use crate::forecast::Reference;

/// One system's forecasting results in the paper.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperValues {
    /// Test MSE of the uni-scale forecast with step size 2^k dt, k = 0..10.
    pub single: [f64; 11],
    /// Test MSE of the multiscale forecast (after model selection), 0 % noise.
    pub multiscale: f64,
    /// Multiscale test MSE at 1 % and 2 % noise.
    pub multiscale_noisy: [f64; 2],
    /// Table 9, h = dt: MSE of plain RK4 and of the hybrid NN + RK4 stepper.
    pub rk4_vs_hybrid: (f64, f64),
    /// Forecast wall time [s] on the authors' laptop: step 1 dt, step 1024 dt, multiscale.
    pub seconds: (f64, f64, f64),
}

/// Step sizes of the columns of [`PaperValues::single`], in units of dt.
pub const PAPER_STEP_SIZES: [usize; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/// The noise levels of the paper's multiscale columns.
pub const PAPER_NOISE_LEVELS: [f64; 3] = [0.0, 0.01, 0.02];

impl Reference for PaperValues {
    fn single_mse(&self, step_size: usize) -> Option<f64> {
        PaperValues::single_mse(self, step_size)
    }
    fn single_seconds(&self, step_size: usize) -> Option<f64> {
        PaperValues::single_seconds(self, step_size)
    }
    fn multiscale_mse(&self, noise: f64) -> Option<f64> {
        self.multiscale_at(noise)
    }
    fn multiscale_seconds(&self) -> Option<f64> {
        Some(self.seconds.2)
    }
    fn rk4_and_hybrid_mse(&self) -> Option<(f64, f64)> {
        Some(self.rk4_vs_hybrid)
    }
}

impl PaperValues {
    /// The uni-scale test MSE for `step_size` (a power of two up to 1024), if published.
    pub fn single_mse(&self, step_size: usize) -> Option<f64> {
        let col = PAPER_STEP_SIZES.iter().position(|&s| s == step_size)?;
        Some(self.single[col])
    }

    /// The multiscale test MSE at noise level `noise` (0, 0.01 or 0.02), if published.
    pub fn multiscale_at(&self, noise: f64) -> Option<f64> {
        let values = [
            self.multiscale,
            self.multiscale_noisy[0],
            self.multiscale_noisy[1],
        ];
        PAPER_NOISE_LEVELS
            .iter()
            .position(|n| (n - noise).abs() < 1e-12)
            .map(|i| values[i])
    }

    /// The paper's forecast time [s] for a uni-scale step size (published for 1 and 1024 dt).
    pub fn single_seconds(&self, step_size: usize) -> Option<f64> {
        match step_size {
            1 => Some(self.seconds.0),
            1024 => Some(self.seconds.1),
            _ => None,
        }
    }
}
