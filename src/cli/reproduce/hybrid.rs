//! `hits reproduce hybrid`: Figure 6B, Figure 9 and Table 9 (RK4 vs the hybrid NN + RK4) for
//! each --system (default: all five).

use std::path::Path;
use std::time::Instant;

use hits::experiments::hybrid::{self, results_dir, PAPER_H};
use hits::experiments::multiscale_hits::ORIGINAL_MODELS;
use hits::experiments::ode::ensure_data;
use hits::forecast::StepperSet;

use super::multiscale_hits::{config, obtain_with_progress, systems};
use super::ReproduceArgs;

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let dev = args.device()?;
    let pretrained = args.pretrained.then(|| Path::new(ORIGINAL_MODELS));
    for kind in systems(args) {
        let start = Instant::now();
        let full = config(args, kind, quick, dev.is_cuda());
        let largest = full.hierarchy.steps.iter().copied().max().unwrap_or(1);
        // Only the coarse stepper is needed: train (or load) that one alone.
        let mut cfg = full;
        cfg.hierarchy.steps = vec![largest];
        eprintln!(
            "{kind}{}: {} test trajectories of {} points, coarse stepper {largest} dt, RK4 h = {:?} dt",
            if quick { " (quick mode)" } else { "" },
            cfg.sizes.n_test,
            cfg.sizes.n_points,
            PAPER_H
        );
        let data = ensure_data(&cfg, 0.0, &args.data_dir)?;
        let steppers = obtain_with_progress(&cfg, &data, &args.models, pretrained, &dev)?;
        let p = &steppers.provenance;
        println!(
            "{kind}: coarse stepper {} in {:.1} s: {}",
            p.source, p.seconds, p.detail
        );
        let coarse = steppers
            .largest()
            .ok_or_else(|| anyhow::anyhow!("{kind}: no stepper of step size {largest}"))?;
        let set = StepperSet::new(std::slice::from_ref(coarse), &dev)?;
        let result = hybrid::evaluate(&cfg, set.refs()[0], data.test.view(), &PAPER_H, p.clone())?;
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
