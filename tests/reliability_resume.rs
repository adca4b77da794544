//! Finished work is never replaced silently and resumes are exact (issue 15): `hits train`
//! refuses a folder with checkpoints without `--resume` or `--overwrite`, continues finished
//! runs, refuses changed settings and foreign checkpoints, records new learning rates and caps
//! as phases, and ends byte-identical to an uninterrupted run after 20 kills.

mod cli_common;

use std::process::Stdio;
use std::time::Instant;

use cli_common::*;
use hits::stepper::{ResNetStepper, StepperMeta};

#[test]
fn finished_work_is_never_replaced_silently_and_resume_continues_it() {
    let root = scratch("replace");
    let models = trained(&root);
    let before = tree(&models);

    // Again without --resume: refused, nothing touched.
    let o = hits(&root, &strs(&tiny_train(20, 10)));
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("already holds checkpoints")
            && t.contains("model_D1_noise0.0: finished at epoch 20")
            && t.contains("--resume")
            && t.contains("--overwrite"),
        "{t}"
    );
    assert_unchanged(&before, &models, "unchanged");

    assert!(before.contains_key("model_D1_noise0.0.state.safetensors"));
    // --overwrite trains again from scratch: the same seed gives the same bytes.
    let o = hits(&root, &strs(&with(&tiny_train(20, 10), &["--overwrite"])));
    assert!(o.status.success(), "{}", text(&o));
    assert_unchanged(&before, &models, "unchanged");

    // --resume of a finished run changes nothing.
    let o = hits(&root, &strs(&with(&tiny_train(20, 10), &["--resume"])));
    assert!(o.status.success(), "{}", text(&o));
    assert_unchanged(&before, &models, "unchanged");

    // --resume with a larger cap continues it, keeping its history: the weights and history
    // are those of one run of 40 epochs.
    let o = hits(&root, &strs(&with(&tiny_train(40, 10), &["--resume"])));
    assert!(o.status.success(), "{}", text(&o));
    let whole = scratch("replace-whole");
    tiny_data(&whole.join("data"), 21);
    let o = hits(&whole, &strs(&tiny_train(40, 10)));
    assert!(o.status.success(), "{}", text(&o));
    let whole = whole.join("models/Hyperbolic");
    for k in [1, 2] {
        let (a, b) = (meta(&models, k), meta(&whole, k));
        assert_eq!((a.epochs, &a.history), (40, &b.history), "step {k}");
        assert_eq!(weights(&models, k), weights(&whole, k), "step {k}");
        // The cap change is a phase of the history.
        let from: Vec<usize> = a.phases.iter().map(|p| p.from_epoch).collect();
        assert_eq!(from, vec![0, 20], "step {k}");
        assert_eq!(a.phases[1].config.epochs, 40);
    }

    // --resume with a cap below what is done: finished as it is, nothing deleted.
    let after = tree(&models);
    let o = hits(&root, &strs(&with(&tiny_train(10, 10), &["--resume"])));
    assert!(o.status.success(), "{}", text(&o));
    assert_unchanged(&after, &models, "unchanged");
}

#[test]
fn resume_refuses_changed_settings_and_records_a_new_learning_rate() {
    let root = scratch("settings");
    let models = trained(&root);
    let before = tree(&models);
    let base = with(&tiny_train(20, 10), &["--resume"]);
    for (extra, word) in [
        (&["--arch", "2,16,2"][..], "arch"),
        (&["--n-forward", "2"][..], "n_forward"),
        (&["--seed", "5"][..], "seed"),
    ] {
        let o = hits(&root, &strs(&with(&base, extra)));
        let t = text(&o);
        assert!(!o.status.success(), "{extra:?}: {t}");
        assert!(
            t.contains(word) && t.contains("--overwrite"),
            "{extra:?}: {t}"
        );
        assert_unchanged(&before, &models, &format!("{extra:?} must change nothing"));
    }
    let o = hits(
        &root,
        &strs(&with(&tiny_train(30, 10), &["--resume", "--lr", "0.0005"])),
    );
    assert!(o.status.success(), "{}", text(&o));
    let m = meta(&models, 1);
    assert_eq!(m.epochs, 30);
    assert_eq!(m.phases.len(), 2, "{:?}", m.phases);
    assert_eq!(
        (m.phases[1].from_epoch, m.phases[1].config.lr),
        (20, 0.0005)
    );
    assert_eq!(m.train_config.unwrap().lr, 0.0005);
}

