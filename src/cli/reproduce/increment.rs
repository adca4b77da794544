//! `hits reproduce increment`: Figure 10, the increment x(t + Δ) - x(t) over a grid of initial
//! states, exact and (with trained steppers under --models) learned.

use std::time::Instant;

use hits::experiments::increment::{self, IncrementConfig};
use hits::stepper::device::{select_device, DeviceChoice};
use hits::stepper::load_hierarchy;
use hits::SystemKind;

use super::ReproduceArgs;

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let systems = if args.system.is_empty() {
        SystemKind::NONLINEAR.to_vec()
    } else {
        args.system.clone()
    };
    let dev = select_device(DeviceChoice::Cpu)?;
    for system in systems {
        let start = Instant::now();
        let problem = system.problem().select(quick);
        let cfg = if quick {
            IncrementConfig::quick(&problem)?
        } else {
            IncrementConfig::paper(&problem)?
        };
        // Learned increments come from steppers already trained at noise 0 (none: exact only).
        let dir = problem.dir_under(&args.models);
        let steppers = match dir.is_dir().then(|| load_hierarchy(&dir, 0.0, &dev)) {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                eprintln!("{system}: exact increments only ({e})");
                Vec::new()
            }
            None => Vec::new(),
        };
        let result = increment::run(&cfg, &steppers)?;
        let paths = result.save(&super::results_root(args, quick).join("increment"))?;
        println!("{}", result.summary_markdown());
        println!(
            "{system}: {} learned fields ({}); {:.1} s",
            result.learned.len(),
            if steppers.is_empty() {
                format!("no steppers in {}", dir.display())
            } else {
                dir.display().to_string()
            },
            start.elapsed().as_secs_f64()
        );
        for p in paths {
            println!("wrote {}", p.display());
        }
    }
    Ok(())
}
