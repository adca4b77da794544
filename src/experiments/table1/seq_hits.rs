//! HiTS for sequences: one ResNet stepper per step size, each with ONE hidden layer whose width
//! depends on the step size (`[D, w_k, D]`, as the original `seq_generations.ipynb`), trained on
//! chunked windows of a single normalised sequence, generating the whole sequence from its first
//! frame by the multiscale coupling ([`crate::forecast::multiscale_forecast`]).
//!
//! The sequence `z_0 .. z_{T-1}` (stored `[D, T]`) is cut for the stepper of step `s` with
//! `n_forward = m` recurrent steps into chunks of `L = s m` frames plus one
//! ([`crate::sequence::chunks::Chunks`]): chunk `c` is `z_{cL} .. z_{cL+L}`, its start
//! `x = z_{cL}`, its targets `z_{cL+s}, .., z_{cL+ms}`. The original zero-pads the last chunk
//! past `z_{T-1}` and trains on the zeros as if they were frames. Here the padded chunk is
//! instead REPLACED by the last real window on the step grid: the one starting at the largest
//! multiple of `s` that still fits (`a = floor((T-1-L) / s) s`, `z_a .. z_{a+L}`, overlapping
//! its predecessor), so every window is real data and the end of the sequence is still seen.
//! The start must be a multiple of `s`: with nested step sizes the coupling applies the stepper
//! of step `s` only at multiples of `s`, and a window off that grid teaches it pairs it is never
//! asked for while leaving out the ones it is (Fluid, 151 frames, steps 1, 4, 16, 64: a window
//! ending at the last frame started at 54, so the step-16 net never saw frames 96 and 128 as
//! inputs and the generated frames 112-127 and 144-150 were wrong). Two more rules, both for
//! steps that are long against the sequence:
//! - `m` is lowered to `floor((T - 1) / s)` when one window of `m` steps would not fit (KS's
//!   step 1296 with `T = 4001` trains on one window of 3 steps instead of 6 with 3 zeros);
//! - a step `s > T - 1` has no target at all and is left out (only in short quick runs).
//!
//! There is one sequence, so the validation windows are the training windows (the task is to
//! reproduce this sequence); best weights are kept by that loss every `eval_every` epochs.
//!
//! Generation: `zhat_0 = z_0`, then frames 1 .. T-1 from the multiscale coupling of all the
//! steppers started at `z_0` (largest step first, finer ones filling in, linear interpolation of
//! anything between computed points, which for step 1 present never happens).
//!
//! The parameter count of HiTS is the sum over its steppers (KS: 4 069 760, Fluid: 19 888).

use std::path::Path;

use candle_core::Device;
use ndarray::{s, Array2, Array3, ArrayView1, ArrayView2};

use super::HitsSeqConfig;
use crate::forecast::{multiscale_forecast, Stepper};
use crate::hierarchy::{train_hierarchy, Hierarchy, Provenance};
use crate::sequence::chunks::Chunks;
use crate::stepper::{HierarchySpec, Progress, TrainRun};
use crate::{Error, Result};

/// Step sizes that fit a sequence of `n_frames` and the `n_forward` each trains with:
/// `(s, min(n_forward, (n_frames - 1) / s))` for every `s <= n_frames - 1`, in the given order.
pub fn effective_steps(steps: &[usize], n_forward: usize, n_frames: usize) -> Vec<(usize, usize)> {
    let span = n_frames.saturating_sub(1);
    steps
        .iter()
        .filter(|&&s| s >= 1 && s <= span)
        .map(|&s| (s, n_forward.min(span / s).max(1)))
        .collect()
}

/// Training windows of the stepper of step `step` with `n_forward` steps over `z`
/// (`[D, T]`): `[n_windows, step * n_forward + 1, D]`, the chunks of [`Chunks`] with a padded
/// last chunk replaced by the last window that fits and starts at a multiple of `step`.
pub fn sequence_windows(z: ArrayView2<f64>, step: usize, n_forward: usize) -> Result<Array3<f64>> {
    let (dim, n_time) = z.dim();
    let len = step * n_forward;
    if n_time < len + 1 {
        return Err(Error::invalid(
            "step / n_forward",
            format!(
                "a window of {n_forward} steps of {step} needs {} frames, the sequence has {n_time}; \
                 lower n_forward (see effective_steps)",
                len + 1
            ),
        ));
    }
    let mut chunks = Chunks::new(z, step, n_forward)?;
    let last = chunks.n_chunks() - 1;
    if chunks.n_real(last) < len + 1 {
        let start = (n_time - 1 - len) / step * step;
        let tail = z.slice(s![.., start..start + len + 1]);
        chunks.data.slice_mut(s![last, .., ..]).assign(&tail.t());
    }
    debug_assert_eq!(chunks.data.dim(), (chunks.n_chunks(), len + 1, dim));
    Ok(chunks.data)
}

