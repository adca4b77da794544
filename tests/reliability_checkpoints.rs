//! Checkpoint metadata is checked on load (issue 15): against the file name, the system, dt,
//! noise level, dimension and the format tag, and the weights file against its sidecar; the
//! `hits forecast` and `hits import-torch` commands use these checks and their own folders.

mod cli_common;

use std::path::{Path, PathBuf};

use candle_core::Device;
use cli_common::*;
use hits::stepper::{
    checkpoint_stem, load_hierarchy_expecting, ExpectedStepper, ResNetStepper, StepperMeta,
};

fn stepper(step: usize) -> ResNetStepper {
    ResNetStepper::new(&[2, 8, 2], step, 0.01, step as u32, &Device::Cpu).unwrap()
}

fn hyperbolic(noise: f64) -> ExpectedStepper {
    ExpectedStepper {
        system: Some("Hyperbolic".into()),
        dim: Some(2),
        dt: Some(0.01),
        noise: Some(noise),
        ..ExpectedStepper::default()
    }
}

/// A change made to a checkpoint's metadata.
type Edit = fn(&mut StepperMeta);

/// A folder with checkpoints of steps 1 and 2, the second saved with `meta` changed by `edit`.
fn folder_with(name: &str, edit: impl Fn(&mut StepperMeta)) -> PathBuf {
    let dir = scratch(name);
    for k in [1, 2] {
        let s = stepper(k);
        let mut m = StepperMeta::new(&s, Some("Hyperbolic"), 0.0);
        if k == 2 {
            edit(&mut m);
        }
        s.save(&checkpoint_stem(&dir, k, 0.0), &m).unwrap();
    }
    dir
}

/// `hits forecast` of the tiny data under `root` with the models of `models`: its output.
fn forecast_with(root: &Path, models: &Path) -> String {
    let models = models.to_string_lossy();
    text(&hits(
        root,
        &[
            "forecast",
            "--system",
            "hyperbolic",
            "--models",
            &models,
            "--data",
            "data",
            "--out",
            "results",
        ],
    ))
}

fn load_err(dir: &Path, expected: &ExpectedStepper) -> String {
    load_hierarchy_expecting(dir, expected, &Device::Cpu)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("{} loaded", dir.display()))
}

#[test]
fn metadata_that_does_not_fit_the_file_or_the_run_is_refused() {
    let ok = folder_with("ck-ok", |_| {});
    assert_eq!(
        load_hierarchy_expecting(&ok, &hyperbolic(0.0), &Device::Cpu)
            .unwrap()
            .len(),
        2
    );
    let cases: [(&str, Edit, &str); 5] = [
        ("ck-step", |m| m.step_size = 4, "the file name says step 2"),
        (
            "ck-system",
            |m| m.system = Some("Lorenz".into()),
            "system Lorenz (expected Hyperbolic)",
        ),
        ("ck-dt", |m| m.dt = 0.0005, "dt 0.0005 (expected 0.01)"),
        (
            "ck-noise",
            |m| m.noise = 0.01,
            "at noise 0.0, its metadata step 2 at noise 0.01",
        ),
        (
            "ck-format",
            |m| m.format = "hits.other.v9".into(),
            "unknown format tag 'hits.other.v9'",
        ),
    ];
    let root = scratch("ck-cli");
    tiny_data(&root.join("data"), 21);
    for (name, edit, want) in cases {
        let dir = folder_with(name, edit);
        // `hits forecast` refuses it the same way as the library.
        let t = forecast_with(&root, &dir);
        assert!(
            t.contains("status Some(1)") && t.contains(want),
            "{name}: {t}"
        );
        let e = load_err(&dir, &hyperbolic(0.0));
        assert!(
            e.contains(want) && e.contains("model_D2_noise0.0"),
            "{name}: {e}"
        );
    }
    // Without expectations a folder must still hold one hierarchy.
    let dir = folder_with("ck-mixed", |m| m.system = Some("Lorenz".into()));
    let e = load_err(&dir, &ExpectedStepper::default());
    assert!(e.contains("does not belong with model_D1"), "{e}");
}

