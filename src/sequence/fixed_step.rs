//! A fixed-step time-stepper: the common shape of the sequence-data solvers.
//!
//! Both PDE solvers that make sequence data, the Kuramoto-Sivashinsky ETDRK4 integrator
//! ([`super::ks::KsEtdrk4`]) and the lattice-Boltzmann cylinder wake
//! ([`super::cylinder::Lattice`]), advance a state by one step of fixed size; the loops that
//! save snapshots are written once against this trait.

/// A solver that advances its state by steps of one fixed size.
///
/// The stepper owns its scratch buffers (hence `&mut self`); the state is separate so that it
/// can be saved, copied and compared.
pub trait FixedStepper {
    /// What one step advances.
    type State;

    /// The step size, in the solver's own time unit.
    fn step_size(&self) -> f64;

    /// Advance `state` by one step of [`FixedStepper::step_size`].
    fn step(&mut self, state: &mut Self::State);

    /// Advance `state` by `n` steps.
    fn advance(&mut self, state: &mut Self::State, n: usize) {
        for _ in 0..n {
            self.step(state);
        }
    }
}
