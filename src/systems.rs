//! The ODE systems of the paper, as values.
//!
//! Each system implements [`System`]: its dimension and an in-place right-hand side
//! `dy = f(t, y)`. The same right-hand side serves data generation ([`crate::solvers`]) and the
//! hybrid NN + RK4 stepper, so there is one definition of every vector field.
//!
//! | system | equations |
//! |---|---|
//! | [`Hyperbolic`] | x' = mu x, y' = lambda (y - x^2), mu = -0.05, lambda = -1 |
//! | [`Cubic`] | x' = -0.1 x^3 + 2 y^3, y' = -2 x^3 - 0.1 y^3 |
//! | [`VanDerPol`] | x' = y, y' = mu (1 - x^2) y - x, mu = 2 |
//! | [`Hopf`] | mu' = 0, x' = mu x + y - x (x^2 + y^2), y' = mu y - x - y (x^2 + y^2) |
//! | [`Lorenz`] | x' = sigma (y - x), y' = x (rho - z) - y, z' = x y - beta z |
//! | [`Harmonic`] | x' = y, y' = -x (solution x = r sin(t + phi), y = r cos(t + phi)) |
//!
//! [`SystemKind`] names the systems (for the command line and file names) and carries the
//! settings of the paper's data sets: step `dt`, sizes and hidden width.
//!
//! ```
//! use hits::systems::{System, VanDerPol};
//! let vdp = VanDerPol::default();
//! let mut dy = [0.0; 2];
//! vdp.rhs(0.0, &[1.0, 1.0], &mut dy);
//! assert_eq!(dy, [1.0, -1.0]);
//! ```

/// A first-order ODE system y' = f(t, y).
pub trait System: Sync {
    /// The state dimension.
    fn dim(&self) -> usize;
    /// Write f(t, y) into `dy` (both of length [`System::dim`]).
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]);

    /// f(t, y) for `lanes` states at once, structure of arrays: component `d` of state `i` is
    /// `y[d * lanes + i]` (one contiguous block per component), likewise `dy`; both hold at least
    /// `dim * lanes` numbers. Must compute exactly what [`System::rhs`] computes, state by state
    /// (same operations in the same order, so batched and scalar integrators agree bit for bit).
    ///
    /// The default gathers each state and calls [`System::rhs`]; the paper's systems override it
    /// with loops over whole components that the compiler vectorises (the batched RK4 of
    /// [`crate::solvers::Rk4Lanes`] calls it four times per step).
    fn rhs_batch(&self, t: f64, lanes: usize, y: &[f64], dy: &mut [f64]) {
        let dim = self.dim();
        let mut state = vec![0.0; 2 * dim];
        let (yi, dyi) = state.split_at_mut(dim);
        for i in 0..lanes {
            for d in 0..dim {
                yi[d] = y[d * lanes + i];
            }
            self.rhs(t, yi, dyi);
            for d in 0..dim {
                dy[d * lanes + i] = dyi[d];
            }
        }
    }
}

/// The first `n` components of a structure-of-arrays batch of `lanes` states, as slices.
#[inline(always)]
fn components<const N: usize>(lanes: usize, y: &[f64]) -> [&[f64]; N] {
    std::array::from_fn(|d| &y[d * lanes..(d + 1) * lanes])
}

/// Mutable version of [`components`].
#[inline(always)]
fn components_mut<const N: usize>(lanes: usize, dy: &mut [f64]) -> [&mut [f64]; N] {
    let mut rest = &mut dy[..N * lanes];
    std::array::from_fn(|_| {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(lanes);
        rest = tail;
        head
    })
}

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

impl System for Hyperbolic {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = self.mu * y[0];
        dy[1] = self.lambda * (y[1] - y[0] * y[0]);
    }
    #[inline]
    fn rhs_batch(&self, _t: f64, lanes: usize, y: &[f64], dy: &mut [f64]) {
        let [x, z] = components::<2>(lanes, y);
        let [dx, dz] = components_mut::<2>(lanes, dy);
        for i in 0..lanes {
            dx[i] = self.mu * x[i];
            dz[i] = self.lambda * (z[i] - x[i] * x[i]);
        }
    }
}

/// Damped cubic oscillator: x' = -0.1 x^3 + 2 y^3, y' = -2 x^3 - 0.1 y^3.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cubic;

