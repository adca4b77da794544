//! What every ODE experiment of the paper (Figures 5, 6, 8, 9, 10; Tables 5-9) starts from:
//! a problem's data set and its trained steppers, made once and reused.
//!
//! The problem ([`OdeProblem`]) says everything: sizes, seed, step sizes, architecture,
//! training, where the data come from. [`ensure_data`] loads
//! `data/<folder>/{train,val,test}_noise<n>.npy` (quick mode: `data/quick/<folder>/`) or
//! generates and saves it when missing or of other sizes (a data-only problem reads its own
//! files); [`ensure_hierarchy`] loads the finished checkpoints of `models/<folder>/` (quick
//! mode: `models/quick/<folder>/`) and trains, or resumes, the rest.
//! [`Hierarchy::import_original`] imports the authors' public PyTorch models instead, which
//! gives the paper's Table 5 without training.
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! use std::path::Path;
//! use hits::experiments::ode::{ensure_data, ensure_hierarchy};
//! use hits::stepper::device::{select_device, DeviceChoice};
//! let problem = hits::problem::hyperbolic().quick();
//! let device = select_device(DeviceChoice::Auto)?;
//! let data = ensure_data(&problem, 0.0, Path::new("data"))?;
//! let hierarchy = ensure_hierarchy(&problem, 0.0, &data, Path::new("models"), &device, &mut |p| eprintln!("{p}"))?;
//! assert_eq!(hierarchy.step_sizes().len(), 11);
//! # Ok(())
//! # }
//! ```

use std::path::Path;

use candle_core::Device;

use crate::data::{generate_clean, generated_meta, split_path, DataSet, SPLITS};
use crate::hierarchy::{train_hierarchy, Hierarchy};
use crate::problem::{given::load_given, DataSource, OdeProblem};
use crate::stepper::{Progress, TrainRun};
use crate::{Error, Result};

/// The data sets of `problem` at each noise level, in the order of `noises`.
///
/// Generated problems: loaded from [`OdeProblem::dir_under`]`(data_root)` when every split is
/// there with the problem's sizes, otherwise generated (one integration shared by all levels)
/// and saved atomically. Data-only problems: read from their files (never written), noise
/// levels without files of their own derived from the noise-free data.
pub fn ensure_data_levels(
    problem: &OdeProblem,
    noises: &[f64],
    data_root: &Path,
) -> Result<Vec<DataSet>> {
    problem.check()?;
    if let DataSource::Given(given) = &problem.source {
        return noises
            .iter()
            .map(|&n| load_given(problem, given, n))
            .collect();
    }
    let dir = problem.dir_under(data_root);
    let mut out: Vec<Option<DataSet>> = noises
        .iter()
        .map(|&n| load_if_sized(problem, &dir, n))
        .collect();
    if out.iter().any(Option::is_none) {
        let _lock = crate::io::FolderLock::acquire(&dir, "generating a data set")?;
        let generation = problem.generation()?;
        let clean = generate_clean(&generation, &|_| {})?;
        let origin = generated_meta(&generation);
        for (slot, &noise) in out.iter_mut().zip(noises) {
            if slot.is_none() {
                let data = clean.with_noise(noise);
                data.save_replacing(&dir, noise, &origin)?;
                *slot = Some(data);
            }
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// The data set of `problem` at one noise level (see [`ensure_data_levels`]).
pub fn ensure_data(problem: &OdeProblem, noise: f64, data_root: &Path) -> Result<DataSet> {
    let mut v = ensure_data_levels(problem, &[noise], data_root)?;
    v.pop()
        .ok_or_else(|| Error::invalid("noise", "no data set was made"))
}

fn load_if_sized(problem: &OdeProblem, dir: &Path, noise: f64) -> Option<DataSet> {
    if !SPLITS.iter().all(|s| split_path(dir, s, noise).exists()) {
        return None;
    }
    let data = problem.load_data(dir, noise).ok()?;
    let s = &problem.sizes;
    let sized = data.train.dim().0 == s.n_train
        && data.val.dim().0 == s.n_val
        && data.test.dim().0 == s.n_test
        && data.train.dim().1 == s.n_points;
    sized.then_some(data)
}

/// The trained hierarchy of `problem` at a noise level: finished checkpoints under
/// [`OdeProblem::dir_under`]`(models_root)` are loaded, the others trained (or resumed from
/// their saved state) on `data` and saved there ([`train_hierarchy`] with
/// [`TrainRun::resuming`]). Its provenance says which were loaded and which trained.
pub fn ensure_hierarchy(
    problem: &OdeProblem,
    noise: f64,
    data: &DataSet,
    models_root: &Path,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Hierarchy> {
    problem.check()?;
    let run = TrainRun::resuming(
        &problem.folder,
        problem.dt,
        noise,
        problem.dir_under(models_root),
    );
    let mut hierarchy = train_hierarchy(
        &problem.hierarchy,
        &run,
        data.train.view(),
        data.val.view(),
        device,
        progress,
    )?;
    hierarchy.provenance.quick = problem.quick;
    Ok(hierarchy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_original_models_name_the_folder() {
        let err = Hierarchy::import_original(
            Path::new("/nonexistent/hits"),
            0.0,
            crate::problem::hopf().dt,
            &Device::Cpu,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("/nonexistent/hits"), "{err}");
    }

    #[test]
    fn a_data_only_problem_cannot_be_generated() {
        let dir = std::env::temp_dir().join(format!("hits-ode-given-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = ndarray::Array3::<f64>::from_shape_fn((4, 9, 2), |(i, t, d)| (i + t * d) as f64);
        for s in ["train", "val"] {
            crate::data::npy::write_array_atomic(&split_path(&dir, s, 0.0), &a).unwrap();
        }
        let p = OdeProblem::from_data_dir(&dir, Some(0.5)).unwrap();
        assert_eq!(p.sizes.counts(), [4, 4, 0]);
        let err = p.generate(0.0).unwrap_err().to_string();
        assert!(
            err.contains("data-only") && err.contains("vector field"),
            "{err}"
        );
        let data = ensure_data(&p, 0.01, &dir).unwrap();
        assert_eq!(data.test.dim().0, 0);
        assert!(data.train != a, "noise 1% is added in memory");
        // nothing was written into the user's folder
        assert!(!split_path(&dir, "train", 0.01).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
