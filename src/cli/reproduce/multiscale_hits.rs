//! `hits reproduce multiscale-hits`: Figure 5 and Table 5 for each --system (default: all five).

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use hits::experiments::multiscale_hits::{
    evaluate_steppers, obtain_steppers, results_dir, Hierarchy, ORIGINAL_MODELS,
};
use hits::experiments::ode::ensure_data;
use hits::problem::OdeProblem;
use hits::progress::Progress;
use hits::SystemKind;

use super::ReproduceArgs;

/// The systems asked for, or all five nonlinear ones.
pub(super) fn systems(args: &ReproduceArgs) -> Vec<SystemKind> {
    if args.system.is_empty() {
        SystemKind::NONLINEAR.to_vec()
    } else {
        args.system.clone()
    }
}

/// The problem of `kind`, with quick mode and the `--epochs` cap applied (and said).
pub(super) fn config(
    args: &ReproduceArgs,
    kind: SystemKind,
    quick: bool,
    on_cuda: bool,
) -> OdeProblem {
    let mut cfg = kind.problem().select(quick);
    if let Some(cap) = args.epochs {
        if cap < cfg.hierarchy.train.epochs {
            eprintln!(
                "{kind}: training capped at {cap} epochs (configured {})",
                cfg.hierarchy.train.epochs
            );
            cfg.hierarchy.train.epochs = cap;
            cfg.hierarchy.train.eval_every = cfg.hierarchy.train.eval_every.min(cap.max(1));
        }
    }
    cfg.hierarchy.batched = on_cuda;
    cfg
}

/// Print a training report: an indicatif bar on a terminal, whole lines otherwise.
pub(super) fn show_progress(bar: &Option<Progress>, p: &hits::stepper::Progress) {
    match bar {
        Some(bar) => {
            bar.set_position(p.epoch as u64);
            bar.set_message(format!("step {} val {:.2e}", p.step_size, p.val_loss));
        }
        None => eprintln!("{p}"),
    }
}

/// [`obtain_steppers`] at noise 0 with training progress: an indicatif bar on a terminal,
/// whole lines otherwise.
pub(super) fn obtain_with_progress(
    cfg: &OdeProblem,
    data: &hits::data::DataSet,
    models: &Path,
    pretrained: Option<&Path>,
    dev: &candle_core::Device,
) -> anyhow::Result<Hierarchy> {
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| Progress::bar("training", cfg.hierarchy.train.epochs as u64));
    let steppers = obtain_steppers(cfg, 0.0, data, models, pretrained, dev, &mut |p| {
        show_progress(&bar, p)
    })?;
    if let Some(bar) = bar {
        bar.finish();
    }
    Ok(steppers)
}

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let dev = args.device()?;
    let pretrained = args.pretrained.then(|| Path::new(ORIGINAL_MODELS));
    for kind in systems(args) {
        let start = Instant::now();
        let cfg = config(args, kind, quick, dev.is_cuda());
        eprintln!(
            "{kind}{}: {} / {} / {} trajectories of {} points, steppers {:?} x dt {}",
            if quick { " (quick mode)" } else { "" },
            cfg.sizes.n_train,
            cfg.sizes.n_val,
            cfg.sizes.n_test,
            cfg.sizes.n_points,
            cfg.hierarchy.steps,
            cfg.dt,
        );
        let data = ensure_data(&cfg, 0.0, &args.data_dir)?;
        let steppers = obtain_with_progress(&cfg, &data, &args.models, pretrained, &dev)?;
        let p = &steppers.provenance;
        println!(
            "{kind}: steppers {} in {:.1} s: {}",
            p.source, p.seconds, p.detail
        );
        let result = evaluate_steppers(&cfg, &steppers, &data, 0.0)?;
        println!("\n{}", result.table_markdown());
        println!(
            "{kind}: selected step sizes {:?} dt (validation MSE {:.3e})",
            result.selected_steps(),
            result.selection.mse
        );
        for path in result.save(&results_dir(&args.out, &cfg))? {
            println!("wrote {}", path.display());
        }
        println!("{kind}: done in {:.1} s\n", start.elapsed().as_secs_f64());
    }
    Ok(())
}
