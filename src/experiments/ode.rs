//! What every ODE experiment of the paper (Figures 5, 6, 8, 9, 10; Tables 5-9) starts from:
//! a system's data set and its eleven trained steppers, made once and reused.
//!
//! [`OdeConfig`] holds the knobs of one system: data sizes and seed (`np.random.seed(2)`, the
//! paper's 5121-point trajectories), the step sizes `2^0 .. 2^10` dt, the architecture
//! `[dim, w, w, w, dim]` with the paper's hidden width `w`, and the training settings.
//! [`OdeConfig::quick`] keeps 5121 points (so every step size has windows) but few
//! trajectories, narrow nets and few epochs, for tests and CI.
//!
//! [`ensure_data`] loads `data/<System>/{train,val,test}_noise<n>.npy` (quick mode:
//! `data/quick/<System>/`) or generates and saves it when missing or of other sizes;
//! [`ensure_steppers`] loads the finished checkpoints of `models/<System>/` (quick mode:
//! `models/quick/<System>/`) and trains, or resumes, the rest. [`original_steppers`] imports
//! the authors' public PyTorch models instead, which gives the paper's Table 5 without training.
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! use std::path::Path;
//! use hits::experiments::ode::{ensure_data, ensure_steppers, OdeConfig};
//! use hits::SystemKind;
//! let cfg = OdeConfig::quick(SystemKind::Hyperbolic);
//! let device = hits::stepper::device(true)?;
//! let data = ensure_data(&cfg, 0.0, Path::new("data"))?;
//! let steppers = ensure_steppers(&cfg, 0.0, &data, Path::new("models"), &device, &mut |p| eprintln!("{p}"))?;
//! assert_eq!(steppers.len(), 11);
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use candle_core::Device;

use crate::data::npy::python_float;
use crate::data::{generate_clean, split_path, DataSet, Sizes, SPLITS};
use crate::stepper::{
    import_torch, train_hierarchy, HierarchyPlan, Progress, ResNetStepper, TrainConfig, TrainReport,
};
use crate::{Error, Result, SystemKind};

/// The seed of the paper's ODE data sets (`np.random.seed(2)`).
pub const PAPER_DATA_SEED: u32 = 2;

/// The step sizes of the paper's hierarchy, `2^0 .. 2^10` dt.
pub fn paper_steps() -> Vec<usize> {
    (0..=10).map(|k| 1usize << k).collect()
}

/// Settings of one system's data and steppers.
#[derive(Debug, Clone, PartialEq)]
pub struct OdeConfig {
    pub system: SystemKind,
    /// Quick mode: files go to `quick/` subfolders so quick and full runs never mix.
    pub quick: bool,
    /// Trajectories per split and points per trajectory.
    pub sizes: Sizes,
    /// Seed of the data (numpy's legacy stream).
    pub data_seed: u32,
    /// Step sizes in units of dt.
    pub steps: Vec<usize>,
    /// Layer widths of every stepper.
    pub arch: Vec<usize>,
    /// Training settings.
    pub train: TrainConfig,
    /// Seed of the initial weights (stepper k: `weight_seed + k`).
    pub weight_seed: u32,
    /// Train all steppers in one batched trainer (pays off on a GPU only).
    pub batched: bool,
}

impl OdeConfig {
    /// The paper's settings: sizes of [`Sizes::paper`], hidden width of
    /// [`SystemKind::hidden_width`] (3 hidden layers), n_forward 5, minibatch 320, up to
    /// 100 000 epochs with a validation check every 1000, lr 1e-3, target loss 1e-8.
    pub fn paper(system: SystemKind) -> OdeConfig {
        let (d, w) = (system.dim(), system.hidden_width());
        OdeConfig {
            system,
            quick: false,
            sizes: Sizes::paper(system),
            data_seed: PAPER_DATA_SEED,
            steps: paper_steps(),
            arch: vec![d, w, w, w, d],
            train: TrainConfig::default(),
            weight_seed: 0,
            batched: false,
        }
    }

    /// Quick mode: [`Sizes::quick`] (32/16/16 trajectories of 5121 points), nets
    /// `[dim, 32, 32, 32, dim]`, 400 epochs with a check every 100.
    pub fn quick(system: SystemKind) -> OdeConfig {
        let d = system.dim();
        OdeConfig {
            quick: true,
            sizes: Sizes::quick(system),
            arch: vec![d, 32, 32, 32, d],
            train: TrainConfig {
                epochs: 400,
                eval_every: 100,
                ..TrainConfig::default()
            },
            ..OdeConfig::paper(system)
        }
    }

    /// [`OdeConfig::quick`] when `quick` or `HITS_QUICK` is set, else [`OdeConfig::paper`].
    pub fn select(system: SystemKind, quick: bool) -> OdeConfig {
        if quick || crate::data::quick_mode() {
            OdeConfig::quick(system)
        } else {
            OdeConfig::paper(system)
        }
    }

    /// The time step of the data.
    pub fn dt(&self) -> f64 {
        self.system.default_dt()
    }

    /// `<root>/<System>`, or `<root>/quick/<System>` in quick mode.
    pub fn dir_under(&self, root: &Path) -> PathBuf {
        if self.quick {
            root.join("quick").join(self.system.name())
        } else {
            root.join(self.system.name())
        }
    }
}

