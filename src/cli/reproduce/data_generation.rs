//! `hits reproduce data-generation`: the five ODE data sets at 0, 1 and 2% noise.

use hits::experiments::data_generation::make_all;
use hits::SystemKind;

use super::ReproduceArgs;

/// The paper's noise levels.
const NOISE_LEVELS: [f64; 3] = [0.0, 0.01, 0.02];

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let systems = if args.system.is_empty() {
        SystemKind::NONLINEAR.to_vec()
    } else {
        args.system.clone()
    };
    let problems: Vec<_> = systems.iter().map(|k| k.problem().select(quick)).collect();
    let overview = make_all(&problems, &NOISE_LEVELS, &args.data_dir)?;
    println!("{}", overview.table_markdown());
    for r in &overview.rows {
        println!("{}: {}", r.system, r.dir.display());
    }
    for p in overview.save(&super::results_root(args, quick).join("data_generation"))? {
        println!("wrote {}", p.display());
    }
    Ok(())
}
