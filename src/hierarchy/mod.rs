//! The trained hierarchy, the method's central object: one stepper per step size, sorted by
//! step size, with the training report of each, where they came from ([`Provenance`]) and the
//! device they run on. The operations of the method are its methods: uni-scale and multiscale
//! forecasts, model selection on validation data, the hybrid NN + RK4 stepper, and the Table-5
//! evaluation.
//!
//! A hierarchy is made by training a [`crate::stepper::HierarchySpec`] ([`train_hierarchy`],
//! with [`preflight`] for the checks that need no data), by loading finished checkpoints or by importing the
//! authors' models; an ODE experiment gets one from
//! [`crate::experiments::multiscale_hits::obtain_steppers`], which picks among those.
//! Forecasts run through the fused CPU forward on the CPU ([`StepperSet`]).
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use candle_core::Device;
//! use hits::hierarchy::{Hierarchy, Provenance};
//! use hits::stepper::ResNetStepper;
//! use ndarray::Array2;
//! let dev = Device::Cpu;
//! let steppers = [4, 1, 2]
//!     .iter()
//!     .map(|&k| ResNetStepper::new(&[2, 8, 2], k, 0.1, k as u32, &dev))
//!     .collect::<hits::Result<Vec<_>>>()?;
//! let hierarchy = Hierarchy::new(steppers, vec![], Provenance::exact("untrained nets"), dev)?;
//! assert_eq!(hierarchy.step_sizes(), vec![1, 2, 4]);
//! let x0 = Array2::zeros((3, 2));
//! let forecast = hierarchy.multiscale_forecast(x0.view(), 10)?;
//! assert_eq!(forecast.shape(), &[3, 10, 2]);
//! # Ok(())
//! # }
//! ```

use candle_core::Device;
use ndarray::{Array3, ArrayView2, ArrayView3};
use serde::{Deserialize, Serialize};

pub mod adaptive;
mod store;
mod train;
pub use adaptive::{AdaptiveForecast, AdaptiveSchedule, AdaptiveSegment};
pub use train::{preflight, train_hierarchy, Preflight};

use crate::forecast::{
    error_controlled_forecast, evaluate, hybrid_forecast, multiscale_forecast, select_models,
    step_path_ensemble, uni_scale_forecast, ControlledForecast, EnsembleForecast, EvalOptions,
    EvalTarget, Evaluation, Selection, StepperSet,
};
use crate::stepper::{ResNetStepper, TrainReport};
use crate::{Error, Result, System};

/// How the steppers of a hierarchy were obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Quick mode (tiny data and nets) or the paper's sizes.
    pub quick: bool,
    /// The authors' models were asked for (`--pretrained`).
    pub pretrained: bool,
    /// `imported`, `loaded`, `trained`, `mixed` (some loaded, some trained) or `exact` (known flows).
    pub source: String,
    /// One line for people: what was done, from where.
    pub detail: String,
    /// Step sizes imported from the original models.
    pub steps_imported: Vec<usize>,
    /// Step sizes loaded from finished checkpoints.
    pub steps_loaded: Vec<usize>,
    /// Step sizes trained in this run (fresh or resumed).
    pub steps_trained: Vec<usize>,
    /// The epoch limit of the training settings (a `--epochs` cap shows here).
    pub epochs_cap: usize,
    /// Epochs each stepper was trained for, by step size (empty for imported models).
    pub epochs: Vec<usize>,
    /// Wall time of obtaining the steppers (training, loading or importing) [s].
    pub seconds: f64,
}

impl Provenance {
    /// `loaded` when no step was trained now, `trained` when none was loaded, else `mixed`.
    pub fn source_of(loaded: &[usize], trained: &[usize]) -> &'static str {
        match (loaded.is_empty(), trained.is_empty()) {
            (_, true) => "loaded",
            (true, false) => "trained",
            (false, false) => "mixed",
        }
    }

    /// For steppers that are not learned (exact flow maps, RK4), or made by hand: `detail`
    /// says which.
    pub fn exact(detail: impl Into<String>) -> Provenance {
        Provenance {
            quick: false,
            pretrained: false,
            source: "exact".into(),
            detail: detail.into(),
            steps_imported: vec![],
            steps_loaded: vec![],
            steps_trained: vec![],
            epochs_cap: 0,
            epochs: vec![],
            seconds: 0.0,
        }
    }
}

