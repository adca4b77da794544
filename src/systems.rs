//! Vector fields: the [`System`] trait, one value for any of them ([`VectorField`]), closures as
//! systems ([`vector_field`]). The paper's systems are defined with their experiments, in
//! [`crate::problem::builtin`].
//!
//! A system is its dimension and an in-place right-hand side `dy = f(t, y)`. The same
//! right-hand side serves data generation ([`crate::solvers`]) and the hybrid NN + RK4 stepper,
//! so there is one definition of every vector field.
//!
//! ```
//! use hits::problem::builtin::VanDerPol;
//! use hits::systems::{vector_field, System};
//! let vdp = VanDerPol::default();
//! let mut dy = [0.0; 2];
//! vdp.rhs(0.0, &[1.0, 1.0], &mut dy);
//! assert_eq!(dy, [1.0, -1.0]);
//! // A system of one's own, as a closure:
//! let decay = vector_field(1, |_t, y, dy| dy[0] = -0.5 * y[0]);
//! decay.rhs(0.0, &[2.0], &mut dy[..1]);
//! assert_eq!(dy[0], -1.0);
//! ```

use std::any::Any;
use std::sync::Arc;

/// A first-order ODE system y' = f(t, y).
pub trait System: Send + Sync {
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

/// A vector field as one value: any [`System`] (a struct, or a closure through
/// [`vector_field`]) behind a shared pointer, with one named type whatever it holds.
///
/// A notebook keeps it between cells (evcxr persists variables of named types only, not of a
/// closure's `impl Fn` type), an [`crate::problem::OdeProblem`] holds one, and cloning it
/// shares the field. It is a [`System`] itself, passing [`System::rhs_batch`] through, so a
/// struct's vectorised batch survives the wrapping.
///
/// ```
/// use hits::systems::{vector_field, System, VectorField};
/// let decay: VectorField = vector_field(1, |_t, y, dy| dy[0] = -0.5 * y[0]);
/// let shared = decay.clone();
/// let mut dy = [0.0];
/// shared.rhs(0.0, &[2.0], &mut dy);
/// assert_eq!((shared.dim(), dy[0]), (1, -1.0));
/// ```
#[derive(Clone)]
pub struct VectorField(Arc<dyn System>);

impl VectorField {
    /// Wrap a system (a [`VectorField`] given here is kept as it is, not wrapped twice).
    pub fn new<S: System + 'static>(system: S) -> VectorField {
        match (&system as &dyn Any).downcast_ref::<VectorField>() {
            Some(field) => field.clone(),
            None => VectorField(Arc::new(system)),
        }
    }
}

impl System for VectorField {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.0.rhs(t, y, dy)
    }
    fn rhs_batch(&self, t: f64, lanes: usize, y: &[f64], dy: &mut [f64]) {
        self.0.rhs_batch(t, lanes, y, dy)
    }
}

impl AsRef<dyn System> for VectorField {
    fn as_ref(&self) -> &(dyn System + 'static) {
        &*self.0
    }
}

impl std::fmt::Debug for VectorField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VectorField(dim {})", self.dim())
    }
}

/// A vector field of dimension `dim` from a closure writing `f(t, y)` into `dy`.
pub fn vector_field<F>(dim: usize, f: F) -> VectorField
where
    F: Fn(f64, &[f64], &mut [f64]) + Send + Sync + 'static,
{
    VectorField(Arc::new(Closure { dim, f }))
}

/// A closure with its dimension: the system inside [`vector_field`]'s value.
struct Closure<F> {
    dim: usize,
    f: F,
}

impl<F> System for Closure<F>
where
    F: Fn(f64, &[f64], &mut [f64]) + Send + Sync,
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        (self.f)(t, y, dy)
    }
}

impl<S: System + ?Sized> System for Arc<S> {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        (**self).rhs(t, y, dy)
    }
    fn rhs_batch(&self, t: f64, lanes: usize, y: &[f64], dy: &mut [f64]) {
        (**self).rhs_batch(t, lanes, y, dy)
    }
}

/// [`System::rhs`] of a system written once, as the map `f` of one state of `N` components to
/// its derivative: the built-in systems define `f` and get both right-hand sides from it, so the
/// scalar and the batched paths compute the same operations in the same order.
#[inline(always)]
pub(crate) fn rhs_of<const N: usize>(y: &[f64], dy: &mut [f64], f: impl Fn([f64; N]) -> [f64; N]) {
    let state: [f64; N] = std::array::from_fn(|d| y[d]);
    dy[..N].copy_from_slice(&f(state));
}

/// [`System::rhs_batch`] of the same `f`: applied lane by lane to the structure-of-arrays batch,
/// a loop over whole components that the compiler vectorises.
#[inline(always)]
pub(crate) fn rhs_batch_of<const N: usize>(
    lanes: usize,
    y: &[f64],
    dy: &mut [f64],
    f: impl Fn([f64; N]) -> [f64; N],
) {
    let ys = components::<N>(lanes, y);
    let dys = components_mut::<N>(lanes, dy);
    for i in 0..lanes {
        let out = f(std::array::from_fn(|d| ys[d][i]));
        for (d, v) in out.into_iter().enumerate() {
            dys[d][i] = v;
        }
    }
}

/// `impl System` for a built-in system written once as its formula, a method
/// `fn at(&self, [f64; N]) -> [f64; N]` of a time-independent field: `rhs` through [`rhs_of`],
/// `rhs_batch` through [`rhs_batch_of`] (`system_from_formula!(Cubic, 2);`).
macro_rules! system_from_formula {
    ($ty:ty, $dim:literal) => {
        impl $crate::systems::System for $ty {
            fn dim(&self) -> usize {
                $dim
            }
            fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
                $crate::systems::rhs_of::<$dim>(y, dy, |s| self.at(s))
            }
            #[inline]
            fn rhs_batch(&self, _t: f64, lanes: usize, y: &[f64], dy: &mut [f64]) {
                $crate::systems::rhs_batch_of::<$dim>(lanes, y, dy, |s| self.at(s))
            }
        }
    };
}
pub(crate) use system_from_formula;

/// The first `n` components of a structure-of-arrays batch of `lanes` states, as slices.
#[inline(always)]
pub(crate) fn components<const N: usize>(lanes: usize, y: &[f64]) -> [&[f64]; N] {
    std::array::from_fn(|d| &y[d * lanes..(d + 1) * lanes])
}

/// Mutable version of [`components`].
#[inline(always)]
pub(crate) fn components_mut<const N: usize>(lanes: usize, dy: &mut [f64]) -> [&mut [f64]; N] {
    let mut rest = &mut dy[..N * lanes];
    std::array::from_fn(|_| {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(lanes);
        rest = tail;
        head
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::builtin::{Cubic, Harmonic, Hopf, Hyperbolic, Lorenz};

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
    fn a_closure_is_a_system_and_its_batch_default_agrees() {
        let f = vector_field(2, |t, y, dy| {
            dy[0] = y[1] * t;
            dy[1] = -y[0];
        });
        let y = [1.0, 2.0, 3.0, 4.0]; // lanes 2: x = [1, 2], y = [3, 4]
        let mut dy = [0.0; 4];
        f.rhs_batch(2.0, 2, &y, &mut dy);
        assert_eq!(dy, [6.0, 8.0, -1.0, -2.0]);
    }
}
