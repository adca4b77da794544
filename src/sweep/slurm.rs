//! Slurm: one sbatch script per stage (a job array over the stage's tasks, at most
//! `max_parallel` at once), and the commands that submit them, each stage after the last.
//!
//! Stage `k` is submitted with `--dependency=afterok:<jobs of the earlier stages>` and
//! `--kill-on-invalid-dep=yes`: it starts only when every task before it succeeded; when one
//! failed, the later stages are cancelled by Slurm and `hits sweep collect` names the failed
//! task, its exit code and its log. Fix it, rerun that task (`hits sweep run PLAN --index N`,
//! or submit again: finished tasks are skipped in seconds) and the sweep goes on.
//!
//! Nothing about a cluster is built in: partition, account, time, memory, CPUs, GPUs, modules
//! and extra `#SBATCH` lines come from [`SlurmOptions`], read from a small JSON file and
//! overridden by flags. Logs go to `<log_dir>/<stage>-<index>.out` (appended to on a rerun).
//!
//! The scripts are data, not code: every value written into them (each option, the plan's
//! experiment, root and file, the log folder, the hits program) is refused when it holds a
//! control character (a newline after `#SBATCH` would end the comment and make the next line
//! a command) and is shell-quoted where it is used; the job name is made of `[A-Za-z0-9._-]`
//! (anything else becomes `_`). Only `setup` lines are shell by design (the user's own
//! settings file), each one line without control characters.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::plan::{Plan, Stage};
use crate::{Error, Result};

/// The settings of the sbatch scripts (every field optional; see the module docs). As a JSON
/// file: `{"partition": "cpu", "account": "lab", "time": "04:00:00", "mem": "4G",
/// "cpus_per_task": 1, "max_parallel": 50, "modules": ["rust/1.90"], "setup": ["source
/// env.sh"], "sbatch": ["--qos=normal"]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmOptions {
    pub partition: Option<String>,
    pub account: Option<String>,
    /// Wall time per task, as sbatch's `--time` (e.g. `04:00:00`).
    pub time: Option<String>,
    /// Memory per task, as sbatch's `--mem` (e.g. `4G`).
    pub mem: Option<String>,
    /// CPUs per task [default: 1; the ODE steppers train on one core each].
    pub cpus_per_task: Option<usize>,
    /// GPUs per task, as sbatch's `--gpus`.
    pub gpus: Option<String>,
    /// At most this many tasks of a stage at once (the array's `%K`).
    pub max_parallel: Option<usize>,
    /// `module load` these before running.
    #[serde(default)]
    pub modules: Vec<String>,
    /// Shell lines run before the task (e.g. activating an environment).
    #[serde(default)]
    pub setup: Vec<String>,
    /// Extra sbatch options, each as on the command line (`--qos=normal`).
    #[serde(default)]
    pub sbatch: Vec<String>,
    /// Where the logs go [default: `<sweep_dir>/logs`].
    pub log_dir: Option<PathBuf>,
}

impl SlurmOptions {
    /// Read a JSON settings file, checked as [`SlurmOptions::check`] does (naming the file).
    pub fn load(path: &Path) -> Result<SlurmOptions> {
        let text = crate::io::read_data_text(path)?;
        let opts: SlurmOptions = serde_json::from_str(&text)
            .map_err(|e| Error::bad_file(path, format!("not hits sweep slurm settings: {e}")))?;
        opts.check(Some(path))?;
        Ok(opts)
    }

    /// Refuse any value that holds a control character, naming the field (`slurm option
    /// partition`) and `source` (the settings file) when known; `sbatch` entries must be
    /// options (start with `-`).
    pub fn check(&self, source: Option<&Path>) -> Result<()> {
        for (field, v) in [
            ("partition", &self.partition),
            ("account", &self.account),
            ("time", &self.time),
            ("mem", &self.mem),
            ("gpus", &self.gpus),
        ] {
            if let Some(v) = v {
                script_value(&format!("slurm option {field}"), v, source)?;
            }
        }
        if let Some(d) = &self.log_dir {
            script_path("slurm option log_dir", d, source)?;
        }
        for (list, values) in [
            ("modules", &self.modules),
            ("setup", &self.setup),
            ("sbatch", &self.sbatch),
        ] {
            for (i, v) in values.iter().enumerate() {
                let field = format!("slurm option {list}[{i}]");
                script_value(&field, v, source)?;
                if list == "sbatch" && !v.starts_with('-') {
                    return Err(refusal(
                        &field,
                        format!("{v:?} is not an sbatch option (like --qos=normal)"),
                        source,
                    ));
                }
            }
        }
        Ok(())
    }

    /// These options with every field `over` sets replacing ours (lists are added).
    pub fn overridden_by(mut self, over: SlurmOptions) -> SlurmOptions {
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { self.$f = over.$f; } )* };
        }
        take!(
            partition,
            account,
            time,
            mem,
            cpus_per_task,
            gpus,
            max_parallel,
            log_dir
        );
        self.modules.extend(over.modules);
        self.setup.extend(over.setup);
        self.sbatch.extend(over.sbatch);
        self
    }
}

