//! AHiTS against the authors' code: on their checkpoints and the quick seed-2 data, the schedule,
//! the segments and the test MSE equal what our faithful port of their `src/aHiTs.py`
//! (`tools/ahits_original.py`, fixtures in `tests/fixtures/ahits/`) computes, wherever none of
//! the slips we handle differently triggers; and one test per slip shows the case where it does.

mod cli_common;

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use hits::forecast::mse;
use hits::hierarchy::adaptive::paper_tolerance;
use hits::hierarchy::{AdaptiveSchedule, Hierarchy, Provenance};
use hits::stepper::ResNetStepper;
use hits::workbook::Roots;
use hits::SystemKind;
use ndarray::{s, Array3};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ahits")
}

/// The authors' checkpoints of `system` at `noise`, or None (with a loud SKIPPED line) when
/// `../shared/data` is not there.
fn authors_models(system: &str, noise: f64, dt: f64) -> Option<Hierarchy> {
    let shared = Roots::at(env!("CARGO_MANIFEST_DIR")).shared.join("data");
    let dir = if noise == 0.0 {
        shared.join("original_models").join(system)
    } else {
        shared.join("ahits_models").join(system)
    };
    if !dir.is_dir() {
        hits::testing::skip(
            &format!("ahits ({system} at noise {noise})"),
            &format!(
                "{} not found (the authors' checkpoints live in ../shared/data)",
                dir.display()
            ),
        );
        return None;
    }
    Some(Hierarchy::import_original(&dir, noise, dt, &Device::Cpu).expect("import"))
}

fn numbers(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_u64().expect("an integer") as usize)
        .collect()
}

/// Every fixture: the same schedule; the same segments and the same test MSE (relative 1e-3)
/// except where slip 2 (the last step past the horizon) changes the last segment's candidates,
/// in which case those differ only in the last segment and say so.
#[test]
fn ahits_equals_the_authors_code_on_their_checkpoints() {
    let mut checked = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "fixtures missing: {files:?}");
    for file in files {
        let fx: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let system = fx["system"].as_str().unwrap();
        let noise = fx["noise"].as_f64().unwrap();
        let kind: SystemKind = match system {
            "Hyperbolic" => SystemKind::Hyperbolic,
            "Hopf" => SystemKind::Hopf,
            other => panic!("no system {other}"),
        };
        let problem = kind.problem().quick();
        let Some(hierarchy) = authors_models(system, noise, problem.dt) else {
            return;
        };
        let data = problem
            .generate_clean(&|_| {})
            .expect("quick data")
            .with_noise(noise);
        let horizon = data.test.dim().1 - 1;
        assert_eq!(horizon, fx["n_steps"].as_u64().unwrap() as usize);
        // the notebook's tolerance, or the nearest one 1 % steps away whose decisions all lie
        // 1e-4 away from it (a float32 coin toss otherwise; tools/ahits_original.py)
        assert_eq!(paper_tolerance(system), fx["paper_tol"].as_f64());
        let tol = fx["tol"].as_f64().unwrap();
        let schedule = hierarchy
            .adaptive_schedule(data.val.view(), horizon, tol)
            .expect("schedule");
        assert_eq!(
            schedule.steps,
            numbers(&fx["steps_used"]),
            "{system} noise {noise}: the schedule"
        );
        let out = hierarchy
            .adaptive_forecast(&schedule, data.val.view(), data.test.slice(s![.., 0, ..]))
            .expect("online forecast");
        let theirs = fx["segments"].as_array().unwrap();
        assert_eq!(out.segments.len(), theirs.len(), "{system} {noise}");
        let last = theirs.len() - 1;
        for (k, (ours, t)) in out.segments.iter().zip(theirs).enumerate() {
            assert_eq!(ours.start, t["start"].as_u64().unwrap() as usize, "{k}");
            assert_eq!(ours.points, t["points"].as_u64().unwrap() as usize, "{k}");
            if k < last {
                assert_eq!(
                    ours.steps,
                    numbers(&t["steps"]),
                    "{system} {noise} segment {k}"
                );
            }
        }
        let truth = data.test.slice(s![.., 1.., ..]);
        let ours = mse(out.forecast.view(), truth).unwrap();
        let want = fx["test_mse"].as_f64().unwrap();
        let same_last = out.segments[last].steps == numbers(&theirs[last]["steps"]);
        if same_last {
            assert!(
                (ours - want).abs() <= 1e-3 * want,
                "{system} noise {noise}: test MSE {ours:e} against theirs {want:e}"
            );
        } else {
            eprintln!(
                "{system} noise {noise}: slip 2 changed the last segment's steppers ({:?} here, \
                 {} theirs): test MSE {ours:e}, theirs {want:e}",
                out.segments[last].steps, theirs[last]["steps"]
            );
        }
        checked += 1;
    }
    assert!(checked >= 4);
}

