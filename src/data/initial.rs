//! Initial conditions of generated trajectories, drawn from numpy's legacy stream in the
//! original notebooks' order: trajectory by trajectory, component by component, all training
//! trajectories first, then validation, then test (`np.random.uniform(low, high)` per value).
//!
//! ```
//! use hits::problem::{InitialConditions, Split};
//! use hits::rng::RandomState;
//! let ic = InitialConditions::uniform(vec![(-1.0, 1.0), (0.0, 2.0)]);
//! let mut rng = RandomState::new(2);
//! let x0 = ic.draw(Split::Train, &mut rng);
//! let mut check = RandomState::new(2);
//! assert_eq!(x0, vec![check.uniform(-1.0, 1.0), check.uniform(0.0, 2.0)]);
//! ```

use std::sync::Arc;

use crate::rng::RandomState;
use crate::{Error, Result};

/// The three splits of a data set, in the order they are drawn and saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Val,
    Test,
}

impl Split {
    /// All three, in draw order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Val, Split::Test];

    /// `train`, `val` or `test` (the file names' prefixes).
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        }
    }
}

/// A sampler of one initial condition: `(split, stream) -> state`.
pub type Sampler = Arc<dyn Fn(Split, &mut RandomState) -> Vec<f64> + Send + Sync>;

/// How the initial condition of each trajectory is drawn.
#[derive(Clone)]
pub enum InitialConditions {
    /// Every component uniform in its `(low, high)`; validation and test may use another box
    /// (the paper's Van der Pol trains on a wider one).
    Uniform {
        train: Vec<(f64, f64)>,
        val_test: Vec<(f64, f64)>,
    },
    /// A sampler of one's own; `dim` is the length of the states it returns.
    Custom { dim: usize, sampler: Sampler },
}

impl std::fmt::Debug for InitialConditions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitialConditions::Uniform { train, val_test } => f
                .debug_struct("Uniform")
                .field("train", train)
                .field("val_test", val_test)
                .finish(),
            InitialConditions::Custom { dim, .. } => {
                f.debug_struct("Custom").field("dim", dim).finish()
            }
        }
    }
}

impl InitialConditions {
    /// Each component uniform in its `(low, high)`, the same box for every split.
    pub fn uniform(bounds: Vec<(f64, f64)>) -> InitialConditions {
        InitialConditions::Uniform {
            val_test: bounds.clone(),
            train: bounds,
        }
    }

    /// A box for training and another for validation and test.
    pub fn uniform_per_split(
        train: Vec<(f64, f64)>,
        val_test: Vec<(f64, f64)>,
    ) -> InitialConditions {
        InitialConditions::Uniform { train, val_test }
    }

    /// A sampler of one's own returning states of length `dim`.
    pub fn custom(
        dim: usize,
        sampler: impl Fn(Split, &mut RandomState) -> Vec<f64> + Send + Sync + 'static,
    ) -> InitialConditions {
        InitialConditions::Custom {
            dim,
            sampler: Arc::new(sampler),
        }
    }

    /// The length of the drawn states.
    pub fn dim(&self) -> usize {
        match self {
            InitialConditions::Uniform { train, .. } => train.len(),
            InitialConditions::Custom { dim, .. } => *dim,
        }
    }

    /// The box of `split`, for uniform draws.
    pub fn bounds(&self, split: Split) -> Option<&[(f64, f64)]> {
        match self {
            InitialConditions::Uniform { train, val_test } => Some(match split {
                Split::Train => train,
                _ => val_test,
            }),
            InitialConditions::Custom { .. } => None,
        }
    }

    /// Draw one initial condition of `split`.
    pub fn draw(&self, split: Split, rng: &mut RandomState) -> Vec<f64> {
        match self {
            InitialConditions::Uniform { .. } => self
                .bounds(split)
                .unwrap_or_default()
                .iter()
                .map(|&(low, high)| rng.uniform(low, high))
                .collect(),
            InitialConditions::Custom { sampler, .. } => sampler(split, rng),
        }
    }

    /// Check that the draws have `dim` components and the boxes are ordered and finite.
    pub fn check_dim(&self, dim: usize) -> Result<()> {
        if let InitialConditions::Uniform { train, val_test } = self {
            if train.len() != val_test.len() {
                return Err(Error::invalid(
                    "initial conditions",
                    format!(
                        "the training box has {} components, the validation/test box {}",
                        train.len(),
                        val_test.len()
                    ),
                ));
            }
            if let Some(&(lo, hi)) = train
                .iter()
                .chain(val_test)
                .find(|(lo, hi)| !(lo.is_finite() && hi.is_finite() && lo <= hi))
            {
                return Err(Error::invalid(
                    "initial conditions",
                    format!("a box side ({lo}, {hi}) must be finite with low <= high"),
                ));
            }
        }
        if self.dim() != dim {
            return Err(Error::invalid(
                "initial conditions",
                format!(
                    "draw states of {} components but the system has {dim}",
                    self.dim()
                ),
            ));
        }
        Ok(())
    }
}
