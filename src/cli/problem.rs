//! The problem a command works on: a built-in system (`--system`) or a data folder of one's own
//! (`--data-dir D`, with `--dt` unless the folder's metadata says it), shared by `hits train`
//! and `hits forecast`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use hits::problem::{DataSource, GivenData, OdeProblem};
use hits::SystemKind;

/// How a command names its problem.
#[derive(Debug, Clone, clap::Args)]
pub struct ProblemArgs {
    /// A built-in system: hyperbolic, cubic, vanderpol, hopf, lorenz, harmonic.
    #[arg(
        long,
        value_enum,
        required_unless_present = "data_dir",
        conflicts_with = "data_dir"
    )]
    pub system: Option<SystemKind>,
    /// A data folder of your own instead: D/{train,val,test}_noise<level>.npy, arrays
    /// [n_traj, n_points, dim] of float64 or float32.
    #[arg(long, value_name = "D")]
    pub data_dir: Option<PathBuf>,
    /// The sampling interval of the data in --data-dir (needed unless D/dataset.json says it).
    #[arg(long, requires = "data_dir")]
    pub dt: Option<f64>,
}

impl ProblemArgs {
    /// The problem at the paper's settings (quick mode: [`OdeProblem::quick`]).
    pub fn problem(&self, quick: bool) -> anyhow::Result<OdeProblem> {
        let problem = match (&self.system, &self.data_dir) {
            (Some(kind), _) => kind.problem(),
            (None, Some(dir)) => data_dir_problem(dir, self.dt)?,
            (None, None) => bail!("give --system NAME or --data-dir FOLDER"),
        };
        Ok(problem.select(quick))
    }
}

/// The data-only problem of a folder (`dt` from `--dt`, or from the folder's `dataset.json`).
fn data_dir_problem(dir: &Path, dt: Option<f64>) -> anyhow::Result<OdeProblem> {
    if !dir.is_dir() {
        bail!("--data-dir {}: no such folder", dir.display());
    }
    if dt.is_none() && !hits::data::DataSetMeta::path_in(dir).exists() {
        bail!(
            "--data-dir {}: give the sampling interval with --dt (the folder has no dataset.json \
             saying it)",
            dir.display()
        );
    }
    OdeProblem::from_data_dir(dir, dt)
        .with_context(|| format!("reading the data folder {}", dir.display()))
}

/// Where a problem's data are read from: its own folder for a data folder, else
/// `<root>/<folder>` (quick mode `<root>/quick/<folder>`).
pub fn data_dir_of(problem: &OdeProblem, root: &Path) -> PathBuf {
    match &problem.source {
        DataSource::Given(GivenData::Folder(dir)) => dir.clone(),
        _ => problem.dir_under(root),
    }
}
