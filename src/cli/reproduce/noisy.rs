//! `hits reproduce noisy`: Figure 6A, Figure 8 and Tables 6-8 (measurement noise 0/1/2%).

use std::time::Instant;

use hits::experiments::noisy::{self, NoisyConfig};

use super::ReproduceArgs;

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut cfg = if quick {
        NoisyConfig::quick()
    } else {
        NoisyConfig::paper()
    };
    if !args.system.is_empty() {
        cfg.problems = args.system.iter().map(|k| k.problem()).collect();
    }
    cfg.epoch_cap = args.epochs;
    let dev = args.device()?;
    cfg.batched = dev.is_cuda();
    if args.pretrained {
        eprintln!("--pretrained: the public models exist at noise 0 only; the noisy study trains its own steppers");
    }
    eprintln!(
        "noisy measurements{}: systems {:?}, noise {:?}, epochs {}",
        if quick { " (quick mode)" } else { "" },
        cfg.problems
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        cfg.noises,
        cfg.epoch_cap
            .map_or("as configured".to_string(), |c| format!("capped at {c}"))
    );
    // Full runs print every validation check; quick runs only the finished steppers.
    let mut report = |p: &hits::stepper::Progress| {
        if !quick || p.epoch >= p.max_epochs {
            eprintln!("{p}");
        }
    };
    let result = noisy::run(&cfg, &args.data_dir, &args.models, &dev, &mut report)?;
    let out = super::results_root(args, quick).join("noisy");
    let paths = result.save(&out)?;
    println!("{}", result.tables_markdown());
    for p in paths {
        println!("wrote {}", p.display());
    }
    println!("total {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}
