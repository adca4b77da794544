//! The damped cubic oscillator: x' = -0.1 x^3 + 2 y^3, y' = -2 x^3 - 0.1 y^3.
//!
//! Initial conditions `x, y ~ U(-1, 1)`; 3200 / 320 / 320 trajectories of 5121 points at
//! dt = 0.01; steppers `[2, 256, 256, 256, 2]`.

use super::paper_system;
use crate::data::{InitialConditions, Integration};
use crate::problem::{IncrementPlane, OdeProblem, PaperValues};
use crate::systems::system_from_formula;

/// Damped cubic oscillator: x' = -0.1 x^3 + 2 y^3, y' = -2 x^3 - 0.1 y^3.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cubic;

impl Cubic {
    /// The vector field at one state `[x, y]`.
    #[inline(always)]
    fn at(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        let (x3, y3) = (x * x * x, y * y * y);
        [-0.1 * x3 + 2.0 * y3, -2.0 * x3 - 0.1 * y3]
    }
}

system_from_formula!(Cubic, 2);

/// The paper's values (Table 5, Tables 6-8, Table 9, timing).
const PAPER: PaperValues = PaperValues {
    single: [
        3.1e-3, 7.0e-4, 4.0e-4, 2.0e-4, 3.0e-4, 3.0e-4, 3.0e-4, 1.2e-3, 9.8e-3, 5.0e-2, 1.0e-1,
    ],
    multiscale: 2.0e-4,
    multiscale_noisy: [6.0e-4, 1.6e-3],
    rk4_vs_hybrid: (4.8e-5, 2.8e-4),
    seconds: (24.74, 0.14, 6.73),
};

/// The paper's Cubic experiment.
pub fn cubic() -> OdeProblem {
    let mut p = paper_system(
        "Cubic",
        "Cubic",
        &["x", "y"],
        0.01,
        Cubic,
        InitialConditions::uniform(vec![(-1.0, 1.0); 2]),
        Integration::rk45(),
    );
    p.hierarchy.arch = vec![2, 256, 256, 256, 2];
    p.reference = Some(PAPER);
    p.view.increment_plane = Some(IncrementPlane::centred(1.0));
    p
}
