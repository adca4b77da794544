//! `hits reproduce adaptive`: HiTS beside AHiTS (Hamid et al. 2024), the error-controlled AHiTS
//! and ensembles of step paths on the authors' checkpoints: the noise study to 20 %, the AHiTS
//! notebook's figures, accuracy against cost and the uncertainty band
//! ([`hits::experiments::adaptive`]).

use std::time::Instant;

use hits::experiments::adaptive::{self, authors_noises, AdaptiveConfig};
use hits::SystemKind;

use super::ReproduceArgs;

/// The systems with published AHiTS tolerances and the authors' checkpoints.
const SYSTEMS: [SystemKind; 4] = [
    SystemKind::Hyperbolic,
    SystemKind::Cubic,
    SystemKind::VanDerPol,
    SystemKind::Hopf,
];

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let systems = if args.system.is_empty() {
        SYSTEMS.to_vec()
    } else {
        args.system.clone()
    };
    let dev = args.device()?;
    for system in systems {
        let start = Instant::now();
        let problem = system.problem().select(quick);
        let available = authors_noises(&args.authors_dir, &problem.folder);
        let noises = if args.noise.is_empty() {
            available.clone()
        } else {
            args.noise.clone()
        };
        if let Some(&missing) = noises.iter().find(|n| !available.contains(n)) {
            anyhow::bail!(
                "{system}: the authors' checkpoints at noise {missing} are not in {} \
                 (original_models/ holds noise 0, ahits_models/ Hyperbolic and Hopf at 1-20 %; \
                 levels found: {available:?})",
                args.authors_dir.display()
            );
        }
        let cfg = AdaptiveConfig {
            problem,
            noises,
            data_root: args.data_dir.clone(),
            shared_data: args.authors_dir.clone(),
            ours: (!args.authors_only).then(|| args.models.join("adaptive")),
        };
        eprintln!(
            "adaptive{}: {system} at noise {:?}{}",
            if quick { " (quick mode)" } else { "" },
            cfg.noises,
            match &cfg.ours {
                Some(root) => format!(", our quick-trained steppers under {}", root.display()),
                None => ", the authors' steppers only".into(),
            }
        );
        let study = adaptive::run(&cfg, &dev, &mut |line| eprintln!("{line}"))?;
        println!("{}", study.noise_markdown());
        println!("{}", study.cost_markdown());
        for p in study.save(&cfg.problem.results_dir(&args.out, "adaptive"))? {
            println!("wrote {}", p.display());
        }
        eprintln!("{system}: {:.1} s", start.elapsed().as_secs_f64());
    }
    Ok(())
}
