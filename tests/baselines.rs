//! The sequence baselines (LSTM, ESN, CW-RNN): parity with PyTorch and numpy/LAPACK fixtures
//! (tools/fixtures_baselines.py), fitting and regenerating a periodic sequence, the CW-RNN
//! clocks, the sizing rule, checkpoints. Whole-sequence training: `tests/baselines_whole.rs`.

use std::collections::HashMap;

use candle_core::{Device, Tensor};
use hits::baselines::{
    match_parameters, mlp_parameter_count, parameter_count, trained_parameter_count, BaselineKind,
    BaselineTrainConfig, CwRnn, CwRnnConfig, Esn, EsnConfig, Lstm, LstmConfig, SequenceModel,
};
use ndarray::{Array1, Array2};
use ndarray_npy::read_npy;

mod baseline_fixtures;
use baseline_fixtures::{circle, fixture};

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
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
