//! `hits reproduce hybrid`: Figure 6B, Figure 9 and Table 9 (RK4 vs the hybrid NN + RK4) for
//! each --system (default: all five).

use std::path::Path;
use std::time::Instant;

use std::io::IsTerminal;

use hits::experiments::hybrid::{self, results_dir, PAPER_H};
use hits::experiments::multiscale_hits::ORIGINAL_MODELS;
use hits::progress::Progress;

use super::multiscale_hits::{config, show_progress, systems};
use super::ReproduceArgs;

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let dev = args.device()?;
    let pretrained = args.pretrained.then(|| Path::new(ORIGINAL_MODELS));
    for kind in systems(args) {
        let start = Instant::now();
        let cfg = config(args, kind, quick, dev.is_cuda());
        eprintln!(
            "{kind}{}: {} test trajectories of {} points, coarse stepper {} dt, RK4 h = {:?} dt",
            if quick { " (quick mode)" } else { "" },
            cfg.sizes.n_test,
            cfg.sizes.n_points,
            cfg.hierarchy.steps.iter().max().copied().unwrap_or(0),
            PAPER_H
        );
        // the experiment trains (or loads) the coarse stepper alone
        let bar = std::io::stderr()
            .is_terminal()
            .then(|| Progress::bar("training", cfg.hierarchy.train.epochs as u64));
        let result = hybrid::run(
            &cfg,
            &args.data_dir,
            &args.models,
            pretrained,
            &PAPER_H,
            &dev,
            &mut |p| show_progress(&bar, p),
        )?;
        if let Some(bar) = bar {
            bar.finish();
        }
        let p = &result.provenance;
        println!(
            "{kind}: coarse stepper {} in {:.1} s: {}",
            p.source, p.seconds, p.detail
        );
        println!("\n{}", result.table_markdown());
        println!(
            "{kind}: the coarse stepper alone: test MSE {:.2e} in {:.3} s",
            result.coarse_mse, result.coarse_seconds
        );
        for path in result.save(&results_dir(&args.out, &cfg))? {
            println!("wrote {}", path.display());
        }
        println!("{kind}: done in {:.1} s\n", start.elapsed().as_secs_f64());
    }
    Ok(())
}
