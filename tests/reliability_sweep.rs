//! Hostile sweeps (issue 26): plans whose task ids are paths, values that would become shell
//! lines in the sbatch scripts, checkpoints replaced unasked, sweeps re-planned under their
//! finished tasks, and tasks "done" after their outputs went away.
//!
//! - `task_ids_that_are_paths_or_alias_are_refused_when_a_plan_loads`,
//!   `a_task_id_climbing_out_is_refused_before_anything_is_written`: confinement of task folders
//!   and plan validation (ids, indices, dependencies, names, control characters).
//! - `hostile_values_never_become_lines_of_the_sbatch_scripts`,
//!   `values_with_control_characters_are_refused_naming_the_field`,
//!   `hits_sweep_slurm_refuses_hostile_flags_settings_and_plan_files`: scripts are data.
//! - `nothing_is_replaced_unasked_and_done_is_rechecked`: a foreign checkpoint in `models/`,
//!   re-planning a started sweep, outputs deleted or changed after a task finished.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hits::sweep::slurm::{stage_scripts, submit_script, SlurmOptions};
use hits::sweep::{build, Plan, Settings};
use hits::SystemKind;
use serde_json::Value;

const HITS: &str = env!("CARGO_BIN_EXE_hits");

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hits-rsweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn hits(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(HITS);
    cmd.args(args).current_dir(dir).env_remove("HITS_QUICK");
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "JOB_COMPLETION_INDEX",
        "PARALLEL_SEQ",
    ] {
        cmd.env_remove(v);
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
    let o = hits(dir, args);
    assert!(o.status.success(), "hits {args:?} failed:\n{}", text(&o));
    text(&o)
}

/// `hits args` fails (exit 1) with a message holding every one of `needles`.
fn refused(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let o = hits(dir, args);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "hits {args:?} should fail:\n{t}");
    for n in needles {
        assert!(t.contains(n), "hits {args:?}: no {n:?} in:\n{t}");
    }
    t
}

fn settings() -> Settings {
    Settings {
        data_dir: "data".into(),
        models: "models".into(),
        out: "results".into(),
        sweep_dir: "sweep".into(),
        epochs: None,
        baseline_epochs: None,
        overwrite: false,
    }
}