/// Tiny steppers of steps 1, 2, 4, 8, 16 on a 2-D state (untrained: what matters is which
/// steppers the segments take, not how good they are).
fn toy() -> Hierarchy {
    let steppers = [1, 2, 4, 8, 16]
        .iter()
        .map(|&k| ResNetStepper::new(&[2, 4, 2], k, 0.1, k as u32, &Device::Cpu).unwrap())
        .collect();
    Hierarchy::new(steppers, vec![], Provenance::exact("toy"), Device::Cpu).unwrap()
}

fn toy_val(n_points: usize) -> Array3<f64> {
    Array3::from_shape_fn((4, n_points, 2), |(i, t, d)| {
        0.1 * (i + 1) as f64 * ((t as f64) * 0.05 + d as f64).sin()
    })
}

/// Slip 1: a run of one step covers `s - 1` points with its own step. The authors' code reads
/// the step at schedule index i - 1: for a first run of one step that wraps to the schedule's
/// last step (here 2, so it would cover 1 point instead of 3 and start its candidates at 2).
#[test]
fn a_run_of_one_step_uses_its_own_step() {
    let h = toy();
    let schedule = AdaptiveSchedule {
        steps: vec![4, 8, 8, 2, 2],
        horizon: 24,
        tol: 1e-3,
    };
    let val = toy_val(25);
    let x0 = val.slice(s![.., 0, ..]).to_owned();
    let out = h
        .adaptive_forecast(&schedule, val.view(), x0.view())
        .unwrap();
    let first = &out.segments[0];
    assert_eq!(first.run, (4, 1));
    assert_eq!(
        first.points, 3,
        "4 - 1 points, not 2 - 1 (the wrapped index)"
    );
    assert_eq!(
        first.steps,
        vec![4],
        "a run of one step takes its stepper alone"
    );
    assert_eq!(first.candidates[0], 4);
    assert_eq!(out.segments[1].start, 3);
    assert_eq!(out.segments[1].points, 2 * 8 - 1);
}

/// Slip 2: the schedule's last step ends past the horizon. The authors' last segment takes its
/// candidates up to the step closest to the run's full length, overshoot included; here up to the
/// step closest to the points it forecasts. Steps 4, 4, 4 over 10: theirs closest(3 * 4 - 1 = 11)
/// = 8, ours closest(10) = 8, the same; steps 4, 4, 4, 4 over 10: theirs closest(15) = 16, ours 8.
#[test]
fn the_last_segment_takes_its_candidates_from_what_is_left_to_the_horizon() {
    let h = toy();
    let schedule = AdaptiveSchedule {
        steps: vec![4, 4, 4],
        horizon: 10,
        tol: 1e-3,
    };
    assert_eq!(schedule.past_horizon(), 2);
    let val = toy_val(11);
    let x0 = val.slice(s![.., 0, ..]).to_owned();
    let out = h
        .adaptive_forecast(&schedule, val.view(), x0.view())
        .unwrap();
    assert_eq!(out.segments.len(), 1);
    let seg = &out.segments[0];
    assert_eq!(seg.points, 10, "the forecast stops at the horizon");
    assert_eq!(
        seg.candidates,
        vec![4, 8],
        "candidates up to the step closest to the 10 points left"
    );
    let schedule = AdaptiveSchedule {
        steps: vec![4, 4, 4, 4],
        horizon: 10,
        tol: 1e-3,
    };
    let out = h
        .adaptive_forecast(&schedule, val.view(), x0.view())
        .unwrap();
    assert_eq!(
        out.segments[0].candidates,
        vec![4, 8],
        "theirs would take 4..16 (closest to 4 * 4 - 1 = 15)"
    );
    assert_eq!(out.forecast.dim(), (4, 10, 2));
}

/// A stepper of step `k` on a 2-D state whose output is NaN in its first component.
fn diverging(k: usize) -> ResNetStepper {
    let d = Device::Cpu;
    let layers = vec![
        (
            Tensor::zeros((4, 2), candle_core::DType::F32, &d).unwrap(),
            Tensor::zeros(4, candle_core::DType::F32, &d).unwrap(),
        ),
        (
            Tensor::zeros((2, 4), candle_core::DType::F32, &d).unwrap(),
            Tensor::new(&[f32::NAN, 0.0], &d).unwrap(),
        ),
    ];
    ResNetStepper::from_layers(layers, k, 0.1).unwrap()
}

