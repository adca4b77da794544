//! What a checkpoint says about itself ([`StepperMeta`]), and the checks made against it when
//! it is loaded or resumed ([`ExpectedStepper`], [`frozen_changes`]).
//!
//! The metadata records the architecture, step size, dt, system name, noise level, epochs,
//! best validation loss, the loss history, the weight seed, the training settings and their
//! phases: a resumed run whose learning rate, epoch cap, minibatch size or check interval
//! differs from the last phase's adds a [`TrainPhase`] starting at the epoch it resumed from,
//! so the history says which settings trained which epochs. Settings that define what is
//! trained (architecture, n_forward, the loss, seeds, the target loss) cannot change within a
//! run: [`frozen_changes`] names them and resuming refuses.

use serde::{Deserialize, Serialize};

use super::resnet::ResNetStepper;
use super::train_config::TrainConfig;
use crate::data::npy::python_float;

/// Format tag written in every sidecar (and in the metadata inside the `.safetensors`).
pub const FORMAT: &str = "hits.resnet_stepper.v1";

/// Settings of one phase of a run, from `from_epoch` on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainPhase {
    pub from_epoch: usize,
    pub config: TrainConfig,
}

/// The JSON sidecar of a stepper checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepperMeta {
    pub format: String,
    /// The data's name (the data folder's, e.g. `Hyperbolic`; older files hold the same names).
    pub system: Option<String>,
    pub arch: Vec<usize>,
    pub step_size: usize,
    pub dt: f64,
    pub noise: f64,
    /// Epochs trained.
    pub epochs: usize,
    /// Best validation loss (`None`: never validated).
    pub best_val_loss: Option<f64>,
    /// `(epoch, train loss, validation loss)`; `None` where a loss was not finite.
    pub history: Vec<(usize, Option<f64>, Option<f64>)>,
    /// Seed of the initial weights.
    pub seed: Option<u32>,
    /// The settings of the last phase.
    pub train_config: Option<TrainConfig>,
    /// Every phase of the run, oldest first (empty in files of older versions).
    #[serde(default)]
    pub phases: Vec<TrainPhase>,
    /// Where the weights came from when not trained here (e.g. an imported `.pt` file).
    pub source: Option<String>,
    /// SHA-256 of the training and validation trajectories it was trained on
    /// ([`crate::data::trajectories_sha256`]); absent in files of older versions and imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sha256: Option<String>,
}

/// What a checkpoint must have been made for; `None` fields are not checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectedStepper {
    /// The data's name, compared ignoring ASCII case (a checkpoint without one passes).
    pub system: Option<String>,
    pub arch: Option<Vec<usize>>,
    /// State dimension (the first layer width).
    pub dim: Option<usize>,
    pub dt: Option<f64>,
    pub noise: Option<f64>,
    pub step_size: Option<usize>,
    /// Seed of the initial weights (a checkpoint without one passes).
    pub seed: Option<u32>,
    /// Hash of the training data ([`StepperMeta::data_sha256`]; a checkpoint without one
    /// passes).
    pub data_sha256: Option<String>,
}

impl StepperMeta {
    /// Metadata describing `stepper`, with nothing trained yet.
    pub fn new(stepper: &ResNetStepper, system: Option<&str>, noise: f64) -> Self {
        StepperMeta {
            format: FORMAT.to_string(),
            system: system.map(str::to_string),
            arch: stepper.arch().to_vec(),
            step_size: stepper.step_size(),
            dt: stepper.dt(),
            noise,
            epochs: 0,
            best_val_loss: None,
            history: Vec::new(),
            seed: None,
            train_config: None,
            phases: Vec::new(),
            source: None,
            data_sha256: None,
        }
    }

    /// Record a training history (non-finite values become `None`).
    pub fn set_history(&mut self, history: &[(usize, f64, f64)]) {
        let fin = |v: f64| v.is_finite().then_some(v);
        self.history = history
            .iter()
            .map(|&(e, t, v)| (e, fin(t), fin(v)))
            .collect();
    }

    /// The history with `None` as NaN.
    pub fn history_f64(&self) -> Vec<(usize, f64, f64)> {
        self.history
            .iter()
            .map(|&(e, t, v)| (e, t.unwrap_or(f64::NAN), v.unwrap_or(f64::NAN)))
            .collect()
    }

    /// The phases, with those of files of older versions (which had only `train_config`)
    /// rebuilt as one phase from epoch 0.
    pub fn phases_or_legacy(&self) -> Vec<TrainPhase> {
        match (&self.phases[..], &self.train_config) {
            ([], Some(cfg)) => vec![TrainPhase {
                from_epoch: 0,
                config: cfg.clone(),
            }],
            (p, _) => p.to_vec(),
        }
    }

    /// Whether the weights were imported rather than trained by hits.
    pub fn is_imported(&self) -> bool {
        self.source.is_some() && self.train_config.is_none()
    }

