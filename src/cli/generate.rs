//! `hits generate`: the ODE data sets of the paper (`hits::data::generate`).
//!
//! Writes `<out>/<System>/{train,val,test}_noise<noise>.npy` for every requested system and
//! noise level, with the original notebooks' file names, and `dataset.json` last, which makes
//! each folder one unit (see `hits::data::store`): an interrupted run leaves a folder whose
//! incomplete level is refused on load, and running the command again completes it. Each
//! folder is locked while it is written. Quick mode writes `<out>/quick/<System>/`. A folder
//! holding a data set of another origin (other seed or sizes) is refused unless `--overwrite`.
//! The clean trajectories are solved once
//! per system; every noise level adds its own noise to them (the noise draws start from the
//! same point of the seeded stream for every level, as in the original, where each level was a
//! separate run from the same seed).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use hits::data::{generate_clean, generated_meta, quick_mode, DataSetMeta};
use hits::io::FolderLock;
use hits::progress::Progress;
use hits::SystemKind;

use crate::{note, say};

/// Options of `hits generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// System to generate: hyperbolic, cubic, vanderpol (vdp), hopf, lorenz, harmonic
    /// (Figure 2's oscillator), or `all` for every one of them.
    #[arg(long, default_value = "all", value_parser = parse_systems)]
    pub system: Systems,

    /// Noise levels, comma-separated: each adds noise * (std over time, averaged over
    /// trajectories, per component) * N(0, 1). The paper uses 0.0 and, for the noise study,
    /// 0.01 and 0.02.
    #[arg(long, value_delimiter = ',', default_value = "0.0", value_parser = crate::cli::parse_noise)]
    pub noise: Vec<f64>,

    /// Quick mode: 32/16/16 train/val/test trajectories (full length) instead of the paper's
    /// sizes, written to `<out>/quick/<System>/`. Also turned on by HITS_QUICK=1.
    #[arg(long)]
    pub quick: bool,

    /// Folder for the data; each system gets its own sub-folder `<out>/<System>/` (quick mode
    /// `<out>/quick/<System>/`, so a quick run never replaces a full data set).
    #[arg(long, default_value = "data")]
    pub out: PathBuf,

    /// Replace a data set of another origin (other seed or sizes) in the output folder; its
    /// other noise levels are removed.
    #[arg(long)]
    pub overwrite: bool,

    /// Seed of numpy's legacy random stream (`np.random.seed`); the paper used 2.
    #[arg(long, default_value_t = 2)]
    pub seed: u32,
}

/// The systems selected by `--system`.
#[derive(Debug, Clone)]
pub struct Systems(pub Vec<SystemKind>);

fn parse_systems(s: &str) -> Result<Systems, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(Systems(SystemKind::ALL.to_vec()));
    }
    SystemKind::from_name(s)
        .map(|k| Systems(vec![k]))
        .map_err(|e| e.to_string())
}

/// Run `hits generate`.
pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    if args.noise.is_empty() {
        bail!("--noise: give at least one noise level, e.g. --noise 0.0,0.01,0.02");
    }
    let quick = args.quick || quick_mode()?;
    let start = Instant::now();
    // The problems, with the seed asked for.
    let problems: Vec<_> = args
        .system
        .0
        .iter()
        .map(|kind| {
            let mut problem = kind.problem().select(quick);
            problem.seed = args.seed;
            problem
        })
        .collect();
    // Lock every folder and check what it holds before solving anything.
    let mut locks = Vec::new();
    for problem in &problems {
        let dir = problem.dir_under(&args.out);
        let lock = FolderLock::acquire(&dir, "hits generate")?;
        if let Some(n) = lock.removed_note() {
            note!("{n}");
        }
        let origin = generated_meta(&problem.generation()?);
        if let Some(old) = DataSetMeta::read(&dir)? {
            if let (Some(diff), false) = (old.origin_differs(&origin), args.overwrite) {
                bail!(
                    "{} holds another data set ({diff}; noise levels {}): pass --overwrite to \
                     replace it, or choose another --out",
                    dir.display(),
                    old.level_names()
                );
            }
        }
        locks.push(lock);
    }
    for (problem, kind) in problems.iter().zip(&args.system.0) {
        let sizes = problem.sizes;
        let generation = problem.generation()?;
        let origin = generated_meta(&generation);
        let progress = Progress::new(format!("generate {kind}"), sizes.total() as u64);
        let t0 = Instant::now();
        let clean = generate_clean(&generation, &|n| progress.inc(n as u64))
            .with_context(|| format!("generating {kind}"))?;
        progress.finish();
        let solve_s = t0.elapsed().as_secs_f64();
        let dir = problem.dir_under(&args.out);
        let t1 = Instant::now();
        let mut files = Vec::new();
        for &noise in &args.noise {
            // Noise 0 changes nothing: save the clean arrays without copying them.
            let noisy;
            let data = if noise == 0.0 {
                &clean.data
            } else {
                noisy = clean.with_noise(noise);
                &noisy
            };
            let saved = if args.overwrite {
                data.save_replacing(&dir, noise, &origin)
            } else {
                data.save(&dir, noise, &origin)
            };
            let paths = saved.with_context(|| format!("saving {kind} to {}", dir.display()))?;
            files.extend(paths.into_iter().zip(data.splits().map(|a| a.dim())));
        }
        say!(
            "{kind}: {}/{}/{} trajectories x {} points x {}, solved in {solve_s:.2} s, \
             noise + writing {:.2} s",
            sizes.n_train,
            sizes.n_val,
            sizes.n_test,
            sizes.n_points,
            problem.dim(),
            t1.elapsed().as_secs_f64()
        );
        for (path, (n, t, d)) in files {
            say!("  {} [{n}, {t}, {d}]", path.display());
        }
    }
    say!(
        "generated {} system(s){} in {:.2} s (seed {})",
        args.system.0.len(),
        if quick { " (quick sizes)" } else { "" },
        start.elapsed().as_secs_f64(),
        args.seed
    );
    Ok(())
}
