//! What a hierarchy of steppers is made of, before any training: its recipe
//! ([`HierarchySpec`]: step sizes, architecture, training, seeds) and the run that trains it
//! ([`TrainRun`]: the data's name, dt and noise, the folder, and what to do with checkpoints
//! already there). [`super::train_hierarchy`] takes both.
//!
//! ```
//! use hits::stepper::{HierarchySpec, TrainConfig, TrainRun};
//! let spec = HierarchySpec::new(vec![2, 64, 64, 2], vec![1, 2, 4], TrainConfig::default());
//! assert_eq!(spec.weight_seed, 0);
//! let run = TrainRun::in_memory(0.01);
//! assert!(run.out_dir.is_none() && !run.resume);
//! ```

use std::path::PathBuf;

use super::train::TrainConfig;

/// The recipe of a hierarchy: one stepper per step size, all of one architecture, each trained
/// with `train` (its `n_forward`, epochs, learning rate, loss, ...). Stepper `k` starts from
/// the initial weights of seed `weight_seed + k`.
#[derive(Debug, Clone, PartialEq)]
pub struct HierarchySpec {
    /// Layer widths of every stepper, `[dim, hidden.., dim]`.
    pub arch: Vec<usize>,
    /// Step sizes, in units of dt.
    pub steps: Vec<usize>,
    /// Training of every stepper.
    pub train: TrainConfig,
    /// Seed of the initial weights (stepper of step k: `weight_seed + k`).
    pub weight_seed: u32,
    /// Train all steppers in one batched trainer (pays off on a GPU).
    pub batched: bool,
}

impl HierarchySpec {
    /// Steppers of `arch` at `steps`, trained with `train`; weight seed 0, not batched.
    pub fn new(arch: Vec<usize>, steps: Vec<usize>, train: TrainConfig) -> HierarchySpec {
        HierarchySpec {
            arch,
            steps,
            train,
            weight_seed: 0,
            batched: false,
        }
    }
}

/// One training run of a [`HierarchySpec`]: on which data, into which folder.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainRun {
    /// The data's name (e.g. `Hyperbolic`), recorded in and checked against checkpoints.
    pub system: Option<String>,
    /// The sampling interval of the data.
    pub dt: f64,
    /// Noise level of the data (for file names and metadata).
    pub noise: f64,
    /// Where to write checkpoints (none: keep in memory only).
    pub out_dir: Option<PathBuf>,
    /// Continue the checkpoints in `out_dir` (see [`super::existing`]).
    pub resume: bool,
    /// Replace the checkpoints of these step sizes in `out_dir`, starting again.
    pub overwrite: bool,
}

impl TrainRun {
    /// A run kept in memory (no folder), on noise-free data of sampling interval `dt`.
    pub fn in_memory(dt: f64) -> TrainRun {
        TrainRun {
            system: None,
            dt,
            noise: 0.0,
            out_dir: None,
            resume: false,
            overwrite: false,
        }
    }

    /// A run that saves into `out_dir` and resumes what it holds: the experiments' rule
    /// (finished checkpoints are loaded, interrupted ones continued, the rest trained).
    pub fn resuming(system: &str, dt: f64, noise: f64, out_dir: PathBuf) -> TrainRun {
        TrainRun {
            system: Some(system.to_string()),
            dt,
            noise,
            out_dir: Some(out_dir),
            resume: true,
            overwrite: false,
        }
    }
}

/// A spec and its run, as the training code and the checks of existing checkpoints read them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan<'a> {
    pub spec: &'a HierarchySpec,
    pub run: &'a TrainRun,
}
