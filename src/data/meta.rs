//! `dataset.json`: what a data folder holds, written last, checked on every load.
//!
//! One file per data folder (`<dir>/dataset.json`) describes the data set: a format tag, the
//! data's name (the folder name, e.g. `Hyperbolic`), the time step `dt`, optional component
//! names, provenance (free text: command, solver, tolerances, sizes), the seed when there is
//! one, and for every noise level and split the file name, shape, dtype and SHA-256 of its
//! `.npy` file:
//!
//! ```json
//! { "format": "hits.dataset.v1", "name": "Hyperbolic", "dt": 0.01, "components": null,
//!   "provenance": "...", "seed": 2,
//!   "levels": [ { "noise": 0.0, "splits": {
//!     "train": { "file": "train_noise0.0.npy", "shape": [32, 5121, 2], "dtype": "<f8",
//!                "sha256": "9f2c..." }, "val": {...}, "test": {...} } } ] }
//! ```
//!
//! It makes a data set one unit (see [`super::DataSet::save`]): before a noise level's files are
//! (re)written its entry is removed from the file, and it is added back, with the new hashes,
//! only once all three splits are in place. A level missing from `dataset.json`, or a file
//! whose hash differs, is therefore a data set that was never completely written, and loading
//! it is an error that says so. A folder without `dataset.json` (a user's own `.npy` files)
//! still loads, unchecked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::npy::python_float;
use crate::{Error, Result};

/// `train_noise0.01.npy`: the file of one split (see [`super::split_path`]).
pub fn split_file_name(split: &str, noise: f64) -> String {
    format!("{split}_noise{}.npy", python_float(noise))
}

/// The file name of the metadata in a data folder.
pub const DATASET_FILE: &str = "dataset.json";

/// The format tag of [`DataSetMeta`].
pub const DATASET_FORMAT: &str = "hits.dataset.v1";

/// One `.npy` file of a data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitFile {
    /// File name inside the data folder.
    pub file: String,
    pub shape: Vec<usize>,
    /// numpy dtype descriptor (`<f8`).
    pub dtype: String,
    /// SHA-256 of the whole file, lowercase hex (`sha256sum`).
    pub sha256: String,
}

/// The files of one noise level, by split name (`train`, `val`, `test`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseLevel {
    pub noise: f64,
    pub splits: BTreeMap<String, SplitFile>,
}

/// The content of `dataset.json` (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSetMeta {
    pub format: String,
    /// The data's name, e.g. `Hyperbolic` (also the folder name by convention).
    pub name: String,
    /// Time between two points of a trajectory.
    pub dt: f64,
    /// Names of the state components, when known (e.g. `["x", "y"]`).
    pub components: Option<Vec<String>>,
    /// Free text: how the data was made (command, solver, tolerances, sizes).
    pub provenance: String,
    /// Seed of the random draws, when there is one.
    pub seed: Option<u64>,
    /// The complete noise levels, sorted by noise.
    pub levels: Vec<NoiseLevel>,
    /// Files hits is (re)writing right now: listed before a level's splits are written and
    /// cleared once they are all in place, so that the rerun of an interrupted `hits generate`
    /// knows these files are its own to replace. Any other `.npy` in the folder that no level
    /// lists is a file hits did not write, and is never replaced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writing: Vec<String>,
}

impl DataSetMeta {
    /// Metadata of a data set with no files yet.
    pub fn new(name: impl Into<String>, dt: f64, provenance: impl Into<String>) -> DataSetMeta {
        DataSetMeta {
            format: DATASET_FORMAT.to_string(),
            name: name.into(),
            dt,
            components: None,
            provenance: provenance.into(),
            seed: None,
            levels: Vec::new(),
            writing: Vec::new(),
        }
    }

