//! `hits train` as a hostile but ordinary user meets it (issue 15): diverging runs and bad
//! data stop with an error that names them, bad arguments and folders are refused before any
//! work, a folder has one writer, closed output does not crash a run, files get the user's
//! umask. Each test runs the release binary on tiny data (see also `reliability_resume.rs`).

mod cli_common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use cli_common::*;

#[test]
fn a_diverging_run_stops_with_an_error_and_writes_no_untrained_weights() {
    let root = scratch("diverge");
    tiny_data(&root.join("data"), 21);
    let o = hits(&root, &strs(&with(&tiny_train(20, 10), &["--lr", "1e20"])));
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("non-finite") && t.contains("smaller learning rate"),
        "{t}"
    );
    let files = tree(&root.join("models/Hyperbolic"));
    assert!(
        !files
            .keys()
            .any(|k| k.ends_with(".safetensors") && !k.contains(".state.")),
        "no model file may hold untrained weights: {:?}",
        files.keys().collect::<Vec<_>>()
    );
    // A good run continued with a diverging learning rate keeps what it had.
    let root = scratch("diverge-later");
    let models = trained(&root);
    let before = tree(&models);
    let o = hits(
        &root,
        &strs(&with(&tiny_train(40, 10), &["--resume", "--lr", "1e20"])),
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("keeps what was saved at the last check"));
    assert_unchanged(&before, &models, "unchanged");
}

#[test]
fn non_finite_or_empty_data_is_refused_before_training_naming_file_split_and_index() {
    let root = scratch("nan");
    let dir = tiny_data(&root.join("data"), 21);
    let mut val = cli_common::rotations(8, 21, 2);
    val[[3, 5, 1]] = f64::NAN;
    let mut train = cli_common::rotations(24, 21, 1);
    let test = cli_common::rotations(8, 21, 3);
    let origin = hits::data::DataSetMeta::new("Hyperbolic", 0.01, "test rotations");
    let save = |train, val, test| {
        hits::data::DataSet::new(train, val, test)
            .unwrap()
            .save(&dir, 0.0, &origin)
            .unwrap()
    };
    save(train.clone(), val.clone(), test.clone());
    let o = hits(&root, &strs(&tiny_train(20, 10)));
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("val_noise0.0.npy (val split)") && t.contains("NaN at [3, 5, 1]"),
        "{t}"
    );
    assert!(tree(&root.join("models"))
        .keys()
        .all(|k| !k.contains("model_D")));
    train[[0, 20, 0]] = f64::INFINITY;
    save(train, cli_common::rotations(8, 21, 2), test.clone());
    let o = hits(&root, &strs(&tiny_train(20, 10)));
    assert!(
        text(&o).contains("(train split): non-finite value inf at [0, 20, 0]"),
        "{}",
        text(&o)
    );

    // A forecast on a test set with NaN, or with no trajectories, is an error too.
    save(
        cli_common::rotations(24, 21, 1),
        cli_common::rotations(8, 21, 2),
        test.clone(),
    );
    let o = hits(&root, &strs(&tiny_train(20, 10)));
    assert!(o.status.success(), "{}", text(&o));
    let forecast = [
        "forecast",
        "--system",
        "hyperbolic",
        "--models",
        "models/Hyperbolic",
        "--data",
        "data",
        "--out",
        "results",
    ];
    let o = hits(&root, &forecast);
    assert!(o.status.success(), "a clean forecast runs: {}", text(&o));
    let mut bad = test.clone();
    bad[[1, 2, 0]] = f64::NAN;
    save(
        cli_common::rotations(24, 21, 1),
        cli_common::rotations(8, 21, 2),
        bad,
    );
    let o = hits(&root, &forecast);
    let t = text(&o);
    assert!(
        !o.status.success() && t.contains("test_noise0.0.npy (test split)"),
        "{t}"
    );
    save(
        cli_common::rotations(24, 21, 1),
        cli_common::rotations(8, 21, 2),
        ndarray::Array3::zeros((0, 21, 2)),
    );
    let o = hits(&root, &forecast);
    let t = text(&o);
    assert!(!o.status.success() && t.contains("no trajectories"), "{t}");
}

