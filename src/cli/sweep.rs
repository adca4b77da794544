//! `hits sweep plan | run | slurm | collect`: a heavy experiment as independent tasks (see
//! [`hits::sweep`]); what a task runs is in [`work`].
//!
//! ```text
//! hits sweep plan --experiment all-ode --systems hyperbolic,vanderpol --noise 0,0.01,0.02 --out plan.json
//! hits sweep slurm plan.json --partition cpu --time 04:00:00 --max-parallel 50 --submit
//! hits sweep collect plan.json
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use hits::sweep::collect::{status_lines, Submitted};
use hits::sweep::slurm::{log_dir, stage_scripts, submit_commands, submit_script, SlurmOptions};
use hits::sweep::{build, Plan, Settings};
use hits::SystemKind;

use crate::{note, say};

mod work;

/// Arguments of `hits sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub command: SweepCommand,
}

/// The `hits sweep` subcommands.
#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Write a plan file: every task of an experiment, its inputs and outputs.
    Plan(PlanArgs),
    /// Run one task of a plan (skipped when done, resumed when interrupted).
    Run(RunArgs),
    /// Write sbatch scripts for a plan (one job array per stage); --submit submits them.
    Slurm(SlurmArgs),
    /// Build the reports from the tasks' outputs and list the tasks missing or failed.
    Collect(CollectArgs),
}

/// What a plan is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanExperiment {
    /// Every ODE experiment (as `hits reproduce all-ode`): data, one task per (system, noise,
    /// step size), then model-training, multiscale-hits, hybrid, noisy, increment.
    AllOde,
    /// Table 1 (as `hits reproduce table1`): one task per (data set, model).
    Table1,
    /// A data folder of one's own (--data-dir, as `hits train` + `hits forecast`).
    Problem,
}

/// Arguments of `hits sweep plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The experiment [default: problem with --data-dir, else all-ode].
    #[arg(long, value_enum)]
    pub experiment: Option<PlanExperiment>,
    /// all-ode: systems, comma-separated [default: the five of the paper].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub systems: Vec<SystemKind>,
    /// Noise levels to train at, comma-separated (0 among them).
    #[arg(long, value_delimiter = ',', default_value = "0", value_parser = crate::cli::parse_noise)]
    pub noise: Vec<f64>,
    /// table1: data sets, comma-separated: ks, bach, fluid, flower [default: all].
    #[arg(long, value_delimiter = ',')]
    pub data: Vec<String>,
    /// problem: a data folder of one's own, D/{train,val,test}_noise<level>.npy.
    #[arg(long, value_name = "D")]
    pub data_dir: Option<PathBuf>,
    /// problem: the sampling interval of --data-dir (unless D/dataset.json says it).
    #[arg(long, requires = "data_dir")]
    pub dt: Option<f64>,
    /// problem: step sizes in units of dt, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,2,4,8,16,32,64,128,256,512,1024"
    )]
    pub steps: Vec<usize>,
    /// Small sizes and few epochs (also HITS_QUICK=1); everything under quick/ folders.
    #[arg(long)]
    pub quick: bool,
    /// Cap on each stepper's (and model's) epochs, as `hits reproduce --epochs`.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// table1: epochs of the LSTM and CW-RNN, as `hits reproduce --baseline-epochs`.
    #[arg(long)]
    pub baseline_epochs: Option<usize>,
    /// Data root of the built-in systems and sequences (`hits reproduce --data-dir`).
    #[arg(long, default_value = "data")]
    pub data_root: PathBuf,
    /// Model root: finished checkpoints are published here, where the one-process run keeps them.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Results root (`hits reproduce --out`).
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// The sweep's own folder (task status, locks, private training folders, slurm scripts,
    /// logs) [default: sweep/<experiment>, quick mode sweep/quick/<experiment>].
    #[arg(long)]
    pub sweep_dir: Option<PathBuf>,
    /// Let training tasks publish over checkpoints in --models they did not make (without it
    /// such a task fails naming the file).
    #[arg(long)]
    pub overwrite: bool,
    /// The plan file to write. Re-planning a started sweep with other settings is refused.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `hits sweep run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// The task (0-based). Without it: SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX
    /// (Kubernetes), else PARALLEL_SEQ - 1 (GNU parallel counts from 1); --index wins.
    #[arg(long, conflicts_with = "all")]
    pub index: Option<usize>,
    /// Run every task of the plan in order, in this process (stops at the first failure).
    #[arg(long)]
    pub all: bool,
    /// Wait for the task's inputs (polling their status) instead of refusing to start.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this many seconds.
    #[arg(long, default_value_t = 86_400)]
    pub wait_secs: u64,
}

