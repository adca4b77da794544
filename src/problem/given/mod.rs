//! Problems made of one's own trajectories (no vector field): `.npy` arrays
//! `[n_traj, n_points, dim]` of `float64` or `float32`.
//!
//! - [`OdeProblem::from_data_dir`]: a folder with `train_noise0.0.npy`, `val_noise0.0.npy` and
//!   (for forecasts) `test_noise0.0.npy`, the layout `hits generate` writes and the original
//!   notebooks read; other noise levels are read from their own files when present.
//! - [`OdeProblem::from_npy_splits`]: three files given by path.
//! - [`OdeProblem::from_npy_split`]: one file cut into train / validation / test by fractions,
//!   after a permutation of the trajectories by numpy's `RandomState(seed).permutation`.
//!
//! Measurement noise asked of a level without its own files is added to the given (noise-free)
//! trajectories in memory, as for generated data (`noise * mean_i(std_t(X)) * N(0, 1)`, from
//! `np.random.seed(problem.seed)`). Nothing is ever written into the user's folder.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::problem::OdeProblem;
//! let dir = std::env::temp_dir().join(format!("hits-given-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let a = ndarray::Array3::<f64>::from_shape_fn((10, 65, 2), |(i, t, d)| (i + t + d) as f64 * 1e-3);
//! hits::data::npy::write_array_atomic(&dir.join("all.npy"), &a)?;
//! let p = OdeProblem::from_npy_split("measured", &dir.join("all.npy"), [0.6, 0.2, 0.2], 0, 0.1)?;
//! assert_eq!(p.sizes.counts(), [6, 2, 2]);
//! assert!(p.field.is_none());
//! let data = hits::experiments::ode::ensure_data(&p, 0.0, &dir)?;
//! assert_eq!(data.train.shape(), &[6, 65, 2]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use super::{DataSource, OdeProblem};
use crate::data::npy::read_shape;
use crate::data::{split_path, DataSetMeta, Sizes};
use crate::{Error, Result};

mod load;
pub(crate) use load::load_given;

/// Where a data-only problem's trajectories are.
#[derive(Debug, Clone, PartialEq)]
pub enum GivenData {
    /// `<dir>/{train,val,test}_noise<level>.npy`.
    Folder(PathBuf),
    /// Three files.
    Splits {
        train: PathBuf,
        val: PathBuf,
        test: PathBuf,
    },
    /// One file, cut by `fractions` (train, val, test) after a seeded permutation.
    Split {
        path: PathBuf,
        fractions: [f64; 3],
        seed: u32,
    },
}

impl std::fmt::Display for GivenData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GivenData::Folder(d) => write!(f, "the folder {}", d.display()),
            GivenData::Splits { train, .. } => {
                write!(f, "the files {} and its val/test", train.display())
            }
            GivenData::Split {
                path,
                fractions,
                seed,
            } => write!(
                f,
                "{} split {:?} after permutation seed {seed}",
                path.display(),
                fractions
            ),
        }
    }
}

/// `(n_traj, n_points, dim)` from a file's header, checked to be a 3-D float array.
fn shape_of(path: &Path) -> Result<(usize, usize, usize)> {
    let (descr, shape) = read_shape(path)?;
    if !(descr.ends_with("f8") || descr.ends_with("f4")) {
        return Err(Error::bad_file(
            path,
            format!("expected float64 or float32 trajectories, found dtype {descr}"),
        ));
    }
    match shape[..] {
        [n, p, d] => Ok((n, p, d)),
        _ => Err(Error::bad_file(
            path,
            format!("expected 3 dimensions [n_traj, n_points, dim], found shape {shape:?}"),
        )),
    }
}

impl OdeProblem {
    /// A data-only problem from three `.npy` files (train, validation, test), sampled every
    /// `dt`. They must agree on the number of points and the state dimension.
    pub fn from_npy_splits(
        name: &str,
        train: &Path,
        val: &Path,
        test: &Path,
        dt: f64,
    ) -> Result<OdeProblem> {
        let shapes = [shape_of(train)?, shape_of(val)?, shape_of(test)?];
        let sizes = agreeing_sizes(&shapes, [train, val, test])?;
        given_problem(
            name,
            sizes,
            shapes[0].2,
            dt,
            GivenData::Splits {
                train: train.to_path_buf(),
                val: val.to_path_buf(),
                test: test.to_path_buf(),
            },
        )
    }

    /// A data-only problem from one `.npy` file of trajectories, cut into train / validation /
    /// test by `fractions` (positive, summing to 1) after `RandomState(seed).permutation`.
    pub fn from_npy_split(
        name: &str,
        path: &Path,
        fractions: [f64; 3],
        seed: u32,
        dt: f64,
    ) -> Result<OdeProblem> {
        let (n, n_points, dim) = shape_of(path)?;
        let counts = split_counts(n, fractions).map_err(|msg| Error::bad_file(path, msg))?;
        let sizes = Sizes {
            n_train: counts[0],
            n_val: counts[1],
            n_test: counts[2],
            n_points,
        };
        let mut p = given_problem(
            name,
            sizes,
            dim,
            dt,
            GivenData::Split {
                path: path.to_path_buf(),
                fractions,
                seed,
            },
        )?;
        p.seed = seed;
        Ok(p)
    }