    /// `<dir>/dataset.json`.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(DATASET_FILE)
    }

    /// Read `<dir>/dataset.json`; `None` when the folder has none.
    pub fn read(dir: &Path) -> Result<Option<DataSetMeta>> {
        let path = Self::path_in(dir);
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        // a regular file only: a FIFO named dataset.json is an error, not a hang
        let text = crate::io::read_data_text(&path)?;
        let meta: DataSetMeta = serde_json::from_str(&text).map_err(|e| {
            Error::bad_file(
                &path,
                format!("unreadable data set metadata ({e}); generate the data set again"),
            )
        })?;
        if meta.format != DATASET_FORMAT {
            return Err(Error::bad_file(
                &path,
                format!(
                    "unknown format tag '{}' (this hits reads '{DATASET_FORMAT}')",
                    meta.format
                ),
            ));
        }
        meta.check_names(&path)?;
        Ok(Some(meta))
    }

    /// Every file name the metadata gives is a plain name inside the folder, and the one hits
    /// writes for its split and noise level (`train_noise0.01.npy`): a foreign or damaged
    /// `dataset.json` naming `../x` or `/some/where` can make hits read, replace or delete
    /// nothing outside the data set.
    fn check_names(&self, path: &Path) -> Result<()> {
        let bad = |msg: String| Err(Error::bad_file(path, msg));
        // the name names the folders of the models and results trained on this data
        crate::io::plain_name(&self.name, "name", path)?;
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return bad(format!("field dt: {} is not a positive time step", self.dt));
        }
        for (i, level) in self.levels.iter().enumerate() {
            if !level.noise.is_finite() {
                return bad(format!(
                    "field levels[{i}].noise: {} is not a number",
                    level.noise
                ));
            }
            for (split, f) in &level.splits {
                let field = format!("levels[{i}].splits.{split}.file");
                crate::io::plain_name(&f.file, &field, path)?;
                let expected = split_file_name(split, level.noise);
                if !super::SPLITS.contains(&split.as_str()) || f.file != expected {
                    return bad(format!(
                        "field {field}: {:?} is not the file of the {split} split at noise {} \
                         ({expected}); refused",
                        f.file,
                        python_float(level.noise)
                    ));
                }
            }
        }
        for (i, name) in self.writing.iter().enumerate() {
            crate::io::plain_name(name, &format!("writing[{i}]"), path)?;
            if !name.ends_with(".npy") {
                return bad(format!(
                    "field writing[{i}]: {name:?} is not a .npy file; refused"
                ));
            }
        }
        Ok(())
    }

    /// Whether hits wrote (or is writing) the file `name` of this folder: some level lists it,
    /// or it is in [`DataSetMeta::writing`].
    pub fn owns(&self, name: &str) -> bool {
        self.writing.iter().any(|w| w == name)
            || self
                .levels
                .iter()
                .any(|l| l.splits.values().any(|f| f.file == name))
    }

    /// Write `<dir>/dataset.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        crate::io::write_bytes_atomic(&Self::path_in(dir), text.as_bytes())
    }

    /// The entry of noise level `noise`, if complete.
    pub fn level(&self, noise: f64) -> Option<&NoiseLevel> {
        self.levels.iter().find(|l| l.noise == noise)
    }

    /// Drop the entry of `noise` (before its files are rewritten).
    pub fn remove_level(&mut self, noise: f64) {
        self.levels.retain(|l| l.noise != noise);
    }

    /// Add (or replace) a complete level, keeping the levels sorted.
    pub fn insert_level(&mut self, level: NoiseLevel) {
        self.remove_level(level.noise);
        self.levels.push(level);
        self.levels.sort_by(|a, b| {
            a.noise
                .partial_cmp(&b.noise)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }

    /// The noise levels listed, formatted as in the file names (`0.0, 0.01`).
    pub fn level_names(&self) -> String {
        if self.levels.is_empty() {
            return "none".into();
        }
        self.levels
            .iter()
            .map(|l| python_float(l.noise))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// What differs between the origin of this data set and `other`'s (name, dt, components,
    /// provenance, seed), or `None` when they are the same data set.
    pub fn origin_differs(&self, other: &DataSetMeta) -> Option<String> {
        let mut diffs = Vec::new();
        if self.name != other.name {
            diffs.push(format!("name {} vs {}", self.name, other.name));
        }
        if self.dt != other.dt {
            diffs.push(format!("dt {} vs {}", self.dt, other.dt));
        }
        if self.seed != other.seed {
            let s = |x: Option<u64>| x.map_or("none".to_string(), |v| v.to_string());
            diffs.push(format!("seed {} vs {}", s(self.seed), s(other.seed)));
        }
        if self.components != other.components {
            diffs.push("component names".into());
        }
        if self.provenance != other.provenance {
            diffs.push(format!(
                "provenance '{}' vs '{}'",
                self.provenance, other.provenance
            ));
        }
        (!diffs.is_empty()).then(|| diffs.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_levels_and_origin() {
        let dir = std::env::temp_dir().join(format!("hits-meta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(DataSetMeta::read(&dir).unwrap(), None);
        let mut m = DataSetMeta::new("Hopf", 0.01, "test data");
        m.seed = Some(2);
        let level = |noise| NoiseLevel {
            noise,
            splits: BTreeMap::new(),
        };
        m.insert_level(level(0.02));
        m.insert_level(level(0.0));
        assert_eq!(m.level_names(), "0.0, 0.02");
        m.write(&dir).unwrap();
        let back = DataSetMeta::read(&dir).unwrap().unwrap();
        assert_eq!(back, m);
        let mut other = m.clone();
        other.seed = Some(3);
        assert_eq!(m.origin_differs(&other).unwrap(), "seed 2 vs 3");
        assert_eq!(m.origin_differs(&back), None);
        std::fs::write(DataSetMeta::path_in(&dir), "{\"format\": 1}").unwrap();
        let e = DataSetMeta::read(&dir).unwrap_err().to_string();
        assert!(
            e.contains("dataset.json") && e.contains("unreadable"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
