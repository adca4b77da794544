//! The paper's forecasting numbers, in one table (from `../shared/PAPER.md`: the values the
//! authors plotted in their public notebooks).
//!
//! Test MSE at 0 % noise for every single step size 2^k dt (k = 0..10) and for the multiscale
//! coupling (Table 5); the multiscale MSE at 1 % and 2 % noise; the hybrid comparison at
//! h = dt (Table 9); and the forecast wall times on the authors' laptop CPU.
//!
//! ```
//! use hits::forecast::paper_row;
//! use hits::SystemKind;
//! let row = paper_row(SystemKind::Hyperbolic).unwrap();
//! assert_eq!(row.single[5], 1.8e-6); // step 32 dt
//! assert_eq!(row.multiscale, 5.1e-8);
//! ```

use crate::SystemKind;

/// One system's row of the paper's forecasting results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperRow {
    /// The system.
    pub system: SystemKind,
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

/// Step sizes of the columns of [`PaperRow::single`], in units of dt.
pub const PAPER_STEP_SIZES: [usize; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/// The paper's rows, in the paper's order.
pub const PAPER_TABLE: [PaperRow; 5] = [
    PaperRow {
        system: SystemKind::Hyperbolic,
        single: [
            1.5e-3, 2.0e-4, 1.7e-5, 1.6e-5, 1.5e-6, 1.8e-6, 4.8e-6, 5.4e-5, 5.0e-4, 3.2e-3, 1.0e-2,
        ],
        multiscale: 5.1e-8,
        multiscale_noisy: [1.7e-6, 6.1e-6],
        rk4_vs_hybrid: (1.9e-9, 1.7e-8),
        seconds: (10.06, 0.12, 0.89),
    },
    PaperRow {
        system: SystemKind::Cubic,
        single: [
            3.1e-3, 7.0e-4, 4.0e-4, 2.0e-4, 3.0e-4, 3.0e-4, 3.0e-4, 1.2e-3, 9.8e-3, 5.0e-2, 1.0e-1,
        ],
        multiscale: 2.0e-4,
        multiscale_noisy: [6.0e-4, 1.6e-3],
        rk4_vs_hybrid: (4.8e-5, 2.8e-4),
        seconds: (24.74, 0.14, 6.73),
    },
    PaperRow {
        system: SystemKind::VanDerPol,
        single: [
            1.3e-1, 6.9e-3, 3.3e-3, 4.1e-3, 3.9e-3, 2.2e-2, 9.3e-2, 4.2e-1, 1.0, 2.9, 3.2,
        ],
        multiscale: 3.2e-3,
        multiscale_noisy: [1.7e-2, 1.7e-2],
        rk4_vs_hybrid: (2.0e-3, 2.0e-2),
        seconds: (48.95, 0.15, 8.88),
    },
    PaperRow {
        system: SystemKind::Hopf,
        single: [
            4.9e-3, 1.2e-3, 1.2e-3, 1.1e-3, 9.0e-4, 9.0e-4, 9.0e-4, 2.5e-3, 2.4e-2, 1.5e-1, 1.3e-1,
        ],
        multiscale: 4.1e-5,
        multiscale_noisy: [5.4e-5, 9.0e-5],
        rk4_vs_hybrid: (9.8e-4, 8.5e-5),
        seconds: (9.98, 0.17, 1.84),
    },
    PaperRow {
        system: SystemKind::Lorenz,
        single: [16.0, 22.0, 15.0, 8.0, 25.0, 4.4, 4.1, 4.7, 5.6, 18.0, 51.0],
        multiscale: 4.1,
        multiscale_noisy: [9.8, 16.0],
        rk4_vs_hybrid: (2.55, 24.4),
        seconds: (42.99, 0.09, 0.72),
    },
];

/// The paper's row for `system` (none for the harmonic oscillator, which has no table).
pub fn paper_row(system: SystemKind) -> Option<&'static PaperRow> {
    PAPER_TABLE.iter().find(|r| r.system == system)
}

/// The paper's uni-scale test MSE for `step_size` (a power of two up to 1024), if published.
pub fn paper_single_mse(system: SystemKind, step_size: usize) -> Option<f64> {
    let col = PAPER_STEP_SIZES.iter().position(|&s| s == step_size)?;
    paper_row(system).map(|r| r.single[col])
}
