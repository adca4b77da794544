//! Scores that are numbers, or say why not, and forecasts written as one set (issue 26):
//! a stepper made to diverge is a row `diverged at step N` (never NaN or inf in the table or the
//! CSV); model selection drops a diverged candidate, and fails (exit 1) naming the steppers when
//! nothing finite is left; a forecast that fails or is killed while writing leaves the old set.
//!
//! The steppers are built here with weights chosen to make them do what a test needs: zero
//! weights (x stays where it is), a constant drift (finite, but a validation MSE above the
//! selection's bound 1e5), or a linear blow-up x -> (1 + 10^6) x per call (f32 overflows within
//! seven calls).

mod cli_common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use candle_core::{Device, Tensor};
use cli_common::*;
use hits::data::npy::read_array3;
use hits::forecast::results::Manifest;
use hits::forecast::{diverged_at, mse_per_step, uni_scale_forecast};
use hits::stepper::{ResNetStepper, StepperMeta};

/// How a test stepper behaves.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// x_{k+1} = x_k
    Still,
    /// x_{k+1} = x_k + (c, c)
    Drift(f32),
    /// x_{k+1} = (1 + a^2) x_k
    BlowUp(f32),
}

/// A [2, 4, 2] ResNet stepper of `step` dt (dt 0.01) behaving as `kind`.
fn stepper(kind: Kind, step: usize) -> ResNetStepper {
    let (a, c) = match kind {
        Kind::Still => (0.0, 0.0),
        Kind::Drift(c) => (0.0, c),
        Kind::BlowUp(a) => (a, 0.0),
    };
    // hidden = relu(a x, a y, -a x, -a y); out = a (h0 - h2, h1 - h3) + c = a^2 (x, y) + c
    let w0 = vec![a, 0.0, 0.0, a, -a, 0.0, 0.0, -a];
    let w1 = vec![a, 0.0, -a, 0.0, 0.0, a, 0.0, -a];
    let dev = Device::Cpu;
    let layers = vec![
        (
            Tensor::from_vec(w0, (4, 2), &dev).unwrap(),
            Tensor::zeros(4, candle_core::DType::F32, &dev).unwrap(),
        ),
        (
            Tensor::from_vec(w1, (2, 4), &dev).unwrap(),
            Tensor::from_vec(vec![c, c], 2, &dev).unwrap(),
        ),
    ];
    ResNetStepper::from_layers(layers, step, 0.01).unwrap()
}

/// Checkpoints `<root>/<models>/Hyperbolic/model_D<k>_noise0.0.*` of the given steppers.
fn models(root: &Path, models: &str, kinds: &[(usize, Kind)]) -> PathBuf {
    let dir = root.join(models).join("Hyperbolic");
    for &(k, kind) in kinds {
        let s = stepper(kind, k);
        let meta = StepperMeta::new(&s, Some("Hyperbolic"), 0.0);
        s.save(&dir.join(format!("model_D{k}_noise0.0.safetensors")), &meta)
            .unwrap();
    }
    dir
}

/// A scratch root with the tiny data set (20 steps) and the given checkpoints under `models`.
fn setup(name: &str, kinds: &[(usize, Kind)]) -> PathBuf {
    let root = scratch(name);
    tiny_data(&root.join("data"), 21);
    models(&root, "models", kinds);
    root
}

/// `hits forecast` on the tiny data with the checkpoints of `<root>/<models>`.
fn forecast(root: &Path, models: &str, extra: &[&str]) -> std::process::Output {
    hits(root, &forecast_args(models, extra))
}

fn forecast_args<'a>(models: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "forecast",
        "--system",
        "hyperbolic",
        "--data",
        "data",
        "--models",
        models,
        "--out",
        "results",
        "--cpu",
    ];
    args.extend_from_slice(extra);
    args
}

/// The first step at which the uni-scale forecast of `kind` at `step` dt on the test set has a
/// non-finite error (computed here through the library).
fn expected_divergence(root: &Path, kind: Kind, step: usize) -> usize {
    let test = read_array3(&root.join("data/Hyperbolic/test_noise0.0.npy")).unwrap();
    let x0 = test.index_axis(ndarray::Axis(1), 0);
    let pred = uni_scale_forecast(&stepper(kind, step), x0, 20).unwrap();
    let per_step = mse_per_step(pred.view(), test.slice(ndarray::s![.., 1.., ..])).unwrap();
    diverged_at(&per_step).expect("the stepper diverges within 20 steps")
}

