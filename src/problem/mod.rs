//! One value that describes an ODE experiment: [`OdeProblem`].
//!
//! Everything the ODE experiments of the paper (Figures 2, 5, 6, 8, 9, 10; Tables 5-9) need to
//! know about a system travels in one value: its names, state dimension and component names,
//! the sampling interval `dt`, how many trajectories of how many points, where the trajectories
//! come from (drawn initial conditions integrated through a vector field, or the user's own
//! `.npy` files), the vector field itself when there is one, the steppers' architecture and
//! step sizes, their training, and the paper's reference values for the tables.
//!
//! The paper's six systems are constructors ([`builtin`]: [`hyperbolic`], [`cubic`],
//! [`van_der_pol`], [`hopf`], [`lorenz`], [`harmonic`]), each defined in one file;
//! [`SystemKind`] only maps the command line's names to them. A system of one's own is an
//! [`OdeProblem::with_field`] (any [`System`]: a struct, or a closure through
//! [`crate::systems::vector_field`]); trajectories of one's own, without a vector field, are an
//! [`OdeProblem::from_data_dir`] or [`OdeProblem::from_npy_splits`] /
//! [`OdeProblem::from_npy_split`] (see [`given`]). What needs a vector field (generating data,
//! the hybrid NN + RK4 stepper, exact increments) says so with a clear error on those.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::problem::{InitialConditions, OdeProblem};
//! use hits::systems::vector_field;
//! // A damped pendulum, written here: theta'' = -sin(theta) - 0.2 theta'.
//! let pendulum = vector_field(2, |_t, y, dy| {
//!     dy[0] = y[1];
//!     dy[1] = -y[0].sin() - 0.2 * y[1];
//! });
//! let mut problem = OdeProblem::with_field(
//!     "Damped pendulum",
//!     pendulum,
//!     InitialConditions::uniform(vec![(-2.0, 2.0), (-1.0, 1.0)]),
//!     0.01,
//! )?;
//! problem.components = vec!["theta".into(), "omega".into()];
//! assert_eq!(problem.folder, "DampedPendulum");
//! assert_eq!(problem.hierarchy.arch, vec![2, 128, 128, 128, 2]);
//! let quick = problem.quick();
//! assert_eq!(quick.sizes.n_train, 32);
//! # Ok(())
//! # }
//! ```

pub mod builtin;
mod check;
pub mod given;
pub mod paper;

use std::path::{Path, PathBuf};

use crate::data::{quick_root, CleanData, DataSet, ExpectedData, Generation, Sizes};
use crate::forecast::{EvalOptions, EvalTarget, Evaluation, Reference, Stepper};
use crate::stepper::{HierarchySpec, TrainConfig};
use crate::{Error, Result, System};
use ndarray::ArrayView3;

pub use crate::data::{ExactSolution, InitialConditions, Integration, SolutionFn, Split};
pub use builtin::{cubic, harmonic, hopf, hyperbolic, lorenz, van_der_pol, SystemKind};
pub use given::GivenData;
pub use paper::{PaperValues, PAPER_NOISE_LEVELS, PAPER_STEP_SIZES};

pub use crate::systems::VectorField;

/// The seed of the paper's ODE data sets (`np.random.seed(2)`).
pub const PAPER_DATA_SEED: u32 = 2;

/// The step sizes of the paper's hierarchy, `2^0 .. 2^10` dt.
pub fn paper_steps() -> Vec<usize> {
    (0..=10).map(|k| 1usize << k).collect()
}

/// Where the trajectories of a problem come from.
#[derive(Clone)]
pub enum DataSource {
    /// Initial conditions drawn from numpy's stream (`np.random.seed(problem.seed)`) and
    /// integrated; needs [`OdeProblem::field`] unless the integration is exact.
    Generated {
        initial: InitialConditions,
        integration: Integration,
    },
    /// The user's own trajectories (no generation).
    Given(GivenData),
}

/// How figures show a problem.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The two components of phase portraits (Lorenz: x-z; Hopf: x-y, its mu is constant).
    pub phase_axes: (usize, usize),
    /// The plane of initial states of Figure 10; `None`: the data's range of the phase axes,
    /// the other components at their mean.
    pub increment_plane: Option<IncrementPlane>,
}

/// A plane of initial states for the increment fields of Figure 10.
#[derive(Debug, Clone, PartialEq)]
pub struct IncrementPlane {
    /// Components along the picture's x and y axes.
    pub axes: [usize; 2],
    /// Extents `(min, max)` along x and y.
    pub ranges: [(f64, f64); 2],
    /// The full state; the components of `axes` vary over the plane.
    pub base: Vec<f64>,
}