/// A stepper whose predicted change is not finite is rejected, as their `mse < tol` is false
/// for NaN: the next smaller one is tried (here the diverging 16 is never taken, the 8 always is,
/// with a tolerance every finite change is below). Only when the smallest diverges too is it an
/// error, naming the stepper and where the validation forecast was.
#[test]
fn a_stepper_whose_change_is_not_finite_is_rejected() {
    let mut steppers: Vec<ResNetStepper> = [1, 2, 4, 8]
        .iter()
        .map(|&k| ResNetStepper::new(&[2, 4, 2], k, 0.1, k as u32, &Device::Cpu).unwrap())
        .collect();
    steppers.push(diverging(16));
    let h = Hierarchy::new(steppers, vec![], Provenance::exact("toy"), Device::Cpu).unwrap();
    let val = toy_val(25);
    let schedule = h.adaptive_schedule(val.view(), 24, 1e9).unwrap();
    assert_eq!(schedule.steps, vec![8, 8, 8], "the diverging 16 rejected");

    let all_diverge: Vec<ResNetStepper> = [1, 2].iter().map(|&k| diverging(k)).collect();
    let h = Hierarchy::new(all_diverge, vec![], Provenance::exact("toy"), Device::Cpu).unwrap();
    let e = h
        .adaptive_schedule(val.view(), 24, 1e9)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("predicted change") && e.contains("step 1") && e.contains("step 0"),
        "{e}"
    );
}

/// Slip 3: KS gets its tolerance (the authors' notebook compares with 'Ks').
#[test]
fn ks_has_its_tolerance() {
    assert_eq!(paper_tolerance("KS"), Some(8e-6));
    assert_eq!(paper_tolerance("Hyperbolic"), Some(1e-5));
    assert_eq!(paper_tolerance("Lorenz"), None);
}

/// Bad input is an error naming the parameter, never a panic.
#[test]
fn bad_schedules_and_tolerances_are_errors() {
    let h = toy();
    let val = toy_val(11);
    for tol in [0.0, -1.0, f64::NAN] {
        let e = h
            .adaptive_schedule(val.view(), 10, tol)
            .unwrap_err()
            .to_string();
        assert!(e.contains("tol"), "{e}");
    }
    let bad = AdaptiveSchedule {
        steps: vec![3, 3],
        horizon: 6,
        tol: 1e-3,
    };
    let x0 = val.slice(s![.., 0, ..]).to_owned();
    let e = h
        .adaptive_forecast(&bad, val.view(), x0.view())
        .unwrap_err()
        .to_string();
    assert!(e.contains("step 3"), "{e}");
    let long = AdaptiveSchedule {
        steps: vec![16, 16],
        horizon: 30,
        tol: 1e-3,
    };
    let e = h
        .adaptive_forecast(&long, val.view(), x0.view())
        .unwrap_err()
        .to_string();
    assert!(e.contains(">= 31"), "{e}");
}

/// `hits forecast --adaptive` on the authors' checkpoints: the schedule and the segments in its
/// output, a row `adaptive` in the table, and `ahits.json` with the schedule of their code.
#[test]
fn the_command_line_prints_the_schedule_and_writes_ahits_json() {
    let dir = Roots::at(env!("CARGO_MANIFEST_DIR"))
        .original_models()
        .join("Hyperbolic");
    if !dir.is_dir() {
        hits::testing::skip(
            "the_command_line_prints_the_schedule_and_writes_ahits_json",
            &format!("{} not found", dir.display()),
        );
        return;
    }
    let root = cli_common::scratch("ahits-cli");
    let run = |args: &[&str]| {
        let o = cli_common::hits(&root, args);
        assert!(
            o.status.success(),
            "hits {args:?}: {}",
            cli_common::text(&o)
        );
        cli_common::text(&o)
    };
    run(&cli_common::GENERATE);
    let fx: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("Hyperbolic_noise0.0.json")).unwrap(),
    )
    .unwrap();
    let tol = fx["tol"].as_f64().unwrap().to_string();
    let dir = dir.to_string_lossy().to_string();
    let out = run(&[
        "forecast",
        "--system",
        "hyperbolic",
        "--quick",
        "--original",
        "--original-dir",
        &dir,
        "--adaptive",
        "--tol",
        &tol,
        "--data",
        "data",
        "--out",
        "results",
    ]);
    assert!(
        out.contains("AHiTS (tol") && out.contains("segment from point"),
        "{out}"
    );
    assert!(out.contains("| adaptive |"), "{out}");
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("results/quick/Hyperbolic/ahits.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(numbers(&json["steps_used"]), numbers(&fx["steps_used"]));
    for key in ["segments", "test_mse", "tol", "evaluations"] {
        assert!(!json[key].is_null(), "ahits.json lacks {key}: {json}");
    }
    let ours = json["test_mse"].as_f64().unwrap();
    let want = fx["test_mse"].as_f64().unwrap();
    assert!((ours - want).abs() <= 1e-3 * want, "{ours:e} vs {want:e}");
    let _ = std::fs::remove_dir_all(&root);
}