/// `0-3,7,9-10`: the indices as sbatch's `--array` list.
pub fn array_list(indices: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < indices.len() {
        let mut j = i;
        while j + 1 < indices.len() && indices[j + 1] == indices[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            indices[i].to_string()
        } else {
            format!("{}-{}", indices[i], indices[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

fn refusal(field: &str, msg: String, source: Option<&Path>) -> Error {
    match source {
        Some(p) => Error::bad_file(p, format!("{field}: {msg}")),
        None => Error::invalid(field, msg),
    }
}

/// `v` if it holds no control character (see the module docs), else an error naming `field`
/// and `source`.
fn script_value<'a>(field: &str, v: &'a str, source: Option<&Path>) -> Result<&'a str> {
    match v.chars().find(|c| c.is_control()) {
        None => Ok(v),
        Some(c) => Err(refusal(
            field,
            format!(
                "{v:?} holds the control character {c:?}; refused (it would end a line of the \
                 sbatch script)"
            ),
            source,
        )),
    }
}

/// A path as text for a script: UTF-8 (never replaced by another name) and free of control
/// characters.
fn script_path<'a>(field: &str, p: &'a Path, source: Option<&Path>) -> Result<&'a str> {
    let text = p.to_str().ok_or_else(|| {
        refusal(
            field,
            format!("{} is not UTF-8; refused", p.to_string_lossy()),
            source,
        )
    })?;
    script_value(field, text, source)
}

/// `hits-<experiment>-<stage>` with every character outside `[A-Za-z0-9._-]` made `_`.
pub fn job_name(experiment: &str, stage: Stage) -> String {
    format!("hits-{experiment}-{}", stage.name())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `s` as one argument of an `#SBATCH` line, as sbatch reads it (only double quotes group,
/// a backslash escapes the next character, an unescaped `#` ends the line even inside quotes;
/// bash sees the whole line as a comment): plain words as they are, anything else in double
/// quotes with `\`, `"` and `#` escaped.
pub fn sbatch_quote(s: &str) -> String {
    if is_plain(s) {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        if matches!(c, '\\' | '"' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn is_plain(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c))
}

/// `s` quoted for the shell: plain words as they are, anything else in single quotes.
pub fn quote(s: &str) -> String {
    if is_plain(s) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// One stage's script.
#[derive(Debug, Clone, PartialEq)]
pub struct StageScript {
    pub stage: Stage,
    pub path: PathBuf,
    pub text: String,
}

/// The log folder of a plan under `opts`.
pub fn log_dir(plan: &Plan, opts: &SlurmOptions) -> PathBuf {
    match &opts.log_dir {
        Some(d) => plan.resolve(d),
        None => plan.resolve(&plan.settings.sweep_dir).join("logs"),
    }
}

/// The log of one task under the scripts' naming.
pub fn log_path(log_dir: &Path, stage: Stage, index: usize) -> PathBuf {
    log_dir.join(format!("{}-{index}.out", stage.name()))
}

/// The sbatch scripts of every stage that has tasks, written to `<sweep_dir>/slurm/` by the
/// caller: each runs `<hits> sweep run <plan_file>` for its array index. Every value is
/// checked and quoted (see the module docs); an error names the field.
pub fn stage_scripts(
    plan: &Plan,
    plan_file: &Path,
    hits: &Path,
    opts: &SlurmOptions,
) -> Result<Vec<StageScript>> {
    if opts.max_parallel == Some(0) || opts.cpus_per_task == Some(0) {
        return Err(Error::invalid(
            "slurm options",
            "--max-parallel and --cpus-per-task must be at least 1",
        ));
    }
    opts.check(None)?;
    let plan_text = script_path("plan file", plan_file, None)?;
    let hits_text = script_path("hits program", hits, None)?;
    script_value("plan experiment", &plan.experiment, Some(plan_file))?;
    let root = script_path("plan root", &plan.root, Some(plan_file))?;
    let logs = log_dir(plan, opts);
    let logs_text = script_path("slurm option log_dir", &logs, None)?;
    let dir = plan.sweep_dir().join("slurm");
    script_path("plan settings.sweep_dir", &dir, Some(plan_file))?;
    let mut out = Vec::new();
    for stage in Stage::ALL {
        let indices: Vec<usize> = plan.stage(stage).iter().map(|t| t.index).collect();
        if indices.is_empty() {
            continue;
        }
        let limit = opts.max_parallel.map_or(String::new(), |k| format!("%{k}"));
        let mut s = format!(
            "#!/bin/bash\n# Written by `hits sweep slurm` (hits {}): stage `{}` of {}, {} task(s).\n\
             # Submit all stages with submit.sh beside this file (or `hits sweep slurm --submit`).\n",
            env!("CARGO_PKG_VERSION"),
            stage.name(),
            quote(plan_text),
            indices.len()
        );
        let mut sb = |line: String| s.push_str(&format!("#SBATCH {line}\n"));
        sb(format!(
            "--job-name={}",
            sbatch_quote(&job_name(&plan.experiment, stage))
        ));
        sb(format!("--array={}{limit}", array_list(&indices)));
        sb(format!(
            "--cpus-per-task={}",
            opts.cpus_per_task.unwrap_or(1)
        ));
        for (flag, v) in [
            ("time", &opts.time),
            ("mem", &opts.mem),
            ("partition", &opts.partition),
            ("account", &opts.account),
            ("gpus", &opts.gpus),
        ] {
            if let Some(v) = v {
                sb(sbatch_quote(&format!("--{flag}={v}")));
            }
        }
        sb(sbatch_quote(&format!(
            "--output={logs_text}/{}-%a.out",
            stage.name()
        )));
        sb("--open-mode=append".into());
        sb(sbatch_quote(&format!("--chdir={root}")));
        for extra in &opts.sbatch {
            sb(sbatch_quote(extra));
        }
        s.push_str("set -euo pipefail\n");
        for m in &opts.modules {
            s.push_str(&format!("module load {}\n", quote(m)));
        }
        for line in &opts.setup {
            s.push_str(line);
            s.push('\n');
        }
        s.push_str(&format!(
            "export HITS_SWEEP_LOG={}/{}-${{SLURM_ARRAY_TASK_ID}}.out\n\
             echo \"== task ${{SLURM_ARRAY_TASK_ID}} of job ${{SLURM_ARRAY_JOB_ID}} on $(hostname) at $(date -u +%FT%TZ)\"\n\
             exec {} sweep run {}\n",
            quote(logs_text),
            stage.name(),
            quote(hits_text),
            quote(plan_text)
        ));
        out.push(StageScript {
            stage,
            path: dir.join(format!("{}.sbatch", stage.name())),
            text: s,
        });
    }
    Ok(out)
}

/// The sbatch command lines of `scripts`, stage by stage; stage `k` depends on the shell
/// variables of the earlier ones (`$data`, `$train`).
pub fn submit_commands(scripts: &[StageScript]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut before: Vec<String> = Vec::new();
    for sc in scripts {
        let dep = if before.is_empty() {
            String::new()
        } else {
            format!(
                " --dependency=afterok:{} --kill-on-invalid-dep=yes",
                before.join(":")
            )
        };
        let var = sc.stage.name();
        lines.push(format!(
            "{var}=$(sbatch --parsable{dep} {}); {var}=${{{var}%%;*}}",
            quote(&sc.path.to_string_lossy())
        ));
        before.push(format!("${var}"));
    }
    lines
}

/// `submit.sh`: the commands of [`submit_commands`], then a line with the job ids.
pub fn submit_script(scripts: &[StageScript]) -> String {
    let mut s = String::from(
        "#!/bin/bash\n# Written by `hits sweep slurm`: submits every stage, each after the last \
         succeeded.\nset -euo pipefail\n",
    );
    for l in submit_commands(scripts) {
        s.push_str(&l);
        s.push('\n');
    }
    let ids: Vec<String> = scripts
        .iter()
        .map(|sc| format!("{0} ${0}", sc.stage.name()))
        .collect();
    s.push_str(&format!("echo \"submitted: {}\"\n", ids.join(", ")));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_lists_are_compact() {
        assert_eq!(array_list(&[0, 1, 2, 3, 7, 9, 10]), "0-3,7,9-10");
        assert_eq!(array_list(&[4]), "4");
    }

    #[test]
    fn flags_override_the_file_and_lists_add_up() {
        let file: SlurmOptions =
            serde_json::from_str(r#"{"partition": "a", "mem": "2G", "modules": ["x"]}"#).unwrap();
        let flags = SlurmOptions {
            partition: Some("b".into()),
            modules: vec!["y".into()],
            ..SlurmOptions::default()
        };
        let o = file.overridden_by(flags);
        assert_eq!(o.partition.as_deref(), Some("b"));
        assert_eq!(o.mem.as_deref(), Some("2G"));
        assert_eq!(o.modules, ["x", "y"]);
        assert!(serde_json::from_str::<SlurmOptions>(r#"{"partitoin": "a"}"#).is_err());
    }

    #[test]
    fn quoting_keeps_plain_words_and_quotes_the_rest() {
        assert_eq!(quote("/a/b-c.json"), "/a/b-c.json");
        assert_eq!(quote("it's here"), "'it'\\''s here'");
        assert_eq!(sbatch_quote("--mem=2G"), "--mem=2G");
        assert_eq!(sbatch_quote(r#"a "b" #c\"#), r#""a \"b\" \#c\\""#);
        assert_eq!(job_name("x $(y)", Stage::Eval), "hits-x___y_-eval");
    }
}
