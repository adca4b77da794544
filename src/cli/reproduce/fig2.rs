//! `hits reproduce fig2`: Figure 2, the motivating example.

use std::io::IsTerminal;
use std::time::Instant;

use hits::experiments::fig2;
use hits::progress::Progress;

use super::ReproduceArgs;

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut cfg = hits::problem::harmonic()
        .select(quick)
        .with_epoch_cap(args.epochs);
    let dev = args.device()?;
    cfg.hierarchy.batched = dev.is_cuda();
    eprintln!(
        "Figure 2{}: harmonic oscillator, {} / {} / {} trajectories of {} points, steppers {:?} x dt {}, {} epochs",
        if quick { " (quick mode)" } else { "" },
        cfg.sizes.n_train,
        cfg.sizes.n_val,
        cfg.sizes.n_test,
        cfg.sizes.n_points,
        cfg.hierarchy.steps,
        cfg.dt,
        cfg.hierarchy.train.epochs
    );
    let data = fig2::make_data(&cfg)?;
    // Quick and full runs keep their checkpoints apart, so neither resumes from the other.
    let models = fig2::models_dir(&args.models, quick);
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| Progress::bar("training", cfg.hierarchy.train.epochs as u64));
    let hierarchy = fig2::train_steppers(&cfg, &data, &dev, Some(&models), &mut |p| match &bar {
        Some(bar) => {
            bar.set_position(p.epoch as u64);
            bar.set_message(format!("step {} val {:.2e}", p.step_size, p.val_loss));
        }
        None => eprintln!("{p}"),
    })?;
    if let Some(bar) = bar {
        bar.finish();
    }
    let train_seconds = start.elapsed().as_secs_f64();
    let result = fig2::evaluate(&cfg, &hierarchy, &data)?;
    // A quick run writes under <out>/quick/, never over the full run's figure.
    let paths = result.save(&super::results_root(args, quick))?;
    println!("{}", result.table_markdown());
    println!(
        "selected step sizes {:?}; multiscale below every single scale at {:.1}% of the time steps",
        result.selected_steps(),
        100.0 * result.fraction_below_all()
    );
    for p in paths {
        println!("wrote {}", p.display());
    }
    println!(
        "data + training {:.1} s, total {:.1} s",
        train_seconds,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
