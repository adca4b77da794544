//! Where a sweep stands: every task's state from its `status.json`, and the log to read for
//! each task that failed or is missing. `hits sweep collect` prints this beside the reports it
//! builds (the same `REPORT.md` and Table 1 files the one-process commands write).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::plan::{Plan, Task};
use super::slurm::log_path;
use super::task::{output_problems, read_status, TaskStatus};
use crate::io::write_bytes_atomic;
use crate::Result;

/// What `hits sweep slurm --submit` records in `<sweep_dir>/slurm/submitted.json`, so that
/// `collect` can name the log of a task that never wrote a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    pub log_dir: PathBuf,
    /// `(stage, job id)` in submission order.
    pub jobs: Vec<(String, String)>,
}

impl Submitted {
    /// The record's file in a plan's sweep folder.
    pub fn path(plan: &Plan) -> PathBuf {
        plan.resolve(&plan.settings.sweep_dir)
            .join("slurm")
            .join("submitted.json")
    }

    /// Write the record.
    pub fn save(&self, plan: &Plan) -> Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        write_bytes_atomic(&Self::path(plan), text.as_bytes())
    }

    /// The record, when the plan was submitted.
    pub fn load(plan: &Plan) -> Option<Submitted> {
        let text = std::fs::read_to_string(Self::path(plan)).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// One task's state.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    NotStarted,
    /// `running` in its status: running now, or killed (out of time or memory).
    Running(TaskStatus),
    Done(TaskStatus),
    /// `done` in its status, but outputs it recorded are missing or changed (each said):
    /// not done.
    Changed(TaskStatus, Vec<String>),
    Failed(TaskStatus),
    /// A status file that cannot be read.
    Unreadable(String),
}

/// Every task's state, in plan order.
pub fn states(plan: &Plan) -> Vec<(&Task, State)> {
    plan.tasks
        .iter()
        .map(|t| {
            let status = plan.task_dir(t).and_then(|d| read_status(&d));
            let st = match status {
                Ok(None) => State::NotStarted,
                Ok(Some(s)) if s.state == "done" => match output_problems(plan, &s) {
                    p if p.is_empty() => State::Done(s),
                    p => State::Changed(s, p),
                },
                Ok(Some(s)) if s.state == "failed" => State::Failed(s),
                Ok(Some(s)) => State::Running(s),
                Err(e) => State::Unreadable(e.to_string()),
            };
            (t, st)
        })
        .collect()
}

/// The log of `task`: from its status, else from the submission record, if any.
fn log_of(plan: &Plan, task: &Task, status: Option<&TaskStatus>) -> Option<PathBuf> {
    status.and_then(|s| s.log.clone()).or_else(|| {
        Submitted::load(plan).map(|s| log_path(&plan.resolve(&s.log_dir), task.stage, task.index))
    })
}

/// The lines of the sweep's state: counts, then one line per task that is not done (with its
/// log). Returns the lines and the number of tasks not done.
pub fn status_lines(plan: &Plan) -> (Vec<String>, usize) {
    let all = states(plan);
    let done = all
        .iter()
        .filter(|(_, s)| matches!(s, State::Done(_)))
        .count();
    let mut lines = vec![format!("{} of {} tasks done", done, plan.tasks.len())];
    let show = |p: Option<PathBuf>| p.map_or(String::new(), |p| format!("; log {}", p.display()));
    for (t, s) in &all {
        let line = match s {
            State::Done(_) => continue,
            State::NotStarted => format!(
                "missing: task {} ({}): not started{}",
                t.index,
                t.id,
                show(log_of(plan, t, None))
            ),
            State::Running(st) => format!(
                "missing: task {} ({}): started on {} (PID {}) and not finished: still running, or \
                 killed (time or memory limit){}",
                t.index,
                t.id,
                st.host,
                st.pid,
                show(log_of(plan, t, Some(st)))
            ),
            State::Failed(st) => format!(
                "FAILED: task {} ({}): exit code {}: {}{}",
                t.index,
                t.id,
                st.exit_code.unwrap_or(1),
                st.error
                    .as_deref()
                    .unwrap_or("no message")
                    .lines()
                    .next()
                    .unwrap_or(""),
                show(log_of(plan, t, Some(st)))
            ),
            State::Changed(_, problems) => format!(
                "missing: task {} ({}): finished, but its outputs are not as it wrote them: {}; \
                 it runs again when run",
                t.index,
                t.id,
                problems.join("; ")
            ),
            State::Unreadable(e) => format!("FAILED: task {} ({}): {e}", t.index, t.id),
        };
        lines.push(line);
    }
    (lines, plan.tasks.len() - done)
}
