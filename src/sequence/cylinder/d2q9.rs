//! The D2Q9 velocity set of the lattice-Boltzmann scheme: nine lattice velocities, their
//! weights and opposites. The collision and streaming of [`super::lattice`] and the wall links
//! of [`super::obstacle`] both use it.

/// Lattice velocities.
pub const C: [(i64, i64); 9] = [
    (0, 0),
    (1, 0),
    (0, 1),
    (-1, 0),
    (0, -1),
    (1, 1),
    (-1, 1),
    (-1, -1),
    (1, -1),
];
/// Lattice weights.
pub const W: [f64; 9] = [
    4. / 9.,
    1. / 9.,
    1. / 9.,
    1. / 9.,
    1. / 9.,
    1. / 36.,
    1. / 36.,
    1. / 36.,
    1. / 36.,
];
/// Index of the opposite velocity.
pub const OPP: [usize; 9] = [0, 3, 4, 1, 2, 7, 8, 5, 6];
