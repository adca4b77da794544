//! The training loss as users change it: a custom loss trains, validation reports it, K nets
//! trained on it together get what they get alone, bad losses are refused, and configs and
//! checkpoints store the loss by identity (gradients: `stepper_loss_gradients.rs`).

mod common;

use candle_core::Device;
use common::losses::{l1, weighted_mse};
use common::{data, l1_and_mse_by_hand, max_diff, rotation_trajectories, small_cfg, tmpdir};
use hits::hierarchy::train_hierarchy;
use hits::stepper::{HierarchySpec, Loss, ResNetStepper, TrainConfig, TrainRun, Trainer};

/// A custom loss (L1) trains a stepper, its loss falls, and the validation loss is that loss.
#[test]
fn custom_loss_trains_and_validation_uses_it() {
    let s = ResNetStepper::new(&[2, 32, 32, 2], 2, 0.05, 1, &Device::Cpu).unwrap();
    let d = data(2, 3);
    let cfg = TrainConfig {
        loss: l1(),
        eval_every: 50,
        ..small_cfg(400)
    };
    let mut t = Trainer::new(&[&s], vec![d.clone()], cfg).unwrap();
    t.run(usize::MAX, &mut |_| {}).unwrap();
    let last = t.current().unwrap().pop().unwrap();
    let (_, r) = t.finish().unwrap().pop().unwrap();
    let (first, (epoch, _, val)) = (r.history[0].2, *r.history.last().unwrap());
    assert_eq!(epoch, 400);
    assert!(
        r.best_val_loss < first / 3.0,
        "val loss {first} -> best {}",
        r.best_val_loss
    );
    // The last check validated the current weights: its loss is their L1 error, not the MSE.
    let (l1, mse) = l1_and_mse_by_hand(&last, &d.val);
    assert!(
        (val - l1).abs() <= 1e-5 * l1,
        "validation loss {val} vs L1 by hand {l1}"
    );
    assert!(
        (l1 - mse).abs() > 0.1 * l1,
        "L1 {l1} and MSE {mse} are told apart"
    );
}

/// K steppers trained together on a custom loss get exactly the updates they get alone.
#[test]
fn custom_loss_batched_equals_alone() {
    let steps = [1usize, 2];
    let steppers: Vec<ResNetStepper> = steps
        .iter()
        .map(|&k| ResNetStepper::new(&[2, 16, 16, 2], k, 0.05, 30 + k as u32, &Device::Cpu))
        .collect::<hits::Result<_>>()
        .unwrap();
    let cfg = TrainConfig {
        loss: weighted_mse(),
        ..small_cfg(40)
    };
    let refs: Vec<&ResNetStepper> = steppers.iter().collect();
    let mut together = Trainer::new(
        &refs,
        steps.iter().map(|&k| data(k, 3)).collect(),
        cfg.clone(),
    )
    .unwrap();
    together.run(usize::MAX, &mut |_| {}).unwrap();
    let lasts = together.current().unwrap();
    for ((s, &k), (last, (_, r))) in steppers
        .iter()
        .zip(&steps)
        .zip(lasts.iter().zip(together.finish().unwrap()))
    {
        let mut alone = Trainer::new(&[s], vec![data(k, 3)], cfg.clone()).unwrap();
        alone.run(usize::MAX, &mut |_| {}).unwrap();
        let alone_last = alone.current().unwrap().pop().unwrap();
        let (_, ra) = alone.finish().unwrap().pop().unwrap();
        assert_eq!(r.history.len(), 4);
        for (a, b) in r.history.iter().zip(&ra.history) {
            assert!(
                a.0 == b.0 && (a.1 - b.1).abs() <= 1e-5 * b.1 && (a.2 - b.2).abs() <= 1e-5 * b.2,
                "step {k}: {a:?} vs {b:?}"
            );
        }
        let d = max_diff(last.layers(), alone_last.layers());
        assert!(d < 1e-5, "step {k}: weights differ by {d:e}");
    }
}

/// Losses that would couple the K nets, return the wrong shape or fail, and a paper loss with
/// its weight out of range, are refused with errors naming the loss.
#[test]
fn bad_custom_losses_are_clear_errors() {
    let s = ResNetStepper::new(&[2, 8, 2], 1, 0.05, 0, &Device::Cpu).unwrap();
    let make = |loss: Loss| {
        let cfg = TrainConfig {
            loss,
            ..small_cfg(10)
        };
        Trainer::new(&[&s], vec![data(1, 3)], cfg)
            .err()
            .map(|e| e.to_string())
    };
    let pooled = Loss::custom("pooled", |p, y| {
        (p - y)?.sqr()?.mean_all()?.broadcast_as(p.dim(0)?)
    });
    let e = make(pooled).expect("a loss over all nets is refused");
    assert!(e.contains("custom:pooled") && e.contains("row k"), "{e}");
    let per_window = Loss::custom("per_window", |p, y| (p - y)?.abs()?.mean((2, 3)));
    let e = make(per_window).expect("a [K, B] loss is refused");
    assert!(
        e.contains("custom:per_window") && e.contains("[1] F32"),
        "{e}"
    );
    let failing = Loss::custom("failing", |p, _| p.reshape(7));
    let e = make(failing).expect("an erring loss is refused");
    assert!(e.contains("custom:failing") && e.contains("shape"), "{e}");
    let e = make(Loss::custom(" ", |p, y| (p - y)?.abs()?.mean((1, 2, 3)))).unwrap();
    assert!(e.contains("needs a name"), "{e}");
    let e = make(Loss::paper(1.5)).unwrap();
    assert!(e.contains("0 <= w <= 1") && e.contains("got 1.5"), "{e}");
    let e = make(Loss::paper(f64::NAN)).unwrap();
    assert!(e.contains("got NaN"), "{e}");
    assert!(make(l1()).is_none());
    assert!(make(Loss::paper(0.5)).is_none());
}

