//! Making plans: the tasks of `all-ode`, of Table 1 and of a data folder of one's own.
//!
//! Each builder splits exactly what the one-process command does into tasks, with the same
//! settings, so the sweep's files equal the one-process run's: a training task trains one
//! stepper of step `k` from seed `weight_seed + k` with sampler seed `train.seed + k`, which
//! is what the one-process run gives that stepper (see [`crate::stepper::train_hierarchy`]).

use std::path::{Path, PathBuf};

use super::plan::{noise_tag, Plan, Settings, Work, NOISY_LEVELS, ODE_EVALS};
use crate::data::npy::python_float;
use crate::experiments::table1::report::MODELS;
use crate::experiments::table1::SeqData;
use crate::problem::OdeProblem;
use crate::{Error, Result, SystemKind};

/// A task before it has its index: id, work, ids of its inputs, the one-process command.
type Entry = (String, Work, Vec<String>, String);

fn quick_flag(quick: bool) -> &'static str {
    if quick {
        " --quick"
    } else {
        ""
    }
}

fn check_noises(noises: &[f64]) -> Result<()> {
    if let Some(n) = noises.iter().find(|n| !(n.is_finite() && **n >= 0.0)) {
        return Err(Error::invalid(
            "--noise",
            format!("noise levels must be finite and >= 0, got {n}"),
        ));
    }
    if !noises.contains(&0.0) {
        return Err(Error::invalid(
            "--noise",
            format!("{noises:?}: the evaluations need the noise-free steppers; include 0"),
        ));
    }
    Ok(())
}

