//! Where an ODE experiment's steppers come from, said plainly: imported from the authors'
//! public PyTorch models, loaded from finished checkpoints, or trained (fresh or resumed) now.
//!
//! [`obtain_steppers`] wraps [`crate::experiments::ode::ensure_steppers_with_reports`] and
//! [`crate::experiments::ode::original_steppers`] and returns a [`Hierarchy`] with a
//! [`Provenance`] that every table and JSON summary of the experiments carries, so no result
//! hides whether it was made with the paper's own weights or with a (possibly capped) training
//! run of ours.

use std::path::Path;
use std::time::Instant;

use candle_core::Device;

use crate::data::DataSet;
use crate::experiments::ode::{ensure_steppers_with_reports, original_steppers};
use crate::hierarchy::{Hierarchy, Provenance};
use crate::problem::OdeProblem;
use crate::stepper::checkpoint::{checkpoint_stem, with_suffix};
use crate::stepper::{Progress, ResNetStepper, TrainReport};
use crate::Result;

/// Where the authors' public PyTorch models are expected, relative to the crate root:
/// `<ORIGINAL_MODELS>/<System>/model_D<k>_noise<n>.pt` (Hyperbolic, Cubic, VanDerPol, Hopf).
pub const ORIGINAL_MODELS: &str = "../shared/data/original_models";

/// The steppers of `cfg` at `noise`: with `pretrained = Some(root)` the authors' models of
/// `root/<folder>/` are imported when that folder exists (Lorenz has none: then the steppers
/// are trained and the provenance says why); otherwise finished checkpoints under
/// [`OdeProblem::dir_under`]`(models_root)` are loaded and the rest trained on `data`.
/// Imported hierarchies are cut to `cfg.steps`.
pub fn obtain_steppers(
    cfg: &OdeProblem,
    noise: f64,
    data: &DataSet,
    models_root: &Path,
    pretrained: Option<&Path>,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Hierarchy> {
    let start = Instant::now();
    let mut note = String::new();
    if let Some(root) = pretrained {
        let dir = root.join(&cfg.folder);
        if dir.is_dir() {
            let mut steppers = original_steppers(cfg, noise, &dir, device)?;
            steppers.retain(|s| cfg.hierarchy.steps.contains(&s.step_size()));
            let steps: Vec<usize> = steppers.iter().map(|s| s.step_size()).collect();
            let provenance = Provenance {
                quick: cfg.quick,
                pretrained: true,
                source: "imported".into(),
                detail: format!(
                    "the authors' PyTorch models, imported from {}",
                    dir.display()
                ),
                steps_imported: steps,
                steps_loaded: vec![],
                steps_trained: vec![],
                epochs_cap: 0,
                epochs: vec![],
                seconds: start.elapsed().as_secs_f64(),
            };
            return Hierarchy::new(steppers, vec![], provenance, device.clone());
        }
        note = format!(
            "no original models at {} (trained instead); ",
            dir.display()
        );
    }
    let dir = cfg.dir_under(models_root);
    let resumable: Vec<usize> = cfg
        .hierarchy
        .steps
        .iter()
        .copied()
        .filter(|&k| with_suffix(&checkpoint_stem(&dir, k, noise), ".state.json").exists())
        .collect();
    let mut trained: Vec<usize> = Vec::new();
    let mut record = |p: &Progress| {
        if !trained.contains(&p.step_size) {
            trained.push(p.step_size);
        }
        progress(p);
    };
    let pairs = ensure_steppers_with_reports(cfg, noise, data, models_root, device, &mut record)?;
    let (steppers, reports): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
    let all: Vec<usize> = steppers
        .iter()
        .map(|s: &ResNetStepper| s.step_size())
        .collect();
    trained.sort_unstable();
    let loaded: Vec<usize> = all
        .iter()
        .copied()
        .filter(|k| !trained.contains(k))
        .collect();
    let resumed: Vec<usize> = trained
        .iter()
        .copied()
        .filter(|k| resumable.contains(k))
        .collect();
    let source = match (loaded.is_empty(), trained.is_empty()) {
        (_, true) => "loaded",
        (true, false) => "trained",
        (false, false) => "mixed",
    };
    let detail = format!(
        "{note}checkpoints in {}: loaded {:?}, trained {:?}{} (epoch limit {})",
        dir.display(),
        loaded,
        trained,
        if resumed.is_empty() {
            String::new()
        } else {
            format!(" (resumed {resumed:?})")
        },
        cfg.hierarchy.train.epochs
    );
    let provenance = Provenance {
        quick: cfg.quick,
        pretrained: pretrained.is_some(),
        source: source.into(),
        detail,
        steps_imported: vec![],
        steps_loaded: loaded,
        steps_trained: trained,
        epochs_cap: cfg.hierarchy.train.epochs,
        epochs: reports.iter().map(|r: &TrainReport| r.epochs).collect(),
        seconds: start.elapsed().as_secs_f64(),
    };
    Hierarchy::new(steppers, reports, provenance, device.clone())
}
