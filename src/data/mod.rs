//! Data sets of the paper: generation, `.npy` input/output, training windows.
//!
//! A data set is three arrays `train`, `val`, `test`, each shaped `[n_traj, n_points, dim]`
//! (the original HiTS layout): trajectory `i` sampled at `t_k = k dt`, `k = 0 .. n_points - 1`.
//!
//! - [`generate()`] makes an [`OdeProblem`]'s data; for the paper's systems it rebuilds the
//!   original notebooks' data (`np.random.seed(2)`, initial conditions
//!   drawn with numpy's legacy stream, scipy's default RK45 as ground truth, optional noise
//!   `X += noise * mean_i(std_t(X)) * N(0, 1)`); see [`generate`](mod@generate) for the details.
//! - [`DataSet::save`] / [`DataSet::load`] use the original file names
//!   (`train_noise0.0.npy`, `val_noise0.01.npy`, ...), see [`npy`], plus `dataset.json`
//!   ([`DataSetMeta`]), written last, which makes the folder one unit checked on load
//!   ([`store`]).
//! - [`training_windows`] cuts `x = X[:, 0]`, `ys = X[:, s, 2s, ..., n_forward s]` for a stepper
//!   of step size `s`.
//!
//! ```
//! use hits::data::{training_windows, Sizes};
//! # fn main() -> hits::Result<()> {
//! let mut problem = hits::problem::harmonic();
//! problem.sizes = Sizes { n_train: 4, n_val: 2, n_test: 2, n_points: 101 };
//! let data = problem.generate(0.0)?; // hits::data::generate(&problem.generation()?, 0.0)
//! assert_eq!(data.train.shape(), &[4, 101, 2]);
//! let w = training_windows(data.train.view(), 10, 5)?;
//! assert_eq!(w.ys.shape(), &[4, 5, 2]);
//! # Ok(())
//! # }
//! ```

pub mod finite;
pub mod generate;
pub(crate) mod hash;
pub mod initial;
pub mod meta;
pub mod noise;
pub mod npy;
mod npy_header;
pub mod store;
pub mod window;

pub use finite::{check_finite, first_non_finite};
pub use generate::{
    generate, generate_clean, generated_meta, initial_conditions, time_grid, CleanData,
    ExactSolution, Generation, Integration, SolutionFn,
};
pub use hash::{sha256_hex, trajectories_sha256};
pub use initial::{InitialConditions, Split};
pub use meta::{DataSetMeta, NoiseLevel, SplitFile, DATASET_FILE};
pub use noise::add_noise;
pub use store::{load_splits, ExpectedData, LoadedSplits};
pub use window::{training_windows, Windows};

use crate::Result;
use ndarray::Array3;
use std::path::{Path, PathBuf};

/// Train, validation and test trajectories, each `[n_traj, n_points, dim]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSet {
    pub train: Array3<f64>,
    pub val: Array3<f64>,
    pub test: Array3<f64>,
}

/// The three splits by name, in the order the original draws and saves them.
pub const SPLITS: [&str; 3] = ["train", "val", "test"];

/// How many trajectories per split, and points per trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub n_train: usize,
    pub n_val: usize,
    pub n_test: usize,
    /// Points per trajectory (steps + 1).
    pub n_points: usize,
}

impl Sizes {
    /// Trajectories per split, in the order of [`SPLITS`].
    pub fn counts(&self) -> [usize; 3] {
        [self.n_train, self.n_val, self.n_test]
    }

    /// All trajectories of the three splits.
    pub fn total(&self) -> usize {
        self.n_train + self.n_val + self.n_test
    }
}

/// Whether the environment asks for quick mode: `HITS_QUICK` set to `1`, `true` or `yes`
/// (quick) or `0`, `false`, `no`, empty or unset (full size), ignoring ASCII case and
/// surrounding spaces. Anything else (`HITS_QUICK=fals`, `=2`) is an error naming the variable,
/// never a guess.
pub fn quick_mode() -> Result<bool> {
    match std::env::var_os("HITS_QUICK") {
        None => Ok(false),
        Some(v) => parse_quick(&v.to_string_lossy()),
    }
}

