//! `hits sweep`: a quick all-ode plan run task by task, each in its own process, gives the
//! one-process run's checkpoints byte for byte and its results (all but wall times); tasks
//! refuse to run before their inputs, refuse a second copy, skip what is done, and a failed
//! task is named by `collect` with its exit code. (The same through a real Slurm:
//! tools/test_slurm.sh, the `slurm` phase of test.sh.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const HITS: &str = env!("CARGO_BIN_EXE_hits");

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hits-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn hits(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(HITS);
    cmd.args(args).current_dir(dir).env_remove("HITS_QUICK");
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "JOB_COMPLETION_INDEX",
        "PARALLEL_SEQ",
    ] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = hits(dir, args, &[]);
    assert!(o.status.success(), "hits {args:?} failed:\n{}", text(&o));
    text(&o)
}

fn plan(dir: &Path) -> Value {
    ok(
        dir,
        &[
            "sweep",
            "plan",
            "--quick",
            "--systems",
            "hyperbolic",
            "--noise",
            "0",
            "--out",
            "plan.json",
        ],
    );
    serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).unwrap()).unwrap()
}

/// A JSON value without its wall times (keys containing `seconds`).
fn without_times(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.contains("seconds"))
                .map(|(k, v)| (k.clone(), without_times(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_quick_sweep_equals_the_one_process_run() {
    let root = fresh_dir("equal");
    let (one, sw) = (root.join("one"), root.join("sweep"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&sw).unwrap();
    ok(
        &one,
        &[
            "reproduce",
            "all-ode",
            "--quick",
            "--system",
            "hyperbolic",
            "--skip",
            "noisy",
        ],
    );
    let p = plan(&sw);
    let tasks = p["tasks"].as_array().unwrap();
    assert_eq!(p["format"], "hits-sweep-plan/1");
    assert_eq!(tasks.len(), 1 + 11 + 4, "data, 11 steppers, 4 evaluations");
    let eval = tasks
        .iter()
        .position(|t| t["id"] == "model_training")
        .unwrap();

    // An evaluation before its inputs: refused, naming them.
    let o = hits(
        &sw,
        &["sweep", "run", "plan.json", "--index", &eval.to_string()],
        &[],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("needs 11 task(s) that are not done: 1 (train-Hyperbolic-noise0.0-D1)"),
        "{}",
        text(&o)
    );
    // The data task, its index from GNU parallel's 1-based PARALLEL_SEQ.
    let o = hits(
        &sw,
        &["sweep", "run", "plan.json"],
        &[("PARALLEL_SEQ", "1")],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("task index 0 from PARALLEL_SEQ"),
        "{}",
        text(&o)
    );

    // A second copy of a running task: refused, nothing written.
    let task1 = sw.join("sweep/quick/all-ode/tasks/train-Hyperbolic-noise0.0-D1");
    let held = hits::io::FolderLock::acquire(&task1, "a first copy").unwrap();
    let o = hits(
        &sw,
        &["sweep", "run", "plan.json"],
        &[("SLURM_ARRAY_TASK_ID", "1")],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("is already running"), "{}", text(&o));
    drop(held);

    for i in 1..tasks.len() {
        ok(
            &sw,
            &["sweep", "run", "plan.json", "--index", &i.to_string()],
        );
    }
    let collected = ok(&sw, &["sweep", "collect", "plan.json"]);
    assert!(collected.contains("16 of 16 tasks done"), "{collected}");
    assert!(sw.join("results/quick/REPORT.md").exists());

    // Done work is skipped; a published checkpoint deleted is published again, not retrained.
    let again = ok(&sw, &["sweep", "run", "plan.json", "--index", "1"]);
    assert!(again.contains("done already, skipped"), "{again}");
    let models = |d: &Path| d.join("models/quick/Hyperbolic");
    std::fs::remove_file(models(&sw).join("model_D1_noise0.0.safetensors")).unwrap();
    let again = ok(&sw, &["sweep", "run", "plan.json", "--index", "1"]);
    assert!(again.contains("published 3 file(s) of step 1"), "{again}");

    let mut files = 0;
    for e in std::fs::read_dir(models(&one)).unwrap() {
        let name = e.unwrap().file_name();
        if !name.to_string_lossy().starts_with("model_D") {
            continue;
        }
        let a = std::fs::read(models(&one).join(&name)).unwrap();
        let b = std::fs::read(models(&sw).join(&name)).unwrap();
        assert!(a == b, "{name:?} differs from the one-process run's");
        files += 1;
    }
    assert_eq!(files, 33, "11 steppers: model, sidecar, state");
    for rel in [
        "multiscale_hits/Hyperbolic/summary.json",
        "hybrid/Hyperbolic/summary.json",
    ] {
        let a = json(&one.join("results/quick").join(rel));
        let b = json(&sw.join("results/quick").join(rel));
        assert_eq!(without_times(&a), without_times(&b), "{rel}");
        assert!(
            a["single_mse"].is_array() || a["hybrid_mse"].is_array(),
            "{rel}: {a}"
        );
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_failed_task_exits_non_zero_and_collect_names_it() {
    let dir = fresh_dir("failed");
    // The shared model folder is a file: publishing the trained stepper fails.
    std::fs::create_dir_all(dir.join("models/quick")).unwrap();
    std::fs::write(dir.join("models/quick/Hyperbolic"), "not a folder").unwrap();
    plan(&dir);
    ok(&dir, &["sweep", "run", "plan.json", "--index", "0"]);
    let o = hits(&dir, &["sweep", "run", "plan.json", "--index", "1"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("task 1 (train-Hyperbolic-noise0.0-D1) failed"),
        "{}",
        text(&o)
    );
    let status =
        json(&dir.join("sweep/quick/all-ode/tasks/train-Hyperbolic-noise0.0-D1/status.json"));
    assert_eq!(status["state"], "failed");
    assert_eq!(status["exit_code"], 1);
    let o = hits(&dir, &["sweep", "collect", "plan.json"], &[]);
    assert!(!o.status.success());
    let out = text(&o);
    assert!(out.contains("1 of 16 tasks done"), "{out}");
    assert!(
        out.contains("FAILED: task 1 (train-Hyperbolic-noise0.0-D1): exit code 1: "),
        "{out}"
    );
    assert!(
        out.contains("missing: task 2 (train-Hyperbolic-noise0.0-D2): not started"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The files of `dir` whose names end with `ext`, sorted.
fn files_with(dir: &Path, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(ext))
        .collect();
    v.sort();
    v
}

fn same_files(a: &Path, b: &Path, ext: &str, expected: usize) {
    let names = files_with(a, ext);
    assert_eq!(names.len(), expected, "{}: {names:?}", a.display());
    for n in &names {
        let (x, y) = (
            std::fs::read(a.join(n)).unwrap(),
            std::fs::read(b.join(n)).unwrap(),
        );
        assert!(
            x == y,
            "{n} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn a_quick_table1_sweep_equals_the_one_process_run() {
    let root = fresh_dir("table1");
    let (one, sw) = (root.join("one"), root.join("sweep"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&sw).unwrap();
    ok(&one, &["reproduce", "table1", "--quick", "--data", "fluid"]);
    ok(
        &sw,
        &[
            "sweep",
            "plan",
            "--experiment",
            "table1",
            "--quick",
            "--data",
            "fluid",
            "--out",
            "plan.json",
        ],
    );
    let run = ok(&sw, &["sweep", "run", "plan.json", "--all"]);
    assert!(run.contains("task 1 (Fluid-hits): done"), "{run}");
    let collected = ok(&sw, &["sweep", "collect", "plan.json"]);
    assert!(collected.contains("6 of 6 tasks done"), "{collected}");
    let dir = |d: &Path| d.join("results/quick/table1/Fluid");
    // the generated sequences of the four models, byte for byte
    same_files(&dir(&one), &dir(&sw), ".npy", 4);
    let rows = |d: &Path| -> Vec<(String, f64)> {
        json(&dir(d).join("result.json"))["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["model"].as_str().unwrap().to_string(),
                    r["mse"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(rows(&one), rows(&sw));
    assert!(sw.join("results/quick/table1/TABLE1.md").exists());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_data_folder_sweep_equals_hits_train_and_forecast() {
    let root = fresh_dir("given");
    let (one, sw) = (root.join("one"), root.join("sweep"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&sw).unwrap();
    ok(
        &root,
        &[
            "generate",
            "--system",
            "hyperbolic",
            "--quick",
            "--out",
            "made",
        ],
    );
    let d = root.join("made/quick/Hyperbolic");
    let d = d.to_str().unwrap();
    ok(
        &one,
        &["train", "--data-dir", d, "--step-sizes", "1,2,4", "--quick"],
    );
    ok(
        &one,
        &[
            "forecast",
            "--data-dir",
            d,
            "--quick",
            "--models",
            "models/quick/Hyperbolic",
        ],
    );
    ok(
        &sw,
        &[
            "sweep",
            "plan",
            "--data-dir",
            d,
            "--steps",
            "1,2,4",
            "--quick",
            "--out",
            "plan.json",
        ],
    );
    ok(&sw, &["sweep", "run", "plan.json", "--all"]);
    ok(&sw, &["sweep", "collect", "plan.json"]);
    let models = |r: &Path| r.join("models/quick/Hyperbolic");
    same_files(&models(&one), &models(&sw), ".safetensors", 6);
    let results = |r: &Path| r.join("results/quick/Hyperbolic");
    same_files(&results(&one), &results(&sw), ".npy", 2);
    std::fs::remove_dir_all(&root).unwrap();
}