/// `hits reproduce adaptive` on the authors' checkpoints: its noise study gives AHiTS the test
/// MSE and evaluations of their code at the levels whose fixture ran at the paper tolerance;
/// every method of accuracy against cost is there with a finite error; the bands are calibrated
/// shares; the figures are written; a level without checkpoints is an error naming the folder.
#[test]
fn reproduce_adaptive_matches_the_authors_code_and_writes_its_figures() {
    let shared = Roots::at(env!("CARGO_MANIFEST_DIR")).shared.join("data");
    if !shared.join("ahits_models/Hyperbolic").is_dir() {
        hits::testing::skip(
            "reproduce_adaptive_matches_the_authors_code_and_writes_its_figures",
            &format!("{} not found", shared.join("ahits_models").display()),
        );
        return;
    }
    let root = cli_common::scratch("ahits-reproduce");
    let shared = shared.to_string_lossy().to_string();
    let args = |noise: &str| {
        vec![
            "reproduce",
            "adaptive",
            "--quick",
            "--system",
            "hyperbolic",
            "--authors-only",
            "--authors-dir",
            &shared,
            "--data-dir",
            "data",
            "--out",
            "results",
            "--noise",
        ]
        .into_iter()
        .map(String::from)
        .chain([noise.to_string()])
        .collect::<Vec<_>>()
    };
    let run =
        |a: Vec<String>| cli_common::hits(&root, &a.iter().map(String::as_str).collect::<Vec<_>>());
    let o = run(args("0.01,0.05"));
    assert!(o.status.success(), "{}", cli_common::text(&o));
    let dir = root.join("results/quick/adaptive/Hyperbolic");
    let study: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("study.json")).unwrap()).unwrap();
    let rows = study["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{study}");
    for row in rows {
        let noise = row["noise"].as_f64().unwrap();
        let fx: Value = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join(format!("Hyperbolic_noise{noise}.json")))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            fx["tol"], fx["paper_tol"],
            "this fixture nudged its tolerance"
        );
        assert_eq!(row["ahits_evaluations"], fx["evaluations"], "noise {noise}");
        let (ours, want) = (
            row["ahits_mse"].as_f64().unwrap(),
            fx["test_mse"].as_f64().unwrap(),
        );
        assert!(
            (ours - want).abs() <= 1e-3 * want,
            "noise {noise}: {ours:e} vs {want:e}"
        );
        assert!(row["hits_mse"].as_f64().unwrap() < row["best_single"][1].as_f64().unwrap());
    }
    let cost = study["clean"]["cost"].as_array().unwrap();
    for method in [
        "single",
        "HiTS",
        "AHiTS",
        "AHiTS (error control)",
        "AHiTS (error control, HiTS's steppers)",
        "RK4",
    ] {
        let points: Vec<&Value> = cost.iter().filter(|p| p["method"] == method).collect();
        assert!(!points.is_empty(), "no {method} in {cost:?}");
        assert!(points
            .iter()
            .all(|p| p["mse"].as_f64().is_some_and(f64::is_finite)));
    }
    for band in study["bands"].as_array().unwrap() {
        let c = band["calibration"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{band}");
    }
    for name in [
        "noise_study",
        "cost",
        "per_step",
        "response",
        "times",
        "band",
    ] {
        for ext in ["png", "svg"] {
            let f = dir.join(format!("{name}.{ext}"));
            assert!(
                f.metadata().is_ok_and(|m| m.len() > 1000),
                "{}",
                f.display()
            );
        }
    }
    let o = run(args("0.03"));
    let text = cli_common::text(&o);
    assert!(
        !o.status.success() && text.contains("ahits_models") && text.contains("0.03"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