/// A quick one-system all-ode plan (16 tasks) rooted at `root`, as JSON.
fn plan_value(root: &Path) -> Value {
    let (plan, _) = build::all_ode(
        &[SystemKind::Hyperbolic],
        &[0.0],
        true,
        root.to_path_buf(),
        settings(),
    )
    .unwrap();
    serde_json::to_value(&plan).unwrap()
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

#[test]
fn task_ids_that_are_paths_or_alias_are_refused_when_a_plan_loads() {
    let dir = fresh_dir("ids");
    let file = dir.join("plan.json");
    let good = plan_value(&dir);
    write_json(&file, &good);
    let plan = Plan::load(&file).unwrap();
    for t in &plan.tasks {
        let d = plan.task_dir(t).unwrap();
        assert_eq!(d, dir.join("sweep/tasks").join(&t.id));
    }
    // (what to change, the field the error must name, a word of its reason)
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|v| v["tasks"][1]["id"] = "../../escape".into()),
            "tasks[1].id",
            "path",
        ),
        (
            Box::new(|v| v["tasks"][1]["id"] = "/tmp/abs".into()),
            "tasks[1].id",
            "absolute",
        ),
        (
            Box::new(|v| v["tasks"][1]["id"] = "..".into()),
            "tasks[1].id",
            "..",
        ),
        (
            Box::new(|v| v["tasks"][1]["id"] = "".into()),
            "tasks[1].id",
            "empty",
        ),
        (
            Box::new(|v| v["tasks"][1]["id"] = ".hidden".into()),
            "tasks[1].id",
            "'.'",
        ),
        (
            Box::new(|v| v["tasks"][1]["id"] = "a b".into()),
            "tasks[1].id",
            "only letters",
        ),
        (
            Box::new(|v| v["tasks"][1]["id"] = "a\nb".into()),
            "tasks[1].id",
            "control",
        ),
        // `a` and `a/.` are one folder; so are `a` and `A` where case is folded
        (
            Box::new(|v| {
                v["tasks"][1]["id"] = "a".into();
                v["tasks"][2]["id"] = "a/.".into();
            }),
            "tasks[2].id",
            "path",
        ),
        (
            Box::new(|v| {
                v["tasks"][1]["id"] = "a".into();
                v["tasks"][2]["id"] = "A".into();
            }),
            "tasks[2].id",
            "used twice",
        ),
        (
            Box::new(|v| v["tasks"][3]["index"] = 7.into()),
            "tasks[3].index",
            "position",
        ),
        (
            Box::new(|v| v["tasks"][3]["depends_on"] = serde_json::json!([0, 99])),
            "tasks[3].depends_on",
            "task 3 (train-Hyperbolic-noise0.0-D4) depends on task 99, which does not exist",
        ),
        (
            Box::new(|v| v["tasks"][0]["depends_on"] = serde_json::json!([0])),
            "tasks[0].depends_on",
            "depends on itself",
        ),
        (
            // an evaluation and a training task waiting for each other
            Box::new(|v| v["tasks"][1]["depends_on"] = serde_json::json!([15])),
            "tasks[1].depends_on",
            "not of an earlier stage",
        ),
        (
            Box::new(|v| v["format"] = "hits-sweep-plan/9".into()),
            "format",
            "plan/9",
        ),
        (
            Box::new(|v| v["experiment"] = "../x".into()),
            "experiment",
            "starts with '.'",
        ),
        (
            Box::new(|v| v["experiment"] = "x\ntouch y".into()),
            "experiment",
            "only letters",
        ),
        (
            Box::new(|v| v["root"] = "relative/root".into()),
            "root",
            "absolute",
        ),
        (
            Box::new(|v| v["root"] = "/tmp/a\nb".into()),
            "root",
            "control",
        ),
        (
            Box::new(|v| v["settings"]["models"] = "models\n#".into()),
            "settings.models",
            "control",
        ),
        (
            Box::new(|v| v["settings"]["sweep_dir"] = "s\rx".into()),
            "settings.sweep_dir",
            "control",
        ),
        (
            Box::new(|v| v["tasks"][2]["equivalent"] = "hits\u{1b}[2J".into()),
            "tasks[2].equivalent",
            "control",
        ),
        (
            Box::new(|v| v["tasks"][15]["work"]["experiment"] = "nope".into()),
            "tasks[15].work.experiment",
            "none of",
        ),
    ];
    for (k, (edit, field, why)) in cases.iter().enumerate() {
        let mut v = good.clone();
        edit(&mut v);
        let bad = dir.join(format!("bad{k}.json"));
        write_json(&bad, &v);
        let e = Plan::load(&bad).unwrap_err().to_string();
        assert!(
            e.contains(&format!("bad{k}.json")) && e.contains(field) && e.contains(why),
            "case {k}: expected {field:?} and {why:?} in: {e}"
        );
    }
    // A plan made in memory cannot give a folder outside the sweep either.
    let mut p = plan.clone();
    p.tasks[1].id = "../../escape".into();
    assert!(p.task_dir(&p.tasks[1]).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_task_id_climbing_out_is_refused_before_anything_is_written() {
    let dir = fresh_dir("climb");
    let work = dir.join("project");
    std::fs::create_dir_all(&work).unwrap();
    let mut v = plan_value(&work);
    v["tasks"][0]["id"] = "../../../escaped".into();
    v["tasks"][1]["id"] = "/tmp/hits-rsweep-absolute".into();
    write_json(&work.join("plan.json"), &v);
    for (index, field) in [("0", "tasks[0].id"), ("1", "tasks[0].id")] {
        refused(
            &work,
            &["sweep", "run", "plan.json", "--index", index],
            &["plan.json", field],
        );
    }
    refused(&work, &["sweep", "collect", "plan.json"], &["tasks[0].id"]);
    assert!(!dir.join("escaped").exists() && !work.join("escaped").exists());
    assert!(!Path::new("/tmp/hits-rsweep-absolute").exists());
    assert!(!work.join("sweep").exists(), "nothing was written");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The arguments of an `#SBATCH` line as sbatch reads them (`_get_argument` of
/// src/sbatch/opt.c): whitespace separates, a double quote toggles grouping, a backslash
/// escapes the next character, an unescaped `#` ends the line.
fn sbatch_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return out;
        }
        let (mut arg, mut grouped, mut escaped) = (String::new(), false, false);
        while let Some(&c) = chars.peek() {
            if !grouped && c.is_whitespace() {
                break;
            }
            chars.next();
            if escaped {
                escaped = false;
                arg.push(c);
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                grouped = !grouped;
            } else if c == '#' {
                if !arg.is_empty() {
                    out.push(arg);
                }
                return out;
            } else {
                arg.push(c);
            }
        }
        if !arg.is_empty() {
            out.push(arg);
        }
    }
}

