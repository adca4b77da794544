//! `hits reproduce model-training`: train (or resume) the eleven steppers of each chosen
//! system and write their loss curves and a table of the runs.

use std::io::IsTerminal;
use std::time::Instant;

use anyhow::Context;
use hits::experiments::ode::{ensure_data, ensure_hierarchy};
use hits::experiments::training::{loss_figure, training_table};
use hits::io::write_bytes_atomic;
use hits::progress::Progress;
use hits::SystemKind;

use super::ReproduceArgs;

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let systems = if args.system.is_empty() {
        vec![SystemKind::Hyperbolic]
    } else {
        args.system.clone()
    };
    let dev = args.device()?;
    for system in systems {
        let start = Instant::now();
        let mut cfg = system.problem().select(quick).with_epoch_cap(args.epochs);
        cfg.hierarchy.batched = dev.is_cuda();
        eprintln!(
            "{system}{}: arch {:?}, steps {:?} x dt {}, up to {} epochs, {} on {}",
            if quick { " (quick mode)" } else { "" },
            cfg.hierarchy.arch,
            cfg.hierarchy.steps,
            cfg.dt,
            cfg.hierarchy.train.epochs,
            if cfg.hierarchy.batched {
                "batched"
            } else {
                "one after the other"
            },
            if dev.is_cuda() { "CUDA" } else { "CPU" }
        );
        let data = ensure_data(&cfg, 0.0, &args.data_dir)?;
        let total = (cfg.hierarchy.train.epochs * cfg.hierarchy.steps.len()) as u64;
        let bar = std::io::stderr()
            .is_terminal()
            .then(|| Progress::bar("training", total));
        let mut done_before = std::collections::HashMap::new();
        let hierarchy =
            ensure_hierarchy(&cfg, 0.0, &data, &args.models, &dev, &mut |p| match &bar {
                Some(bar) => {
                    done_before.insert(p.step_size, p.epoch as u64);
                    bar.set_position(done_before.values().sum());
                    bar.set_message(format!("step {} val {:.2e}", p.step_size, p.val_loss));
                }
                None => eprintln!("{p}"),
            })?;
        if let Some(bar) = bar {
            bar.finish();
        }
        let reports = hierarchy.reports;
        let out = super::results_root(args, quick)
            .join("model_training")
            .join(system.name());
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        let fig = loss_figure(&reports, cfg.dt, &cfg.name)?;
        fig.save(out.join("losses.png"))?;
        fig.save(out.join("losses.svg"))?;
        let table = training_table(&reports, cfg.dt);
        let loaded = reports.iter().filter(|r| r.seconds == 0.0).count();
        let md = format!(
            "# {system}: training the steppers\n\narch {:?}, n_forward {}, minibatch {}, lr {}, up to {} epochs (check every {}).\n{loaded} of {} loaded from finished checkpoints under {}.\n\n{table}",
            cfg.hierarchy.arch,
            cfg.hierarchy.train.n_forward,
            cfg.hierarchy.train.batch_size,
            cfg.hierarchy.train.lr,
            cfg.hierarchy.train.epochs,
            cfg.hierarchy.train.eval_every,
            reports.len(),
            cfg.dir_under(&args.models).display()
        );
        write_bytes_atomic(&out.join("training.md"), md.as_bytes())?;
        println!("{md}");
        println!(
            "wrote {}/losses.png, losses.svg, training.md ({:.1} s)",
            out.display(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
