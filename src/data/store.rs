//! Saving and loading data sets as one unit: the `.npy` splits of each noise level plus
//! `dataset.json` ([`super::meta`]), written last and checked on load.
//!
//! Saving takes the folder's [`FolderLock`] (a second writer is refused with the first one's
//! PID; temporary files of killed runs are removed), removes the level from `dataset.json`,
//! writes the three splits atomically while hashing them, then adds the level back. A kill or a
//! full disk at any moment therefore leaves either the old complete level, or a folder in which
//! loading that level fails with a message that says the data set is incomplete, never a mix
//! that loads. Loading checks every split against `dataset.json` (present, same shape, same
//! SHA-256), refuses NaN and infinity (naming file, split and index) and empty splits.
//!
//! The hash check adds about a second per GB read (measured, see [`super::hash`]); a folder
//! without `dataset.json` is read without hashing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::Array3;

use super::finite::check_finite;
use super::meta::{DataSetMeta, NoiseLevel, SplitFile, DATASET_FILE};
use super::npy::{python_float, read_array3, read_array3_hashed, write_array_atomic_hashed};
use super::{check_noise, split_path, DataSet, SPLITS};
use crate::io::FolderLock;
use crate::{Error, Result};

/// What loaded data must be (`None`: not checked).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectedData {
    /// The data's name (compared with `dataset.json`, ignoring ASCII case).
    pub name: Option<String>,
    /// Time step (compared with `dataset.json`).
    pub dt: Option<f64>,
    /// State dimension (the last axis of every split).
    pub dim: Option<usize>,
}

/// Some splits of one noise level, as read by [`load_splits`].
#[derive(Debug, Clone)]
pub struct LoadedSplits {
    /// `dataset.json` of the folder, when it has one.
    pub meta: Option<DataSetMeta>,
    /// The arrays, in the order asked for.
    pub arrays: Vec<Array3<f64>>,
    /// Their files.
    pub paths: Vec<PathBuf>,
}

/// Read `splits` (e.g. `["train", "val"]`) of noise level `noise` from `dir`, with every check
/// of the module docs, and against `expect`.
pub fn load_splits(
    dir: &Path,
    noise: f64,
    splits: &[&str],
    expect: &ExpectedData,
) -> Result<LoadedSplits> {
    let meta = DataSetMeta::read(dir)?;
    let meta_path = DataSetMeta::path_in(dir);
    if let Some(m) = &meta {
        check_origin(m, &meta_path, expect)?;
    }
    let level = match &meta {
        Some(m) => Some(m.level(noise).ok_or_else(|| {
            Error::bad_file(
                &meta_path,
                format!(
                    "no complete data at noise {} (complete levels: {}): the data set was not \
                     completely written (an interrupted or failed `hits generate`?); generate it again",
                    python_float(noise),
                    m.level_names()
                ),
            )
        })?),
        None => None,
    };
    let (mut arrays, mut paths) = (Vec::new(), Vec::new());
    for &split in splits {
        let path = split_path(dir, split, noise);
        let a = match level {
            Some(level) => read_listed(&path, split, level, &meta_path)?,
            None => read_array3(&path)?,
        };
        if a.dim().0 == 0 {
            return Err(Error::bad_file(
                &path,
                format!(
                    "the {split} split has no trajectories (shape {:?})",
                    a.shape()
                ),
            ));
        }
        if let Some(dim) = expect.dim {
            super::npy::check_state_dim(&path, &a, dim)?;
        }
        if let (Some(first), Some(first_path)) = (arrays.first(), paths.first()) {
            let first: &Array3<f64> = first;
            if a.shape()[1..] != first.shape()[1..] {
                return Err(Error::bad_file(
                    &path,
                    format!(
                        "shape {:?} does not match {} ([n, {}, {}])",
                        a.shape(),
                        Path::new(first_path).display(),
                        first.shape()[1],
                        first.shape()[2]
                    ),
                ));
            }
        }
        check_finite(a.view(), &format!("{} ({split} split)", path.display()))?;
        arrays.push(a);
        paths.push(path);
    }
    Ok(LoadedSplits {
        meta,
        arrays,
        paths,
    })
}

fn check_origin(m: &DataSetMeta, meta_path: &Path, expect: &ExpectedData) -> Result<()> {
    let name_ok = expect
        .name
        .as_ref()
        .is_none_or(|n| n.eq_ignore_ascii_case(&m.name));
    let dt_ok = expect
        .dt
        .is_none_or(|dt| (dt - m.dt).abs() <= 1e-12 * dt.abs());
    if name_ok && dt_ok {
        return Ok(());
    }
    Err(Error::bad_file(
        meta_path,
        format!(
            "this folder holds '{}' data with dt {}, not {} with dt {}: check the data folder",
            m.name,
            m.dt,
            expect.name.as_deref().unwrap_or(&m.name),
            expect.dt.unwrap_or(m.dt)
        ),
    ))
}

/// Read a split listed in `dataset.json` and check its shape and hash.
fn read_listed(
    path: &Path,
    split: &str,
    level: &NoiseLevel,
    meta_path: &Path,
) -> Result<Array3<f64>> {
    let entry = level.splits.get(split).ok_or_else(|| {
        Error::bad_file(
            meta_path,
            format!(
                "lists no {split} split at noise {}; generate the data set again",
                python_float(level.noise)
            ),
        )
    })?;
    if !path.exists() {
        return Err(Error::bad_file(
            path,
            format!("missing, though {DATASET_FILE} lists it; generate the data set again"),
        ));
    }
    let (a, hash) = read_array3_hashed(path)?;
    if a.shape() != entry.shape.as_slice() {
        return Err(Error::bad_file(
            path,
            format!(
                "shape {:?}, but {DATASET_FILE} says {:?}: the file was replaced after the data \
                 set was written; generate the data set again",
                a.shape(),
                entry.shape
            ),
        ));
    }
    if hash != entry.sha256 {
        return Err(Error::bad_file(
            path,
            format!(
                "content differs from {DATASET_FILE} (sha256 {}..., expected {}...): the file was \
                 changed or only partly replaced (an interrupted `hits generate`?); generate the \
                 data set again",
                &hash[..12.min(hash.len())],
                &entry.sha256[..12.min(entry.sha256.len())]
            ),
        ));
    }
    Ok(a)
}