impl System for Cubic {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let (x3, y3) = (y[0] * y[0] * y[0], y[1] * y[1] * y[1]);
        dy[0] = -0.1 * x3 + 2.0 * y3;
        dy[1] = -2.0 * x3 - 0.1 * y3;
    }
    #[inline]
    fn rhs_batch(&self, _t: f64, lanes: usize, y: &[f64], dy: &mut [f64]) {
        let [x, z] = components::<2>(lanes, y);
        let [dx, dz] = components_mut::<2>(lanes, dy);
        for i in 0..lanes {
            let (x3, y3) = (x[i] * x[i] * x[i], z[i] * z[i] * z[i]);
            dx[i] = -0.1 * x3 + 2.0 * y3;
            dz[i] = -2.0 * x3 - 0.1 * y3;
        }
    }
}

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

impl System for VanDerPol {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = y[1];
        dy[1] = self.mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    }
    #[inline]
    fn rhs_batch(&self, _t: f64, lanes: usize, y: &[f64], dy: &mut [f64]) {
        let [x, z] = components::<2>(lanes, y);
        let [dx, dz] = components_mut::<2>(lanes, dy);
        for i in 0..lanes {
            dx[i] = z[i];
            dz[i] = self.mu * (1.0 - x[i] * x[i]) * z[i] - x[i];
        }
    }
}

/// Hopf normal form with the bifurcation parameter as a (constant) state: y = (mu, x, y).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Hopf;

impl System for Hopf {
    fn dim(&self) -> usize {
        3
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let (mu, x, z) = (y[0], y[1], y[2]);
        let r2 = x * x + z * z;
        dy[0] = 0.0;
        dy[1] = mu * x + z - x * r2;
        dy[2] = -x + mu * z - z * r2;
    }
    #[inline]
    fn rhs_batch(&self, _t: f64, lanes: usize, y: &[f64], dy: &mut [f64]) {
        let [m, x, z] = components::<3>(lanes, y);
        let [dm, dx, dz] = components_mut::<3>(lanes, dy);
        for i in 0..lanes {
            let r2 = x[i] * x[i] + z[i] * z[i];
            dm[i] = 0.0;
            dx[i] = m[i] * x[i] + z[i] - x[i] * r2;
            dz[i] = -x[i] + m[i] * z[i] - z[i] * r2;
        }
    }
}

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

impl System for Lorenz {
    fn dim(&self) -> usize {
        3
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = self.sigma * (y[1] - y[0]);
        dy[1] = y[0] * (self.rho - y[2]) - y[1];
        dy[2] = y[0] * y[1] - self.beta * y[2];
    }
    #[inline]
    fn rhs_batch(&self, _t: f64, lanes: usize, y: &[f64], dy: &mut [f64]) {
        let [x, v, z] = components::<3>(lanes, y);
        let [dx, dv, dz] = components_mut::<3>(lanes, dy);
        for i in 0..lanes {
            dx[i] = self.sigma * (v[i] - x[i]);
            dv[i] = x[i] * (self.rho - z[i]) - v[i];
            dz[i] = x[i] * v[i] - self.beta * z[i];
        }
    }
}

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

impl System for Harmonic {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = y[1];
        dy[1] = -y[0];
    }
    #[inline]
    fn rhs_batch(&self, _t: f64, lanes: usize, y: &[f64], dy: &mut [f64]) {
        let [x, z] = components::<2>(lanes, y);
        let [dx, dz] = components_mut::<2>(lanes, dy);
        dx.copy_from_slice(z);
        for i in 0..lanes {
            dz[i] = -x[i];
        }
    }
}

/// The systems of the paper by name, with the settings of their data sets.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[value(rename_all = "lowercase")]
pub enum SystemKind {
    Hyperbolic,
    Cubic,
    #[value(name = "vanderpol", alias = "vdp", alias = "van-der-pol")]
    VanDerPol,
    Hopf,
    Lorenz,
    Harmonic,
}

impl SystemKind {
    /// Every system, in the paper's order (the harmonic oscillator last: it is Figure 2's).
    pub const ALL: [SystemKind; 6] = [
        SystemKind::Hyperbolic,
        SystemKind::Cubic,
        SystemKind::VanDerPol,
        SystemKind::Hopf,
        SystemKind::Lorenz,
        SystemKind::Harmonic,
    ];

