//! Running one task safely: which task (the index from the command line or the scheduler),
//! its folder's lock, its status file, its inputs, and publishing what it trained.
//!
//! Every task has a folder `<sweep_dir>/tasks/<id>/`, locked ([`FolderLock`]) while the task
//! runs, so a second copy of the same task is refused naming the first one's PID. Its
//! `status.json` ([`TaskStatus`]) says `running` (with host and PID; a task killed by the
//! scheduler stays so), `done` or `failed` (with the exit code and the error), written
//! atomically. A finished task records in its status the files it wrote ([`OutputRecord`]:
//! path and SHA-256); it counts as done only while they all exist with those hashes
//! ([`is_done`], [`output_problems`]), so a task whose outputs were deleted or changed runs
//! again, and the tasks that read them wait for it. A task that is done is skipped when run
//! again.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::plan::{Plan, Task};
use crate::data::hash::HashingReader;
use crate::io::{write_bytes_atomic, FolderLock};
use crate::{Error, Result};

/// The environment variables a task index is read from when `--index` is not given, in the
/// order they are tried, with the offset to subtract (GNU parallel's `PARALLEL_SEQ` counts
/// from 1, the others from 0).
pub const INDEX_VARIABLES: [(&str, usize); 3] = [
    ("SLURM_ARRAY_TASK_ID", 0),
    ("JOB_COMPLETION_INDEX", 0),
    ("PARALLEL_SEQ", 1),
];

/// The task index: `--index` when given (it wins), else the first variable of
/// [`INDEX_VARIABLES`] that is set. Returns the index and where it came from.
pub fn resolve_index(
    given: Option<usize>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(usize, String)> {
    if let Some(i) = given {
        return Ok((i, "--index".into()));
    }
    for (var, offset) in INDEX_VARIABLES {
        let Some(value) = env(var) else { continue };
        let n: usize = value.trim().parse().map_err(|_| {
            Error::invalid(
                var,
                format!("{value:?} is not a task index (a whole number)"),
            )
        })?;
        let i = n.checked_sub(offset).ok_or_else(|| {
            Error::invalid(
                var,
                format!("{n}: counts from {offset}, so it cannot be {n}"),
            )
        })?;
        return Ok((i, var.to_string()));
    }
    Err(Error::invalid(
        "--index",
        "give --index N, or run under a scheduler that sets SLURM_ARRAY_TASK_ID, \
         JOB_COMPLETION_INDEX or PARALLEL_SEQ",
    ))
}

/// What a task's `status.json` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    /// `running`, `done` or `failed`.
    pub state: String,
    pub host: String,
    pub pid: u32,
    /// Unix seconds.
    pub started: u64,
    pub finished: Option<u64>,
    pub seconds: Option<f64>,
    /// The exit code of a failed task (1: an error).
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    /// The scheduler's job (`SLURM_JOB_ID`), when there is one.
    pub job: Option<String>,
    /// The log file the scheduler writes (`HITS_SWEEP_LOG`, set by the sbatch script).
    pub log: Option<PathBuf>,
    /// The files a `done` task wrote, with their hashes (none recorded: a status of an
    /// earlier hits, or a task not done).
    #[serde(default)]
    pub outputs: Option<Vec<OutputRecord>>,
}

/// One file a finished task wrote, as its `status.json` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Relative to the plan's root when inside it, else absolute.
    pub path: PathBuf,
    /// SHA-256 of its bytes, as `sha256sum` prints it.
    pub sha256: String,
}

/// SHA-256 of a regular file's bytes (read as they pass; a FIFO or folder is an error).
pub fn file_sha256(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::bad_file(path, "not a regular file"));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    HashingReader::new(file)
        .finish()
        .map_err(|e| Error::io(path, e))
}

/// The records of `files` (absolute, or relative to the current folder): each hashed, its
/// path made relative to the plan's root when inside it.
pub fn record_outputs(plan: &Plan, files: &[PathBuf]) -> Result<Vec<OutputRecord>> {
    files
        .iter()
        .map(|f| {
            let abs = plan.resolve(f);
            let path = abs
                .strip_prefix(&plan.root)
                .map_or_else(|_| abs.clone(), Path::to_path_buf);
            Ok(OutputRecord {
                path,
                sha256: file_sha256(&abs)?,
            })
        })
        .collect()
}

/// Why a `done` status does not hold any more: each recorded output that is missing or whose
/// hash changed (empty when all are there, as recorded).
pub fn output_problems(plan: &Plan, status: &TaskStatus) -> Vec<String> {
    let Some(outputs) = &status.outputs else {
        return vec!["its status records no outputs (written by an earlier hits)".into()];
    };
    outputs
        .iter()
        .filter_map(|o| {
            let abs = plan.resolve(&o.path);
            match file_sha256(&abs) {
                Ok(h) if h == o.sha256 => None,
                Ok(_) => Some(format!(
                    "{} changed since the task wrote it",
                    o.path.display()
                )),
                Err(_) if !abs.exists() => Some(format!("{} is missing", o.path.display())),
                Err(e) => Some(format!("{} cannot be read: {e}", o.path.display())),
            }
        })
        .collect()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// The status file of a task folder.
pub fn status_path(task_dir: &Path) -> PathBuf {
    task_dir.join("status.json")
}

/// The status of a task (none when it never started).
pub fn read_status(task_dir: &Path) -> Result<Option<TaskStatus>> {
    let path = status_path(task_dir);
    if !path.exists() {
        return Ok(None);
    }
    let text = crate::io::read_data_text(&path)?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::bad_file(&path, format!("not a task status: {e}")))
}

