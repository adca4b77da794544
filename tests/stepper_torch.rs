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
        loss: hits::stepper::Loss::paper(setup.w),
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

/// `tests/fixtures/torch/<name>`.
fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

fn read_f32(name: &str) -> Vec<f32> {
    let a: ndarray::ArrayD<f32> = read_npy(fixture(name)).unwrap();
    a.iter().cloned().collect()
}

/// A `.pt` made by torch whose weights are views of shared storages (offset 4, offset 30, a
/// transpose at offset 3, a stride-2 slice: tools/make_torch_fixtures.py `views`) imports
/// with exactly torch's values (before: the offset was scaled by the element size twice, so
/// the file was refused or read from the wrong place).
#[test]
fn views_at_storage_offsets_import_with_torchs_values() {
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("offset_view.json")).unwrap())
            .unwrap();
    assert_eq!(
        index["views"]["increment.Linear_0.weight"]["storage_offset"], 4,
        "the fixture holds a view at offset 4"
    );
    let s = import_torch(&fixture("offset_view.pt"), 0.01).unwrap();
    assert_eq!((s.arch(), s.step_size()), (&[2, 8, 8, 2][..], 4));
    for (i, (w, b)) in s.layers().iter().enumerate() {
        let got_w: Vec<f32> = w.flatten_all().unwrap().to_vec1().unwrap();
        let got_b: Vec<f32> = b.to_vec1().unwrap();
        assert_eq!(
            got_w,
            read_f32(&format!("offset_view_w{i}.npy")),
            "weight {i}"
        );
        assert_eq!(
            got_b,
            read_f32(&format!("offset_view_b{i}.npy")),
            "bias {i}"
        );
    }
    let x: Array2<f32> = read_npy(fixture("offset_view_x.npy")).unwrap();
    let y1: Array2<f32> = read_npy(fixture("offset_view_y1.npy")).unwrap();
    let d = max_abs_diff(&s.forward(&tensor2(&x)).unwrap(), &tensor2(&y1));
    assert!(d < 2e-6, "one step {d:e}");
}

/// The entries of a `.pt` fixture, `data.pkl` replaced by `pickle` when given, as a new zip.
fn rezip(src: &Path, dst: &Path, edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        zout.start_file(name.as_str(), opts).unwrap();
        zout.write_all(&edit(&name, bytes)).unwrap();
    }
    zout.finish().unwrap();
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hits_torch_{tag}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Replace the one `BINPERSID, BININT1 4` (Linear_0.weight's storage offset) by `with`.
fn patch_offset(pkl: Vec<u8>, with: &[u8]) -> Vec<u8> {
    let at = pkl
        .windows(3)
        .position(|w| w == b"QK\x04")
        .expect("the offset-4 view in the fixture's pickle");
    let mut out = pkl[..at + 1].to_vec();
    out.extend_from_slice(with);
    out.extend_from_slice(&pkl[at + 3..]);
    out
}

/// Offsets and sizes that leave the storage or overflow are errors naming the file and the
/// tensor (before: an offset near 2^60 panicked, exit 101).
#[test]
fn storage_offsets_out_of_range_are_errors() {
    let dir = temp_dir("offsets");
    let long = |v: u64| {
        let mut b = vec![0x8a, 8];
        b.extend_from_slice(&v.to_le_bytes());
        b
    };
    for (tag, with) in [
        ("near_2_60", long(1 << 60)),
        ("max", long(i64::MAX as u64)),
        ("just_past", vec![b'K', 45]), // 45 + 16 > 60 elements
    ] {
        let p = dir.join(format!("model_D4_{tag}.pt"));
        rezip(&fixture("offset_view.pt"), &p, |name, b| {
            if name.ends_with("data.pkl") {
                patch_offset(b, &with)
            } else {
                b
            }
        });
        let e = std::panic::catch_unwind(|| import_torch(&p, 0.01))
            .unwrap_or_else(|_| panic!("{tag}: import panicked"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("model_D4_{tag}.pt")) && e.contains("increment.Linear_0.weight"),
            "{tag}: {e}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A pickle nested a million levels deep is an error naming the file (before: the stack
/// overflowed and the process aborted).
#[test]
fn deeply_nested_pickles_are_errors() {
    let dir = temp_dir("deep");
    let p = dir.join("model_D4_deep.pt");
    rezip(&fixture("offset_view.pt"), &p, |name, b| {
        if name.ends_with("data.pkl") {
            let mut deep = vec![0x80, 2, b']'];
            deep.extend(std::iter::repeat_n(0x85u8, 1_000_000)); // TUPLE1
            deep.push(b'.');
            deep
        } else {
            b
        }
    });
    // a thread with a small stack, as a worker thread would have
    let p2 = p.clone();
    let e = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || import_torch(&p2, 0.01).map(|_| ()))
        .unwrap()
        .join()
        .expect("no panic")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("model_D4_deep.pt") && e.contains("nested deeper"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A NaN in a hidden layer's weight is an error naming the tensor and the file (before: it
/// was accepted, and ReLU turned it into a finite, wrong forecast).
#[test]
fn non_finite_weights_in_pt_files_are_refused() {
    for name in ["nan_plain.pt", "nan_hidden.pt"] {
        let e = import_torch(&fixture(name), 0.01).unwrap_err().to_string();
        assert!(
            e.contains(name) && e.contains("increment.Linear_1.weight") && e.contains("not finite"),
            "{e}"
        );
    }
}

/// A FIFO named like a model file is refused at once (before: the import waited forever).
#[cfg(unix)]
#[test]
fn fifos_named_like_pt_files_are_refused() {
    let dir = temp_dir("fifo");
    let p = dir.join("model_D4_noise0.0.pt");
    let ok = std::process::Command::new("mkfifo")
        .arg(&p)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("skipping: mkfifo not available");
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let p2 = p.clone();
    std::thread::spawn(move || {
        let _ = tx.send(
            import_torch(&p2, 0.01)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        );
    });
    let e = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("import_torch hung on a FIFO")
        .unwrap_err();
    assert!(
        e.contains("model_D4_noise0.0.pt") && e.contains("FIFO"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
