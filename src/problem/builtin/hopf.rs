//! The Hopf normal form with its bifurcation parameter as a constant state, y = (mu, x, y):
//! mu' = 0, x' = mu x + y - x (x^2 + y^2), y' = mu y - x - y (x^2 + y^2).
//!
//! Initial conditions `mu ~ U(-0.2, 0.6), x ~ U(-1, 2), y ~ U(-1, 1)`; 3200 / 320 / 320
//! trajectories of 5121 points at dt = 0.01; steppers `[3, 128, 128, 128, 3]`.

use super::paper_system;
use crate::data::{InitialConditions, Integration};
use crate::problem::{IncrementPlane, OdeProblem, PaperValues, View};
use crate::systems::system_from_formula;

/// Hopf normal form with the bifurcation parameter as a (constant) state: y = (mu, x, y).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Hopf;

impl Hopf {
    /// The vector field at one state `[mu, x, y]`.
    #[inline(always)]
    fn at(&self, [mu, x, y]: [f64; 3]) -> [f64; 3] {
        let r2 = x * x + y * y;
        [0.0, mu * x + y - x * r2, -x + mu * y - y * r2]
    }
}

system_from_formula!(Hopf, 3);

/// The paper's values (Table 5, Tables 6-8, Table 9, timing).
const PAPER: PaperValues = PaperValues {
    single: [
        4.9e-3, 1.2e-3, 1.2e-3, 1.1e-3, 9.0e-4, 9.0e-4, 9.0e-4, 2.5e-3, 2.4e-2, 1.5e-1, 1.3e-1,
    ],
    multiscale: 4.1e-5,
    multiscale_noisy: [5.4e-5, 9.0e-5],
    rk4_vs_hybrid: (9.8e-4, 8.5e-5),
    seconds: (9.98, 0.17, 1.84),
};

/// The paper's Hopf experiment.
pub fn hopf() -> OdeProblem {
    let mut p = paper_system(
        "Hopf",
        "Hopf",
        &["mu", "x", "y"],
        0.01,
        Hopf,
        InitialConditions::uniform(vec![(-0.2, 0.6), (-1.0, 2.0), (-1.0, 1.0)]),
        Integration::rk45(),
    );
    p.reference = Some(PAPER);
    p.view = View {
        // mu is constant: the phase plane is x-y
        phase_axes: (1, 2),
        increment_plane: Some(IncrementPlane {
            axes: [1, 2],
            ranges: [(-1.0, 2.0), (-1.0, 1.0)],
            base: vec![0.2, 0.0, 0.0],
        }),
    };
    p
}