#[test]
fn resume_refuses_another_systems_checkpoints_and_imported_models() {
    use hits::stepper::{checkpoint_stem, RunInfo, Trainer};
    let root = scratch("foreign");
    tiny_data(&root.join("data"), 21);
    let models = root.join("models/Hyperbolic");
    // A finished checkpoint of another system in the Hyperbolic folder.
    let s = ResNetStepper::new(&[2, 8, 2], 1, 0.01, 1, &candle_core::Device::Cpu).unwrap();
    let w = |seed| {
        let a = cli_common::rotations(8, 21, seed);
        hits::stepper::windows_of(a.view(), 1, 3, &candle_core::Device::Cpu).unwrap()
    };
    let data = hits::stepper::StepperData {
        train: w(1),
        val: w(2),
    };
    let cfg = hits::stepper::TrainConfig {
        epochs: 10,
        eval_every: 10,
        batch_size: 8,
        n_forward: 3,
        ..Default::default()
    };
    let mut t = Trainer::new(&[&s], vec![data], cfg).unwrap();
    t.run(10, &mut |_| {}).unwrap();
    let info = RunInfo {
        system: Some("Lorenz".into()),
        noise: 0.0,
        seed: Some(0),
        data_sha256: None,
    };
    t.save(&[checkpoint_stem(&models, 1, 0.0)], &info).unwrap();
    let before = tree(&models);
    let o = hits(&root, &strs(&with(&tiny_train(20, 10), &["--resume"])));
    let t = text(&o);
    assert!(
        !o.status.success() && t.contains("system Lorenz (expected Hyperbolic)"),
        "{t}"
    );
    assert_unchanged(&before, &models, "unchanged");

    // An imported model is not continued by a training run unless --overwrite is asked for.
    std::fs::remove_dir_all(&models).unwrap();
    let mut m = StepperMeta::new(&s, Some("Hyperbolic"), 0.0);
    m.source = Some("model_D1_noise0.0.pt".into());
    s.save(&checkpoint_stem(&models, 1, 0.0), &m).unwrap();
    let o = hits(&root, &strs(&with(&tiny_train(20, 10), &["--resume"])));
    let t = text(&o);
    assert!(!o.status.success() && t.contains("imported"), "{t}");
    let o = hits(&root, &strs(&with(&tiny_train(20, 10), &["--overwrite"])));
    assert!(o.status.success(), "{}", text(&o));
    assert!(meta(&models, 1).source.is_none());
}

/// The kill test: `hits train` killed with SIGKILL at 20 moments (many inside saves),
/// resumed each time, ends byte-identical to an uninterrupted run, with no stray files.
#[test]
fn training_killed_twenty_times_ends_byte_identical_to_an_uninterrupted_run() {
    killed_twenty_times(&[], "kill");
}

/// As the unbatched mode: `--batched` training (one stacked trainer for both steppers) killed
/// twenty times ends byte-identical to an uninterrupted batched run.
#[test]
fn batched_training_killed_twenty_times_ends_byte_identical_to_an_uninterrupted_run() {
    killed_twenty_times(&["--batched"], "bkill");
}