/// Arguments of `hits sweep slurm`.
#[derive(Debug, clap::Args)]
pub struct SlurmArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// A JSON file of sbatch settings (see `hits::sweep::slurm::SlurmOptions`); flags win.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long)]
    pub partition: Option<String>,
    #[arg(long)]
    pub account: Option<String>,
    /// Wall time per task (sbatch --time, e.g. 04:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// Memory per task (sbatch --mem, e.g. 4G).
    #[arg(long)]
    pub mem: Option<String>,
    /// CPUs per task [default: 1].
    #[arg(long)]
    pub cpus_per_task: Option<usize>,
    /// GPUs per task (sbatch --gpus).
    #[arg(long)]
    pub gpus: Option<String>,
    /// At most this many tasks of a stage at once (the array's %K).
    #[arg(long)]
    pub max_parallel: Option<usize>,
    /// `module load` this first (repeat for several).
    #[arg(long)]
    pub module: Vec<String>,
    /// Where the logs go [default: <sweep_dir>/logs].
    #[arg(long)]
    pub log_dir: Option<PathBuf>,
    /// The hits program the tasks run [default: this one].
    #[arg(long)]
    pub hits: Option<PathBuf>,
    /// Submit the stages (sbatch --parsable) and report their job ids.
    #[arg(long)]
    pub submit: bool,
}

/// Arguments of `hits sweep collect`.
#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    /// The plan file.
    pub plan: PathBuf,
}

/// Run `hits sweep`.
pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    match args.command {
        SweepCommand::Plan(a) => plan(a),
        SweepCommand::Run(a) => run_tasks(a),
        SweepCommand::Slurm(a) => slurm(a),
        SweepCommand::Collect(a) => collect(a),
    }
}

fn plan(a: PlanArgs) -> anyhow::Result<()> {
    let quick = a.quick || hits::data::quick_mode()?;
    if a.epochs == Some(0) || a.baseline_epochs == Some(0) {
        anyhow::bail!("--epochs and --baseline-epochs must be at least 1");
    }
    let experiment = a.experiment.unwrap_or(if a.data_dir.is_some() {
        PlanExperiment::Problem
    } else {
        PlanExperiment::AllOde
    });
    let name = match experiment {
        PlanExperiment::AllOde => "all-ode",
        PlanExperiment::Table1 => "table1",
        PlanExperiment::Problem => "problem",
    };
    let sweep_dir = a
        .sweep_dir
        .clone()
        .unwrap_or_else(|| hits::data::quick_root(Path::new("sweep"), quick).join(name));
    let settings = Settings {
        data_dir: a.data_root.clone(),
        models: a.models.clone(),
        out: a.results.clone(),
        sweep_dir,
        epochs: a.epochs,
        baseline_epochs: a.baseline_epochs,
        overwrite: a.overwrite,
    };
    let root = std::env::current_dir().context("the current folder")?;
    let plan = match experiment {
        PlanExperiment::AllOde => {
            let systems = if a.systems.is_empty() {
                SystemKind::NONLINEAR.to_vec()
            } else {
                a.systems.clone()
            };
            let (plan, notes) = build::all_ode(&systems, &a.noise, quick, root, settings)?;
            for n in notes {
                note!("{n}");
            }
            plan
        }
        PlanExperiment::Table1 => build::table1(&a.data, quick, root, settings)?,
        PlanExperiment::Problem => {
            let Some(dir) = &a.data_dir else {
                anyhow::bail!("--experiment problem needs --data-dir D");
            };
            build::given(dir, a.dt, &a.steps, &a.noise, quick, root, settings)?
        }
    };
    may_replan(&plan, &a.out)?;
    plan.save(&a.out)?;
    plan.save(&plan.record_path())?;
    for stage in hits::sweep::Stage::ALL {
        let tasks = plan.stage(stage);
        if let (Some(first), Some(last)) = (tasks.first(), tasks.last()) {
            say!(
                "  {:<5} {:>4} task(s): {} .. {}",
                stage.name(),
                tasks.len(),
                first.id,
                last.id
            );
        }
    }
    say!(
        "wrote {} ({} tasks); run one with `hits sweep run {} --index N`",
        a.out.display(),
        plan.tasks.len(),
        a.out.display()
    );
    Ok(())
}

