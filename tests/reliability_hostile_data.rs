//! Hostile input, round 2 (issue 26), for data folders and the environment: a foreign
//! `dataset.json` can make hits delete or read nothing outside its folder, `hits generate`
//! never replaces arrays it did not write, only hits's own temporary files are cleaned up,
//! `HITS_QUICK` takes yes/no words and refuses the rest, noise levels stay in [0, 1], and a data
//! folder whose name is not UTF-8 is refused instead of becoming another folder.

mod cli_common;

use std::path::Path;

use cli_common::*;
use hits::data::DataSetMeta;

/// The quick Hyperbolic data folder of `root`, generated.
fn generated(root: &Path) -> std::path::PathBuf {
    let o = generate(root, &[]);
    assert!(o.status.success(), "{}", text(&o));
    root.join("data/quick/Hyperbolic")
}

/// Replace the `file` of the train split at noise 0 in `dir/dataset.json` (and its seed, so
/// that `--overwrite` takes the path that removes the old files).
fn point_train_file_at(dir: &Path, file: &str) {
    let path = dir.join("dataset.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    json["levels"][0]["splits"]["train"]["file"] = file.into();
    json["seed"] = 3.into();
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
}

#[test]
fn a_foreign_dataset_json_cannot_make_hits_delete_or_read_files_elsewhere() {
    let root = scratch("foreign-json");
    let dir = generated(&root);
    let victim = root.join("victim.npy");
    for file in [
        "../../../victim.npy".to_string(),
        victim.to_string_lossy().into_owned(),
        "val_noise0.0.npy".to_string(),
    ] {
        std::fs::write(&victim, b"precious").unwrap();
        point_train_file_at(&dir, &file);
        let o = generate(&root, &["--overwrite"]);
        let out = text(&o);
        assert!(!o.status.success(), "{file}: {out}");
        assert!(
            out.contains("levels[0].splits.train.file") && out.contains("dataset.json"),
            "{file}: the error names the field and the file: {out}"
        );
        assert_eq!(
            std::fs::read(&victim).unwrap(),
            b"precious",
            "{file}: {out}"
        );
        // reading is refused the same way
        let e = hits::data::DataSet::load(&dir, 0.0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("levels[0].splits.train.file"), "{e}");
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn generate_never_replaces_arrays_it_did_not_write() {
    let root = scratch("own-arrays");
    // a user's own arrays where hits would write, in a folder without dataset.json
    let dir = root.join("data/quick/Hyperbolic");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("train_noise0.0.npy"), b"my own array").unwrap();
    let o = generate(&root, &[]);
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("train_noise0.0.npy") && out.contains("did not write"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(dir.join("train_noise0.0.npy")).unwrap(),
        b"my own array"
    );
    // beside a data set hits wrote: a level it never wrote is not its own either
    std::fs::remove_file(dir.join("train_noise0.0.npy")).unwrap();
    generated(&root);
    std::fs::write(dir.join("val_noise0.01.npy"), b"mine too").unwrap();
    let o = generate(&root, &["--noise", "0.01"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("does not list it"), "{}", text(&o));
    assert_eq!(
        std::fs::read(dir.join("val_noise0.01.npy")).unwrap(),
        b"mine too"
    );
    // its own level it rewrites (same origin, --overwrite)
    let before = std::fs::read(dir.join("test_noise0.0.npy")).unwrap();
    let o = generate(&root, &["--overwrite"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read(dir.join("test_noise0.0.npy")).unwrap(),
        before
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn only_hits_own_temporary_files_are_cleaned_up() {
    let root = scratch("temp-names");
    let dir = root.join("data/quick/Hyperbolic");
    std::fs::create_dir_all(&dir).unwrap();
    let users = [
        ".notes.tmp123",
        ".tmpAb12Cd",
        ".train_noise0.0.npy.tmp4194304-0",
    ];
    for name in users {
        std::fs::write(dir.join(name), b"user's").unwrap();
    }
    // what a killed hits leaves (PID 4194304 is above Linux's pid_max: never alive)
    let leftover = dir.join(".hits-tmp-4194304-0.train_noise0.0.npy");
    std::fs::write(&leftover, b"half").unwrap();
    let o = generate(&root, &[]);
    assert!(o.status.success(), "{}", text(&o));
    for name in users {
        assert_eq!(std::fs::read(dir.join(name)).unwrap(), b"user's", "{name}");
    }
    assert!(!leftover.exists(), "{}", text(&o));
    assert!(
        text(&o).contains("removed 1 temporary file"),
        "{}",
        text(&o)
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn hits_quick_takes_yes_and_no_words_and_refuses_anything_else() {
    let root = scratch("hits-quick");
    // forecast without data names the folder it looked in: quick/ or not
    let run = |value: &str| {
        command(&root, &["forecast", "--system", "hyperbolic"])
            .env("HITS_QUICK", value)
            .output()
            .unwrap()
    };
    for (value, quick) in [
        ("1", true),
        ("true", true),
        ("YES", true),
        ("0", false),
        ("false", false),
        ("no", false),
        ("", false),
    ] {
        let o = run(value);
        let out = text(&o);
        assert!(!o.status.success(), "no data here: {out}");
        assert_eq!(
            out.contains("quick/Hyperbolic"),
            quick,
            "HITS_QUICK={value:?}: {out}"
        );
    }
    for value in ["fals", "2", "on?"] {
        let o = run(value);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(
            out.contains("HITS_QUICK") && out.contains(value),
            "{value}: {out}"
        );
    }
    assert!(hits::data::parse_quick("maybe").is_err());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn noise_levels_outside_zero_to_one_are_refused() {
    let root = scratch("noise-range");
    for noise in ["5", "-0.01", "1.5", "nan"] {
        let flag = format!("--noise={noise}");
        for command in ["generate", "train", "forecast"] {
            let args = [command, "--system", "hyperbolic", "--quick", &flag];
            let o = hits(&root, &args);
            let out = text(&o);
            assert!(!o.status.success(), "{args:?}: {out}");
            assert!(
                out.contains("[0, 1]") || out.contains("not a number"),
                "{args:?}: {out}"
            );
        }
    }
    assert!(!root.join("data").exists(), "nothing was generated");
    let data = hits::data::DataSet::new(rotations(2, 5, 1), rotations(1, 5, 2), rotations(1, 5, 3))
        .unwrap();
    let e = data
        .save(&root.join("d"), 5.0, &DataSetMeta::new("d", 0.1, "test"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("[0, 1]"), "{e}");
    assert!(hits::data::check_noise(0.2).is_ok() && hits::data::check_noise(1.0).is_ok());
    std::fs::remove_dir_all(&root).unwrap();
}

#[cfg(unix)]
#[test]
fn a_data_folder_whose_name_is_not_utf8_is_refused_not_renamed() {
    use std::os::unix::ffi::OsStrExt;
    let root = scratch("non-utf8");
    // bare arrays (no dataset.json): the folder's name would name the models
    let data_dir = tiny_data(&root.join("x"), 21);
    let renamed = root.join(std::ffi::OsStr::from_bytes(b"my\xfedata"));
    std::fs::rename(&data_dir, &renamed).unwrap();
    std::fs::remove_file(renamed.join("dataset.json")).unwrap();
    let o = command(&root, &["train", "--epochs", "2"])
        .arg("--data-dir")
        .arg(&renamed)
        .arg("--dt")
        .arg("0.1")
        .output()
        .unwrap();
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("not UTF-8"), "{out}");
    assert!(
        !root.join("models").exists(),
        "nothing written under another name: {out}"
    );
    // checkpoint stems keep the path's bytes
    let p = renamed.join("model_D1_noise0.0.json");
    assert_eq!(
        hits::stepper::checkpoint::stem_of(&p),
        renamed.join("model_D1_noise0.0")
    );
    std::fs::remove_dir_all(&root).unwrap();
}

/// A FIFO named like a metadata file (`dataset.json`, a sweep plan, Slurm settings) is an
/// error naming it, not a read that waits forever.
#[cfg(unix)]
#[test]
fn fifos_named_like_metadata_files_are_refused() {
    let root = scratch("fifo-meta");
    let fifo = |p: &Path| {
        let ok = std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo {}", p.display());
    };
    let data = root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    fifo(&data.join("dataset.json"));
    fifo(&root.join("plan.json"));
    fifo(&root.join("slurm.json"));
    // a watchdog: a hang fails the test instead of blocking the suite
    let (tx, rx) = std::sync::mpsc::channel();
    let (d, r) = (data.clone(), root.clone());
    std::thread::spawn(move || {
        let a = DataSetMeta::read(&d).map(|_| ()).unwrap_err().to_string();
        let b = hits::sweep::plan::Plan::load(&r.join("plan.json"))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        let c = hits::sweep::slurm::SlurmOptions::load(&r.join("slurm.json"))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        let _ = tx.send([a, b, c]);
    });
    let errors = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("reading a FIFO must not hang");
    for (e, name) in errors
        .iter()
        .zip(["dataset.json", "plan.json", "slurm.json"])
    {
        assert!(e.contains("FIFO") && e.contains(name), "{e}");
    }
    std::fs::remove_dir_all(&root).unwrap();
}