/// `hits train` (tiny, with `extra` flags) killed twenty times at random moments and resumed
/// each time ends with the files of an uninterrupted run, byte for byte.
fn killed_twenty_times(extra: &[&str], name: &str) {
    // Checks every 2 epochs: saving is most of the run, so kills land inside saves.
    let args = with(&tiny_train(300, 2), extra);
    let reference = scratch(&format!("{name}-ref"));
    tiny_data(&reference.join("data"), 21);
    let t0 = Instant::now();
    let o = hits(&reference, &strs(&args));
    let whole = t0.elapsed();
    assert!(o.status.success(), "{}", text(&o));

    let root = scratch(name);
    tiny_data(&root.join("data"), 21);
    let models = root.join("models/Hyperbolic");
    let resume = with(&args, &["--resume"]);
    let mut rng = Lcg(15);
    let (mut killed, mut left_temp) = (0, 0);
    // A run that ends before its kill (a faster moment of the machine) shortens later waits.
    let mut scale = 1.0;
    for _ in 0..20 {
        // Kill within the first third of what is left, so the 20 kills spread over the run.
        let done = [1, 2]
            .iter()
            .map(|&k| {
                std::fs::read_to_string(models.join(format!("model_D{k}_noise0.0.json"))).ok()
            })
            .map(|t| {
                t.and_then(|t| serde_json::from_str::<StepperMeta>(&t).ok())
                    .map_or(0, |m| m.epochs)
            })
            .min()
            .unwrap_or(0);
        let left = 1.0 - done as f64 / 300.0;
        let mut child = command(&root, &strs(&resume))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(whole.mul_f64(scale * left.max(0.02) * (0.02 + 0.33 * rng.next())));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        } else {
            scale *= 0.7;
        }
        let status = child.wait().unwrap();
        assert!(status.success() || status.code().is_none(), "{status:?}");
        if !temp_files(&root.join("models")).is_empty() {
            left_temp += 1;
        }
    }
    let o = hits(&root, &strs(&resume));
    assert!(o.status.success(), "{}", text(&o));
    eprintln!(
        "kill test: uninterrupted run {:.2} s, {killed} of 20 runs killed, {left_temp} kills \
         left temporary files of a save behind",
        whole.as_secs_f64()
    );
    // How many kills land, and how many inside a save, depends on the machine's speed: the
    // test asserts the outcome only (below), and says loudly when no kill landed at all.
    if killed == 0 {
        hits::testing::skip(
            &format!("killed_twenty_times ({name})"),
            "every run finished before its kill: the resume after a kill was not exercised",
        );
    }
    assert_same_tree(&reference.join("models"), &root.join("models"));
    assert!(temp_files(&root.join("models")).is_empty());
}

#[test]
fn batched_runs_are_refused_resumed_and_continued_the_same_way() {
    let root = scratch("batched");
    tiny_data(&root.join("data"), 21);
    let args = |epochs| with(&tiny_train(epochs, 10), &["--batched"]);
    assert!(hits(&root, &strs(&args(20))).status.success());
    let o = hits(&root, &strs(&args(20)));
    assert!(
        !o.status.success() && text(&o).contains("--resume"),
        "{}",
        text(&o)
    );
    let o = hits(&root, &strs(&with(&args(40), &["--resume"])));
    assert!(o.status.success(), "{}", text(&o));
    let whole = scratch("batched-whole");
    tiny_data(&whole.join("data"), 21);
    assert!(hits(&whole, &strs(&args(40))).status.success());
    for k in [1, 2] {
        let (a, b) = (
            root.join("models/Hyperbolic"),
            whole.join("models/Hyperbolic"),
        );
        assert_eq!(meta(&a, k).history, meta(&b, k).history, "step {k}");
        assert_eq!(weights(&a, k), weights(&b, k), "step {k}");
    }
}

/// Two data folders of the same name (`Hyperbolic`) with other trajectories: `--resume` on the
/// second refuses the checkpoints trained on the first (they record their data's SHA-256),
/// and leaves them as they were.
#[test]
fn resume_refuses_checkpoints_trained_on_other_data_of_the_same_name() {
    let root = scratch("other-data");
    tiny_data(&root.join("data"), 21);
    let o = hits(&root, &strs(&tiny_train(20, 10)));
    assert!(o.status.success(), "{}", text(&o));
    let recorded = meta(&root.join("models/Hyperbolic"), 1).data_sha256;
    assert_eq!(
        recorded.as_deref().map(str::len),
        Some(64),
        "the hash is recorded"
    );
    // other trajectories under the same name, in another data root
    let other = root.join("other/Hyperbolic");
    hits::data::DataSet::new(
        rotations(24, 21, 7),
        rotations(8, 21, 8),
        rotations(8, 21, 9),
    )
    .unwrap()
    .save(
        &other,
        0.0,
        &hits::data::DataSetMeta::new("Hyperbolic", 0.01, "test rotations"),
    )
    .unwrap();
    let models = root.join("models");
    let before = tree(&models);
    let args = with(&tiny_train(40, 10), &["--resume"]);
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a == "data" {
                "other".to_string()
            } else {
                a.clone()
            }
        })
        .collect();
    let o = hits(&root, &strs(&args));
    let t = text(&o);
    assert!(
        !o.status.success() && t.contains("trained on other data"),
        "{t}"
    );
    assert_unchanged(&before, &models, "a refused resume");
    // the same data resumes
    let o = hits(&root, &strs(&with(&tiny_train(40, 10), &["--resume"])));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(meta(&root.join("models/Hyperbolic"), 1).epochs, 40);
}