/// Refuse to write `new` to `out` when that would make a started sweep's plan describe other
/// work: `out` holding the plan of a started sweep with other settings, or `new`'s sweep
/// folder holding started tasks planned with other settings (or with no record of their
/// plan). The same settings again (a refresh) and a sweep not started yet are fine.
fn may_replan(new: &Plan, out: &Path) -> anyhow::Result<()> {
    let how = |dir: &Path| {
        format!(
            "plan into another folder (--sweep-dir D, and another --out to keep {}), or remove \
             {} (and {}) to start over",
            out.display(),
            dir.display(),
            out.display()
        )
    };
    let mut same_as_out = false;
    if std::fs::symlink_metadata(out).is_ok() {
        let old = Plan::load(out).map_err(|e| {
            anyhow::anyhow!(
                "{e}; {} is not a plan this hits can read, refusing to replace it (remove it or \
                 choose another --out)",
                out.display()
            )
        })?;
        let diff = old.differences(new);
        let started = old.started_tasks();
        if !diff.is_empty() && started > 0 {
            anyhow::bail!(
                "refusing to re-plan: {} is the plan of a started sweep ({started} task(s) started \
                 in {}) and the new plan differs: {}; {}",
                out.display(),
                old.sweep_dir().display(),
                diff.join("; "),
                how(&old.sweep_dir())
            );
        }
        same_as_out = diff.is_empty() && old.sweep_dir() == new.sweep_dir();
    }
    let started = new.started_tasks();
    if started == 0 {
        return Ok(());
    }
    let dir = new.sweep_dir();
    match new.recorded() {
        Ok(Some(rec)) => {
            let diff = rec.differences(new);
            if !diff.is_empty() {
                anyhow::bail!(
                    "refusing to re-plan: {} holds {started} started task(s) of a sweep planned \
                     with other settings ({}): {}; {}",
                    dir.display(),
                    new.record_path().display(),
                    diff.join("; "),
                    how(&dir)
                );
            }
        }
        Ok(None) if same_as_out => {}
        Ok(None) => anyhow::bail!(
            "refusing to re-plan: {} holds {started} started task(s) of a sweep whose plan it \
             does not record ({} is missing), so the new plan may describe other work; {}",
            dir.display(),
            new.record_path().display(),
            how(&dir)
        ),
        Err(e) => anyhow::bail!("refusing to re-plan: {e}; {}", how(&dir)),
    }
    Ok(())
}

fn run_tasks(a: RunArgs) -> anyhow::Result<()> {
    let plan_file = absolute(&a.plan)?;
    let plan = Plan::load(&plan_file)?;
    plan.claim_folder(&plan_file)?;
    // Relative paths of the plan are relative to the folder it was made in.
    std::env::set_current_dir(&plan.root)
        .with_context(|| format!("changing to the plan's folder {}", plan.root.display()))?;
    let wait = a.wait.then(|| Duration::from_secs(a.wait_secs));
    if a.all {
        for t in &plan.tasks {
            work::run_task(&plan, t.index, wait)?;
        }
        return Ok(());
    }
    let (index, from) = hits::sweep::task::resolve_index(a.index, |k| std::env::var(k).ok())?;
    note!("task index {index} from {from}");
    work::run_task(&plan, index, wait)
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("the path {}", p.display()))
}