impl DataSet {
    /// Write `train_noise{noise}.npy`, `val_...`, `test_...` into `dir` (created if missing) as
    /// a level of the data set `origin` describes (its `levels` are ignored), then record them
    /// in `dir/dataset.json` (see the module docs). Returns the paths written.
    ///
    /// A folder whose `dataset.json` describes another data set (other name, dt, seed or
    /// provenance) is refused, since its other levels would then mix two data sets; see
    /// [`DataSet::save_replacing`].
    pub fn save(&self, dir: &Path, noise: f64, origin: &DataSetMeta) -> Result<Vec<PathBuf>> {
        self.save_level(dir, noise, origin, false)
    }

    /// [`DataSet::save`], replacing a data set of another origin in `dir` (its files listed in
    /// `dataset.json` are removed first).
    pub fn save_replacing(
        &self,
        dir: &Path,
        noise: f64,
        origin: &DataSetMeta,
    ) -> Result<Vec<PathBuf>> {
        self.save_level(dir, noise, origin, true)
    }

    fn save_level(
        &self,
        dir: &Path,
        noise: f64,
        origin: &DataSetMeta,
        replace: bool,
    ) -> Result<Vec<PathBuf>> {
        check_noise(noise)?;
        let _lock = FolderLock::acquire(dir, "writing a data set")?;
        let meta_path = DataSetMeta::path_in(dir);
        let fresh = DataSetMeta {
            levels: Vec::new(),
            writing: Vec::new(),
            ..origin.clone()
        };
        let old = DataSetMeta::read(dir)?;
        let mut meta = match &old {
            Some(old) => match old.origin_differs(&fresh) {
                None => old.clone(),
                Some(_) if replace => {
                    for (i, level) in old.levels.iter().enumerate() {
                        for (split, f) in &level.splits {
                            let field = format!("levels[{i}].splits.{split}.file");
                            let p = crate::io::inside(dir, &f.file, &field, &meta_path)?;
                            if p.exists() {
                                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
                            }
                        }
                    }
                    fresh
                }
                Some(diff) => {
                    return Err(Error::invalid(
                        "data folder",
                        format!(
                            "{} holds another data set ({diff}; levels {}); adding noise {} would \
                             mix two data sets: choose another folder, or replace it \
                             (`hits generate --overwrite`)",
                            dir.display(),
                            old.level_names(),
                            python_float(noise)
                        ),
                    ))
                }
            },
            None => fresh,
        };
        // Never replace a file hits did not write: one that no level of dataset.json lists
        // (a user's own .npy in the folder, or a folder without dataset.json).
        let names: Vec<String> = SPLITS
            .iter()
            .map(|split| super::meta::split_file_name(split, noise))
            .collect();
        for name in &names {
            let path = dir.join(name);
            let ours = old.as_ref().is_some_and(|m| m.owns(name));
            if std::fs::symlink_metadata(&path).is_ok() && !ours {
                return Err(Error::bad_file(
                    &path,
                    format!(
                        "exists, but hits did not write it ({}): hits never replaces files of \
                         your own; move it away or write the data set to another folder",
                        if old.is_some() {
                            format!("{DATASET_FILE} does not list it")
                        } else {
                            format!("the folder has no {DATASET_FILE}")
                        }
                    ),
                ));
            }
        }
        meta.remove_level(noise);
        // added to what earlier interrupted writes left listed (their levels are still ours)
        for name in &names {
            if !meta.writing.contains(name) {
                meta.writing.push(name.clone());
            }
        }
        meta.write(dir)?;
        let mut splits = BTreeMap::new();
        let mut paths = Vec::new();
        for (split, a) in SPLITS.iter().zip(self.splits()) {
            let path = split_path(dir, split, noise);
            let sha256 = write_array_atomic_hashed(&path, a)?;
            splits.insert(
                split.to_string(),
                SplitFile {
                    file: super::meta::split_file_name(split, noise),
                    shape: a.shape().to_vec(),
                    dtype: "<f8".into(),
                    sha256,
                },
            );
            paths.push(path);
        }
        meta.insert_level(NoiseLevel { noise, splits });
        meta.writing.retain(|w| !names.contains(w));
        meta.write(dir)?;
        Ok(paths)
    }

    /// Read the three splits written by [`DataSet::save`] (or by the original notebooks: a
    /// folder without `dataset.json` is read unchecked), with the checks of the module docs.
    pub fn load(dir: &Path, noise: f64) -> Result<DataSet> {
        Self::load_expecting(dir, noise, &ExpectedData::default())
    }

    /// Read a data set and check it against `expect`.
    pub fn load_expecting(dir: &Path, noise: f64, expect: &ExpectedData) -> Result<DataSet> {
        let mut l = load_splits(dir, noise, &SPLITS, expect)?.arrays.into_iter();
        let (train, val, test) = (l.next(), l.next(), l.next());
        match (train, val, test) {
            (Some(train), Some(val), Some(test)) => Ok(DataSet { train, val, test }),
            _ => Err(Error::invalid("data set", "three splits expected")),
        }
    }
}
