//! The paper's experiments as library calls: each module reproduces one figure or table, in
//! steps a notebook can run one by one, and as a whole for `hits reproduce`.
//!
//! | module | reproduces |
//! |---|---|
//! | [`adaptive`] | AHiTS beside HiTS: the noise study to 20 %, accuracy against cost, error control, step-path ensembles |
//! | [`data_generation`] | the five ODE data sets at 0/1/2% noise: sizes, timing, phase portraits |
//! | [`fig2`] | Figure 2: single scales vs multiscale coupling on the harmonic oscillator |
//! | [`forecast`] | one problem's Table 5 (and Table 9 rows) as one result set (`hits forecast`) |
//! | [`hybrid`] | Figure 6B, Figure 9, Table 9: RK4 vs the hybrid NN + RK4 stepper |
//! | [`increment`] | Figure 10: the increment x(t + Δ) - x(t) over a grid, exact and learned |
//! | [`multiscale_hits`] | Figure 5, Table 5: every step size vs the multiscale coupling, timing |
//! | [`noisy`] | Figure 6A, Figure 8, Tables 6-8: multiscale HiTS at 0/1/2% measurement noise |
//! | [`ode`] | the data set and trained steppers every ODE experiment starts from |
//! | [`report`] | `results/REPORT.md`: every ODE table beside the paper's, figure links |
//! | [`table1`] | Table 1 / Figure 7: sequence generation, HiTS vs LSTM, ESN, CW-RNN |
//! | [`training`] | training the eleven steppers of a system: loss curves and a table of the runs |

pub mod adaptive;
pub mod data_generation;
pub mod fig2;
pub mod forecast;
pub mod hybrid;
pub mod increment;
pub mod multiscale_hits;
pub mod noisy;
pub mod ode;
pub mod report;
#[cfg(feature = "sequence")]
pub mod table1;
pub mod training;