#[test]
fn two_trainings_into_one_folder_the_second_is_refused_naming_the_first() {
    let root = scratch("lock");
    tiny_data(&root.join("data"), 21);
    let mut first = command(&root, &strs(&tiny_train(1_000_000, 1000)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = root.join("models/Hyperbolic/.hits.lock");
    let t0 = Instant::now();
    // Started: it holds the lock (or, without locks, has written its first checkpoint).
    let first_ckpt = root.join("models/Hyperbolic/model_D1_noise0.0.json");
    while std::fs::read_to_string(&lock).map_or(true, |s| s.is_empty()) && !first_ckpt.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the first run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // A second, ordinary run into the same folder.
    let o = hits(&root, &strs(&tiny_train(20, 10)));
    let t = text(&o);
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("in use by another hits process") && t.contains(&format!("PID {}", first.id())),
        "{t}"
    );
    // The lock died with the process: the folder is free again.
    let o = hits(&root, &strs(&with(&tiny_train(20, 10), &["--overwrite"])));
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn bad_arguments_and_output_folders_are_refused_before_any_work() {
    let root = scratch("args");
    // No data at all: each error must come from the argument, not from reading data.
    for (extra, word) in [
        (&["--step-sizes", "1,1"][..], "given twice"),
        (&["--epochs", "0"][..], "epochs"),
        (&["--step-sizes", "0,2"][..], "at least 1"),
        (&["--arch", "3,8,3"][..], "--arch"),
    ] {
        let args = with(&tiny_train(20, 10), extra);
        let o = hits(&root, &strs(&args));
        let t = text(&o);
        assert!(!o.status.success() && t.contains(word), "{extra:?}: {t}");
        assert!(
            !t.contains("train_noise"),
            "{extra:?} is checked before the data: {t}"
        );
    }
    std::fs::write(root.join("models"), b"a file, not a folder").unwrap();
    let o = hits(&root, &strs(&tiny_train(20, 10)));
    let t = text(&o);
    assert!(!o.status.success() && t.contains("models"), "{t}");
    assert!(
        !t.contains("train_noise"),
        "the output folder is checked first: {t}"
    );
}

#[test]
fn missing_or_damaged_data_gets_the_right_hint() {
    let root = scratch("hints");
    let o = hits(&root, &strs(&tiny_train(20, 10)));
    assert!(
        text(&o).contains("hits generate --system hyperbolic"),
        "{}",
        text(&o)
    );
    let args: Vec<String> = tiny_train(20, 10)
        .into_iter()
        .map(|a| if a == "data" { "mine".into() } else { a })
        .collect();
    let o = hits(&root, &strs(&args));
    let t = text(&o);
    assert!(
        t.contains("--data mine must hold") && !t.contains("hits generate"),
        "{t}"
    );
    let dir = root.join("data/Hyperbolic");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("train_noise0.0.npy"), [0u8; 40]).unwrap();
    let o = hits(&root, &strs(&tiny_train(20, 10)));
    let t = text(&o);
    assert!(
        t.contains("train_noise0.0.npy")
            && t.contains("not a valid .npy")
            && !t.contains("hits generate"),
        "{t}"
    );
    std::fs::write(dir.join("train_noise0.0.npy"), b"").unwrap();
    let t = text(&hits(&root, &strs(&tiny_train(20, 10))));
    assert!(t.contains("empty file (0 bytes)"), "{t}");
}

#[test]
fn closed_or_full_stdout_does_not_stop_training() {
    for how in ["closed pipe", "/dev/full"] {
        let root = scratch(&format!("stdout-{}", how.len()));
        tiny_data(&root.join("data"), 21);
        let mut c = command(&root, &strs(&tiny_train(40, 10)));
        let out = if how == "closed pipe" {
            Stdio::piped()
        } else {
            Stdio::from(std::fs::File::create("/dev/full").unwrap())
        };
        let mut child = c.stdout(out).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take()); // `| head` that has exited
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{how}: {err}");
        assert!(!err.contains("panicked"), "{how}: {err}");
        let m = meta(&root.join("models/Hyperbolic"), 2);
        assert_eq!(m.epochs, 40, "{how}");
    }
}

#[cfg(unix)]
#[test]
fn checkpoints_and_data_get_the_users_umask() {
    use std::os::unix::fs::PermissionsExt;
    let root = scratch("umask");
    let models = trained(&root);
    // Written by `hits` under umask 022 (the data above was written by this test process).
    let files: Vec<String> = tree(&models).into_keys().collect();
    for name in files.iter().chain([&".hits.lock".to_string()]) {
        let mode = std::fs::metadata(models.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o644, "{name}: {mode:o}");
    }
    assert_eq!(
        files.len(),
        6,
        "model, sidecar, state of 2 steppers: {files:?}"
    );
}