fn results(root: &Path) -> PathBuf {
    root.join("results/Hyperbolic")
}

fn read(root: &Path, name: &str) -> String {
    std::fs::read_to_string(results(root).join(name)).unwrap()
}

/// No `NaN` or `inf` in any spelling.
fn assert_no_non_finite(text: &str, what: &str) {
    let lower = text.to_lowercase();
    assert!(
        !lower.contains("nan") && !lower.contains("inf"),
        "{what} holds a non-finite number:\n{text}"
    );
}

/// The CSV's rows as maps column -> cell.
fn csv_rows(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{l}");
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

const BLOW_UP: Kind = Kind::BlowUp(1000.0);

#[test]
fn a_diverged_stepper_is_a_row_that_says_at_which_step() {
    let root = setup("diverged-row", &[(1, Kind::Still), (2, BLOW_UP)]);
    let n = expected_divergence(&root, BLOW_UP, 2);
    assert!((2..20).contains(&n), "diverges at step {n}");
    let o = forecast(&root, "models/Hyperbolic", &[]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    let md = read(&root, "forecast_noise0.0.md");
    let csv = read(&root, "forecast_noise0.0.csv");
    assert_no_non_finite(&md, "the markdown table");
    assert_no_non_finite(&csv, "the CSV");
    assert_no_non_finite(&String::from_utf8_lossy(&o.stdout), "the printed table");
    assert!(
        md.contains(&format!("| uni-scale | 2 |  | diverged at step {n} |")),
        "{md}"
    );
    // the still stepper scores a number, the coupling (which uses the 2-dt one) diverges
    assert!(md.contains("| uni-scale | 1 |  | "), "{md}");
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 3, "{csv}");
    let (still, blown, ms) = (&rows[0], &rows[1], &rows[2]);
    assert!(still["mse"].parse::<f64>().unwrap().is_finite() && still["diverged_at"].is_empty());
    assert_eq!(
        (blown["mse"].as_str(), blown["diverged_at"].clone()),
        ("", n.to_string())
    );
    // the coupling diverges where the 2-dt points do (the uni-scale row interpolates towards
    // the first of them one step earlier)
    assert!(ms["mse"].is_empty() && (n..=n + 1).contains(&ms["diverged_at"].parse().unwrap()));
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn model_selection_drops_a_diverged_candidate() {
    // 1 dt still, 2 dt blowing up: the coupling of both diverges on the validation set and is
    // dropped with a note; the 1-dt stepper alone is kept (the loop then tries nothing else).
    let root = setup("select-drop", &[(1, Kind::Still), (2, BLOW_UP)]);
    let o = forecast(&root, "models/Hyperbolic", &["--select"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("steps [1, 2] dt dropped from the selection: diverged at step 14"),
        "{t}"
    );
    assert!(t.contains("chosen: [1]"), "{t}");
    let md = read(&root, "forecast_noise0.0.md");
    assert!(md.contains("| multiscale | 1 | selected on val | "), "{md}");
    assert_no_non_finite(&md, "the markdown table");

    // 1 dt finite but far off (validation MSE above the bound 1e5): nothing wins the loop, and
    // the original falls back to all steppers, a diverged coupling. The finite one is kept.
    let root = setup("select-fallback", &[(1, Kind::Drift(100.0)), (2, BLOW_UP)]);
    let o = forecast(&root, "models/Hyperbolic", &["--select"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("chosen: [1]"), "{t}");
    let csv = read(&root, "forecast_noise0.0.csv");
    assert_no_non_finite(&csv, "the CSV");
    let ms = csv_rows(&csv).pop().unwrap();
    assert_eq!(
        (ms["method"].as_str(), ms["steps"].as_str()),
        ("multiscale", "1")
    );
    assert!(ms["mse"].parse::<f64>().unwrap() > 1e5 && ms["diverged_at"].is_empty());
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn nothing_finite_left_to_select_is_exit_1_naming_the_steppers() {
    let root = setup("all-diverged", &[(1, BLOW_UP), (2, BLOW_UP)]);
    // an earlier result stays as it was
    std::fs::create_dir_all(results(&root)).unwrap();
    std::fs::write(results(&root).join("forecast_noise0.0.md"), b"earlier").unwrap();
    let before = tree(&results(&root));
    let o = forecast(&root, "models/Hyperbolic", &["--select"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    for part in [
        "every candidate coupling diverged on the validation set",
        "steps [1, 2] dt diverged at step",
        "steps [1] dt diverged at step",
        "steps [2] dt diverged at step",
    ] {
        assert!(t.contains(part), "{part}: {t}");
    }
    assert_unchanged(&before, &results(&root), "a selection with nothing finite");
    // without selection: a table of diverged rows, each saying where (exit 0, with a note)
    let o = forecast(&root, "models/Hyperbolic", &[]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("every forecast diverged")
            && t.contains("uni-scale 1 dt diverged at step")
            && t.contains("uni-scale 2 dt diverged at step")
            && t.contains("multiscale 1..2 (2) dt diverged at step"),
        "{t}"
    );
    let (md, csv) = (
        read(&root, "forecast_noise0.0.md"),
        read(&root, "forecast_noise0.0.csv"),
    );
    assert_no_non_finite(&md, "the markdown table");
    assert_no_non_finite(&csv, "the CSV");
    assert_eq!(md.matches("| diverged at step ").count(), 3, "{md}");
    std::fs::remove_dir_all(&root).ok();
}

/// The files of the forecast's set (without the manifest, which older builds do not write).
const SET: [&str; 4] = [
    "forecast_noise0.0.md",
    "forecast_noise0.0.csv",
    "multiscale_noise0.0.npy",
    "mse_per_step_noise0.0.npy",
];

fn set_bytes(root: &Path) -> Vec<Option<Vec<u8>>> {
    SET.iter()
        .map(|n| std::fs::read(results(root).join(n)).ok())
        .collect()
}

/// The set's content without the wall times (which differ from run to run): the tables
/// without their time columns, the arrays as they are.
fn set_content(root: &Path) -> Vec<Option<String>> {
    let drop_cells = |text: &str, sep: char, cols: &[usize]| -> String {
        text.lines()
            .map(|l| {
                l.split(sep)
                    .enumerate()
                    .filter(|(i, _)| !cols.contains(i))
                    .map(|(_, c)| c)
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    set_bytes(root)
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            b.map(|b| match i {
                // | method | steps | detail | MSE | paper | time | paper time |
                0 => drop_cells(&String::from_utf8_lossy(&b), '|', &[6]),
                // method,steps,detail,mse,paper_mse,seconds,...
                1 => drop_cells(&String::from_utf8_lossy(&b), ',', &[5]),
                _ => format!("{b:?}"),
            })
        })
        .collect()
}

#[test]
fn a_forecast_that_fails_while_writing_leaves_the_old_set() {
    let root = setup("fail-midway", &[(1, Kind::Still), (2, Kind::Still)]);
    models(
        &root,
        "models_b",
        &[(1, Kind::Drift(0.01)), (2, Kind::Drift(0.02))],
    );
    let o = forecast(&root, "models/Hyperbolic", &[]);
    assert!(o.status.success(), "{}", text(&o));
    let old = set_bytes(&root);
    // The last file of the set cannot be replaced (a folder is in its way): the earlier ones
    // must not be replaced either.
    let last = results(&root).join(SET[3]);
    std::fs::remove_file(&last).unwrap();
    std::fs::create_dir(&last).unwrap();
    let o = forecast(&root, "models_b/Hyperbolic", &[]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains(SET[3]), "{t}");
    let now = set_bytes(&root);
    for i in 0..3 {
        assert!(
            now[i] == old[i],
            "{} was replaced by a run that failed: {t}",
            SET[i]
        );
    }
    assert!(
        temp_files(&results(&root)).is_empty(),
        "{:?}",
        temp_files(&results(&root))
    );
    // Out of the way: the whole new set, with its manifest.
    std::fs::remove_dir(&last).unwrap();
    let o = forecast(&root, "models_b/Hyperbolic", &[]);
    assert!(o.status.success(), "{}", text(&o));
    let new = set_bytes(&root);
    assert!((0..4).all(|i| new[i].is_some() && new[i] != old[i]));
    let m = Manifest::read(&results(&root), "forecast_noise0.0")
        .unwrap()
        .unwrap();
    let listed: Vec<&str> = m.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(listed, SET.to_vec());
    assert!(m.is_whole(&results(&root)));
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn a_forecast_killed_at_any_moment_leaves_the_old_set_or_the_new_one() {
    let root = setup("kill", &[(1, Kind::Still), (2, Kind::Still)]);
    models(
        &root,
        "models_b",
        &[(1, Kind::Drift(0.01)), (2, Kind::Drift(0.02))],
    );
    let run = |models: &str| {
        let o = forecast(&root, models, &["--save-all"]);
        assert!(o.status.success(), "{}", text(&o));
        set_content(&root)
    };
    let t0 = Instant::now();
    let new = run("models_b/Hyperbolic");
    let full = t0.elapsed();
    let old = run("models/Hyperbolic");
    let mut lcg = Lcg(26);
    let (mut olds, mut news) = (0, 0);
    for round in 0..12 {
        run("models/Hyperbolic");
        let mut child = command(
            &root,
            &forecast_args("models_b/Hyperbolic", &["--save-all"]),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
        std::thread::sleep(Duration::from_secs_f64(
            full.as_secs_f64() * (0.5 + 0.6 * lcg.next()),
        ));
        let _ = child.kill();
        let _ = child.wait();
        let now = set_content(&root);
        let staged = std::fs::read_dir(results(&root))
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| {
                e.path().is_dir() && e.path().join("forecast_noise0.0.manifest.json").exists()
            });
        if now == old {
            olds += 1;
        } else if now == new {
            news += 1;
        } else {
            // killed between the renames of the commit: the complete set is staged, and the next
            // run publishes it before anything else
            assert!(
                staged,
                "round {round}: neither the old set nor the new one, and none staged"
            );
            let o = forecast(&root, "models/Hyperbolic", &["--save-all"]);
            assert!(String::from_utf8_lossy(&o.stderr).contains("finished publishing"));
        }
    }
    eprintln!("12 kills: {olds} left the old set, {news} the new one");
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn the_experiments_drop_diverged_candidates_and_fail_when_nothing_finite_is_left() {
    use hits::experiments::multiscale_hits::{self, Provenance};
    use hits::forecast::Stepper;
    let root = scratch("experiment");
    let data = hits::data::DataSet::new(
        rotations(8, 21, 1),
        rotations(8, 21, 2),
        rotations(8, 21, 3),
    )
    .unwrap();
    let problem = hits::SystemKind::Hyperbolic.problem();
    let evaluate = |kinds: [Kind; 2]| {
        let nets = [stepper(kinds[0], 1), stepper(kinds[1], 2)];
        let refs: Vec<&dyn Stepper> = nets.iter().map(|n| n as &dyn Stepper).collect();
        multiscale_hits::evaluate(&problem, &refs, &data, 0.0, Provenance::exact("test nets"))
    };
    let result = evaluate([Kind::Still, BLOW_UP]).unwrap();
    assert_eq!(result.selected_steps(), &[1]);
    let report = result.report_markdown();
    assert!(
        report.contains("| [1, 2] | diverged at step 14 (dropped) |"),
        "{report}"
    );
    assert!(
        report.contains("| uni-scale | 2 |  | diverged at step"),
        "{report}"
    );
    assert_no_non_finite(&report, "the experiment's report");
    assert_no_non_finite(&result.table_csv(), "the experiment's CSV");
    let e = evaluate([BLOW_UP, BLOW_UP]).unwrap_err().to_string();
    assert!(
        e.contains("every candidate coupling diverged")
            && e.contains("steps [1, 2] dt diverged at step"),
        "{e}"
    );
    std::fs::remove_dir_all(&root).ok();
}
