//! Where an ODE experiment's steppers come from, said plainly: imported from the authors'
//! public PyTorch models, loaded from finished checkpoints, or trained (fresh or resumed) now.
//!
//! [`obtain_steppers`] wraps [`crate::experiments::ode::ensure_hierarchy`] and
//! [`Hierarchy::import_original`] and returns a [`Hierarchy`] with a
//! [`Provenance`] that every table and JSON summary of the experiments carries, so no result
//! hides whether it was made with the paper's own weights or with a (possibly capped) training
//! run of ours.

use std::path::Path;
use std::time::Instant;

use candle_core::Device;

use crate::data::DataSet;
use crate::experiments::ode::ensure_hierarchy;
use crate::hierarchy::Hierarchy;
use crate::problem::OdeProblem;
use crate::stepper::Progress;
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
            let mut hierarchy = Hierarchy::import_original(&dir, noise, cfg.dt, device)?
                .retain_steps(&cfg.hierarchy.steps)?;
            hierarchy.provenance.quick = cfg.quick;
            hierarchy.provenance.seconds = start.elapsed().as_secs_f64();
            return Ok(hierarchy);
        }
        note = format!(
            "no original models at {} (trained instead); ",
            dir.display()
        );
    }
    let mut hierarchy = ensure_hierarchy(cfg, noise, data, models_root, device, progress)?;
    let p = &mut hierarchy.provenance;
    p.pretrained = pretrained.is_some();
    p.detail = format!("{note}{}", p.detail);
    p.seconds = start.elapsed().as_secs_f64();
    Ok(hierarchy)
}
