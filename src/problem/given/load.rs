//! Reading a data-only problem's trajectories: the splits of [`GivenData`], checked and cut to
//! the problem's sizes, with measurement noise derived where a level has no files of its own.

use std::path::{Path, PathBuf};

use ndarray::{Array3, Axis};

use super::{split_counts, GivenData};
use crate::data::npy::read_float_array3;
use crate::data::{
    add_noise, check_finite, load_splits, split_path, DataSet, DataSetMeta, ExpectedData, Sizes,
};
use crate::problem::OdeProblem;
use crate::rng::RandomState;
use crate::{Error, Result};

/// The data of a data-only problem at `noise` (see the module docs), cut to `problem.sizes`.
pub(crate) fn load_given(problem: &OdeProblem, given: &GivenData, noise: f64) -> Result<DataSet> {
    let (mut data, derive_noise) = match given {
        GivenData::Folder(dir) => {
            let own = noise != 0.0 && split_path(dir, "train", noise).exists();
            let level = if own { noise } else { 0.0 };
            (
                read_folder(dir, level, problem.dim())?,
                noise != 0.0 && !own,
            )
        }
        GivenData::Splits { train, val, test } => (
            read_splits(&[train.clone(), val.clone(), test.clone()])?,
            noise != 0.0,
        ),
        GivenData::Split {
            path,
            fractions,
            seed,
        } => {
            let all = read_float_array3(path)?;
            let counts =
                split_counts(all.dim().0, *fractions).map_err(|msg| Error::bad_file(path, msg))?;
            let order = RandomState::new(*seed).permutation(all.dim().0);
            let take = |from: usize, n: usize| all.select(Axis(0), &order[from..from + n]);
            let data = DataSet::new(
                take(0, counts[0]),
                take(counts[0], counts[1]),
                take(counts[0] + counts[1], counts[2]),
            )?;
            (data, noise != 0.0)
        }
    };
    if data.dim() != problem.dim() {
        return Err(Error::invalid(
            "data",
            format!(
                "{given} holds states of dimension {} but the problem {} has {}",
                data.dim(),
                problem.name,
                problem.dim()
            ),
        ));
    }
    truncate(&mut data, &problem.sizes, given)?;
    if derive_noise {
        add_noise(&mut data, noise, &mut RandomState::new(problem.seed));
    }
    Ok(data)
}

/// Read train and validation (and test when its file exists; else an empty test split) of
/// three files: float64 or float32, no NaN or infinity.
fn read_splits(files: &[PathBuf]) -> Result<DataSet> {
    let read = |path: &Path, split: &str| -> Result<Array3<f64>> {
        let a = read_float_array3(path)?;
        check_finite(a.view(), &format!("the {split} split {}", path.display()))?;
        Ok(a)
    };
    let train = read(&files[0], "train")?;
    let val = read(&files[1], "val")?;
    let test = if files[2].exists() {
        read(&files[2], "test")?
    } else {
        Array3::zeros((0, train.dim().1, train.dim().2))
    };
    DataSet::new(train, val, test)
}

/// One noise level of a data folder: checked against its `dataset.json` when it has one
/// (presence, shapes, SHA-256, finite values: [`load_splits`]), else read as bare files.
fn read_folder(dir: &Path, level: f64, dim: usize) -> Result<DataSet> {
    let files = ["train", "val", "test"].map(|s| split_path(dir, s, level));
    if DataSetMeta::read(dir)?.is_none() {
        return read_splits(&files);
    }
    let splits: &[&str] = if files[2].exists() {
        &["train", "val", "test"]
    } else {
        &["train", "val"]
    };
    let expect = ExpectedData {
        dim: Some(dim),
        ..ExpectedData::default()
    };
    let mut arrays = load_splits(dir, level, splits, &expect)?.arrays.into_iter();
    let (Some(train), Some(val)) = (arrays.next(), arrays.next()) else {
        return Err(Error::invalid(
            "data",
            "train and validation splits expected",
        ));
    };
    let test = arrays
        .next()
        .unwrap_or_else(|| Array3::zeros((0, train.dim().1, train.dim().2)));
    DataSet::new(train, val, test)
}

/// Keep the first `sizes` trajectories of each split (quick mode), or say which is too small.
fn truncate(data: &mut DataSet, sizes: &Sizes, given: &GivenData) -> Result<()> {
    for (name, a, want) in [
        ("train", &mut data.train, sizes.n_train),
        ("val", &mut data.val, sizes.n_val),
        ("test", &mut data.test, sizes.n_test),
    ] {
        let (n, points, _) = a.dim();
        if n < want || points != sizes.n_points {
            return Err(Error::invalid(
                "data",
                format!(
                    "the {name} split of {given} has {n} trajectories of {points} points; the \
                     problem expects {want} of {}",
                    sizes.n_points
                ),
            ));
        }
        if n > want {
            *a = a.slice(ndarray::s![..want, .., ..]).to_owned();
        }
    }
    Ok(())
}
