//! The sequence baselines (LSTM, ESN, CW-RNN): parity with PyTorch and numpy/LAPACK fixtures
//! (tools/fixtures_baselines.py, tools/fixtures_baseline_training.py), whole-sequence training
//! as the original (against PyTorch's), fitting and regenerating a periodic sequence, the CW-RNN
//! clocks, the sizing rule, checkpoints.

use std::collections::HashMap;
use std::path::PathBuf;

use candle_core::{Device, Tensor};
use hits::baselines::{
    match_parameters, mlp_parameter_count, parameter_count, trained_parameter_count, BaselineKind,
    BaselineTrainConfig, BaselineWindows, CwRnn, CwRnnConfig, Esn, EsnConfig, Lstm, LstmConfig,
    SequenceModel,
};
use ndarray::{Array1, Array2};
use ndarray_npy::read_npy;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/baselines")
        .join(name)
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// A circle of radius 0.5 with 20 frames per period: `[n, 2]`; per-feature variance 0.125.
fn circle(n: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, 2), |(t, j)| {
        let a = 2.0 * std::f64::consts::PI * t as f64 / 20.0;
        0.5 * if j == 0 { a.cos() } else { a.sin() }
    })
}

const CIRCLE_VAR: f64 = 0.125;
/// Free-running generation of 2 periods must stay within this of the true circle (10% of radius).
const GEN_TOL: f64 = 0.05;

/// The original's whole-sequence training, shortened.
fn small_train() -> BaselineTrainConfig {
    BaselineTrainConfig {
        epochs: 600,
        lr: 1e-2,
        seed: 1,
        eval_every: 50,
        ..BaselineTrainConfig::paper()
    }
}

#[test]
fn lstm_matches_pytorch() {
    let mut map = HashMap::new();
    for name in hits::baselines::lstm::LSTM_NAMES {
        let path = fixture(&format!("lstm_{name}.npy"));
        let t = match name {
            "bias_ih_l0" | "bias_hh_l0" | "readout.bias" => {
                let a: Array1<f64> = read_npy(&path).unwrap();
                Tensor::from_vec(a.to_vec(), a.len(), &Device::Cpu).unwrap()
            }
            _ => {
                let a: Array2<f64> = read_npy(&path).unwrap();
                Tensor::from_vec(a.iter().copied().collect(), a.dim(), &Device::Cpu).unwrap()
            }
        };
        map.insert(name.to_string(), t);
    }
    let lstm = Lstm::from_tensors(&map).unwrap();
    assert_eq!((lstm.dim(), lstm.hidden()), (3, 5));
    let x: Array2<f64> = read_npy(fixture("lstm_x.npy")).unwrap();
    let (hs, pred) = lstm.teacher_forced(x.view()).unwrap();
    let hs_t: Array2<f64> = read_npy(fixture("lstm_hidden.npy")).unwrap();
    let pred_t: Array2<f64> = read_npy(fixture("lstm_pred.npy")).unwrap();
    let (dh, dp) = (max_abs_diff(&hs, &hs_t), max_abs_diff(&pred, &pred_t));
    let gen_t: Array2<f64> = read_npy(fixture("lstm_generate.npy")).unwrap();
    let gen = lstm.generate(x.row(0), gen_t.nrows()).unwrap();
    let dg = max_abs_diff(&gen, &gen_t);
    eprintln!("LSTM vs PyTorch: hidden {dh:.2e}, predictions {dp:.2e}, generation {dg:.2e}");
    assert!(dh < 1e-5 && dp < 1e-5 && dg < 1e-5, "{dh} {dp} {dg}");
    assert_eq!(lstm.n_params(), 4 * 5 * (3 + 5) + 8 * 5 + 5 * 3 + 3);
}

/// Tensors `<prefix><name>.npy` of the fixture folder, by name.
fn fixture_tensors(prefix: &str, names: &[&str]) -> HashMap<String, Tensor> {
    names
        .iter()
        .map(|name| {
            let a: ndarray::ArrayD<f64> =
                read_npy(fixture(&format!("{prefix}{name}.npy"))).unwrap();
            let t = Tensor::from_vec(a.iter().copied().collect(), a.shape(), &Device::Cpu).unwrap();
            (name.to_string(), t)
        })
        .collect()
}