/// Whether a task has finished successfully and its recorded outputs are all there, unchanged.
pub fn is_done(plan: &Plan, task: &Task) -> bool {
    let Ok(dir) = plan.task_dir(task) else {
        return false;
    };
    matches!(read_status(&dir), Ok(Some(s)) if s.state == "done" && output_problems(plan, &s).is_empty())
}

/// A running task: its lock, and the status written when it ends.
#[derive(Debug)]
pub struct RunningTask {
    pub dir: PathBuf,
    /// Why a task that was `done` runs again (its outputs missing or changed); empty otherwise.
    pub rerun_because: Vec<String>,
    _lock: FolderLock,
    status: TaskStatus,
    made_before: Vec<OutputRecord>,
    start: Instant,
}

impl RunningTask {
    /// Lock the task's folder (refused when another copy runs it) and mark it `running`;
    /// `None` when it is done already (checked under the lock: `done` with its recorded outputs
    /// unchanged) and `redo` is false.
    pub fn start(plan: &Plan, task: &Task, redo: bool) -> Result<Option<RunningTask>> {
        let dir = plan.task_dir(task)?;
        let lock = FolderLock::acquire(&dir, &format!("hits sweep run, task {}", task.index))
            .map_err(|e| match e {
                Error::InUse { holder, .. } => Error::invalid(
                    "task",
                    format!(
                        "task {} ({}) is already running ({holder} holds {}); not starting a \
                         second copy",
                        task.index,
                        task.id,
                        dir.display()
                    ),
                ),
                e => e,
            })?;
        let before = read_status(&dir)?;
        let mut rerun_because = Vec::new();
        if let Some(b) = before.as_ref().filter(|b| b.state == "done") {
            rerun_because = output_problems(plan, b);
            if !redo && rerun_because.is_empty() {
                return Ok(None);
            }
        }
        let made_before = before.and_then(|b| b.outputs).unwrap_or_default();
        let status = TaskStatus {
            state: "running".into(),
            host: host(),
            pid: std::process::id(),
            started: now(),
            finished: None,
            seconds: None,
            exit_code: None,
            error: None,
            job: std::env::var("SLURM_JOB_ID").ok(),
            log: std::env::var_os("HITS_SWEEP_LOG").map(PathBuf::from),
            outputs: None,
        };
        let t = RunningTask {
            dir,
            rerun_because,
            _lock: lock,
            status,
            made_before,
            start: Instant::now(),
        };
        t.write()?;
        Ok(Some(t))
    }

    fn write(&self) -> Result<()> {
        let text = serde_json::to_string_pretty(&self.status)? + "\n";
        write_bytes_atomic(&status_path(&self.dir), text.as_bytes())
    }

    /// The outputs this task recorded the last time it was done (what it may replace).
    pub fn made_before(&self) -> &[OutputRecord] {
        &self.made_before
    }

    /// Mark the task `done` with the files it wrote (see [`record_outputs`]), and let go of
    /// its folder.
    pub fn done(mut self, outputs: Vec<OutputRecord>) -> Result<f64> {
        let secs = self.start.elapsed().as_secs_f64();
        self.status.state = "done".into();
        self.status.outputs = Some(outputs);
        self.status.finished = Some(now());
        self.status.seconds = Some(secs);
        self.write()?;
        Ok(secs)
    }

    /// Mark the task `failed` with `exit_code` and the error's text.
    pub fn failed(mut self, exit_code: i32, error: &str) -> Result<()> {
        self.status.state = "failed".into();
        self.status.finished = Some(now());
        self.status.seconds = Some(self.start.elapsed().as_secs_f64());
        self.status.exit_code = Some(exit_code);
        self.status.error = Some(error.to_string());
        self.write()
    }
}

/// The inputs of `task` that are not done yet.
pub fn missing_inputs<'a>(plan: &'a Plan, task: &Task) -> Vec<&'a Task> {
    missing_inputs_among(plan, task, &std::collections::HashSet::new())
}

fn missing_inputs_among<'a>(
    plan: &'a Plan,
    task: &Task,
    known_done: &std::collections::HashSet<usize>,
) -> Vec<&'a Task> {
    task.depends_on
        .iter()
        .filter(|d| !known_done.contains(d))
        .filter_map(|&d| plan.tasks.get(d))
        .filter(|t| !is_done(plan, t))
        .collect()
}

