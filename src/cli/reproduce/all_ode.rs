//! `hits reproduce all-ode`: every ODE experiment of the paper in order (data, training,
//! Figure 5 / Table 5, hybrid, noise, increment), then `REPORT.md` with every table and figure.
//!
//! An experiment is skipped when its results are up to date: its folder holds a stamp written
//! by an earlier `all-ode` run with the same settings, newer than every data set and checkpoint
//! it read. Data sets and trained steppers are reused anyway (made once, see
//! `hits::experiments::ode`), so a rerun after an interruption continues where it stopped.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::Context;
use hits::experiments::report::{files_under, write_report};
use hits::io::write_bytes_atomic;

use super::{multiscale_hits::systems, results_root, ReproduceArgs};

type Step = fn(&ReproduceArgs, bool) -> anyhow::Result<()>;

/// The experiments, in order: results folder and entry point.
const STEPS: [(&str, Step); 6] = [
    ("data_generation", super::data_generation::run),
    ("model_training", super::model_training::run),
    ("multiscale_hits", super::multiscale_hits::run),
    ("hybrid", super::hybrid::run),
    ("noisy", super::noisy::run),
    ("increment", super::increment::run),
];

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let start = Instant::now();
    let root = results_root(args, quick);
    let systems = systems(args);
    let settings = format!(
        "{{\"systems\": {:?}, \"quick\": {quick}, \"epochs\": {:?}, \"pretrained\": {}, \"cuda\": {}}}\n",
        systems.iter().map(|s| s.name()).collect::<Vec<_>>(),
        args.epochs,
        args.pretrained,
        args.wants_cuda()
    );
    // Everything the experiments read: the data sets and checkpoints of the chosen systems.
    let inputs: Vec<PathBuf> = systems
        .iter()
        .flat_map(|&s| {
            let cfg = s.problem().select(quick);
            [cfg.dir_under(&args.data_dir), cfg.dir_under(&args.models)]
        })
        .collect();
    if let Some(bad) = args
        .skip
        .iter()
        .find(|s| !STEPS.iter().any(|(n, _)| n == s))
    {
        anyhow::bail!(
            "--skip {bad}: not an ODE experiment; choose from {:?}",
            STEPS.map(|(n, _)| n)
        );
    }
    let mut timings = Vec::new();
    for (name, step) in STEPS {
        if args.skip.iter().any(|s| s == name) {
            eprintln!("== {name}: skipped (--skip)");
            timings.push((name, None));
            continue;
        }
        let stamp = root.join(name).join(".all-ode-stamp.json");
        if up_to_date(&stamp, &settings, &inputs) {
            eprintln!("== {name}: up to date ({}), skipped", stamp.display());
            timings.push((name, None));
            continue;
        }
        eprintln!("== {name}");
        let t0 = Instant::now();
        step(args, quick).with_context(|| format!("all-ode: {name}"))?;
        std::fs::create_dir_all(root.join(name))?;
        write_bytes_atomic(&stamp, settings.as_bytes())?;
        timings.push((name, Some(t0.elapsed().as_secs_f64())));
    }
    let report = write_ode_report(&root, quick, args.epochs)?;
    println!(
        "\nall-ode finished in {:.1} s:",
        start.elapsed().as_secs_f64()
    );
    for (name, t) in timings {
        match t {
            Some(t) => println!("  {name:<16} {t:>9.1} s"),
            None => println!("  {name:<16}   skipped"),
        }
    }
    println!("wrote {}", report.display());
    Ok(())
}

/// `<root>/REPORT.md` of an ODE run (every system, so runs of single systems add up to one
/// report, "not run" for the others); also what `hits sweep collect` writes.
pub(crate) fn write_ode_report(
    root: &Path,
    quick: bool,
    epochs: Option<usize>,
) -> anyhow::Result<PathBuf> {
    let note = if quick {
        " (QUICK run: tiny data and nets, not the paper's sizes)".to_string()
    } else {
        match epochs {
            Some(cap) => format!(" (paper sizes, training capped at {cap} epochs per stepper)"),
            None => String::new(),
        }
    };
    Ok(write_report(
        root,
        &hits::SystemKind::NONLINEAR.map(|k| k.name()),
        &note,
    )?)
}

/// True when `stamp` holds `settings` and is newer than every file under `inputs`.
fn up_to_date(stamp: &Path, settings: &str, inputs: &[PathBuf]) -> bool {
    let Ok(text) = std::fs::read_to_string(stamp) else {
        return false;
    };
    if text != settings {
        return false;
    }
    let Some(stamped) = modified(stamp) else {
        return false;
    };
    inputs
        .iter()
        .all(|dir| newest_under(dir).is_none_or(|t| t <= stamped))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of any file under `dir` (recursively).
fn newest_under(dir: &Path) -> Option<SystemTime> {
    files_under(dir).iter().filter_map(|p| modified(p)).max()
}