fn max_abs_tensor_diff(a: &Tensor, b: &Tensor) -> f64 {
    let d = (a.to_dtype(candle_core::DType::F64).unwrap()
        - b.to_dtype(candle_core::DType::F64).unwrap())
    .unwrap();
    d.abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f64>()
        .unwrap()
}

/// The original's training settings of tools/fixtures_baseline_training.py: the whole sequence,
/// 40 epochs, Adam lr 1e-2, the loss looked at every `eval_every` epochs.
fn fixture_train(eval_every: usize) -> BaselineTrainConfig {
    BaselineTrainConfig {
        epochs: 40,
        lr: 1e-2,
        eval_every,
        ..BaselineTrainConfig::paper()
    }
}

/// Whole-sequence training of a model loaded from PyTorch's initial weights: every epoch's loss
/// against PyTorch's (looking every epoch), then the kept epoch and weights (looking every 10).
fn check_whole_training<M: SequenceModel>(
    prefix: &str,
    train: impl Fn(&BaselineTrainConfig) -> (M, hits::baselines::TrainHistory, HashMap<String, Tensor>),
    names: &[&str],
) {
    let losses: Array1<f64> = read_npy(fixture(&format!("{prefix}losses.npy"))).unwrap();
    let (_, every, _) = train(&fixture_train(1));
    assert_eq!(every.epochs, (1..=40).collect::<Vec<_>>());
    let worst = every
        .loss
        .iter()
        .zip(&losses)
        .map(|(a, b)| (a - b).abs() / b)
        .fold(0.0, f64::max);
    eprintln!(
        "{prefix}: loss {:.4e} -> {:.4e}, worst relative difference from PyTorch {worst:.2e}",
        losses[0], losses[39]
    );
    assert!(
        worst < 1e-4,
        "{prefix}: losses differ from PyTorch's by {worst:.2e}"
    );
    assert!(losses[39] < 0.5 * losses[0], "the fixture trains");

    let kept_epoch: Array1<i64> = read_npy(fixture(&format!("{prefix}kept_epoch.npy"))).unwrap();
    let (model, hist, tensors) = train(&fixture_train(10));
    assert_eq!(hist.epochs, vec![10, 20, 30, 40]);
    assert_eq!(hist.best_epoch, Some(kept_epoch[0] as usize));
    assert_eq!(
        hist.best_loss,
        hist.loss[hist
            .epochs
            .iter()
            .position(|&e| e == kept_epoch[0] as usize)
            .unwrap()]
    );
    let want = fixture_tensors(&format!("{prefix}kept_"), names);
    for name in names {
        let d = max_abs_tensor_diff(&tensors[*name], &want[*name]);
        assert!(
            d < 1e-4,
            "{prefix}{name}: kept weights differ from PyTorch's by {d:.2e}"
        );
    }
    assert!(model.n_params() > 0);
}

#[test]
fn lstm_whole_sequence_training_matches_pytorch() {
    let names = hits::baselines::lstm::LSTM_NAMES;
    let seq: Array2<f64> = read_npy(fixture("whole_lstm_sequence.npy")).unwrap();
    check_whole_training(
        "whole_lstm_",
        |cfg| {
            let init = Lstm::from_tensors(&fixture_tensors("whole_lstm_init_", &names)).unwrap();
            let (m, h) = init.train_from(seq.view(), cfg, &mut |_, _| {}).unwrap();
            let t = m.tensors();
            (m, h, t)
        },
        &names,
    );
}

