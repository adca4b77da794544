//! The hyperbolic fixed point: x' = mu x, y' = lambda (y - x^2), mu = -0.05, lambda = -1.
//!
//! Initial conditions `x, y ~ U(-1, 1)`; 1600 / 320 / 320 trajectories of 5121 points at
//! dt = 0.01; steppers `[2, 128, 128, 128, 2]`.

use super::paper_system;
use crate::data::{InitialConditions, Integration};
use crate::problem::{IncrementPlane, OdeProblem, PaperValues};
use crate::systems::system_from_formula;

/// Hyperbolic fixed point: x' = mu x, y' = lambda (y - x^2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hyperbolic {
    pub mu: f64,
    pub lambda: f64,
}

impl Default for Hyperbolic {
    fn default() -> Self {
        Hyperbolic {
            mu: -0.05,
            lambda: -1.0,
        }
    }
}

impl Hyperbolic {
    /// The vector field at one state `[x, y]`.
    #[inline(always)]
    fn at(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        [self.mu * x, self.lambda * (y - x * x)]
    }
}

system_from_formula!(Hyperbolic, 2);

/// The paper's values (Table 5, Tables 6-8, Table 9, timing).
const PAPER: PaperValues = PaperValues {
    single: [
        1.5e-3, 2.0e-4, 1.7e-5, 1.6e-5, 1.5e-6, 1.8e-6, 4.8e-6, 5.4e-5, 5.0e-4, 3.2e-3, 1.0e-2,
    ],
    multiscale: 5.1e-8,
    multiscale_noisy: [1.7e-6, 6.1e-6],
    rk4_vs_hybrid: (1.9e-9, 1.7e-8),
    seconds: (10.06, 0.12, 0.89),
};

/// The paper's Hyperbolic experiment.
pub fn hyperbolic() -> OdeProblem {
    let mut p = paper_system(
        "Hyperbolic",
        "Hyperbolic",
        &["x", "y"],
        0.01,
        Hyperbolic::default(),
        InitialConditions::uniform(vec![(-1.0, 1.0); 2]),
        Integration::rk45(),
    );
    p.sizes.n_train = 1600;
    p.reference = Some(PAPER);
    p.view.increment_plane = Some(IncrementPlane::centred(1.0));
    p
}
