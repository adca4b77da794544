//! The harmonic oscillator of Figure 2 (the motivating example): x' = y, y' = -x, with the
//! exact solution x = r sin(t + phi), y = r cos(t + phi).
//!
//! The data are exact: `r ~ U(0, 2)`, then `phi ~ U(-pi, pi)` per trajectory (the original's
//! draw order), 500 / 100 / 100 trajectories of 2000 points at dt = 0.001. Steppers
//! `[2, 32, 32, 2]` at 2^3 .. 2^10 dt, trained with n_forward 1 for 20 000 epochs on the whole
//! training set at once.

use std::f64::consts::PI;
use std::sync::Arc;

use super::paper_system;
use crate::data::{InitialConditions, Integration, Sizes};
use crate::problem::{IncrementPlane, OdeProblem};
use crate::stepper::{HierarchySpec, TrainConfig};
use crate::systems::system_from_formula;

/// Harmonic oscillator x' = y, y' = -x, whose flow is a clockwise rotation:
/// x(t) = r sin(t + phi), y(t) = r cos(t + phi).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Harmonic;

impl Harmonic {
    /// The exact flow map: the state `y` advanced by time `t`.
    pub fn flow(&self, y: [f64; 2], t: f64) -> [f64; 2] {
        let (s, c) = t.sin_cos();
        [y[0] * c + y[1] * s, -y[0] * s + y[1] * c]
    }
}

impl Harmonic {
    /// The vector field at one state `[x, y]`.
    #[inline(always)]
    fn at(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        [y, -x]
    }
}

system_from_formula!(Harmonic, 2);

/// `x = r sin(t + phi)`, `y = r cos(t + phi)` of the drawn `(r, phi)`.
fn solution(params: &[f64], t: f64, state: &mut [f64]) {
    let (r, phi) = (params[0], params[1]);
    let (sin, cos) = (t + phi).sin_cos();
    state[0] = r * sin;
    state[1] = r * cos;
}

/// Figure 2's harmonic oscillator.
pub fn harmonic() -> OdeProblem {
    let mut p = paper_system(
        "Harmonic",
        "Harmonic",
        &["x", "y"],
        0.001,
        Harmonic,
        // the drawn values are the parameters (r, phi) of the exact solution
        InitialConditions::uniform(vec![(0.0, 2.0), (-PI, PI)]),
        Integration::Exact(Arc::new(solution)),
    );
    p.sizes = Sizes {
        n_train: 500,
        n_val: 100,
        n_test: 100,
        n_points: 2000,
    };
    p.hierarchy = HierarchySpec::new(
        vec![2, 32, 32, 2],
        (3..=10).map(|k| 1usize << k).collect(),
        TrainConfig {
            epochs: 20_000,
            batch_size: p.sizes.n_train,
            n_forward: 1,
            ..TrainConfig::default()
        },
    );
    p.view.increment_plane = Some(IncrementPlane::centred(2.0));
    p
}
