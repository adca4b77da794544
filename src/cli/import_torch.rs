//! `hits import-torch`: convert the original PyTorch models (`model_D{k}_noise{n}.pt`) into our
//! safetensors + JSON checkpoints.
//!
//! They go to `models/imported/<System>/` by default, apart from what `hits train` writes
//! (`models/<System>/`), so a training run never continues or replaces them unless asked. The
//! output folder is locked while it is written; a checkpoint trained by hits there is not
//! replaced without `--overwrite` (re-importing over an earlier import is fine).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use hits::data::quick_root;
use hits::io::FolderLock;
use hits::stepper::{checkpoint_stem, import_torch, ResNetStepper, StepperMeta};
use hits::SystemKind;

use crate::{note, say};

/// Arguments of `hits import-torch`.
#[derive(Debug, clap::Args)]
pub struct ImportTorchArgs {
    /// A `.pt` file, or a folder: imports every model_D*_noise*.pt in it.
    pub path: PathBuf,
    /// Output folder [default: models/imported/<System>/; quick mode models/quick/imported/<System>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace checkpoints trained by hits in the output folder.
    #[arg(long)]
    pub overwrite: bool,
    /// The system the models were trained on [default: from the folder name, e.g. .../Hopf/].
    #[arg(long, value_enum)]
    pub system: Option<SystemKind>,
    /// Quick mode (also HITS_QUICK=1): the default output folder is under models/quick/.
    #[arg(long)]
    pub quick: bool,
}

/// `(step, noise)` from `model_D{step}_noise{noise}.pt`.
fn parse_name(path: &Path) -> Option<(usize, f64)> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix("model_D")?.strip_suffix(".pt")?;
    let (step, noise) = rest.split_once("_noise")?;
    Some((step.parse().ok()?, noise.parse().ok()?))
}

pub fn run(args: ImportTorchArgs) -> anyhow::Result<()> {
    let files: Vec<PathBuf> = if args.path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&args.path)
            .with_context(|| format!("listing {}", args.path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| parse_name(p).is_some())
            .collect();
        v.sort_by_key(|p| parse_name(p).map(|(s, _)| s));
        v
    } else {
        vec![args.path.clone()]
    };
    if files.is_empty() {
        bail!("{}: no model_D<k>_noise<n>.pt files", args.path.display());
    }
    let folder = if args.path.is_dir() {
        args.path.clone()
    } else {
        args.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let system = match args.system {
        Some(s) => s,
        None => {
            let name = folder
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            SystemKind::from_name(&name).with_context(|| {
                format!("cannot tell the system from the folder name '{name}': pass --system")
            })?
        }
    };
    let problem = system.problem();
    let quick = args.quick || hits::data::quick_mode()?;
    let out = args.out.clone().unwrap_or_else(|| {
        quick_root(&PathBuf::from("models"), quick)
            .join("imported")
            .join(system.name())
    });
    let lock = FolderLock::acquire(&out, "hits import-torch")?;
    if let Some(n) = lock.removed_note() {
        note!("{n}");
    }
    // Nothing trained here is replaced without --overwrite: check every target first.
    for f in &files {
        let (step, noise) = parse_name(f)
            .with_context(|| format!("{}: expected a name model_D<k>_noise<n>.pt", f.display()))?;
        let stem = checkpoint_stem(&out, step, noise);
        let state = hits::stepper::state_file::state_path(&stem);
        let trained = state.exists()
            || match ResNetStepper::load_with_meta(&stem, &candle_core::Device::Cpu) {
                Ok((_, meta)) => !meta.is_imported(),
                Err(_) => hits::stepper::checkpoint::with_suffix(&stem, ".safetensors").exists(),
            };
        if trained && !args.overwrite {
            bail!(
                "{}.safetensors holds a checkpoint trained by hits (or an unreadable one); pass \
                 --overwrite to replace it, or choose another --out",
                stem.display()
            );
        }
    }
    for f in &files {
        let (step, noise) = parse_name(f)
            .with_context(|| format!("{}: expected a name model_D<k>_noise<n>.pt", f.display()))?;
        let stepper = import_torch(f, problem.dt)?;
        if stepper.step_size() != step {
            bail!(
                "{}: file name says step {step}, the model says {}",
                f.display(),
                stepper.step_size()
            );
        }
        if stepper.dim() != problem.dim() {
            bail!(
                "{}: a {}-dimensional model, but {} is {}-dimensional",
                f.display(),
                stepper.dim(),
                system.name(),
                problem.dim()
            );
        }
        let mut meta = StepperMeta::new(&stepper, Some(problem.folder.as_str()), noise);
        meta.source = Some(f.display().to_string());
        let stem = checkpoint_stem(&out, step, noise);
        let state = hits::stepper::state_file::state_path(&stem);
        if state.exists() {
            std::fs::remove_file(&state)
                .with_context(|| format!("removing {}", state.display()))?;
        }
        stepper.save(&stem, &meta)?;
        say!(
            "{} -> {}.safetensors (arch {:?}, step {})",
            f.display(),
            stem.display(),
            stepper.arch(),
            step
        );
    }
    Ok(())
}