#[test]
fn a_sidecar_from_another_save_than_its_weights_is_refused() {
    let dir = folder_with("ck-pair", |_| {});
    let stem = checkpoint_stem(&dir, 2, 0.0);
    // What a save cut between its two renames leaves: new weights, the sidecar of before.
    let json = hits::stepper::checkpoint::with_suffix(&stem, ".json");
    let old = std::fs::read_to_string(&json).unwrap();
    let s = stepper(2);
    let mut m = StepperMeta::new(&s, Some("Hyperbolic"), 0.0);
    m.epochs = 1000;
    s.save(&stem, &m).unwrap();
    std::fs::write(&json, old).unwrap();
    let e = ResNetStepper::load(&stem, &Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("does not match the metadata inside") && e.contains("--resume"),
        "{e}"
    );
    let root = scratch("ck-pair-cli");
    tiny_data(&root.join("data"), 21);
    let t = forecast_with(&root, &dir);
    assert!(
        t.contains("status Some(1)") && t.contains("does not match the metadata inside"),
        "{t}"
    );
    // Files of older versions (no metadata inside the weights) are read from the sidecar.
    let st = hits::stepper::checkpoint::with_suffix(&stem, ".safetensors");
    let mut map = std::collections::HashMap::new();
    for (i, (w, b)) in s.layers().iter().enumerate() {
        map.insert(format!("increment.Linear_{i}.weight"), w.clone());
        map.insert(format!("increment.Linear_{i}.bias"), b.clone());
    }
    candle_core::safetensors::save(&map, &st).unwrap();
    let (_, meta) = ResNetStepper::load_with_meta(&stem, &Device::Cpu).unwrap();
    assert_eq!(meta.epochs, 0, "the sidecar written last");
}

#[test]
fn forecast_refuses_another_systems_checkpoints() {
    let root = scratch("ck-forecast");
    tiny_data(&root.join("data"), 21);
    let models = folder_with("ck-forecast-models", |m| m.system = Some("Cubic".into()));
    let o = hits(
        &root,
        &[
            "forecast",
            "--system",
            "hyperbolic",
            "--models",
            &models.to_string_lossy(),
            "--data",
            "data",
            "--out",
            "results",
        ],
    );
    let t = text(&o);
    assert!(
        !o.status.success() && t.contains("system Cubic (expected Hyperbolic)"),
        "{t}"
    );
}

#[test]
fn imported_models_get_their_own_folder_and_trained_ones_are_not_replaced() {
    let pt = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/original_models/Hyperbolic/model_D16_noise0.0.pt");
    if !pt.exists() {
        hits::testing::skip(
            "imported_models_get_their_own_folder_and_trained_ones_are_not_replaced",
            &format!(
                "{} not found (the original models live in ../shared/data)",
                pt.display()
            ),
        );
        return;
    }
    let root = scratch("ck-import");
    let o = hits(
        &root,
        &[
            "import-torch",
            &pt.to_string_lossy(),
            "--system",
            "hyperbolic",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let imported = root.join("models/imported/Hyperbolic/model_D16_noise0.0.safetensors");
    assert!(imported.exists() && !root.join("models/Hyperbolic").exists());
    // Again: replacing an import is fine.
    assert!(hits(
        &root,
        &[
            "import-torch",
            &pt.to_string_lossy(),
            "--system",
            "hyperbolic"
        ]
    )
    .status
    .success());
    // Into a folder with a checkpoint trained by hits: refused without --overwrite.
    let out = root.join("trained");
    let s = ResNetStepper::new(&[2, 128, 128, 128, 2], 16, 0.01, 0, &Device::Cpu).unwrap();
    let mut m = StepperMeta::new(&s, Some("Hyperbolic"), 0.0);
    m.train_config = Some(hits::stepper::TrainConfig::default());
    m.epochs = 100;
    s.save(&checkpoint_stem(&out, 16, 0.0), &m).unwrap();
    let args = [
        "import-torch",
        &pt.to_string_lossy(),
        "--system",
        "hyperbolic",
        "--out",
        "trained",
    ];
    let o = hits(&root, &args);
    let t = text(&o);
    assert!(
        !o.status.success() && t.contains("trained by hits") && t.contains("--overwrite"),
        "{t}"
    );
    let mut with_overwrite = args.to_vec();
    with_overwrite.push("--overwrite");
    assert!(hits(&root, &with_overwrite).status.success());
}
