//! The Van der Pol oscillator: x' = y, y' = mu (1 - x^2) y - x, mu = 2.
//!
//! Initial conditions: training `x ~ U(-2, 2), y ~ U(-4, 4)`, validation and test
//! `x, y ~ U(-2, 2)`; 3200 / 320 / 320 trajectories of 5121 points at dt = 0.01; steppers
//! `[2, 128, 128, 128, 2]` (sources disagree between 128 and 512; the public checkpoints use 128).

use super::paper_system;
use crate::data::{InitialConditions, Integration};
use crate::problem::{IncrementPlane, OdeProblem, PaperValues};
use crate::systems::system_from_formula;

/// Van der Pol oscillator: x' = y, y' = mu (1 - x^2) y - x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VanDerPol {
    pub mu: f64,
}

impl Default for VanDerPol {
    fn default() -> Self {
        VanDerPol { mu: 2.0 }
    }
}

impl VanDerPol {
    /// The vector field at one state `[x, y]`.
    #[inline(always)]
    fn at(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        [y, self.mu * (1.0 - x * x) * y - x]
    }
}

system_from_formula!(VanDerPol, 2);

/// The paper's values (Table 5, Tables 6-8, Table 9, timing).
const PAPER: PaperValues = PaperValues {
    single: [
        1.3e-1, 6.9e-3, 3.3e-3, 4.1e-3, 3.9e-3, 2.2e-2, 9.3e-2, 4.2e-1, 1.0, 2.9, 3.2,
    ],
    multiscale: 3.2e-3,
    multiscale_noisy: [1.7e-2, 1.7e-2],
    rk4_vs_hybrid: (2.0e-3, 2.0e-2),
    seconds: (48.95, 0.15, 8.88),
};

/// The paper's Van der Pol experiment.
pub fn van_der_pol() -> OdeProblem {
    let mut p = paper_system(
        "Van der Pol",
        "VanDerPol",
        &["x", "y"],
        0.01,
        VanDerPol::default(),
        InitialConditions::uniform_per_split(
            vec![(-2.0, 2.0), (-4.0, 4.0)],
            vec![(-2.0, 2.0), (-2.0, 2.0)],
        ),
        Integration::rk45(),
    );
    p.reference = Some(PAPER);
    p.view.increment_plane = Some(IncrementPlane::centred(2.0));
    p
}