impl IncrementPlane {
    /// The plane of the first two components over `[-half_width, half_width]^2` (a 2-dimensional
    /// system's whole state).
    pub fn centred(half_width: f64) -> IncrementPlane {
        IncrementPlane {
            axes: [0, 1],
            ranges: [(-half_width, half_width); 2],
            base: vec![0.0; 2],
        }
    }
}

/// Everything an ODE experiment needs to know about its system; see the module docs.
#[derive(Clone)]
pub struct OdeProblem {
    /// The name for people, e.g. `Van der Pol`.
    pub name: String,
    /// The folder under `data/`, `models/` and `results/`, e.g. `VanDerPol` (letters, digits,
    /// `-` and `_`).
    pub folder: String,
    /// One name per state component (their number is the state dimension).
    pub components: Vec<String>,
    /// The sampling interval of the trajectories.
    pub dt: f64,
    /// Trajectories per split and points per trajectory.
    pub sizes: Sizes,
    /// Seed of numpy's stream for the initial conditions and the measurement noise.
    pub seed: u32,
    /// The vector field, when there is one (data-only problems have none).
    pub field: Option<VectorField>,
    /// Where the trajectories come from.
    pub source: DataSource,
    /// The steppers to learn: step sizes, architecture, training, seeds.
    pub hierarchy: HierarchySpec,
    /// Quick mode: small sizes, files under `quick/` folders so quick and full runs never mix.
    pub quick: bool,
    /// The paper's values for the tables, where it published them.
    pub reference: Option<PaperValues>,
    /// How figures show the problem.
    pub view: View,
}

impl std::fmt::Debug for OdeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            DataSource::Generated { integration, .. } => match integration {
                Integration::Rk45(t) => format!("generated (RK45 rtol {} atol {})", t.rtol, t.atol),
                Integration::Chain { warmup_steps, .. } => {
                    format!("generated (one RK45 chain per split, warm-up {warmup_steps} dt)")
                }
                Integration::Exact(_) => "generated (exact solution)".to_string(),
            },
            DataSource::Given(g) => format!("given ({g})"),
        };
        f.debug_struct("OdeProblem")
            .field("name", &self.name)
            .field("folder", &self.folder)
            .field("components", &self.components)
            .field("dt", &self.dt)
            .field("sizes", &self.sizes)
            .field("seed", &self.seed)
            .field(
                "vector_field",
                &self.field.as_ref().map(|_| "yes").unwrap_or("none"),
            )
            .field("source", &source)
            .field("arch", &self.hierarchy.arch)
            .field("steps", &self.hierarchy.steps)
            .field("train", &self.hierarchy.train)
            .field("quick", &self.quick)
            .field("reference", &self.reference.is_some())
            .finish()
    }
}

impl OdeProblem {
    /// A problem of one's own vector field, with the paper's defaults for the rest: 1600 / 320
    /// / 320 trajectories of 5121 points, seed 2, steppers `[dim, 128, 128, 128, dim]` at
    /// `2^0 .. 2^10` dt, the paper's training ([`TrainConfig::default`]). Every field is public:
    /// change what differs. The folder name is the name without spaces and punctuation.
    pub fn with_field(
        name: &str,
        field: impl System + 'static,
        initial: InitialConditions,
        dt: f64,
    ) -> Result<OdeProblem> {
        let dim = field.dim();
        initial.check_dim(dim)?;
        let mut problem = OdeProblem::described(name, dim, dt)?;
        problem.field = Some(VectorField::new(field));
        problem.source = DataSource::Generated {
            initial,
            integration: Integration::rk45(),
        };
        Ok(problem)
    }