fn slurm(a: SlurmArgs) -> anyhow::Result<()> {
    let plan_file = absolute(&a.plan)?;
    let plan = Plan::load(&plan_file)?;
    plan.claim_folder(&plan_file)?;
    let file = match &a.config {
        Some(c) => SlurmOptions::load(c)?,
        None => SlurmOptions::default(),
    };
    let opts = file.overridden_by(SlurmOptions {
        partition: a.partition,
        account: a.account,
        time: a.time,
        mem: a.mem,
        cpus_per_task: a.cpus_per_task,
        gpus: a.gpus,
        max_parallel: a.max_parallel,
        modules: a.module,
        setup: vec![],
        sbatch: vec![],
        log_dir: a.log_dir,
    });
    let hits = match a.hits {
        Some(h) => absolute(&h)?,
        None => std::env::current_exe().context("finding the hits program")?,
    };
    let scripts = stage_scripts(&plan, &plan_file, &hits, &opts)?;
    let logs = log_dir(&plan, &opts);
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    for sc in &scripts {
        hits::io::write_bytes_atomic(&sc.path, sc.text.as_bytes())?;
        say!("wrote {}", sc.path.display());
    }
    let submit = plan
        .resolve(&plan.settings.sweep_dir)
        .join("slurm")
        .join("submit.sh");
    hits::io::write_bytes_atomic(&submit, submit_script(&scripts).as_bytes())?;
    say!("wrote {}; logs go to {}", submit.display(), logs.display());
    if !a.submit {
        say!("submit with:\n  bash {}\nor, by hand:", submit.display());
        for l in submit_commands(&scripts) {
            say!("  {l}");
        }
        return Ok(());
    }
    let mut jobs: Vec<(String, String)> = Vec::new();
    for sc in &scripts {
        let mut cmd = std::process::Command::new("sbatch");
        cmd.arg("--parsable");
        if !jobs.is_empty() {
            let ids: Vec<&str> = jobs.iter().map(|(_, id)| id.as_str()).collect();
            cmd.arg(format!("--dependency=afterok:{}", ids.join(":")))
                .arg("--kill-on-invalid-dep=yes");
        }
        cmd.arg(&sc.path);
        let out = cmd
            .output()
            .context("running sbatch (is Slurm installed here?)")?;
        if !out.status.success() {
            anyhow::bail!(
                "sbatch {} failed ({}): {}{}",
                sc.path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim(),
                if jobs.is_empty() {
                    String::new()
                } else {
                    format!("; submitted before it: {jobs:?}")
                }
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let id = text.trim().split(';').next().unwrap_or("").to_string();
        if id.is_empty() {
            anyhow::bail!("sbatch {} printed no job id", sc.path.display());
        }
        say!("submitted stage {}: job {id}", sc.stage.name());
        jobs.push((sc.stage.name().to_string(), id));
    }
    Submitted {
        log_dir: logs,
        jobs: jobs.clone(),
    }
    .save(&plan)?;
    say!(
        "job ids: {}",
        jobs.iter()
            .map(|(s, id)| format!("{s}={id}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}

fn collect(a: CollectArgs) -> anyhow::Result<()> {
    let plan_file = absolute(&a.plan)?;
    let plan = Plan::load(&plan_file)?;
    plan.claim_folder(&plan_file)?;
    std::env::set_current_dir(&plan.root)
        .with_context(|| format!("changing to the plan's folder {}", plan.root.display()))?;
    for p in work::write_reports(&plan)? {
        say!("wrote {}", p.display());
    }
    let (lines, not_done) = status_lines(&plan);
    for l in &lines {
        say!("{l}");
    }
    if not_done > 0 {
        anyhow::bail!(
            "{not_done} of {} tasks are not done (listed above); the reports show what is there",
            plan.tasks.len()
        );
    }
    Ok(())
}
