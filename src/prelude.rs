//! What a notebook (or a script) needs, in one line: `use hits::prelude::*;`.
//!
//! The problem and its systems, data, steppers and their training, the forecasts and their
//! evaluation, the paper's experiments step by step, and the figures. Everything here is also
//! reachable by its module path; the prelude only gathers the names a workbook uses most.
//!
//! ```
//! use hits::prelude::*;
//! let problem: OdeProblem = hyperbolic().quick();
//! assert_eq!(problem.dim(), 2);
//! let pendulum = vector_field(2, |_t, y, dy| {
//!     dy[0] = y[1];
//!     dy[1] = -y[0].sin();
//! });
//! let _custom = OdeProblem::with_field("pendulum", pendulum, InitialConditions::uniform(vec![(-1.0, 1.0); 2]), 0.01);
//! ```

pub use crate::data::{quick_mode, DataSet, Sizes};
pub use crate::experiments::multiscale_hits::{
    evaluate_steppers, obtain_steppers, MultiscaleResult,
};
pub use crate::experiments::ode::{ensure_data, ensure_data_levels, ensure_hierarchy};
pub use crate::experiments::training::{loss_figure, training_table};
pub use crate::forecast::{
    evaluate, hybrid_forecast, markdown_table, mse, mse_per_step, multiscale_forecast,
    rk4_forecast, select_models, uni_scale_forecast, EvalOptions, Evaluation, ForecastRow,
    Selection, Stepper, StepperSet,
};
pub use crate::hierarchy::{train_hierarchy, Hierarchy, Provenance};
pub use crate::plot::{phase_portrait, Axes, CellOutput, Color, Figure, Legend, Series, Table};
pub use crate::problem::{
    cubic, harmonic, hopf, hyperbolic, lorenz, van_der_pol, DataSource, GivenData, IncrementPlane,
    InitialConditions, Integration, OdeProblem, Split, SystemKind, View,
};
pub use crate::stepper::device::{select_device, DeviceChoice};
pub use crate::stepper::{Loss, ResNetStepper, TrainConfig, TrainReport};
pub use crate::systems::{vector_field, System, VectorField};
pub use crate::workbook::Roots;
pub use crate::{Error, Result};
