//! The Lorenz system: x' = sigma (y - x), y' = x (rho - z) - y, z' = x y - beta z with
//! sigma = 10, rho = 28, beta = 8/3.
//!
//! The data are one long chain per split: a start `U(-0.1, 0.1)^3` warmed up over 10 000 dt,
//! then each trajectory starting where the previous one ended; 6400 / 640 / 640 trajectories of
//! 5121 points at dt = 0.0005; steppers `[3, 1024, 1024, 1024, 3]`.

use super::paper_system;
use crate::data::{InitialConditions, Integration, Sizes};
use crate::problem::{IncrementPlane, OdeProblem, PaperValues, View};
use crate::solvers::Tolerances;
use crate::systems::system_from_formula;

/// Steps of the warm-up before the first trajectory of each split.
pub const LORENZ_WARMUP_STEPS: usize = 10_000;

/// The Lorenz system.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lorenz {
    pub sigma: f64,
    pub rho: f64,
    pub beta: f64,
}

impl Default for Lorenz {
    fn default() -> Self {
        Lorenz {
            sigma: 10.0,
            rho: 28.0,
            beta: 8.0 / 3.0,
        }
    }
}

impl Lorenz {
    /// The vector field at one state `[x, y, z]`.
    #[inline(always)]
    fn at(&self, [x, y, z]: [f64; 3]) -> [f64; 3] {
        [
            self.sigma * (y - x),
            x * (self.rho - z) - y,
            x * y - self.beta * z,
        ]
    }
}

system_from_formula!(Lorenz, 3);

/// The paper's values (Table 5, Tables 6-8, Table 9, timing).
const PAPER: PaperValues = PaperValues {
    single: [16.0, 22.0, 15.0, 8.0, 25.0, 4.4, 4.1, 4.7, 5.6, 18.0, 51.0],
    multiscale: 4.1,
    multiscale_noisy: [9.8, 16.0],
    rk4_vs_hybrid: (2.55, 24.4),
    seconds: (42.99, 0.09, 0.72),
};

/// The paper's Lorenz experiment.
pub fn lorenz() -> OdeProblem {
    let mut p = paper_system(
        "Lorenz",
        "Lorenz",
        &["x", "y", "z"],
        0.0005,
        Lorenz::default(),
        InitialConditions::uniform(vec![(-0.1, 0.1); 3]),
        Integration::Chain {
            warmup_steps: LORENZ_WARMUP_STEPS,
            tolerances: Tolerances::scipy_default(),
        },
    );
    p.sizes = Sizes {
        n_train: 6400,
        n_val: 640,
        n_test: 640,
        n_points: 5121,
    };
    p.hierarchy.arch = vec![3, 1024, 1024, 1024, 3];
    p.reference = Some(PAPER);
    p.view = View {
        // the butterfly
        phase_axes: (0, 2),
        increment_plane: Some(IncrementPlane {
            axes: [0, 1],
            ranges: [(-20.0, 20.0), (-25.0, 25.0)],
            base: vec![0.0, 0.0, 27.0],
        }),
    };
    p
}