/// Train (or load finished checkpoints of) every stepper of `cfg` on the normalised sequence
/// `z` (`[D, T]`), one after another; see the module docs for the windows.
///
/// With `out_dir`, each stepper's best weights and training state go to
/// `out_dir/model_D<s>_noise0.0.*` after every validation check and an interrupted run resumes
/// there; `out_dir/hits_config.json` records the settings and a folder written with other
/// settings is refused.
pub fn train_seq_hits(
    z: ArrayView2<f64>,
    cfg: &HitsSeqConfig,
    device: &Device,
    out_dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Hierarchy> {
    let (dim, n_time) = z.dim();
    cfg.validate()?;
    let plan_steps = effective_steps(&cfg.steps, cfg.train.n_forward, n_time);
    if plan_steps.is_empty() {
        return Err(Error::invalid(
            "steps",
            format!(
                "no step size of {:?} fits a sequence of {n_time} frames",
                cfg.steps
            ),
        ));
    }
    if let Some(dir) = out_dir {
        check_or_write_config(dir, cfg, dim, n_time)?;
    }
    let (mut steppers, mut reports) = (Vec::new(), Vec::new());
    let (mut loaded, mut trained) = (Vec::new(), Vec::new());
    for &(step, n_forward) in &plan_steps {
        let windows = sequence_windows(z, step, n_forward)?;
        let arch = cfg
            .arch(step, dim)
            .ok_or_else(|| Error::invalid("steps", format!("no hidden width for step {step}")))?;
        // one stepper per spec: each step has its own width and n_forward (frames are dt = 1)
        let mut spec = HierarchySpec::new(arch, vec![step], cfg.train.clone());
        spec.train.n_forward = n_forward;
        spec.weight_seed = cfg.seed;
        let run = TrainRun {
            out_dir: out_dir.map(Path::to_path_buf),
            resume: true,
            ..TrainRun::in_memory(1.0)
        };
        let one = train_hierarchy(
            &spec,
            &run,
            windows.view(),
            windows.view(),
            device,
            progress,
        )?;
        loaded.extend(one.provenance.steps_loaded);
        trained.extend(one.provenance.steps_trained);
        steppers.extend(one.steppers);
        reports.extend(one.reports);
    }
    let source = Provenance::source_of(&loaded, &trained);
    let place = out_dir.map_or("in memory".to_string(), |d| {
        format!("checkpoints in {}", d.display())
    });
    let provenance = Provenance {
        quick: false,
        pretrained: false,
        source: source.into(),
        detail: format!("HiTS of a sequence, {place}: loaded {loaded:?}, trained {trained:?}"),
        steps_imported: vec![],
        epochs_cap: cfg.train.epochs,
        epochs: reports.iter().map(|r| r.epochs).collect(),
        steps_loaded: loaded,
        steps_trained: trained,
        seconds: reports.iter().map(|r| r.seconds).sum(),
    };
    Hierarchy::new(steppers, reports, provenance, device.clone())
}

/// Settings as stored in `hits_config.json`.
#[derive(serde::Serialize, serde::Deserialize, PartialEq)]
struct StoredConfig {
    hits: HitsSeqConfig,
    dim: usize,
    n_frames: usize,
}

fn check_or_write_config(
    dir: &Path,
    cfg: &HitsSeqConfig,
    dim: usize,
    n_frames: usize,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let path = dir.join("hits_config.json");
    let want = StoredConfig {
        hits: cfg.clone(),
        dim,
        n_frames,
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let have: StoredConfig = serde_json::from_str(&text).map_err(|e| {
            Error::bad_file(
                &path,
                format!(
                    "not a HiTS sequence config of this version ({e}): the steppers in {} \
                         were trained with other settings (e.g. the deep nets used before one \
                         stepper [D, w, D] per step size); remove the folder or choose another \
                         models folder",
                    dir.display()
                ),
            )
        })?;
        if have != want {
            return Err(Error::bad_file(
                &path,
                format!(
                    "the steppers in {} were trained with other settings ({} x {} frames, {:?}); \
                     remove the folder or choose another models folder",
                    dir.display(),
                    have.dim,
                    have.n_frames,
                    have.hits
                ),
            ));
        }
        return Ok(());
    }
    let text = serde_json::to_string_pretty(&want)?;
    crate::io::write_bytes_atomic(&path, text.as_bytes())
}

/// Generate `n_frames` frames `[n_frames, D]` from `first` (frame 0, returned as is) by the
/// multiscale coupling of every stepper of `hits` (trained by [`train_seq_hits`]), through
/// candle's forward as the steppers were trained.
pub fn generate(hits: &Hierarchy, first: ArrayView1<f64>, n_frames: usize) -> Result<Array2<f64>> {
    let dim = hits.dim();
    if first.len() != dim || n_frames == 0 {
        return Err(Error::shape(
            "first frame / n_frames",
            format!("[{dim}] with n_frames >= 1"),
            format!("[{}], n_frames {n_frames}", first.len()),
        ));
    }
    let mut out = Array2::<f64>::zeros((n_frames, dim));
    out.row_mut(0).assign(&first);
    if n_frames == 1 {
        return Ok(out);
    }
    let x0 = first.to_owned().insert_axis(ndarray::Axis(0));
    let refs: Vec<&dyn Stepper> = hits.steppers.iter().map(|s| s as &dyn Stepper).collect();
    let pred = multiscale_forecast(&refs, x0.view(), n_frames - 1)?;
    out.slice_mut(s![1.., ..])
        .assign(&pred.index_axis(ndarray::Axis(0), 0));
    Ok(out)
}
