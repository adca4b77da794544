//! The paper's experiments as library calls: each module reproduces one figure or table, in
//! steps a notebook can run one by one, and as a whole for `hits reproduce`.
//!
//! | module | reproduces |
//! |---|---|
//! | [`fig2`] | Figure 2: single scales vs multiscale coupling on the harmonic oscillator |

pub mod fig2;