/// A trained hierarchy (see the module docs).
#[derive(Debug)]
pub struct Hierarchy {
    /// The steppers, ascending by step size, each step size once.
    pub steppers: Vec<ResNetStepper>,
    /// Their training reports, in the same order (empty for imported models).
    pub reports: Vec<TrainReport>,
    /// Where the steppers came from.
    pub provenance: Provenance,
    /// Where they run.
    pub device: Device,
}

impl Hierarchy {
    /// A hierarchy of `steppers` (any order: sorted here by step size, their `reports` with
    /// them). Errors: no stepper, a step size twice, steppers of different state dimensions or
    /// time steps, or a number of reports that is neither 0 nor one per stepper.
    pub fn new(
        steppers: Vec<ResNetStepper>,
        reports: Vec<TrainReport>,
        provenance: Provenance,
        device: Device,
    ) -> Result<Hierarchy> {
        if steppers.is_empty() {
            return Err(Error::invalid("hierarchy", "needs at least one stepper"));
        }
        if !reports.is_empty() && reports.len() != steppers.len() {
            return Err(Error::invalid(
                "hierarchy",
                format!(
                    "{} training reports for {} steppers (give one per stepper, or none)",
                    reports.len(),
                    steppers.len()
                ),
            ));
        }
        let (dim, dt) = (steppers[0].dim(), steppers[0].dt());
        if let Some(s) = steppers.iter().find(|s| s.dim() != dim || s.dt() != dt) {
            return Err(Error::invalid(
                "hierarchy",
                format!(
                    "the stepper of step {} has dimension {} and dt {}, the first one {dim} and {dt}",
                    s.step_size(),
                    s.dim(),
                    s.dt()
                ),
            ));
        }
        let (steppers, reports) = if reports.is_empty() {
            let mut steppers = steppers;
            steppers.sort_by_key(|s| s.step_size());
            (steppers, reports)
        } else {
            let mut pairs: Vec<_> = steppers.into_iter().zip(reports).collect();
            pairs.sort_by_key(|(s, _)| s.step_size());
            pairs.into_iter().unzip()
        };
        if let Some(w) = steppers
            .windows(2)
            .find(|w| w[0].step_size() == w[1].step_size())
        {
            return Err(Error::invalid(
                "hierarchy",
                format!("step size {} is given twice", w[0].step_size()),
            ));
        }
        Ok(Hierarchy {
            steppers,
            reports,
            provenance,
            device,
        })
    }

    /// The step sizes, ascending, in units of dt.
    pub fn step_sizes(&self) -> Vec<usize> {
        self.steppers.iter().map(|s| s.step_size()).collect()
    }

    /// The sampling interval the steppers were made for.
    pub fn dt(&self) -> f64 {
        self.steppers.first().map_or(0.0, |s| s.dt())
    }

    /// The state dimension.
    pub fn dim(&self) -> usize {
        self.steppers.first().map_or(0, |s| s.dim())
    }

    /// Trainable parameters: the weights and biases of every stepper.
    pub fn n_params(&self) -> usize {
        self.steppers
            .iter()
            .flat_map(|s| s.layers())
            .map(|(w, b)| w.elem_count() + b.elem_count())
            .sum()
    }