    /// The five nonlinear systems of the paper's ODE experiments.
    pub const NONLINEAR: [SystemKind; 5] = [
        SystemKind::Hyperbolic,
        SystemKind::Cubic,
        SystemKind::VanDerPol,
        SystemKind::Hopf,
        SystemKind::Lorenz,
    ];

    /// The folder name the original code used (`data/<name>/`, `models/<name>/`).
    pub fn name(self) -> &'static str {
        match self {
            SystemKind::Hyperbolic => "Hyperbolic",
            SystemKind::Cubic => "Cubic",
            SystemKind::VanDerPol => "VanDerPol",
            SystemKind::Hopf => "Hopf",
            SystemKind::Lorenz => "Lorenz",
            SystemKind::Harmonic => "Harmonic",
        }
    }

    /// The state dimension.
    pub fn dim(self) -> usize {
        self.system().dim()
    }

    /// The sampling interval of the data set.
    pub fn default_dt(self) -> f64 {
        match self {
            SystemKind::Lorenz => 0.0005,
            SystemKind::Harmonic => 0.001,
            _ => 0.01,
        }
    }

    /// The vector field with the paper's parameters.
    pub fn system(self) -> Box<dyn System> {
        match self {
            SystemKind::Hyperbolic => Box::new(Hyperbolic::default()),
            SystemKind::Cubic => Box::new(Cubic),
            SystemKind::VanDerPol => Box::new(VanDerPol::default()),
            SystemKind::Hopf => Box::new(Hopf),
            SystemKind::Lorenz => Box::new(Lorenz::default()),
            SystemKind::Harmonic => Box::new(Harmonic),
        }
    }

    /// Hidden width of the paper's steppers (three hidden layers).
    /// Van der Pol: sources disagree between 128 and 512; the public checkpoints use 128.
    pub fn hidden_width(self) -> usize {
        match self {
            SystemKind::Cubic => 256,
            SystemKind::Lorenz => 1024,
            SystemKind::Harmonic => 32,
            _ => 128,
        }
    }

    /// Parse a folder name or command-line name, case-insensitively.
    pub fn from_name(name: &str) -> crate::Result<SystemKind> {
        let lower = name.to_ascii_lowercase().replace(['-', '_'], "");
        SystemKind::ALL
            .into_iter()
            .find(|k| k.name().to_ascii_lowercase() == lower || (lower == "vdp" && *k == SystemKind::VanDerPol))
            .ok_or_else(|| {
                crate::Error::invalid(
                    "system",
                    format!("unknown system '{name}'; expected one of hyperbolic, cubic, vanderpol, hopf, lorenz, harmonic"),
                )
            })
    }
}

impl std::fmt::Display for SystemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_hand_sides_match_the_equations() {
        let mut dy = [0.0; 3];
        Hyperbolic::default().rhs(0.0, &[2.0, 1.0], &mut dy[..2]);
        assert_eq!(&dy[..2], &[-0.1, 3.0]);
        Cubic.rhs(0.0, &[1.0, 2.0], &mut dy[..2]);
        assert_eq!(&dy[..2], &[-0.1 + 16.0, -2.0 - 0.8]);
        Hopf.rhs(0.0, &[0.5, 1.0, 0.0], &mut dy);
        assert_eq!(dy, [0.0, 0.5 - 1.0, -1.0]);
        Lorenz::default().rhs(0.0, &[1.0, 2.0, 3.0], &mut dy);
        assert_eq!(dy, [10.0, 1.0 * 25.0 - 2.0, 2.0 - 8.0]);
    }

    #[test]
    fn harmonic_flow_solves_the_ode() {
        // x = r sin(t + phi), y = r cos(t + phi)
        let (r, phi, t) = (1.3_f64, 0.4_f64, 0.7_f64);
        let y0 = [r * phi.sin(), r * phi.cos()];
        let y = Harmonic.flow(y0, t);
        assert!((y[0] - r * (t + phi).sin()).abs() < 1e-14);
        assert!((y[1] - r * (t + phi).cos()).abs() < 1e-14);
    }

    #[test]
    fn names_round_trip() {
        for k in SystemKind::ALL {
            assert_eq!(SystemKind::from_name(k.name()).unwrap(), k);
        }
        assert_eq!(SystemKind::from_name("vdp").unwrap(), SystemKind::VanDerPol);
        let err = SystemKind::from_name("duffing").unwrap_err().to_string();
        assert!(err.contains("duffing") && err.contains("lorenz"), "{err}");
    }
}