/// Error naming the missing inputs of `task`, or (with `wait`) poll until they are done, up to
/// `wait` (a line every minute), then the same error.
pub fn require_inputs(plan: &Plan, task: &Task, wait: Option<Duration>) -> Result<()> {
    let start = Instant::now();
    let mut said = None::<Instant>;
    // inputs seen done are not hashed again on every poll of a long wait
    let mut seen_done = std::collections::HashSet::new();
    loop {
        let missing: Vec<&Task> = missing_inputs_among(plan, task, &seen_done);
        seen_done.extend(
            task.depends_on
                .iter()
                .filter(|d| !missing.iter().any(|m| m.index == **d)),
        );
        if missing.is_empty() {
            return Ok(());
        }
        let list = missing
            .iter()
            .take(8)
            .map(|t| format!("{} ({})", t.index, t.id))
            .collect::<Vec<_>>()
            .join(", ");
        let more = missing.len().saturating_sub(8);
        let list = if more > 0 {
            format!("{list} and {more} more")
        } else {
            list
        };
        match wait {
            Some(w) if start.elapsed() < w => {
                if said.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    eprintln!(
                        "task {} ({}): waiting for {} input task(s): {list}",
                        task.index,
                        task.id,
                        missing.len()
                    );
                    said = Some(Instant::now());
                }
                std::thread::sleep(Duration::from_secs(2));
            }
            _ => {
                return Err(Error::invalid(
                    "task inputs",
                    format!(
                        "task {} ({}) needs {} task(s) that are not done: {list}; run them \
                         first, or give --wait",
                        task.index,
                        task.id,
                        missing.len()
                    ),
                ))
            }
        }
    }
}

/// Lock `dir`, waiting (a line every minute) while another process holds it, up to
/// `patience`.
pub fn lock_waiting(dir: &Path, purpose: &str, patience: Duration) -> Result<FolderLock> {
    let start = Instant::now();
    let mut said = None::<Instant>;
    loop {
        match FolderLock::acquire(dir, purpose) {
            Err(Error::InUse { holder, .. }) if start.elapsed() < patience => {
                if said.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    eprintln!("waiting for {} ({holder} holds it)", dir.display());
                    said = Some(Instant::now());
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// What a publishing task may replace in the shared folder: a file with the very bytes it
/// publishes, a file it published itself before ([`RunningTask::made_before`]), or, with the
/// plan's `overwrite`, anything.
#[derive(Debug, Clone, Copy)]
pub struct MayReplace<'a> {
    pub plan: &'a Plan,
    pub made_before: &'a [OutputRecord],
}

/// Copy the files `names` from `from` into `to` (each written atomically), holding `to`'s
/// lock: how a training task publishes its finished checkpoint into the shared model folder.
/// A file there that this task did not make is never replaced unless the plan says
/// `overwrite` (an error names it and says how to allow it; nothing is written then). Returns
/// the published paths.
pub fn publish(
    from: &Path,
    to: &Path,
    names: &[String],
    patience: Duration,
    may: MayReplace,
) -> Result<Vec<PathBuf>> {
    let _lock = lock_waiting(to, "hits sweep: publishing a checkpoint", patience)?;
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let src = from.join(name);
        let bytes = std::fs::read(&src).map_err(|e| Error::io(&src, e))?;
        let dest = to.join(name);
        if !may.plan.settings.overwrite && std::fs::symlink_metadata(&dest).is_ok() {
            let old = std::fs::read(&dest).map_err(|e| Error::io(&dest, e))?;
            let ours = old == bytes || {
                let h = crate::data::hash::sha256_hex(&old);
                may.made_before
                    .iter()
                    .any(|o| may.plan.resolve(&o.path) == dest && o.sha256 == h)
            };
            if !ours {
                return Err(Error::bad_file(
                    &dest,
                    "holds a checkpoint this sweep task did not make (its bytes differ from \
                     what the task trained); not replaced. Move it away, or plan the sweep \
                     with `hits sweep plan --overwrite` to let the sweep replace it",
                ));
            }
        }
        files.push((dest, bytes));
    }
    for (dest, bytes) in &files {
        write_bytes_atomic(dest, bytes)?;
    }
    Ok(files.into_iter().map(|(d, _)| d).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_comes_from_the_flag_then_slurm_then_kubernetes_then_parallel() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let all = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("JOB_COMPLETION_INDEX", "5"),
            ("PARALLEL_SEQ", "7"),
        ]);
        assert_eq!(resolve_index(Some(1), all).unwrap().0, 1);
        assert_eq!(resolve_index(None, all).unwrap().0, 3);
        let k8s = env(&[("JOB_COMPLETION_INDEX", "5"), ("PARALLEL_SEQ", "7")]);
        assert_eq!(resolve_index(None, k8s).unwrap().0, 5);
        assert_eq!(
            resolve_index(None, env(&[("PARALLEL_SEQ", "7")]))
                .unwrap()
                .0,
            6
        );
        let zero = resolve_index(None, env(&[("PARALLEL_SEQ", "0")])).unwrap_err();
        assert!(zero.to_string().contains("counts from 1"), "{zero}");
        let bad = resolve_index(None, env(&[("SLURM_ARRAY_TASK_ID", "x")])).unwrap_err();
        assert!(bad.to_string().contains("SLURM_ARRAY_TASK_ID"), "{bad}");
        assert!(resolve_index(None, env(&[])).is_err());
    }
}