#[test]
fn cwrnn_whole_sequence_training_matches_pytorch() {
    let names = hits::baselines::cwrnn::CWRNN_NAMES;
    let seq: Array2<f64> = read_npy(fixture("whole_cwrnn_sequence.npy")).unwrap();
    // PyTorch's RNNCell holds the lower blocks of W_H too (never read, never changed): compare
    // the masked matrix.
    let mask = |t: &Tensor| {
        let w: Vec<f64> = t
            .to_dtype(candle_core::DType::F64)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let v: Vec<f64> = w
            .iter()
            .enumerate()
            .map(|(k, &x)| if (k % 6) / 2 >= (k / 6) / 2 { x } else { 0.0 })
            .collect();
        Tensor::from_vec(v, (6, 6), &Device::Cpu).unwrap()
    };
    check_whole_training(
        "whole_cwrnn_",
        |cfg| {
            let init =
                CwRnn::from_tensors(&fixture_tensors("whole_cwrnn_init_", &names), 3).unwrap();
            let (m, h) = init.train_from(seq.view(), cfg, &mut |_, _| {}).unwrap();
            let mut t = m.tensors();
            let w = mask(&t["recurrent.weight"]);
            t.insert("recurrent.weight".into(), w);
            (m, h, t)
        },
        &names
            .iter()
            .copied()
            .filter(|n| *n != "recurrent.weight")
            .collect::<Vec<_>>(),
    );
    // the masked recurrent matrix too
    let init = CwRnn::from_tensors(&fixture_tensors("whole_cwrnn_init_", &names), 3).unwrap();
    let (m, _) = init
        .train_from(seq.view(), &fixture_train(10), &mut |_, _| {})
        .unwrap();
    let want =
        mask(&fixture_tensors("whole_cwrnn_kept_", &["recurrent.weight"])["recurrent.weight"]);
    let d = max_abs_tensor_diff(&m.tensors()["recurrent.weight"], &want);
    assert!(d < 1e-4, "W_H differs from PyTorch's by {d:.2e}");
}

/// Looking every 25 epochs at a run whose loss rises again (lr 2, far too large: 0.43, 0.15, 0.79
/// here): the weights returned are those of the lowest look, and their loss is the one recorded
/// (the weights the loss was computed with, not those one Adam step later).
#[test]
fn whole_sequence_keeps_the_best_look() {
    let seq = circle(60);
    let cfg = BaselineTrainConfig {
        epochs: 75,
        lr: 2.0,
        eval_every: 25,
        ..BaselineTrainConfig::paper()
    };
    let (lstm, hist) = Lstm::train(
        seq.view(),
        &LstmConfig { hidden: 8 },
        &cfg,
        &Device::Cpu,
        &mut |_, _| {},
    )
    .unwrap();
    eprintln!(
        "looks at {:?}: {:?}, kept {:?}",
        hist.epochs, hist.loss, hist.best_epoch
    );
    let (i, best) =
        hist.loss.iter().enumerate().fold(
            (0, f64::INFINITY),
            |(bi, b), (i, &l)| if l < b { (i, l) } else { (bi, b) },
        );
    assert_eq!(hist.best_epoch, Some(hist.epochs[i]));
    assert_eq!(hist.best_loss, best);
    assert!(
        hist.loss.last().unwrap() > &best,
        "this run must rise again to test anything: {:?}",
        hist.loss
    );
    // the returned weights have the kept loss (teacher forcing over the whole sequence)
    let (_, pred) = lstm
        .teacher_forced(seq.slice(ndarray::s![..59, ..]))
        .unwrap();
    let truth = seq.slice(ndarray::s![1.., ..]);
    let mse = pred
        .iter()
        .zip(truth.iter())
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / pred.len() as f64;
    assert!(
        (mse - best).abs() < 1e-5 * best.max(1e-3),
        "{mse} vs kept {best}"
    );
    // a run that reaches the target loss stops there
    let stop = BaselineTrainConfig {
        target_loss: 1.0,
        eval_every: 5,
        lr: 1e-3,
        ..cfg
    };
    let (_, h) = Lstm::train(
        seq.view(),
        &LstmConfig { hidden: 8 },
        &stop,
        &Device::Cpu,
        &mut |_, _| {},
    )
    .unwrap();
    assert!(h.stopped_early && h.epochs == vec![5], "{h:?}");
    assert!(matches!(
        BaselineTrainConfig::paper().windows,
        BaselineWindows::WholeSequence
    ));
}