    /// The steppers in words: `[512, 2048, 512] step 1, [512, 1024, 512] step 6, ...`.
    pub fn describe(&self) -> String {
        self.steppers
            .iter()
            .map(|s| format!("{:?} step {}", s.arch(), s.step_size()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The stepper of the largest step size (the hybrid's coarse stepper).
    pub fn largest(&self) -> Option<&ResNetStepper> {
        self.steppers.last()
    }

    /// The stepper of step size `step_size` dt, if the hierarchy has one.
    pub fn get(&self, step_size: usize) -> Option<&ResNetStepper> {
        self.steppers.iter().find(|s| s.step_size() == step_size)
    }

    /// The steppers ready to forecast on [`Hierarchy::device`] (fused on the CPU).
    pub fn set(&self) -> Result<StepperSet<'_>> {
        StepperSet::new(&self.steppers, &self.device)
    }

    /// Forecast `n_steps` steps of dt from every row of `x0` with the stepper of step size
    /// `step_size` alone, interpolated between its steps.
    pub fn uniscale_forecast(
        &self,
        step_size: usize,
        x0: ArrayView2<f64>,
        n_steps: usize,
    ) -> Result<Array3<f64>> {
        let stepper = &self.steppers[self.index_of(step_size)?];
        let set = StepperSet::new(std::iter::once(stepper), &self.device)?;
        let stepper = set.refs()[0];
        uni_scale_forecast(stepper, x0, n_steps)
    }

    /// Forecast `n_steps` steps of dt from every row of `x0` with the multiscale coupling of
    /// every stepper.
    pub fn multiscale_forecast(&self, x0: ArrayView2<f64>, n_steps: usize) -> Result<Array3<f64>> {
        multiscale_forecast(&self.set()?.refs(), x0, n_steps)
    }

    /// Choose the steppers of the coupling on validation trajectories `val` (the paper's
    /// selection: drop the largest, then the smallest, while the validation error does not
    /// grow). Indices in the result refer to [`Hierarchy::steppers`].
    pub fn select(&self, val: ArrayView3<f64>) -> Result<Selection> {
        select_models(&self.set()?.refs(), val)
    }

    /// The hybrid NN + RK4 forecast: RK4 steps of `h` dt on `field` between the largest
    /// stepper's steps.
    pub fn hybrid_forecast(
        &self,
        field: &dyn System,
        h: f64,
        x0: ArrayView2<f64>,
        n_steps: usize,
    ) -> Result<Array3<f64>> {
        let largest = self
            .largest()
            .ok_or_else(|| Error::invalid("hierarchy", "needs at least one stepper"))?;
        let set = StepperSet::new(std::iter::once(largest), &self.device)?;
        let coarse = set.refs()[0];
        hybrid_forecast(coarse, field, self.dt(), h, x0, n_steps)
    }

    /// The Table-5 evaluation of the hierarchy on `test` (and `val` for selection) against
    /// `target` ([`crate::forecast::evaluate`], the one evaluation loop).
    pub fn evaluate(
        &self,
        target: &EvalTarget,
        val: Option<ArrayView3<f64>>,
        test: ArrayView3<f64>,
        options: &EvalOptions,
    ) -> Result<Evaluation> {
        evaluate(target, &self.set()?.refs(), val, test, options)
    }

    /// The error-controlled multiscale forecast of every row of `x0` over `horizon` steps of dt,
    /// each trajectory with its own schedule, tolerance `tol` in the state's units
    /// ([`crate::forecast::controlled`]).
    pub fn controlled_forecast(
        &self,
        x0: ArrayView2<f64>,
        horizon: usize,
        tol: f64,
    ) -> Result<ControlledForecast> {
        error_controlled_forecast(&self.set()?.refs(), x0, horizon, tol)
    }

    /// `members` random step paths of the hierarchy from every row of `x0` over `horizon`
    /// steps of dt, seeded: their mean and spread ([`crate::forecast::ensemble`]).
    pub fn ensemble_forecast(
        &self,
        x0: ArrayView2<f64>,
        horizon: usize,
        members: usize,
        seed: u32,
    ) -> Result<EnsembleForecast> {
        step_path_ensemble(&self.set()?.refs(), x0, horizon, members, seed)
    }

    fn index_of(&self, step_size: usize) -> Result<usize> {
        self.steppers
            .iter()
            .position(|s| s.step_size() == step_size)
            .ok_or_else(|| {
                Error::invalid(
                    "step size",
                    format!(
                        "the hierarchy has no stepper of step {step_size} (it has {:?})",
                        self.step_sizes()
                    ),
                )
            })
    }
}