/// The data sets of `cfg` at each noise level, in the order of `noises`: loaded from
/// [`OdeConfig::dir_under`]`(data_root)` when every split is there with the configured sizes,
/// otherwise generated (one integration shared by all levels) and saved atomically.
pub fn ensure_data_levels(
    cfg: &OdeConfig,
    noises: &[f64],
    data_root: &Path,
) -> Result<Vec<DataSet>> {
    let dir = cfg.dir_under(data_root);
    let mut out: Vec<Option<DataSet>> = noises
        .iter()
        .map(|&n| load_if_sized(cfg, &dir, n))
        .collect();
    if out.iter().any(Option::is_none) {
        let clean = generate_clean(cfg.system, &cfg.sizes, cfg.data_seed, &|_| {})?;
        for (slot, &noise) in out.iter_mut().zip(noises) {
            if slot.is_none() {
                let data = clean.with_noise(noise);
                data.save(&dir, noise)?;
                *slot = Some(data);
            }
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// The data set of `cfg` at one noise level (see [`ensure_data_levels`]).
pub fn ensure_data(cfg: &OdeConfig, noise: f64, data_root: &Path) -> Result<DataSet> {
    let mut v = ensure_data_levels(cfg, &[noise], data_root)?;
    v.pop()
        .ok_or_else(|| Error::invalid("noise", "no data set was made"))
}

fn load_if_sized(cfg: &OdeConfig, dir: &Path, noise: f64) -> Option<DataSet> {
    if !SPLITS.iter().all(|s| split_path(dir, s, noise).exists()) {
        return None;
    }
    let data = DataSet::load_for(cfg.system, dir, noise).ok()?;
    let s = &cfg.sizes;
    let sized = data.train.dim().0 == s.n_train
        && data.val.dim().0 == s.n_val
        && data.test.dim().0 == s.n_test
        && data.train.dim().1 == s.n_points;
    sized.then_some(data)
}

/// The trained steppers of `cfg` at a noise level, sorted by step size: finished checkpoints
/// under [`OdeConfig::dir_under`]`(models_root)` are loaded, the others trained (or resumed
/// from their saved state) on `data` and saved there.
pub fn ensure_steppers(
    cfg: &OdeConfig,
    noise: f64,
    data: &DataSet,
    models_root: &Path,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Vec<ResNetStepper>> {
    Ok(
        ensure_steppers_with_reports(cfg, noise, data, models_root, device, progress)?
            .into_iter()
            .map(|(s, _)| s)
            .collect(),
    )
}

/// [`ensure_steppers`], with the training report of each stepper (loss history, epochs).
pub fn ensure_steppers_with_reports(
    cfg: &OdeConfig,
    noise: f64,
    data: &DataSet,
    models_root: &Path,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Vec<(ResNetStepper, TrainReport)>> {
    let plan = HierarchyPlan {
        system: Some(cfg.system),
        arch: cfg.arch.clone(),
        dt: cfg.dt(),
        steps: cfg.steps.clone(),
        noise,
        seed: cfg.weight_seed,
        out_dir: Some(cfg.dir_under(models_root)),
        batched: cfg.batched,
        resume: true,
    };
    let mut trained = train_hierarchy(
        &plan,
        data.train.view(),
        data.val.view(),
        &cfg.train,
        device,
        progress,
    )?;
    trained.sort_by_key(|(s, _)| s.step_size());
    Ok(trained)
}

/// The authors' public PyTorch models `model_D<k>_noise<n>.pt` of `dir` (e.g.
/// `../shared/data/original_models/Hyperbolic/`), imported and sorted by step size.
pub fn original_steppers(
    system: SystemKind,
    noise: f64,
    dir: &Path,
    device: &Device,
) -> Result<Vec<ResNetStepper>> {
    let suffix = format!("_noise{}.pt", python_float(noise));
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("model_D") && n.ends_with(&suffix))
        })
        .collect();
    if files.is_empty() {
        return Err(Error::bad_file(dir, format!("no model_D<k>{suffix} files")));
    }
    files.sort();
    let mut steppers = files
        .iter()
        .map(|f| import_torch(f, system.default_dt())?.to_device(device))
        .collect::<Result<Vec<_>>>()?;
    steppers.sort_by_key(|s| s.step_size());
    Ok(steppers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_and_paper_configs_keep_apart() {
        let q = OdeConfig::quick(SystemKind::Cubic);
        let p = OdeConfig::paper(SystemKind::Cubic);
        assert_eq!(p.arch, vec![2, 256, 256, 256, 2]);
        assert_eq!(p.steps.last(), Some(&1024));
        assert_eq!(q.sizes.n_points, p.sizes.n_points);
        assert_ne!(
            q.dir_under(Path::new("data")),
            p.dir_under(Path::new("data"))
        );
    }

    #[test]
    fn missing_original_models_name_the_folder() {
        let err = original_steppers(
            SystemKind::Hopf,
            0.0,
            Path::new("/nonexistent/hits"),
            &Device::Cpu,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("/nonexistent/hits"), "{err}");
    }
}
