//! Files of a sequence data set, written atomically.
//!
//! `hits data <name>` writes `data/<Name>/`:
//!
//! | file | what |
//! |---|---|
//! | `data.npy` | the sequence `[n_features, n_time]`, f64 (KS 512 x 4001, Bach 128 x 2077, Fluid 22 x 151, Flower 64 x 175) |
//! | `normalization.json` | per-feature mean and range over time ([`Normalization`]) |
//! | `modes.npy` | SVD modes `[n_pixels, r]` (Fluid, Flower): snapshots = modes @ data |
//! | `singular_values.npy` | all singular values of the snapshot matrix (Fluid, Flower) |
//! | `excerpt.wav` | Bach only: the 2 s cut at 22050 Hz, 16-bit PCM, for listening |
//! | `meta.json` | [`SequenceMeta`]: what the data is, where it came from, whether it is synthetic |
//!
//! Every file is first written to a temporary file in the same folder and then renamed, so a
//! reader never sees a half-written file.

use std::path::Path;

use ndarray::{Array1, Array2};
use ndarray_npy::ReadNpyExt;
use serde::{Deserialize, Serialize};

use crate::data::npy::write_array_atomic;
use crate::io::write_atomic;
use crate::sequence::normalize::Normalization;
use crate::{Error, Result};

/// Read a 2-D `f64` `.npy` file (C or Fortran order).
pub fn read_npy2(path: &Path) -> Result<Array2<f64>> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Array2::<f64>::read_npy(std::io::BufReader::new(f))
        .map_err(|e| Error::bad_file(path, format!("expected a 2-D float64 .npy array: {e}")))
}

/// Description of a stored sequence data set (`meta.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceMeta {
    /// Data set name: `KS`, `Bach`, `Fluid` or `Flower`.
    pub name: String,
    /// Shape of `data.npy`: `[n_features, n_time]`.
    pub shape: [usize; 2],
    /// `true` when the data was generated here (simulated or synthesised) rather than read from
    /// the user's original file; for Bach it means the synthetic stand-in for the recording.
    pub synthetic: bool,
    /// Where the data came from, in words (input path, or the generator and its settings).
    pub source: String,
    /// Whether it was made with the reduced `--quick` settings.
    pub quick: bool,
}

/// Everything written for one sequence data set.
pub struct SequenceFiles<'a> {
    /// The sequence `[n_features, n_time]`.
    pub data: &'a Array2<f64>,
    /// SVD modes and all singular values, for reduced data sets.
    pub modes: Option<(&'a Array2<f64>, &'a Array1<f64>)>,
    /// Description.
    pub meta: SequenceMeta,
}

/// Write `data.npy`, `normalization.json`, `meta.json` (and `modes.npy`,
/// `singular_values.npy` when present) under `dir`. Returns the normalisation.
pub fn save_sequence(dir: &Path, files: &SequenceFiles) -> Result<Normalization> {
    let shape = [files.data.nrows(), files.data.ncols()];
    if shape != files.meta.shape {
        return Err(Error::shape(
            "sequence data",
            format!("{:?}", files.meta.shape),
            format!("{shape:?}"),
        ));
    }
    let norm = Normalization::fit(files.data.view())?;
    write_array_atomic(&dir.join("data.npy"), files.data)?;
    norm.save(&dir.join("normalization.json"))?;
    if let Some((modes, s)) = files.modes {
        write_array_atomic(&dir.join("modes.npy"), modes)?;
        write_array_atomic(&dir.join("singular_values.npy"), s)?;
    }
    let text = serde_json::to_string_pretty(&files.meta)?;
    let meta_path = dir.join("meta.json");
    write_atomic(&meta_path, |tmp| {
        std::fs::write(tmp, text.as_bytes()).map_err(|e| Error::io(tmp, e))
    })?;
    Ok(norm)
}

/// Read `data.npy` and `meta.json` of a stored data set, checking they agree.
pub fn load_sequence(dir: &Path) -> Result<(Array2<f64>, SequenceMeta)> {
    let data = read_npy2(&dir.join("data.npy"))?;
    let meta_path = dir.join("meta.json");
    let text = crate::io::read_data_text(&meta_path)?;
    let meta: SequenceMeta = serde_json::from_str(&text)
        .map_err(|e| Error::bad_file(&meta_path, format!("not a sequence meta file: {e}")))?;
    if meta.shape != [data.nrows(), data.ncols()] {
        return Err(Error::bad_file(
            dir.join("data.npy"),
            format!(
                "shape {:?} disagrees with meta.json's {:?}",
                data.shape(),
                meta.shape
            ),
        ));
    }
    Ok((data, meta))
}