    /// A data-only problem from a data folder `<dir>/{train,val,test}_noise0.0.npy`. When the
    /// folder has a `dataset.json` ([`crate::data::DataSetMeta`], written by `hits generate`
    /// or by one's own script), its name, `dt` and component names are used and `dt` may be
    /// `None` (a `dt` given must agree with it); for bare `.npy` files `dt` is needed and the
    /// name is the folder's. The test split may be missing (training needs only train and
    /// validation; forecasts then say that the test split is missing).
    pub fn from_data_dir(dir: &Path, dt: Option<f64>) -> Result<OdeProblem> {
        let meta = DataSetMeta::read(dir)?;
        let meta_path = DataSetMeta::path_in(dir);
        let dt = match (&meta, dt) {
            (Some(m), Some(dt)) if (m.dt - dt).abs() > 1e-12 * dt.abs() => {
                return Err(Error::bad_file(
                    &meta_path,
                    format!("says dt = {}, but dt = {dt} was given", m.dt),
                ))
            }
            (Some(m), _) => m.dt,
            (None, Some(dt)) => dt,
            (None, None) => {
                return Err(Error::invalid(
                    "dt",
                    format!(
                        "{} has no dataset.json saying the sampling interval: give dt",
                        dir.display()
                    ),
                ))
            }
        };
        let name = match &meta {
            Some(m) => m.name.clone(),
            None => folder_name(dir)?,
        };
        let path = |s: &str| split_path(dir, s, 0.0);
        for s in ["train", "val"] {
            if !path(s).exists() {
                return Err(Error::bad_file(
                    path(s),
                    format!(
                        "missing: a data folder holds {s}_noise0.0.npy (arrays [n_traj, n_points, dim]) \
                         beside train/val/test"
                    ),
                ));
            }
        }
        let mut shapes = vec![shape_of(&path("train"))?, shape_of(&path("val"))?];
        let test = path("test");
        let has_test = test.exists();
        if has_test {
            shapes.push(shape_of(&test)?);
        }
        let (_, n_points, dim) = shapes[0];
        let mut paths = vec![path("train"), path("val"), test];
        paths.truncate(shapes.len());
        for (s, p) in shapes.iter().zip(&paths).skip(1) {
            if (s.1, s.2) != (n_points, dim) {
                return Err(Error::bad_file(
                    p,
                    format!(
                        "shape {s:?} does not match the training split's [n, {n_points}, {dim}]"
                    ),
                ));
            }
        }
        let sizes = Sizes {
            n_train: shapes[0].0,
            n_val: shapes[1].0,
            n_test: if has_test { shapes[2].0 } else { 0 },
            n_points,
        };
        let mut p = given_problem(&name, sizes, dim, dt, GivenData::Folder(dir.to_path_buf()))?;
        if let Some(components) = meta.and_then(|m| m.components) {
            if components.len() != dim {
                return Err(Error::bad_file(
                    &meta_path,
                    format!(
                        "names {} components, the arrays have {dim}",
                        components.len()
                    ),
                ));
            }
            p.components = components;
        }
        Ok(p)
    }
}

/// The name of a data folder, which names its models and results: one that is not UTF-8 is
/// refused, never replaced by another name (which would be another folder).
fn folder_name(dir: &Path) -> Result<String> {
    let Some(n) = dir.file_name() else {
        return Ok("data".to_string());
    };
    n.to_str().map(str::to_string).ok_or_else(|| {
        Error::invalid(
            "data folder",
            format!(
                "the name of {} is not UTF-8; rename the folder (its name names the models and \
                 results)",
                dir.display()
            ),
        )
    })
}

fn given_problem(
    name: &str,
    sizes: Sizes,
    dim: usize,
    dt: f64,
    given: GivenData,
) -> Result<OdeProblem> {
    let mut p = OdeProblem::described(name, dim, dt)?;
    p.sizes = sizes;
    p.source = DataSource::Given(given);
    Ok(p)
}

fn agreeing_sizes(shapes: &[(usize, usize, usize); 3], paths: [&Path; 3]) -> Result<Sizes> {
    let (_, n_points, dim) = shapes[0];
    for (s, p) in shapes.iter().zip(paths).skip(1) {
        if (s.1, s.2) != (n_points, dim) {
            return Err(Error::bad_file(
                p,
                format!(
                    "shape {s:?} does not match {} ([n, {n_points}, {dim}])",
                    paths[0].display()
                ),
            ));
        }
    }
    Ok(Sizes {
        n_train: shapes[0].0,
        n_val: shapes[1].0,
        n_test: shapes[2].0,
        n_points,
    })
}

/// Trajectories per split for `n` trajectories cut by `fractions`: train and validation
/// rounded, the test split the rest; each at least one.
fn split_counts(n: usize, fractions: [f64; 3]) -> std::result::Result<[usize; 3], String> {
    let sum: f64 = fractions.iter().sum();
    if fractions.iter().any(|f| !(f.is_finite() && *f > 0.0)) || (sum - 1.0).abs() > 1e-9 {
        return Err(format!(
            "split fractions {fractions:?} must be positive and sum to 1"
        ));
    }
    let train = (fractions[0] * n as f64).round() as usize;
    let val = (fractions[1] * n as f64).round() as usize;
    if train == 0 || val == 0 || train + val >= n {
        return Err(format!(
            "{n} trajectories are too few to split by {fractions:?} (each split needs one)"
        ));
    }
    Ok([train, val, n - train - val])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_counts_round_and_keep_every_split() {
        assert_eq!(split_counts(10, [0.6, 0.2, 0.2]).unwrap(), [6, 2, 2]);
        assert_eq!(split_counts(101, [0.8, 0.1, 0.1]).unwrap(), [81, 10, 10]);
        assert!(split_counts(3, [0.8, 0.1, 0.1])
            .unwrap_err()
            .contains("too few"));
        assert!(split_counts(10, [0.5, 0.5, 0.5])
            .unwrap_err()
            .contains("sum to 1"));
        assert!(split_counts(10, [1.0, 0.0, 0.0]).is_err());
    }
}