/// Every piece of shell an attacker might hope to run, without a control character.
const HOSTILE: &str = "x'\"$(touch PWNED1)`touch PWNED2`;touch PWNED3 && touch PWNED4 #\\ ~*";

fn no_pwned(dirs: &[&Path]) {
    for d in dirs {
        for e in std::fs::read_dir(d).unwrap() {
            let n = e.unwrap().file_name().to_string_lossy().to_string();
            assert!(
                !n.starts_with("PWNED"),
                "{n} was created in {}",
                d.display()
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn hostile_values_never_become_lines_of_the_sbatch_scripts() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fresh_dir("scripts");
    let root = dir.join(format!("root {HOSTILE}"));
    std::fs::create_dir_all(&root).unwrap();
    let bin = dir.join(format!("bin {HOSTILE}"));
    std::fs::create_dir_all(&bin).unwrap();
    let record = dir.join("record");
    std::fs::create_dir_all(&record).unwrap();
    // fake programs recording their arguments, one per line
    let fake = |path: &Path, name: &str| {
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> {}\nprintf '%s\\n' \"$HITS_SWEEP_LOG\" >> {}\necho 42\n",
            record.join(name).display(),
            record.join(name).display()
        );
        std::fs::write(path, script).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let hits_bin = bin.join("hits");
    fake(&hits_bin, "hits");
    let path_dir = dir.join("path");
    std::fs::create_dir_all(&path_dir).unwrap();
    fake(&path_dir.join("module"), "module");
    fake(&path_dir.join("sbatch"), "sbatch");

    let mut s = settings();
    s.sweep_dir = format!("sweep {HOSTILE}").into();
    let (mut plan, _) =
        build::all_ode(&[SystemKind::Hyperbolic], &[0.0], true, root.clone(), s).unwrap();
    // a name Plan::load refuses; the job name is made of its safe characters anyway
    plan.experiment = format!("exp {HOSTILE}");
    let plan_file = root.join(format!("plan {HOSTILE}.json"));
    let logs = dir.join(format!("logs {HOSTILE}"));
    let opts = SlurmOptions {
        partition: Some(HOSTILE.into()),
        account: Some(HOSTILE.into()),
        time: Some(HOSTILE.into()),
        mem: Some(HOSTILE.into()),
        cpus_per_task: Some(2),
        gpus: Some(HOSTILE.into()),
        max_parallel: Some(3),
        modules: vec![HOSTILE.into(), "rust".into()],
        setup: vec!["true".into()],
        sbatch: vec![format!("--comment={HOSTILE}")],
        log_dir: Some(logs.clone()),
    };
    let scripts = stage_scripts(&plan, &plan_file, &hits_bin, &opts).unwrap();
    assert_eq!(scripts.len(), 3);
    let path_var = format!("{}:{}", path_dir.display(), std::env::var("PATH").unwrap());
    for sc in &scripts {
        std::fs::create_dir_all(sc.path.parent().unwrap()).unwrap();
        std::fs::write(&sc.path, &sc.text).unwrap();
        let n = Command::new("bash")
            .arg("-n")
            .arg(&sc.path)
            .output()
            .unwrap();
        assert!(n.status.success(), "bash -n: {}\n{}", text(&n), sc.text);
        // every line: a comment, or one of the lines the script is made of
        let code: Vec<&str> = sc.text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(code.len(), 7, "{}", sc.text);
        assert_eq!(code[0], "set -euo pipefail");
        assert!(code[1].starts_with("module load '"), "{}", code[1]);
        assert_eq!(code[2], "module load rust");
        assert_eq!(code[3], "true");
        assert!(
            code[4].starts_with("export HITS_SWEEP_LOG='"),
            "{}",
            code[4]
        );
        assert!(code[5].starts_with("echo \"== task ${SLURM_ARRAY_TASK_ID} of job"));
        assert!(code[6].starts_with("exec '"), "{}", code[6]);
        // every #SBATCH line is one argument, the value exactly as given
        let stage = sc.stage.name();
        let args: Vec<Vec<String>> = sc
            .text
            .lines()
            .filter_map(|l| l.strip_prefix("#SBATCH "))
            .map(sbatch_args)
            .collect();
        let job: String = format!("hits-exp {HOSTILE}-{stage}")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut expected = vec![
            format!("--job-name={job}"),
            String::new(), // the array, checked below
            "--cpus-per-task=2".into(),
        ];
        for f in ["time", "mem", "partition", "account", "gpus"] {
            expected.push(format!("--{f}={HOSTILE}"));
        }
        expected.push(format!("--output={}/{stage}-%a.out", logs.display()));
        expected.push("--open-mode=append".into());
        expected.push(format!("--chdir={}", root.display()));
        expected.push(format!("--comment={HOSTILE}"));
        assert_eq!(args.len(), expected.len(), "{}", sc.text);
        for (i, (a, e)) in args.iter().zip(&expected).enumerate() {
            assert_eq!(a.len(), 1, "line {i}: {a:?}");
            if i == 1 {
                assert!(
                    a[0].starts_with("--array=") && a[0].ends_with("%3"),
                    "{a:?}"
                );
            } else {
                assert_eq!(&a[0], e);
            }
        }
        // and run as Slurm would run it: the values reach the programs as they are
        let cwd = dir.join(format!("run-{stage}"));
        std::fs::create_dir_all(&cwd).unwrap();
        for f in ["hits", "module"] {
            let _ = std::fs::remove_file(record.join(f));
        }
        let r = Command::new("bash")
            .arg(&sc.path)
            .current_dir(&cwd)
            .env("PATH", &path_var)
            .env("SLURM_ARRAY_TASK_ID", "1")
            .env("SLURM_ARRAY_JOB_ID", "7")
            .output()
            .unwrap();
        assert!(r.status.success(), "{}\n{}", text(&r), sc.text);
        let got = std::fs::read_to_string(record.join("hits")).unwrap();
        assert_eq!(
            got,
            format!(
                "sweep\nrun\n{}\n{}/{stage}-1.out\n",
                plan_file.display(),
                logs.display()
            )
        );
        let got = std::fs::read_to_string(record.join("module")).unwrap();
        assert_eq!(got, format!("load\n{HOSTILE}\n\nload\nrust\n\n"));
        no_pwned(&[&cwd, &dir, &root]);
    }
    // submit.sh: the sbatch paths (in the hostile sweep folder) as one argument each
    let submit = dir.join("submit.sh");
    std::fs::write(&submit, submit_script(&scripts)).unwrap();
    let n = Command::new("bash")
        .arg("-n")
        .arg(&submit)
        .output()
        .unwrap();
    assert!(n.status.success(), "{}", text(&n));
    let r = Command::new("bash")
        .arg(&submit)
        .current_dir(&dir)
        .env("PATH", &path_var)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", text(&r));
    let got = std::fs::read_to_string(record.join("sbatch")).unwrap();
    let p = |i: usize| scripts[i].path.to_str().unwrap().to_string();
    assert_eq!(
        got,
        format!(
            "--parsable\n{}\n\n\
             --parsable\n--dependency=afterok:42\n--kill-on-invalid-dep=yes\n{}\n\n\
             --parsable\n--dependency=afterok:42:42\n--kill-on-invalid-dep=yes\n{}\n\n",
            p(0),
            p(1),
            p(2)
        )
    );
    no_pwned(&[&dir]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn values_with_control_characters_are_refused_naming_the_field() {
    let dir = fresh_dir("control");
    let (plan, _) = build::all_ode(
        &[SystemKind::Hyperbolic],
        &[0.0],
        true,
        dir.clone(),
        settings(),
    )
    .unwrap();
    let (pf, hb) = (dir.join("plan.json"), PathBuf::from("/usr/bin/hits"));
    const EVIL: &str = "cpu\ntouch PWNED";
    type Edit = Box<dyn Fn(&mut SlurmOptions)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|o| o.partition = Some(EVIL.into())),
            "slurm option partition",
        ),
        (
            Box::new(|o| o.account = Some(EVIL.into())),
            "slurm option account",
        ),
        (
            Box::new(|o| o.time = Some(EVIL.into())),
            "slurm option time",
        ),
        (
            Box::new(|o| o.mem = Some("2G\r".into())),
            "slurm option mem",
        ),
        (
            Box::new(|o| o.gpus = Some(EVIL.into())),
            "slurm option gpus",
        ),
        (
            Box::new(|o| o.modules = vec![EVIL.into()]),
            "slurm option modules[0]",
        ),
        (
            Box::new(|o| o.setup = vec!["true".into(), EVIL.into()]),
            "slurm option setup[1]",
        ),
        (
            Box::new(|o| o.sbatch = vec![format!("--qos={EVIL}")]),
            "slurm option sbatch[0]",
        ),
        (
            Box::new(|o| o.sbatch = vec!["touch PWNED".into()]),
            "slurm option sbatch[0]",
        ),
        (
            Box::new(|o| o.log_dir = Some(EVIL.into())),
            "slurm option log_dir",
        ),
    ];
    for (edit, field) in &cases {
        let mut o = SlurmOptions::default();
        edit(&mut o);
        let e = stage_scripts(&plan, &pf, &hb, &o).unwrap_err().to_string();
        assert!(e.contains(field), "expected {field:?} in: {e}");
    }
    let o = SlurmOptions::default();
    let e = stage_scripts(&plan, &dir.join("plan\nx.json"), &hb, &o).unwrap_err();
    assert!(e.to_string().contains("plan file"), "{e}");
    let e = stage_scripts(&plan, &pf, Path::new("/bin/hits\n"), &o).unwrap_err();
    assert!(e.to_string().contains("hits program"), "{e}");
    let mut p = plan.clone();
    p.root = "/tmp/a\nb".into();
    let e = stage_scripts(&p, &pf, &hb, &o).unwrap_err().to_string();
    assert!(e.contains("plan root"), "{e}");
    let mut p = plan.clone();
    p.experiment = "x\ny".into();
    let e = stage_scripts(&p, &pf, &hb, &o).unwrap_err().to_string();
    assert!(e.contains("plan experiment"), "{e}");
    // in a settings file: the file is named too
    let cfg = dir.join("slurm.json");
    std::fs::write(
        &cfg,
        r#"{"partition": "cpu", "sbatch": ["--qos=a\ntouch PWNED"]}"#,
    )
    .unwrap();
    let e = SlurmOptions::load(&cfg).unwrap_err().to_string();
    assert!(
        e.contains("slurm.json") && e.contains("slurm option sbatch[0]"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hits_sweep_slurm_refuses_hostile_flags_settings_and_plan_files() {
    let dir = fresh_dir("slurmcli");
    ok(
        &dir,
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
    let slurm = |extra: &[&str]| {
        let mut a = vec!["sweep", "slurm", "plan.json", "--hits", "/usr/bin/hits"];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>, needles: &[&str]| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&dir, &a, needles)
    };
    for (flag, field) in [
        ("--partition", "partition"),
        ("--account", "account"),
        ("--time", "time"),
        ("--mem", "mem"),
        ("--gpus", "gpus"),
        ("--module", "modules[0]"),
    ] {
        run(
            slurm(&[flag, "x\ntouch PWNED"]),
            &[&format!("slurm option {field}")],
        );
    }
    run(slurm(&["--log-dir", "logs\nx"]), &["slurm option log_dir"]);
    std::fs::write(
        dir.join("slurm.json"),
        r#"{"setup": ["source env.sh\ntouch PWNED"]}"#,
    )
    .unwrap();
    run(
        slurm(&["--config", "slurm.json"]),
        &["slurm.json", "slurm option setup[0]"],
    );
    std::fs::copy(dir.join("plan.json"), dir.join("plan\ntouch PWNED.json")).unwrap();
    run(
        vec![
            "sweep".into(),
            "slurm".into(),
            "plan\ntouch PWNED.json".into(),
        ],
        &["plan file"],
    );
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).unwrap()).unwrap();
    v["root"] = format!("{}\ntouch PWNED", dir.display()).into();
    write_json(&dir.join("bad-root.json"), &v);
    run(
        vec!["sweep".into(), "slurm".into(), "bad-root.json".into()],
        &["bad-root.json", "field root", "control"],
    );
    assert!(
        !dir.join("sweep/quick/all-ode/slurm").exists(),
        "no script written"
    );
    // the ordinary case still writes its scripts, the values quoted
    let out = ok(
        &dir,
        &[
            "sweep",
            "slurm",
            "plan.json",
            "--partition",
            "cpu",
            "--time",
            "04:00:00",
        ],
    );
    assert!(out.contains("train.sbatch"), "{out}");
    let train =
        std::fs::read_to_string(dir.join("sweep/quick/all-ode/slurm/train.sbatch")).unwrap();
    assert!(
        train.contains("#SBATCH --job-name=hits-all-ode-train\n"),
        "{train}"
    );
    assert!(train.contains("#SBATCH --partition=cpu\n"), "{train}");
    no_pwned(&[&dir]);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn nothing_is_replaced_unasked_and_done_is_rechecked() {
    let root = fresh_dir("unasked");
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
    let sw = root.join("sweep");
    std::fs::create_dir_all(&sw).unwrap();
    let plan_args = |extra: &[&str]| {
        let mut a = vec![
            "sweep",
            "plan",
            "--data-dir",
            d,
            "--steps",
            "1,2",
            "--quick",
            "--out",
            "plan.json",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let strs = |v: &[String]| v.iter().map(String::as_str).collect::<Vec<_>>().join(" ");
    let plan = |extra: &[&str]| {
        let a = plan_args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        hits(&sw, &a)
    };
    let o = plan(&[]);
    assert!(o.status.success(), "{} {}", strs(&plan_args(&[])), text(&o));
    let p = json(&sw.join("plan.json"));
    let tasks = p["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 3, "train D1, train D2, forecast");
    let task_dir = |i: usize| {
        sw.join("sweep/quick/problem/tasks")
            .join(tasks[i]["id"].as_str().unwrap())
    };
    ok(&sw, &["sweep", "run", "plan.json", "--all"]);
    ok(&sw, &["sweep", "collect", "plan.json"]);

    // A finished task records what it wrote, with hashes.
    let status = json(&task_dir(1).join("status.json"));
    let outputs = status["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 3, "model, sidecar, state: {status}");
    let model_rel = outputs
        .iter()
        .map(|o| o["path"].as_str().unwrap().to_string())
        .find(|p| p.ends_with(".safetensors") && !p.ends_with(".state.safetensors"))
        .unwrap();
    assert!(model_rel.starts_with("models/"), "{model_rel}");
    assert_eq!(outputs[0]["sha256"].as_str().unwrap().len(), 64);
    let model = sw.join(&model_rel);

    // Re-planning the same is a refresh; with other settings it is refused, naming them.
    let o = plan(&[]);
    assert!(o.status.success(), "{}", text(&o));
    let o = plan(&["--epochs", "3"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("refusing to re-plan") && t.contains("settings.epochs: null -> 3"),
        "{t}"
    );
    assert!(t.contains("--sweep-dir"), "{t}");
    assert_eq!(json(&sw.join("plan.json")), p, "the plan is unchanged");
    // ... and a plan edited by hand is refused by the tasks.
    let mut edited = p.clone();
    edited["settings"]["epochs"] = 3.into();
    write_json(&sw.join("edited.json"), &edited);
    refused(
        &sw,
        &["sweep", "run", "edited.json", "--index", "0"],
        &["edited.json", "settings.epochs"],
    );

    // A published checkpoint deleted: the task is not done, collect names the file, and the
    // forecast refuses to run with one of its two steppers.
    let kept = std::fs::read(&model).unwrap();
    std::fs::remove_file(&model).unwrap();
    let t = refused(
        &sw,
        &["sweep", "collect", "plan.json"],
        &["2 of 3 tasks done"],
    );
    assert!(t.contains(&format!("{model_rel} is missing")), "{t}");
    refused(
        &sw,
        &["sweep", "run", "plan.json", "--index", "2"],
        &["needs 1 task(s) that are not done: 1 ("],
    );
    // Changed bytes count as much as a missing file.
    std::fs::write(&model, b"not the checkpoint").unwrap();
    let t = refused(
        &sw,
        &["sweep", "collect", "plan.json"],
        &["2 of 3 tasks done"],
    );
    assert!(t.contains(&format!("{model_rel} changed")), "{t}");

    // The task runs again, but will not publish over a checkpoint it did not make ...
    let t = refused(
        &sw,
        &["sweep", "run", "plan.json", "--index", "1"],
        &["did not make", "--overwrite", &model_rel],
    );
    assert!(t.contains("runs again"), "{t}");
    assert_eq!(std::fs::read(&model).unwrap(), b"not the checkpoint");
    // ... unless the plan says --overwrite (re-planning only that is allowed).
    let o = plan(&["--overwrite"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = ok(&sw, &["sweep", "run", "plan.json", "--index", "1"]);
    assert!(out.contains("published 3 file(s)"), "{out}");
    assert_eq!(
        std::fs::read(&model).unwrap(),
        kept,
        "the task's own checkpoint"
    );
    let out = ok(&sw, &["sweep", "collect", "plan.json"]);
    assert!(out.contains("3 of 3 tasks done"), "{out}");
    std::fs::remove_dir_all(&root).unwrap();
}
