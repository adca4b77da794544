//! The sequence baselines (LSTM, ESN, CW-RNN): parity with PyTorch and numpy/LAPACK fixtures
//! (tools/fixtures_baselines.py), fitting and regenerating a periodic sequence, the CW-RNN
//! clocks, parameter matching, checkpoints.

use std::collections::HashMap;
use std::path::PathBuf;

use candle_core::{Device, Tensor};
use hits::baselines::{
    match_parameters, mlp_parameter_count, parameter_count, BaselineKind, BaselineTrainConfig,
    CwRnn, CwRnnConfig, Esn, EsnConfig, Lstm, LstmConfig, SequenceModel,
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

fn small_train() -> BaselineTrainConfig {
    BaselineTrainConfig {
        epochs: 600,
        lr: 1e-2,
        seq_len: 20,
        batch: 8,
        seed: 1,
        eval_every: 50,
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
    let (model, hist) = CwRnn::train(
        seq.view(),
        &cfg,
        &small_train(),
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
    assert_eq!(esn.n_params(), 2 * 101);
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

#[test]
fn ks_sizes_against_the_paper() {
    let net = mlp_parameter_count(&[512, 2048, 1024, 512, 256, 128, 512]);
    let hits = 5 * net;
    assert_eq!(net, 3_903_872);
    let (d, t) = (512.0f64, hits as f64);
    // LSTM: 4h^2 + (5d + 8)h + d = target, solved independently
    let b = 5.0 * d + 8.0;
    let h_exact = (-b + (b * b + 16.0 * (t - d)).sqrt()) / 8.0;
    let (h, n) = match_parameters(BaselineKind::Lstm, 512, hits, 0);
    assert!((h as f64 - h_exact).abs() <= 1.0, "{h} vs {h_exact}");
    let (hc, nc) = match_parameters(BaselineKind::CwRnn, 512, hits, 5);
    let (he, ne) = match_parameters(BaselineKind::Esn, 512, hits, 0);
    let lstm740 = parameter_count(BaselineKind::Lstm, 512, 740, 0);
    let (hc740, _) = match_parameters(BaselineKind::CwRnn, 512, lstm740, 5);
    eprintln!(
        "KS HiTS: {hits} params (5 x {net}); matched LSTM {h} ({n}), CW-RNN {hc} ({nc}), ESN {he} ({ne}); \
         paper's LSTM 740 has {lstm740} params ({:.3} nets), CW-RNN matched to it: {hc740}; \
         paper's CW-RNN 1570x5: {}",
        lstm740 as f64 / net as f64,
        parameter_count(BaselineKind::CwRnn, 512, 1570, 5)
    );
    // the paper's LSTM 740 is matched to about one net, not five
    assert_eq!(match_parameters(BaselineKind::Lstm, 512, lstm740, 0).0, 740);
    assert!((lstm740 as f64 / net as f64 - 1.0).abs() < 0.06);
}

#[test]
fn bad_inputs_are_errors() {
    let seq = circle(10);
    let cfg = BaselineTrainConfig {
        seq_len: 10,
        ..BaselineTrainConfig::quick()
    };
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

/// KS-size timing (not an assertion): `cargo test --release --test baselines -- --ignored --nocapture`.
#[test]
#[ignore]
fn ks_size_timing() {
    let (n, d) = (4001, 512);
    let seq = Array2::from_shape_fn((n, d), |(t, j)| {
        (0.01 * t as f64 + 0.37 * j as f64).sin() * 0.5
    });
    let train = BaselineTrainConfig {
        epochs: 4,
        eval_every: 1,
        ..BaselineTrainConfig::paper()
    };
    let dev = Device::Cpu;
    let report = |name: &str, h: &hits::baselines::TrainHistory| {
        eprintln!(
            "{name}: {:.0} ms/epoch (seq_len {}, batch {}), losses {:?}",
            1e3 * h.seconds / train.epochs as f64,
            train.seq_len,
            train.batch,
            h.loss
        );
    };
    let cpu = cpu_seconds();
    let (lstm, h) = Lstm::train(
        seq.view(),
        &LstmConfig { hidden: 740 },
        &train,
        &dev,
        &mut |_, _| {},
    )
    .unwrap();
    report("LSTM h 740", &h);
    eprintln!(
        "LSTM h 740: {:.0} ms CPU time/epoch",
        1e3 * (cpu_seconds() - cpu) / train.epochs as f64
    );
    let t = std::time::Instant::now();
    lstm.generate(seq.row(0), n).unwrap();
    eprintln!(
        "LSTM h 740: generation of {n} frames {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let cpu = cpu_seconds();
    let (cw, h) = CwRnn::train(
        seq.view(),
        &CwRnnConfig {
            hidden: 1570,
            n_modules: 5,
        },
        &train,
        &dev,
        &mut |_, _| {},
    )
    .unwrap();
    report("CW-RNN h 1570 x 5", &h);
    eprintln!(
        "CW-RNN: {:.0} ms CPU time/epoch",
        1e3 * (cpu_seconds() - cpu) / train.epochs as f64
    );
    let t = std::time::Instant::now();
    cw.generate(seq.row(0), n).unwrap();
    eprintln!(
        "CW-RNN: generation of {n} frames {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = std::time::Instant::now();
    let esn = Esn::fit(seq.view(), &EsnConfig::default()).unwrap();
    eprintln!("ESN 1600: fit {:.1} s", t.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    esn.generate(seq.row(0), n).unwrap();
    eprintln!("ESN 1600: generation {:.1} s", t.elapsed().as_secs_f64());
}