/// A measurement-noise level, checked: a fraction of the signal's spread in [0, 1] (the paper
/// uses 0, 0.01 and 0.02; AHiTS goes to 0.2). `5` (500 %) or a negative or non-finite level is
/// an error naming the value.
pub fn check_noise(noise: f64) -> Result<f64> {
    if noise.is_finite() && (0.0..=1.0).contains(&noise) {
        Ok(noise)
    } else {
        Err(crate::Error::invalid(
            "noise",
            format!(
                "{noise} is not a noise level in [0, 1] (a fraction of the signal's spread: \
                 0.01 is 1 %)"
            ),
        ))
    }
}

/// The value of `HITS_QUICK` read as [`quick_mode`] does.
pub fn parse_quick(value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "" | "0" | "false" | "no" => Ok(false),
        _ => Err(crate::Error::invalid(
            "HITS_QUICK",
            format!("{value:?}: use 1, true or yes for quick mode, 0, false or no (or unset) for full size"),
        )),
    }
}

/// `<root>/quick` in quick mode, `root` otherwise: where a command's quick-mode files go, so a
/// quick run never writes where full-size work lives (`data/quick/<System>/`,
/// `models/quick/<System>/`, `results/quick/...`).
pub fn quick_root(root: &Path, quick: bool) -> PathBuf {
    if quick {
        root.join("quick")
    } else {
        root.to_path_buf()
    }
}

/// The file of one split: `<dir>/<split>_noise<noise>.npy`, with the noise level formatted
/// as Python's `'{}'.format(float)` does (`0.0`, `0.01`, `0.02`, `1e-05`).
pub fn split_path(dir: &Path, split: &str, noise: f64) -> PathBuf {
    dir.join(meta::split_file_name(split, noise))
}

impl DataSet {
    /// A data set from three splits, which must agree on the number of points and the state
    /// dimension (the trajectory counts may differ).
    pub fn new(train: Array3<f64>, val: Array3<f64>, test: Array3<f64>) -> Result<DataSet> {
        let (_, n_points, dim) = train.dim();
        for (name, a) in [("val", &val), ("test", &test)] {
            if a.shape()[1..] != [n_points, dim] {
                return Err(crate::Error::shape(
                    format!("{name} split"),
                    format!("[n, {n_points}, {dim}] like train"),
                    format!("{:?}", a.shape()),
                ));
            }
        }
        Ok(DataSet { train, val, test })
    }

    /// The splits in the order of [`SPLITS`].
    pub fn splits(&self) -> [&Array3<f64>; 3] {
        [&self.train, &self.val, &self.test]
    }

    /// State dimension (the last axis).
    pub fn dim(&self) -> usize {
        self.train.shape()[2]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_python_formatting() {
        let d = Path::new("data/Hopf");
        assert_eq!(split_path(d, "train", 0.0), d.join("train_noise0.0.npy"));
        assert_eq!(split_path(d, "val", 0.01), d.join("val_noise0.01.npy"));
        assert_eq!(split_path(d, "test", 0.02), d.join("test_noise0.02.npy"));
    }

    #[test]
    fn new_checks_that_the_splits_agree() {
        let train = Array3::<f64>::zeros((4, 10, 2));
        let ok = DataSet::new(
            train.clone(),
            Array3::zeros((2, 10, 2)),
            Array3::zeros((1, 10, 2)),
        );
        assert_eq!(ok.unwrap().dim(), 2);
        let err = DataSet::new(train, Array3::zeros((2, 10, 2)), Array3::zeros((1, 9, 2)))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("test split") && err.contains("[1, 9, 2]"),
            "{err}"
        );
    }
}