    /// The common part of every constructor: names, dt and the paper's defaults.
    fn described(name: &str, dim: usize, dt: f64) -> Result<OdeProblem> {
        if dim == 0 {
            return Err(Error::invalid("state dimension", "must be at least 1"));
        }
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::invalid(
                "dt",
                format!("the sampling interval must be a positive number, got {dt}"),
            ));
        }
        let folder: String = name
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_')
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        if folder.is_empty() {
            return Err(Error::invalid(
                "problem name",
                format!("{name:?} has no letters or digits to name its folder"),
            ));
        }
        Ok(OdeProblem::base(
            name,
            &folder,
            default_components(dim),
            dt,
            Sizes {
                n_train: 1600,
                n_val: 320,
                n_test: 320,
                n_points: 5121,
            },
            None,
            DataSource::Given(GivenData::Folder(PathBuf::new())),
        ))
    }

    /// The value every constructor starts from: the given names, grid, sizes, field and source,
    /// numpy seed 2, steppers `[dim, 128, 128, 128, dim]` at `2^0 .. 2^10` dt with the paper's
    /// training, full size, no reference values, phase portraits of the first two components.
    pub(crate) fn base(
        name: &str,
        folder: &str,
        components: Vec<String>,
        dt: f64,
        sizes: Sizes,
        field: Option<VectorField>,
        source: DataSource,
    ) -> OdeProblem {
        let dim = components.len();
        OdeProblem {
            name: name.to_string(),
            folder: folder.to_string(),
            components,
            dt,
            sizes,
            seed: PAPER_DATA_SEED,
            field,
            source,
            hierarchy: HierarchySpec::new(
                vec![dim, 128, 128, 128, dim],
                paper_steps(),
                TrainConfig::default(),
            ),
            quick: false,
            reference: None,
            view: View {
                phase_axes: (0, if dim > 1 { 1 } else { 0 }),
                increment_plane: None,
            },
        }
    }

    /// The vector field as a trait object, when there is one.
    fn field_ref(&self) -> Option<&dyn System> {
        self.field.as_ref().map(|f| f as &dyn System)
    }

    /// The state dimension.
    pub fn dim(&self) -> usize {
        self.components.len()
    }

    /// What generating this problem's data takes ([`crate::data::Generation`]), or an error for
    /// a data-only problem (its trajectories come from files).
    pub fn generation(&self) -> Result<Generation<'_>> {
        match &self.source {
            DataSource::Generated {
                initial,
                integration,
            } => Ok(Generation {
                name: &self.name,
                folder: &self.folder,
                components: &self.components,
                dt: self.dt,
                sizes: &self.sizes,
                seed: self.seed,
                initial,
                integration,
                field: self.field_ref(),
            }),
            DataSource::Given(given) => Err(Error::invalid(
                "data generation",
                format!(
                    "{} is a data-only problem (its trajectories are {given}): there are no initial conditions and vector field to generate data from",
                    self.name
                ),
            )),
        }
    }

    /// This problem's data set with measurement noise `noise` ([`crate::data::generate`]).
    pub fn generate(&self, noise: f64) -> Result<DataSet> {
        crate::data::generate(&self.generation()?, noise)
    }

    /// This problem's noise-free data set and the stream after the initial-condition draws
    /// ([`crate::data::generate_clean`]), reporting finished trajectories to `on_done`.
    pub fn generate_clean(&self, on_done: &(dyn Fn(usize) + Sync)) -> Result<CleanData> {
        crate::data::generate_clean(&self.generation()?, on_done)
    }

    /// What this problem's data must be: its folder name, dt and state dimension.
    pub fn expected_data(&self) -> ExpectedData {
        ExpectedData {
            name: Some(self.folder.clone()),
            dt: Some(self.dt),
            dim: Some(self.dim()),
        }
    }

    /// What this problem's steppers at `noise` must be (checked when a hierarchy is loaded,
    /// [`crate::hierarchy::Hierarchy::load`]): its folder name, state dimension, dt and the noise
    /// level.
    pub fn expected_steppers(&self, noise: f64) -> crate::stepper::ExpectedStepper {
        crate::stepper::ExpectedStepper {
            system: Some(self.folder.clone()),
            dim: Some(self.dim()),
            dt: Some(self.dt),
            noise: Some(noise),
            ..crate::stepper::ExpectedStepper::default()
        }
    }

    /// Read a data set from `dir` and check it is this problem's: state dimension, and name and
    /// dt where the folder has a `dataset.json` ([`DataSet::load_expecting`]).
    pub fn load_data(&self, dir: &Path, noise: f64) -> Result<DataSet> {
        DataSet::load_expecting(dir, noise, &self.expected_data())
    }

    /// What the evaluation of steppers needs of this problem ([`crate::forecast::EvalTarget`]):
    /// its name, dt, vector field and the paper's values.
    pub fn eval_target(&self) -> EvalTarget<'_> {
        EvalTarget {
            name: &self.name,
            dt: self.dt,
            field: self.field_ref(),
            reference: self.reference.as_ref().map(|p| p as &dyn Reference),
        }
    }

    /// Evaluate steppers on this problem's test set, the paper's values beside ours
    /// ([`crate::forecast::evaluate`], the one evaluation loop).
    pub fn evaluate(
        &self,
        steppers: &[&dyn Stepper],
        val: Option<ArrayView3<f64>>,
        test: ArrayView3<f64>,
        options: &EvalOptions,
    ) -> Result<Evaluation> {
        crate::forecast::evaluate(&self.eval_target(), steppers, val, test, options)
    }

    /// The vector field, or an error naming what needs it (`what`, e.g. "the hybrid NN + RK4
    /// stepper") when the problem has none.
    pub fn vector_field(&self, what: &str) -> Result<&dyn System> {
        self.field_ref().ok_or_else(|| {
            Error::invalid(
                "vector field",
                format!(
                    "{what} needs the vector field of {}, but it is a data-only problem (its \
                     trajectories come from files); give it one with `problem.field = \
                     Some(VectorField::new(my_system))` or use what works on data alone (training, \
                     selection, uni-scale and multiscale forecasts, noise study, learned increments)",
                    self.name
                ),
            )
        })
    }

    /// The quick version: at most 32 / 16 / 16 trajectories (of the same length, so every step
    /// size keeps its windows), hidden layers at most 32 wide (the paper's `[dim, 32, 32, 32,
    /// dim]`), at most 400 epochs with a check every 100, files under `quick/` folders.
    pub fn quick(mut self) -> OdeProblem {
        let full_batch = self.sizes.n_train;
        self.quick = true;
        self.sizes = Sizes {
            n_train: self.sizes.n_train.min(32),
            n_val: self.sizes.n_val.min(16),
            n_test: self.sizes.n_test.min(16),
            ..self.sizes
        };
        let last = self.hierarchy.arch.len().saturating_sub(1);
        for w in self.hierarchy.arch.iter_mut().take(last).skip(1) {
            *w = (*w).min(32);
        }
        if self.hierarchy.train.batch_size >= full_batch {
            // a full-batch training stays full-batch
            self.hierarchy.train.batch_size = self.sizes.n_train;
        }
        self.hierarchy.train.epochs = self.hierarchy.train.epochs.min(400);
        self.hierarchy.train.eval_every = self.hierarchy.train.eval_every.min(100);
        self
    }

    /// The problem with every stepper's training capped at `cap` epochs (`--epochs` of `hits
    /// reproduce`; at least 1), its checks at most that far apart; `None` changes nothing.
    pub fn with_epoch_cap(mut self, cap: Option<usize>) -> OdeProblem {
        if let Some(cap) = cap {
            self.hierarchy.train.epochs = self.hierarchy.train.epochs.min(cap.max(1));
            self.hierarchy.train.eval_every = self
                .hierarchy
                .train
                .eval_every
                .min(self.hierarchy.train.epochs);
        }
        self
    }

    /// [`OdeProblem::quick`] when `quick` is true, else the problem as is (the caller decides,
    /// e.g. `--quick || hits::data::quick_mode()?`; a sweep task follows its plan).
    pub fn select(self, quick: bool) -> OdeProblem {
        if quick && !self.quick {
            self.quick()
        } else {
            self
        }
    }

    /// `<root>/<folder>`, or `<root>/quick/<folder>` in quick mode: where this problem's
    /// generated data and trained models live under a data or models root.
    pub fn dir_under(&self, root: &Path) -> PathBuf {
        quick_root(root, self.quick).join(&self.folder)
    }

    /// `<out>/<experiment>/<folder>`, or `<out>/quick/<experiment>/<folder>` in quick mode.
    pub fn results_dir(&self, out: &Path, experiment: &str) -> PathBuf {
        quick_root(out, self.quick)
            .join(experiment)
            .join(&self.folder)
    }
}