    /// What differs from `e`, as `"step size 2 (expected 4), dt 0.05 (expected 0.01)"`, or
    /// `None` when the checkpoint fits.
    pub fn mismatch(&self, e: &ExpectedStepper) -> Option<String> {
        let mut d = Vec::new();
        if let (Some(want), Some(have)) = (&e.system, &self.system) {
            if !want.eq_ignore_ascii_case(have) {
                d.push(format!("system {have} (expected {want})"));
            }
        }
        if let Some(arch) = &e.arch {
            if *arch != self.arch {
                d.push(format!("arch {:?} (expected {arch:?})", self.arch));
            }
        }
        if let Some(dim) = e.dim {
            if self.arch.first() != Some(&dim) {
                let have = self.arch.first().map_or("none".into(), |v| v.to_string());
                d.push(format!("dim {have} (expected {dim})"));
            }
        }
        if let Some(dt) = e.dt {
            if (self.dt - dt).abs() > 1e-12 * dt.abs() {
                d.push(format!("dt {} (expected {dt})", self.dt));
            }
        }
        if let Some(noise) = e.noise {
            if python_float(noise) != python_float(self.noise) {
                d.push(format!(
                    "noise {} (expected {})",
                    python_float(self.noise),
                    python_float(noise)
                ));
            }
        }
        if let Some(step) = e.step_size {
            if self.step_size != step {
                d.push(format!("step size {} (expected {step})", self.step_size));
            }
        }
        if let (Some(want), Some(have)) = (e.seed, self.seed) {
            if want != have {
                d.push(format!("weight seed {have} (expected {want})"));
            }
        }
        if let (Some(want), Some(have)) = (&e.data_sha256, &self.data_sha256) {
            if want != have {
                let short = |h: &str| h.chars().take(12).collect::<String>();
                d.push(format!(
                    "trained on other data (sha256 {}... of its trajectories, this data {}...: \
                     another data set of the same name?)",
                    short(have),
                    short(want)
                ));
            }
        }
        (!d.is_empty()).then(|| d.join(", "))
    }
}

/// The settings that may change when a run is resumed; each change starts a [`TrainPhase`].
pub const PHASE_SETTINGS: [&str; 4] = ["lr", "epochs", "batch_size", "eval_every"];

/// The settings other than [`PHASE_SETTINGS`] that differ between `old` and `new`, as
/// `"n_forward 5 -> 3"`: they define what is trained, and a resume that changes them is
/// refused. Any setting added to [`TrainConfig`] is frozen unless listed there.
pub fn frozen_changes(old: &TrainConfig, new: &TrainConfig) -> Vec<String> {
    changed_fields(old, new)
        .into_iter()
        .filter(|(k, _)| !PHASE_SETTINGS.contains(&k.as_str()))
        .map(|(k, v)| format!("{k} {v}"))
        .collect()
}

/// Whether `new` differs from `old` in a [`PHASE_SETTINGS`] field.
pub fn starts_new_phase(old: &TrainConfig, new: &TrainConfig) -> bool {
    changed_fields(old, new)
        .iter()
        .any(|(k, _)| PHASE_SETTINGS.contains(&k.as_str()))
}

/// `(field, "old -> new")` for every field of the JSON form that differs.
fn changed_fields(old: &TrainConfig, new: &TrainConfig) -> Vec<(String, String)> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return vec![("train_config".into(), "unreadable".into())];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |v: Option<&serde_json::Value>| v.map_or("none".into(), |v| v.to_string());
            (
                k.clone(),
                format!("{} -> {}", show(a.get(k)), show(b.get(k))),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_and_phase_settings_are_told_apart() {
        let old = TrainConfig::default();
        let mut new = old.clone();
        new.lr = 1e-4;
        new.epochs = 5;
        assert!(frozen_changes(&old, &new).is_empty());
        assert!(starts_new_phase(&old, &new));
        new.n_forward = 3;
        new.seed = 7;
        assert_eq!(
            frozen_changes(&old, &new),
            vec!["n_forward 5 -> 3".to_string(), "seed 0 -> 7".to_string()]
        );
        assert!(!starts_new_phase(&old, &old.clone()));
    }

    #[test]
    fn older_files_with_a_system_kind_still_read() {
        let json = r#"{"format":"hits.resnet_stepper.v1","system":"VanDerPol","arch":[2,4,2],
            "step_size":2,"dt":0.01,"noise":0.0,"epochs":10,"best_val_loss":0.5,
            "history":[[10,0.6,0.5]],"seed":0,"train_config":null,"source":null}"#;
        let m: StepperMeta = serde_json::from_str(json).unwrap();
        assert_eq!(m.system.as_deref(), Some("VanDerPol"));
        assert!(m.phases.is_empty());
        let want = ExpectedStepper {
            system: Some("vanderpol".into()),
            dim: Some(2),
            step_size: Some(4),
            noise: Some(0.01),
            ..ExpectedStepper::default()
        };
        assert_eq!(
            m.mismatch(&want).unwrap(),
            "noise 0.0 (expected 0.01), step size 2 (expected 4)"
        );
    }
}
