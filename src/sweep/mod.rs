//! Sweeps: a heavy experiment as independent tasks, for a cluster's scheduler (Slurm job
//! arrays), GNU parallel, a Kubernetes indexed job, or a shell loop.
//!
//! - [`plan`]: the plan file (JSON, `format: "hits-sweep-plan/1"`) listing every task, its
//!   stage, its work, its inputs and the one-process command it is part of, validated when it
//!   loads (ids are plain folder names, dependencies exist and form no cycle, no control
//!   characters anywhere); the sweep folder records the plan it belongs to; [`build`] makes
//!   the plans of `all-ode`, Table 1 and a data folder of one's own.
//! - [`task`]: running one task safely: its index ([`task::resolve_index`]: `--index`, else
//!   `SLURM_ARRAY_TASK_ID`, else `JOB_COMPLETION_INDEX`, else `PARALLEL_SEQ - 1`), a lock on
//!   its folder (a second copy is refused), a `status.json` saying `running`, `done` or
//!   `failed` with its exit code, its inputs checked (or waited for), and training tasks'
//!   checkpoints published into the shared model folder (never over one the task did not
//!   make, unless the plan says `overwrite`); a finished task records its outputs with their
//!   SHA-256 and is done only while they are there unchanged.
//! - [`slurm`]: one sbatch script per stage (a job array with a `%` limit), each stage after
//!   the last (`afterok`).
//! - [`collect`]: the state of every task, with the logs of those failed or missing.
//!
//! A training task trains exactly one stepper with the seeds the one-process run gives it, in a
//! folder of its own (resumable from its checkpoint, like any training), then copies the
//! finished checkpoint into `<models>/<System>/`, where `hits forecast`, `hits reproduce` and
//! the evaluation tasks read it: a sweep's models and results equal the one-process run's.

pub mod build;
pub mod collect;
pub mod plan;
pub mod slurm;
pub mod task;

pub use plan::{Plan, Settings, Stage, Task, Work, PLAN_FORMAT};