/// `x, y, z` for up to three components, else `x1 .. xd`.
fn default_components(dim: usize) -> Vec<String> {
    match dim {
        1 => vec!["x".into()],
        2 => vec!["x".into(), "y".into()],
        3 => vec!["x".into(), "y".into(), "z".into()],
        _ => (1..=dim).map(|i| format!("x{i}")).collect(),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::systems::vector_field;

    #[test]
    fn a_field_of_ones_own_gets_the_paper_defaults() {
        let f = vector_field(3, |_t, y, dy| dy.copy_from_slice(y));
        let p = OdeProblem::with_field(
            "my linear-system 1",
            f,
            InitialConditions::uniform(vec![(-1.0, 1.0); 3]),
            0.1,
        )
        .unwrap();
        assert_eq!(p.folder, "MyLinear-system1");
        assert_eq!(p.components, ["x", "y", "z"]);
        assert_eq!(p.hierarchy.arch, vec![3, 128, 128, 128, 3]);
        p.check().unwrap();
        let q = p.clone().quick();
        assert!(q.quick && q.sizes.n_train == 32 && q.hierarchy.train.epochs == 400);
        assert_ne!(
            q.dir_under(Path::new("data")),
            p.dir_under(Path::new("data"))
        );
        assert_eq!(
            q.results_dir(Path::new("r"), "hybrid"),
            Path::new("r/quick/hybrid/MyLinear-system1")
        );
    }

    #[test]
    fn a_data_only_problem_says_what_needs_a_field() {
        let mut p = hyperbolic();
        p.field = None;
        let err = p
            .vector_field("the hybrid NN + RK4 stepper")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("hybrid") && err.contains("data-only"), "{err}");
    }
}
