//! The paper's experiments as library calls: each module reproduces one figure or table, in
//! steps a notebook can run one by one, and as a whole for `hits reproduce`.
//!
//! | module | reproduces |
//! |---|---|
//! | [`fig2`] | Figure 2: single scales vs multiscale coupling on the harmonic oscillator |
//! | [`ode`] | the data set and trained steppers every ODE experiment starts from |
//! | [`table1`] | Table 1 / Figure 7: sequence generation, HiTS vs LSTM, ESN, CW-RNN |

pub mod fig2;
pub mod ode;
pub mod table1;
