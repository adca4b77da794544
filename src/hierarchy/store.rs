//! A hierarchy read back from files: our finished checkpoints ([`Hierarchy::load`]) or the
//! authors' public PyTorch models ([`Hierarchy::import_original`]). Writing and resuming
//! checkpoints is part of training ([`super::train_hierarchy`]), which also loads the finished
//! ones it finds; [`crate::experiments::multiscale_hits::obtain_steppers`] chooses among the
//! three for an experiment.

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Device;

use super::{Hierarchy, Provenance};
use crate::data::npy::python_float;
use crate::stepper::{import_torch, load_hierarchy_expecting, ExpectedStepper};
use crate::{Error, Result};

impl Hierarchy {
    /// Every checkpoint `dir/model_D*_noise<n>.safetensors` at `expected.noise` (0 if unset),
    /// each checked against `expected` (system, dimension, dt, noise, ...; the step size is each
    /// file's own), sorted by step size. The reports are left empty (the checkpoints' JSON keep
    /// the histories); the provenance says `loaded` and from where.
    pub fn load(dir: &Path, expected: &ExpectedStepper, device: &Device) -> Result<Hierarchy> {
        let start = Instant::now();
        let loaded = load_hierarchy_expecting(dir, expected, device)?;
        let steps: Vec<usize> = loaded.iter().map(|(s, _)| s.step_size()).collect();
        let epochs: Vec<usize> = loaded.iter().map(|(_, m)| m.epochs).collect();
        let provenance = Provenance {
            quick: false,
            pretrained: false,
            source: "loaded".into(),
            detail: format!("checkpoints in {}: loaded {steps:?}", dir.display()),
            steps_imported: vec![],
            steps_loaded: steps,
            steps_trained: vec![],
            epochs_cap: epochs.iter().copied().max().unwrap_or(0),
            epochs,
            seconds: start.elapsed().as_secs_f64(),
        };
        let steppers = loaded.into_iter().map(|(s, _)| s).collect();
        Hierarchy::new(steppers, vec![], provenance, device.clone())
    }

    /// The authors' PyTorch models `dir/model_D<k>_noise<n>.pt` (e.g.
    /// `../shared/data/original_models/Hyperbolic/`), imported for data of sampling interval
    /// `dt`, sorted by step size; the provenance says `imported` and from where.
    pub fn import_original(dir: &Path, noise: f64, dt: f64, device: &Device) -> Result<Hierarchy> {
        let start = Instant::now();
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
        let steppers = files
            .iter()
            .map(|f| import_torch(f, dt)?.to_device(device))
            .collect::<Result<Vec<_>>>()?;
        let mut steps: Vec<usize> = steppers.iter().map(|s| s.step_size()).collect();
        steps.sort_unstable();
        let provenance = Provenance {
            quick: false,
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
        Hierarchy::new(steppers, vec![], provenance, device.clone())
    }

    /// The hierarchy cut to the step sizes in `steps` (its provenance's step lists with it).
    /// Errors when none is left.
    pub fn retain_steps(mut self, steps: &[usize]) -> Result<Hierarchy> {
        let keep: Vec<bool> = self
            .steppers
            .iter()
            .map(|s| steps.contains(&s.step_size()))
            .collect();
        let mut i = 0;
        self.steppers.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        if !self.reports.is_empty() {
            let mut i = 0;
            self.reports.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
        let p = &mut self.provenance;
        for list in [
            &mut p.steps_imported,
            &mut p.steps_loaded,
            &mut p.steps_trained,
        ] {
            list.retain(|k| steps.contains(k));
        }
        if self.steppers.is_empty() {
            return Err(Error::invalid(
                "hierarchy",
                format!("none of its steppers has a step size in {steps:?}"),
            ));
        }
        Ok(self)
    }
}
