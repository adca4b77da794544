//! The original PyTorch models: import and forward outputs equal to PyTorch's, and one short
//! training run equal to PyTorch's Adam (fixtures: tools/make_torch_fixtures.py).

use std::path::{Path, PathBuf};

use candle_core::{Device, Module, Tensor};
use hits::stepper::{import_torch, ResNetStepper, StepperData, TrainConfig, TrainWindows, Trainer};
use ndarray::{Array1, Array2, Array3};
use ndarray_npy::read_npy;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch")
}

fn originals() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/original_models")
}

fn tensor2(a: &Array2<f32>) -> Tensor {
    Tensor::from_vec(a.iter().cloned().collect::<Vec<_>>(), a.dim(), &Device::Cpu).unwrap()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

#[derive(serde::Deserialize)]
struct Entry {
    name: String,
    system: String,
    step_size: usize,
    dt: f64,
    arch: Vec<usize>,
}

#[test]
fn imported_models_match_pytorch_forward() {
    let index: Vec<Entry> = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("forward_index.json")).unwrap(),
    )
    .unwrap();
    if !originals().exists() {
        eprintln!("skipping: {} not present", originals().display());
        return;
    }
    for e in index {
        let pt = originals()
            .join(&e.system)
            .join(format!("model_D{}_noise0.0.pt", e.step_size));
        let s = import_torch(&pt, e.dt).unwrap();
        assert_eq!(
            (s.step_size(), s.arch()),
            (e.step_size, e.arch.as_slice()),
            "{}",
            e.name
        );
        let x: Array2<f32> = read_npy(fixtures().join(format!("{}_x.npy", e.name))).unwrap();
        let y1: Array2<f32> = read_npy(fixtures().join(format!("{}_y1.npy", e.name))).unwrap();
        let y5: Array2<f32> = read_npy(fixtures().join(format!("{}_y5.npy", e.name))).unwrap();
        let mut y = s.forward(&tensor2(&x)).unwrap();
        let d1 = max_abs_diff(&y, &tensor2(&y1));
        for _ in 0..4 {
            y = s.forward(&y).unwrap();
        }
        let d5 = max_abs_diff(&y, &tensor2(&y5));
        assert!(
            d1 < 2e-6 && d5 < 1e-5,
            "{}: one step {d1:e}, five steps {d5:e}",
            e.name
        );
    }
}

#[test]
fn all_original_models_import() {
    let root = originals();
    if !root.exists() {
        eprintln!("skipping: {} not present", root.display());
        return;
    }
    let mut count = 0;
    for sys in std::fs::read_dir(&root).unwrap() {
        let sys = sys.unwrap().path();
        for f in std::fs::read_dir(&sys).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "pt") {
                let s = import_torch(&f, 0.01).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                assert!(
                    name.starts_with(&format!("model_D{}_", s.step_size())),
                    "{name}"
                );
                let dim = if sys.ends_with("Hopf") { 3 } else { 2 };
                assert_eq!(s.dim(), dim, "{name}");
                assert_eq!(s.arch().len(), 5, "{name}");
                count += 1;
            }
        }
    }
    assert_eq!(count, 44);
}

#[test]
fn import_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("hits_import_err_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("model_D4_noise0.0.pt");
    std::fs::write(&p, b"not a zip").unwrap();
    let e = import_torch(&p, 0.01).unwrap_err().to_string();
    assert!(
        e.contains("model_D4_noise0.0.pt") && e.contains("zip"),
        "{e}"
    );
    let e = import_torch(&dir.join("missing.pt"), 0.01)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.pt"), "{e}");
    if originals().exists() {
        let e = import_torch(&originals().join("Hopf/model_D4_noise0.0.pt"), 0.0005)
            .unwrap_err()
            .to_string();
        assert!(e.contains("dt = 0.01"), "{e}");
    }
}

#[derive(serde::Deserialize)]
struct Setup {
    arch: Vec<usize>,
    seed: u32,
    n_forward: usize,
    epochs: usize,
    w: f64,
    lr: f64,
}

/// Full-batch training from the same initial weights: same losses and final weights as
/// PyTorch's Adam on the original loss, with the max term (w = 0.5: candle autograd) and
/// without (w = 1: hand-written gradients).
#[test]
fn training_matches_pytorch_adam() {
    training_matches("train");
    training_matches("train_w1");
}

fn training_matches(tag: &str) {
    let f = fixtures();
    let setup: Setup = serde_json::from_str(
        &std::fs::read_to_string(f.join(format!("{tag}_setup.json"))).unwrap(),
    )
    .unwrap();
    let traj: Array3<f32> = read_npy(f.join(format!("{tag}_traj.npy"))).unwrap();
    let want_losses: Array1<f64> = read_npy(f.join(format!("{tag}_losses.npy"))).unwrap();
    let x = traj.slice(ndarray::s![.., 0, ..]).mapv(f64::from);
    let ys = traj.slice(ndarray::s![.., 1.., ..]).mapv(f64::from);
    let w = TrainWindows::from_arrays(x.view(), ys.view(), &Device::Cpu).unwrap();
    let stepper = ResNetStepper::new(&setup.arch, 1, 0.1, setup.seed, &Device::Cpu).unwrap();
    let cfg = TrainConfig {
        epochs: setup.epochs,
        batch_size: 1000,
        n_forward: setup.n_forward,
        lr: setup.lr,
        loss_weight: setup.w,
        loss: hits::stepper::Loss::paper(),
        eval_every: 1,
        target_loss: 0.0,
        seed: 0,
    };
    let mut t = Trainer::new(
        &[&stepper],
        vec![StepperData {
            train: w.clone(),
            val: w,
        }],
        cfg,
    )
    .unwrap();
    t.run(usize::MAX, &mut |_| {}).unwrap();
    let (_, report) = t.finish().unwrap().pop().unwrap();
    assert_eq!(report.history.len(), setup.epochs);
    // Our history holds the minibatch loss before each step, as PyTorch's `losses`.
    for (i, &(epoch, train, _)) in report.history.iter().enumerate() {
        assert_eq!(epoch, i + 1);
        let want = want_losses[i];
        assert!(
            (train - want).abs() <= 1e-5 * want,
            "{tag} epoch {epoch}: {train} vs {want}"
        );
    }
    let last = t.current().unwrap().pop().unwrap();
    for (i, (wt, bs)) in last.layers().iter().enumerate() {
        let w_want: Array2<f32> = read_npy(f.join(format!("{tag}_final_w{i}.npy"))).unwrap();
        let b_want: Array1<f32> = read_npy(f.join(format!("{tag}_final_b{i}.npy"))).unwrap();
        let dw = max_abs_diff(wt, &tensor2(&w_want));
        let b_want = Tensor::from_vec(b_want.to_vec(), b_want.len(), &Device::Cpu).unwrap();
        let db = max_abs_diff(bs, &b_want);
        assert!(
            dw < 2e-6 && db < 2e-6,
            "{tag} layer {i}: weight {dw:e}, bias {db:e}"
        );
    }
    // The weights moved: the test can fail.
    let init = ResNetStepper::new(&setup.arch, 1, 0.1, setup.seed, &Device::Cpu).unwrap();
    assert!(max_abs_diff(&init.layers()[0].0, &last.layers()[0].0) > 1e-3);
}
