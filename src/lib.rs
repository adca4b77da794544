//! # hits: multiscale hierarchical neural time-steppers
//!
//! A Rust rebuild of "Hierarchical Deep Learning of Multiscale Differential Equation
//! Time-Steppers" (Liu, Kutz & Brunton, arXiv 2008.09768): ODE systems and scipy-compatible
//! solvers, the paper's data sets, ResNet time-steppers on candle, their multiscale coupling,
//! and the experiments of the paper.
//!
//! | module | what |
//! |---|---|
//! | [`problem`] | [`OdeProblem`]: one value describing an ODE experiment; the paper's six systems |
//! | [`systems`] | vector fields: the [`System`] trait, closures as systems |
//! | [`rng`] | numpy's legacy random stream (`np.random.seed`), for identical data |
//! | [`solvers`] | scipy-compatible adaptive RK45, batched fixed-step RK4 |
//! | [`data`] | data sets, `.npy` input/output, training windows |
//! | [`stepper`] | ResNet neural time-steppers: training, checkpoints, import of the original models |
//! | [`baselines`] | LSTM, echo-state network and clockwork RNN sequence baselines (Table 1) |
//! | [`forecast`] | uni-scale, multiscale and hybrid forecasts, model selection, errors |
//! | [`hierarchy`] | [`hierarchy::Hierarchy`]: a trained hierarchy of steppers and the method's operations on it |
//! | [`sequence`] | sequence data: Kuramoto-Sivashinsky, cylinder wake, Bach, flower video, SVD |
//! | [`io`] | atomic file writes, one writer per folder (locks), removal of killed runs' temporary files |
//! | [`plot`] | figures (lines, log axes, heat maps, images, GIFs) to PNG/SVG and inline in evcxr |
//! | [`experiments`] | the paper's figures and tables, step by step (`hits reproduce`) |
//! | [`prelude`] | `use hits::prelude::*;`: what a notebook needs |
//! | [`progress`] | progress bars and notebook-friendly progress lines for long loops |
//! | [`workbook`] | where a notebook finds the project's data, models and results folders |

#[cfg(feature = "sequence")]
pub mod baselines;
pub mod data;
pub mod error;
pub mod experiments;
pub mod forecast;
pub mod hierarchy;
pub mod io;
pub mod plot;
pub mod prelude;
pub mod problem;
pub mod progress;
pub mod rng;
#[cfg(feature = "sequence")]
pub mod sequence;
pub mod solvers;
pub mod stepper;
#[cfg(feature = "cli")]
pub mod sweep;
pub mod systems;
pub mod testing;
pub mod workbook;

pub use error::{Error, Result, SolverError};
pub use problem::{OdeProblem, SystemKind};
pub use systems::System;