fn check_fit(model: &dyn SequenceModel, history_loss: Option<&[f64]>) {
    if let Some(loss) = history_loss {
        let last = *loss.last().unwrap();
        eprintln!("{}: loss {:.3e} -> {last:.3e}", model.name(), loss[0]);
        assert!(
            last < 1e-2 * CIRCLE_VAR,
            "{}: final loss {last} not below 1e-2 x variance",
            model.name()
        );
    }
    let truth = circle(41);
    let gen = model.generate(truth.row(0), 41).unwrap();
    let err = max_abs_diff(&gen, &truth);
    eprintln!(
        "{}: free-running 2 periods, max error {err:.3e}",
        model.name()
    );
    assert_eq!(gen.row(0), truth.row(0));
    assert!(err < GEN_TOL, "{}: generation error {err}", model.name());
}

#[test]
fn lstm_fits_and_regenerates_a_circle() {
    let seq = circle(200);
    let mut calls = 0;
    let (lstm, hist) = Lstm::train(
        seq.view(),
        &LstmConfig { hidden: 16 },
        &small_train(),
        &Device::Cpu,
        &mut |_, _| calls += 1,
    )
    .unwrap();
    assert_eq!(calls, hist.loss.len());
    assert_eq!(hist.epochs.last(), Some(&600));
    check_fit(&lstm, Some(&hist.loss));

    // checkpoint round trip
    let dir = std::env::temp_dir().join(format!("hits_baselines_lstm_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    lstm.save(&dir.join("lstm"), Some(&hist)).unwrap();
    let (back, meta) = Lstm::load(&dir.join("lstm.json"), &Device::Cpu).unwrap();
    let back_hist = meta.history.as_ref().unwrap();
    assert_eq!(back_hist.epochs, hist.epochs);
    // JSON keeps the losses to the last digit or so
    assert!(back_hist
        .loss
        .iter()
        .zip(&hist.loss)
        .all(|(a, b)| (a - b).abs() <= 1e-15 * b.abs()));
    assert_eq!(meta.n_params, lstm.n_params());
    let a = lstm.generate(seq.row(0), 30).unwrap();
    assert_eq!(a, back.generate(seq.row(0), 30).unwrap());
    assert!(
        CwRnn::load(&dir.join("lstm"), &Device::Cpu).is_err(),
        "kind is checked"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cwrnn_fits_and_regenerates_a_circle() {
    let seq = circle(200);
    let cfg = CwRnnConfig {
        hidden: 24,
        n_modules: 3,
    };
    // The truncated-window trainer (an option beside the original's whole sequence).
    let (model, hist) = CwRnn::train(
        seq.view(),
        &cfg,
        &small_train().truncated(20, 8),
        &Device::Cpu,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(model.periods(), &[1, 4, 16]);
    check_fit(&model, Some(&hist.loss));
    // the lower blocks of W_H stayed zero through training
    let w = model.recurrent_weight().unwrap();
    for r in 0..24 {
        for c in 0..24 {
            if c / 8 < r / 8 {
                assert_eq!(w[[r, c]], 0.0, "W_H[{r}, {c}]");
            }
        }
    }
    assert!(w[[0, 23]] != 0.0 && w[[23, 23]] != 0.0);

    let dir = std::env::temp_dir().join(format!("hits_baselines_cwrnn_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    model
        .save(&dir.join("cw.safetensors"), Some(&hist))
        .unwrap();
    let (back, _) = CwRnn::load(&dir.join("cw"), &Device::Cpu).unwrap();
    assert_eq!(back.periods(), model.periods());
    assert_eq!(
        model.generate(seq.row(0), 30).unwrap(),
        back.generate(seq.row(0), 30).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cwrnn_modules_update_only_on_their_clocks() {
    let cfg = CwRnnConfig {
        hidden: 12,
        n_modules: 3,
    };
    let model = CwRnn::new(2, &cfg, 5, &Device::Cpu).unwrap();
    let xs = Array2::from_shape_fn((40, 2), |(t, j)| ((t * 7 + j * 3) % 11) as f64 / 11.0 - 0.5);
    let (hs, _) = model.teacher_forced(xs.view()).unwrap();
    let mut updates = [0usize; 3];
    for t in 1..40 {
        for (i, &p) in model.periods().iter().enumerate() {
            let (now, before) = (
                hs.slice(ndarray::s![t, 4 * i..4 * i + 4]),
                hs.slice(ndarray::s![t - 1, 4 * i..4 * i + 4]),
            );
            let changed = now.iter().zip(before).any(|(a, b)| a != b);
            assert_eq!(changed, t % p == 0, "module {i} (period {p}) at t = {t}");
            updates[i] += usize::from(changed);
        }
    }
    assert_eq!(updates, [39, 9, 2]);
    // every module fires at t = 0
    assert!(hs.row(0).iter().all(|&v| v != 0.0));
}

#[test]
fn esn_regenerates_a_circle() {
    let seq = circle(300);
    let cfg = EsnConfig {
        reservoir: 100,
        density: 0.1,
        input_scale: 0.5,
        ridge: 1e-8,
        washout: 0,
        seed: 4,
        spectral_radius: 0.9,
    };
    let esn = Esn::fit(seq.view(), &cfg).unwrap();
    // every weight (reservoir, input, read-out) for sizing; only the read-out is trained
    assert_eq!(esn.n_params(), 100 * 100 + 100 * 2 + 2 * 101);
    assert_eq!(esn.n_trained(), 2 * 101);
    check_fit(&esn, None);
    let dir = std::env::temp_dir().join(format!("hits_baselines_esn_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    esn.save(&dir.join("esn")).unwrap();
    let back = Esn::load(&dir.join("esn")).unwrap();
    assert_eq!(
        esn.generate(seq.row(0), 50).unwrap(),
        back.generate(seq.row(0), 50).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn esn_spectral_radius_is_the_target() {
    // the reservoir drawn by numpy in tools/fixtures_baselines.py, radius from LAPACK
    let cfg = EsnConfig {
        reservoir: 60,
        density: 0.1,
        input_scale: 0.5,
        ridge: 1e-6,
        washout: 0,
        seed: 3,
        spectral_radius: 0.9,
    };
    let esn = Esn::new(2, &cfg).unwrap();
    let w_in: Array2<f64> = read_npy(fixture("esn_w_in.npy")).unwrap();
    let w: Array2<f64> = read_npy(fixture("esn_w.npy")).unwrap();
    let radius: Array1<f64> = read_npy(fixture("esn_radius.npy")).unwrap();
    assert_eq!(esn.input_weight(), w_in.view());
    let dw = max_abs_diff(&esn.reservoir(), &w);
    assert!(dw < 1e-12, "reservoir differs from numpy's by {dw}");
    assert_eq!(
        esn.reservoir().iter().filter(|&&v| v != 0.0).count(),
        w.iter().filter(|&&v| v != 0.0).count()
    );
    let ours = esn.spectral_radius();
    eprintln!(
        "ESN radius: faer {ours:.15}, LAPACK {:.15} (before rescaling {:.6})",
        radius[1], radius[0]
    );
    assert!((ours - 0.9).abs() < 1e-6, "{ours}");
    assert!((radius[1] - 0.9).abs() < 1e-6);
    // a larger reservoir, another target
    let big = Esn::new(
        3,
        &EsnConfig {
            reservoir: 400,
            density: 0.02,
            spectral_radius: 1.3,
            ..cfg
        },
    )
    .unwrap();
    assert!((big.spectral_radius() - 1.3).abs() < 1e-6);
}

#[test]
fn parameter_matching_within_two_percent() {
    for kind in BaselineKind::ALL {
        for (dim, target) in [
            (2, 100_000),
            (22, 120_000),
            (128, 3_000_000),
            (512, 19_519_360),
        ] {
            let (h, n) = match_parameters(kind, dim, target, 5);
            assert_eq!(n, parameter_count(kind, dim, h, 5));
            let rel = (n as f64 - target as f64).abs() / target as f64;
            assert!(
                rel < 0.02,
                "{kind} dim {dim} target {target}: hidden {h}, {n} params ({rel:.3})"
            );
        }
    }
}

/// The sizing rule on the KS budget: the whole HiTS (five steppers `[512, w, 512]`) gives the
/// paper's LSTM 740 and CW-RNN 1570; the published ESN 1600 is 3.2 % over (not by the rule).
#[test]
fn ks_sizes_against_the_paper() {
    let hits: usize = [2048, 1024, 512, 256, 128]
        .iter()
        .map(|&w| mlp_parameter_count(&[512, w, 512]))
        .sum();
    assert_eq!(hits, 1025 * (2048 + 1024 + 512 + 256 + 128) + 5 * 512);
    assert_eq!(hits, 4_069_760);
    assert_eq!(
        match_parameters(BaselineKind::Lstm, 512, hits, 0),
        (740, 4_091_232)
    );
    // PyTorch's count of nn.LSTM(512, 740) + nn.Linear(740, 512), written out.
    assert_eq!(
        4 * 740 * (512 + 740) + 2 * 4 * 740 + 740 * 512 + 512,
        4_091_232
    );
    // The CW-RNN as the original holds it: nn.RNNCell(512, 1570) + nn.Linear(1570, 512).
    let (hc, nc) = match_parameters(BaselineKind::CwRnn, 512, hits, 5);
    assert_eq!(
        (hc, nc),
        (1570, 1570 * 512 + 1570 * 1570 + 2 * 1570 + 1570 * 512 + 512)
    );
    // only the block upper-triangular part of W_H trains (15 of 25 blocks of 314 x 314)
    assert_eq!(
        trained_parameter_count(BaselineKind::CwRnn, 512, 1570, 5),
        nc - 10 * 314 * 314
    );
    let (he, ne) = match_parameters(BaselineKind::Esn, 512, hits, 0);
    let e1600 = parameter_count(BaselineKind::Esn, 512, 1600, 0);
    let over = e1600 as f64 / hits as f64 - 1.0;
    eprintln!(
        "KS HiTS {hits}: LSTM 740 ({:+.2} %), CW-RNN {hc} ({:+.2} %), ESN {he} ({ne}, {:+.2} %); \
         the published ESN 1600 holds {e1600} weights ({:+.2} %), {} of them trained",
        100.0 * (4_091_232.0 / hits as f64 - 1.0),
        100.0 * (nc as f64 / hits as f64 - 1.0),
        100.0 * (ne as f64 / hits as f64 - 1.0),
        100.0 * over,
        trained_parameter_count(BaselineKind::Esn, 512, 1600, 0)
    );
    assert_eq!(he, 1570);
    assert!((over - 0.0317).abs() < 1e-3, "{over}");
}

#[test]
fn bad_inputs_are_errors() {
    let seq = circle(10);
    let cfg = BaselineTrainConfig::quick().truncated(10, 4);
    let err = Lstm::train(
        seq.view(),
        &LstmConfig { hidden: 4 },
        &cfg,
        &Device::Cpu,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("seq_len"), "{err}");
    assert!(CwRnn::new(
        2,
        &CwRnnConfig {
            hidden: 10,
            n_modules: 3
        },
        0,
        &Device::Cpu
    )
    .is_err());
    let lstm = Lstm::new(2, &LstmConfig { hidden: 3 }, 0, &Device::Cpu).unwrap();
    let err = lstm.generate(Array1::zeros(3).view(), 5).unwrap_err();
    assert!(err.to_string().contains("first frame"), "{err}");
    assert_eq!(
        lstm.generate(Array1::zeros(2).view(), 0).unwrap().dim(),
        (0, 2)
    );
    let esn_cfg = EsnConfig {
        reservoir: 20,
        washout: 9,
        ..EsnConfig::default()
    };
    assert!(Esn::fit(seq.view(), &esn_cfg)
        .unwrap_err()
        .to_string()
        .contains("washout"));
    let zero = BaselineTrainConfig {
        eval_every: 0,
        ..BaselineTrainConfig::quick()
    };
    let err = Lstm::train(
        seq.view(),
        &LstmConfig { hidden: 4 },
        &zero,
        &Device::Cpu,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("eval_every"), "{err}");
    let mut bad = seq.clone();
    bad[[3, 1]] = f64::NAN;
    let err = CwRnn::train(
        bad.view(),
        &CwRnnConfig {
            hidden: 6,
            n_modules: 3,
        },
        &BaselineTrainConfig::quick(),
        &Device::Cpu,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("NaN"), "{err}");
}

/// CPU seconds used by this process so far (user + system, Linux `/proc/self/stat`), to time
/// on a loaded machine; 0 elsewhere.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // after the ")": state is not numeric, so utime and stime are f[10], f[11] (clock ticks of 10 ms)
    if f.len() > 11 {
        (f[10] + f[11]) / 100.0
    } else {
        0.0
    }
}

/// Timing (not an assertion): the per-epoch cost of the Table 1 baselines at the paper's sizes,
/// `cargo test --release --test baselines -- --ignored --nocapture table1_size_timing`.
/// Whole-sequence epochs of the LSTM and CW-RNN (5 modules) sized by the rule to each data set's
/// HiTS, on a synthetic sequence of the data set's shape; the KS ESN of 1570 fitted once.
#[test]
#[ignore]
fn table1_size_timing() {
    // (data, features, frames, LSTM hidden, CW-RNN hidden) as the sizing rule gives them
    let sets = [
        ("KS", 512, 4001, 740, 1570),
        ("Bach", 128, 2077, 430, 890),
        ("Fluid", 22, 151, 57, 120),
        ("Flower", 64, 175, 140, 290),
    ];
    let dev = Device::Cpu;
    for (name, d, n, h_lstm, h_cw) in sets {
        let seq = Array2::from_shape_fn((n, d), |(t, j)| {
            (0.01 * t as f64 + 0.37 * j as f64).sin() * 0.5
        });
        let epochs = if n > 1000 { 2 } else { 20 };
        let train = BaselineTrainConfig {
            epochs,
            eval_every: 1,
            ..BaselineTrainConfig::paper()
        };
        let cpu = cpu_seconds();
        let (_, h) = Lstm::train(
            seq.view(),
            &LstmConfig { hidden: h_lstm },
            &train,
            &dev,
            &mut |_, _| {},
        )
        .unwrap();
        eprintln!(
            "{name} LSTM {h_lstm}: {:.3} s/epoch wall, {:.3} s/epoch CPU (whole sequence of {n} x {d})",
            h.seconds / epochs as f64,
            (cpu_seconds() - cpu) / epochs as f64
        );
        let cpu = cpu_seconds();
        let cfg = CwRnnConfig {
            hidden: h_cw,
            n_modules: 5,
        };
        let (cw, h) = CwRnn::train(seq.view(), &cfg, &train, &dev, &mut |_, _| {}).unwrap();
        eprintln!(
            "{name} CW-RNN {h_cw} x 5: {:.3} s/epoch wall, {:.3} s/epoch CPU",
            h.seconds / epochs as f64,
            (cpu_seconds() - cpu) / epochs as f64
        );
        if name == "KS" {
            let t = std::time::Instant::now();
            cw.generate(seq.row(0), n).unwrap();
            eprintln!(
                "KS CW-RNN: generation of {n} frames {:.1} s",
                t.elapsed().as_secs_f64()
            );
            let t = std::time::Instant::now();
            let esn = Esn::fit(
                seq.view(),
                &EsnConfig {
                    reservoir: 1570,
                    ..EsnConfig::default()
                },
            )
            .unwrap();
            eprintln!("KS ESN 1570: fit {:.1} s", t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            esn.generate(seq.row(0), n).unwrap();
            eprintln!("KS ESN 1570: generation {:.1} s", t.elapsed().as_secs_f64());
        }
    }
}