fn names(systems: &[SystemKind]) -> String {
    systems
        .iter()
        .map(|s| s.name().to_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

/// `all-ode` for `systems` at `noises` (0 among them): one data task, one training task per
/// (system, noise, step size) and one task per evaluation of [`ODE_EVALS`] (`noisy` only when
/// `noises` holds 0, 1% and 2%, which it trains at). Returns the plan and notes on what was
/// left out.
pub fn all_ode(
    systems: &[SystemKind],
    noises: &[f64],
    quick: bool,
    root: PathBuf,
    settings: Settings,
) -> Result<(Plan, Vec<String>)> {
    if systems.is_empty() {
        return Err(Error::invalid("--systems", "give at least one system"));
    }
    check_noises(noises)?;
    let q = quick_flag(quick);
    let sys = names(systems);
    let cap = settings
        .epochs
        .map_or(String::new(), |e| format!(" --epochs {e}"));
    let mut entries: Vec<Entry> = vec![(
        "data".into(),
        Work::OdeData {
            systems: systems.to_vec(),
            noises: noises.to_vec(),
        },
        vec![],
        format!("hits reproduce data-generation --system {sys}{q}"),
    )];
    let mut train_ids: Vec<(f64, String)> = Vec::new();
    for &system in systems {
        let problem = system.problem().select(quick);
        for &noise in noises {
            for &step in &problem.hierarchy.steps {
                let id = format!("train-{}-{}-D{step}", problem.folder, noise_tag(noise));
                let exp = if noise == 0.0 {
                    "model-training"
                } else {
                    "noisy"
                };
                entries.push((
                    id.clone(),
                    Work::OdeTrain {
                        system,
                        noise,
                        step,
                    },
                    vec!["data".into()],
                    format!(
                        "hits reproduce {exp} --system {}{q}{cap}",
                        system.name().to_lowercase()
                    ),
                ));
                train_ids.push((noise, id));
            }
        }
    }
    let mut notes = Vec::new();
    let all_levels = NOISY_LEVELS.iter().all(|n| noises.contains(n));
    for exp in ODE_EVALS {
        if exp == "noisy" && !all_levels {
            notes.push(format!(
                "noisy: not planned (it trains at noise {NOISY_LEVELS:?}; --noise gives {noises:?})"
            ));
            continue;
        }
        let deps = train_ids
            .iter()
            .filter(|(n, _)| exp == "noisy" || *n == 0.0)
            .map(|(_, id)| id.clone())
            .collect();
        entries.push((
            exp.to_string(),
            Work::OdeEval {
                experiment: exp.into(),
                systems: systems.to_vec(),
            },
            deps,
            format!(
                "hits reproduce {} --system {sys}{q}{cap}",
                exp.replace('_', "-")
            ),
        ));
    }
    Ok((Plan::new("all-ode", quick, root, settings, entries)?, notes))
}

/// A data folder of one's own (`hits train --data-dir D` and `hits forecast --data-dir D`):
/// one training task per (noise, step size), one forecast per noise level.
pub fn given(
    data_dir: &Path,
    dt: Option<f64>,
    steps: &[usize],
    noises: &[f64],
    quick: bool,
    root: PathBuf,
    settings: Settings,
) -> Result<Plan> {
    check_noises(noises)?;
    let problem = OdeProblem::from_data_dir(data_dir, dt)?.select(quick);
    let n_forward = crate::stepper::TrainConfig::default().n_forward;
    if let Some(k) = steps
        .iter()
        .find(|&&k| k == 0 || k * n_forward + 1 > problem.sizes.n_points)
    {
        return Err(Error::invalid(
            "--steps",
            format!(
                "step {k} does not fit {}: trajectories of {} points, {n_forward} steps forward",
                data_dir.display(),
                problem.sizes.n_points
            ),
        ));
    }
    let q = quick_flag(quick);
    let dt_flag = dt.map_or(String::new(), |d| format!(" --dt {}", python_float(d)));
    let cap = settings
        .epochs
        .map_or(String::new(), |e| format!(" --epochs {e}"));
    let list = steps
        .iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut entries: Vec<Entry> = Vec::new();
    for &noise in noises {
        let mut ids = Vec::new();
        for &step in steps {
            let id = format!("train-{}-{}-D{step}", problem.folder, noise_tag(noise));
            entries.push((
                id.clone(),
                Work::GivenTrain {
                    data_dir: data_dir.to_path_buf(),
                    dt,
                    noise,
                    step,
                },
                vec![],
                format!(
                    "hits train --data-dir {}{dt_flag} --step-sizes {list} --noise {}{q}{cap}",
                    data_dir.display(),
                    python_float(noise)
                ),
            ));
            ids.push(id);
        }
        entries.push((
            format!("forecast-{}-{}", problem.folder, noise_tag(noise)),
            Work::GivenForecast {
                data_dir: data_dir.to_path_buf(),
                dt,
                noise,
            },
            ids,
            format!(
                "hits forecast --data-dir {}{dt_flag} --noise {}{q}",
                data_dir.display(),
                python_float(noise)
            ),
        ));
    }
    Plan::new("problem", quick, root, settings, entries)
}

/// Table 1 for `data` (names as `--data`: ks, bach, fluid, flower): per data set one data
/// task and one task per model, then one task writing the tables and figures.
pub fn table1(data: &[String], quick: bool, root: PathBuf, settings: Settings) -> Result<Plan> {
    let sets: Vec<SeqData> = if data.is_empty() {
        SeqData::ALL.to_vec()
    } else {
        data.iter()
            .map(|d| SeqData::parse(d))
            .collect::<Result<_>>()?
    };
    let q = quick_flag(quick);
    let cap = settings
        .epochs
        .map_or(String::new(), |e| format!(" --epochs {e}"))
        + &settings
            .baseline_epochs
            .map_or(String::new(), |e| format!(" --baseline-epochs {e}"));
    let list = sets
        .iter()
        .map(|d| d.name().to_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    let mut entries: Vec<Entry> = Vec::new();
    let mut models = Vec::new();
    for d in &sets {
        let data_id = format!("data-{}", d.name());
        entries.push((
            data_id.clone(),
            Work::SeqData {
                data: d.name().into(),
            },
            vec![],
            format!("hits data {}{q}", d.name().to_lowercase()),
        ));
        for m in MODELS {
            let id = format!("{}-{}", d.name(), m.to_lowercase().replace('-', ""));
            entries.push((
                id.clone(),
                Work::SeqModel {
                    data: d.name().into(),
                    model: m.into(),
                },
                vec![data_id.clone()],
                format!(
                    "hits reproduce table1 --data {}{q}{cap}",
                    d.name().to_lowercase()
                ),
            ));
            models.push(id);
        }
    }
    entries.push((
        "table1".into(),
        Work::Table1 {
            data: sets.iter().map(|d| d.name().to_string()).collect(),
        },
        models,
        format!("hits reproduce table1 --data {list}{q}{cap}"),
    ));
    Plan::new("table1", quick, root, settings, entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::plan::tests::settings;

    #[test]
    fn all_ode_has_one_training_task_per_system_noise_and_step() {
        let (plan, notes) = all_ode(
            &[SystemKind::Hyperbolic, SystemKind::VanDerPol],
            &[0.0, 0.01, 0.02],
            true,
            "/tmp".into(),
            settings(),
        )
        .unwrap();
        let train = plan.stage(super::super::Stage::Train);
        assert_eq!(train.len(), 2 * 3 * 11);
        assert!(notes.is_empty(), "{notes:?}");
        let noisy = plan.tasks.iter().find(|t| t.id == "noisy").unwrap();
        assert_eq!(noisy.depends_on.len(), 66);
        let ms = plan
            .tasks
            .iter()
            .find(|t| t.id == "multiscale_hits")
            .unwrap();
        assert_eq!(ms.depends_on.len(), 22, "noise 0 steppers only");
        let (plan, notes) = all_ode(
            &[SystemKind::Hyperbolic],
            &[0.0],
            false,
            "/tmp".into(),
            settings(),
        )
        .unwrap();
        assert!(notes[0].contains("noisy: not planned"), "{notes:?}");
        assert!(!plan.tasks.iter().any(|t| t.id == "noisy"));
        let err = all_ode(
            &[SystemKind::Hyperbolic],
            &[0.01],
            true,
            "/tmp".into(),
            settings(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("include 0"), "{err}");
    }

    #[test]
    fn table1_has_one_task_per_data_set_and_model() {
        let plan = table1(
            &["ks".into(), "fluid".into()],
            true,
            "/tmp".into(),
            settings(),
        )
        .unwrap();
        assert_eq!(plan.tasks.len(), 2 * 5 + 1);
        assert_eq!(plan.tasks.last().unwrap().depends_on.len(), 8);
        assert!(table1(&["nope".into()], true, "/tmp".into(), settings()).is_err());
    }
}