/// Configs store the loss by identity: the paper loss round-trips with its weight, older files
/// (the weight as `loss_weight` beside `"loss": "paper"`, or no loss at all) read as the same
/// loss, a custom loss reads back as its name and refuses to train.
#[test]
fn losses_are_stored_by_identity() {
    let paper = TrainConfig {
        loss: Loss::paper(0.5),
        ..TrainConfig::default()
    };
    let json = serde_json::to_value(&paper).unwrap();
    assert_eq!(json["loss"], "paper(w=0.5)");
    assert!(json.get("loss_weight").is_none(), "{json}");
    assert_eq!(
        serde_json::from_value::<TrainConfig>(json.clone()).unwrap(),
        paper
    );
    let default = serde_json::to_value(TrainConfig::default()).unwrap();
    assert_eq!(default["loss"], "paper");
    // A file of the earlier format: the weight beside the loss, or the weight alone.
    let mut old = default.clone();
    old["loss_weight"] = 0.5.into();
    assert_eq!(
        serde_json::from_value::<TrainConfig>(old.clone()).unwrap(),
        paper
    );
    old.as_object_mut().unwrap().remove("loss");
    assert_eq!(
        serde_json::from_value::<TrainConfig>(old.clone()).unwrap(),
        paper
    );
    let mut plain = default.clone();
    plain["loss_weight"] = 1.0.into();
    assert_eq!(
        serde_json::from_value::<TrainConfig>(plain).unwrap(),
        TrainConfig::default()
    );
    // Two weights that disagree, or a weight for a custom loss, are errors naming both.
    let mut both = json.clone();
    both["loss_weight"] = 0.25.into();
    let e = serde_json::from_value::<TrainConfig>(both)
        .unwrap_err()
        .to_string();
    assert!(e.contains("paper(w=0.5)") && e.contains("0.25"), "{e}");
    let mut custom_w = default.clone();
    custom_w["loss"] = "custom:l1".into();
    custom_w["loss_weight"] = 0.5.into();
    let e = serde_json::from_value::<TrainConfig>(custom_w)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("custom:l1") && e.contains("loss_weight 0.5"),
        "{e}"
    );
    let mut bad_w = default.clone();
    bad_w["loss"] = "paper(w=half)".into();
    let e = serde_json::from_value::<TrainConfig>(bad_w)
        .unwrap_err()
        .to_string();
    assert!(e.contains("paper(w=half)"), "{e}");

    let custom = TrainConfig {
        loss: l1(),
        ..TrainConfig::default()
    };
    let json = serde_json::to_value(&custom).unwrap();
    assert_eq!(json["loss"], "custom:l1");
    let back: TrainConfig = serde_json::from_value(json).unwrap();
    assert_eq!(back, custom);
    assert_ne!(back, TrainConfig::default());
    assert_eq!(back.loss.id(), "custom:l1");
    let s = ResNetStepper::new(&[2, 8, 2], 1, 0.05, 0, &Device::Cpu).unwrap();
    let e = Trainer::new(&[&s], vec![data(1, 3)], back)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("custom:l1") && e.contains("Loss::custom(\"l1\", ...)"),
        "{e}"
    );

    old["loss"] = "huber".into();
    let e = serde_json::from_value::<TrainConfig>(old)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown loss \"huber\""), "{e}");
}

/// A custom loss set in the config reaches the trainers of a hierarchy, and its checkpoints
/// record it.
#[test]
fn hierarchy_checkpoints_record_the_loss() {
    let dir = tmpdir("loss_ckpt");
    let train = rotation_trajectories(40, 21, 0.05, 1);
    let val = rotation_trajectories(16, 21, 0.05, 2);
    let cfg = TrainConfig {
        loss: l1(),
        ..small_cfg(20)
    };
    let spec = HierarchySpec {
        batched: true,
        ..HierarchySpec::new(vec![2, 8, 2], vec![1, 2], cfg.clone())
    };
    let run = TrainRun {
        out_dir: Some(dir.clone()),
        ..TrainRun::in_memory(0.05)
    };
    let out = train_hierarchy(
        &spec,
        &run,
        train.view(),
        val.view(),
        &Device::Cpu,
        &mut |_| {},
    )
    .unwrap();
    let pairs = out.steppers.iter().zip(&out.reports);
    for (k, (stepper, report)) in [1usize, 2].iter().zip(pairs) {
        let stem = hits::stepper::checkpoint_stem(&dir, *k, 0.0);
        let (_, meta) = ResNetStepper::load_with_meta(&stem, &Device::Cpu).unwrap();
        let stored = meta.train_config.expect("training settings recorded");
        assert_eq!(stored.loss.id(), "custom:l1");
        assert_eq!(stored, cfg);
        // The recorded best loss is the L1 validation loss of the saved weights.
        let w = common::windows(&val, *k, 3);
        let (l1, _) = l1_and_mse_by_hand(stepper, &w);
        let best = report.best_val_loss;
        assert!(
            (best - l1).abs() <= 1e-5 * l1,
            "step {k}: best {best} vs L1 {l1}"
        );
    }
}
