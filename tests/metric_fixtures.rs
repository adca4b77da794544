//! The scores the paper's tables print, and the ESN read-out behind Table 1's ESN column, against
//! numpy (`tools/make_metric_fixtures.py`, fixtures in `tests/fixtures/metrics/`): a wrong
//! normalisation of an MSE or a wrong ridge term changes these numbers and fails here.

use std::path::{Path, PathBuf};

use hits::baselines::{Esn, EsnConfig};
use hits::experiments::table1::sequence_mse;
use hits::forecast::{mse, mse_per_step};
use ndarray::{Array1, Array2, Array3};
use ndarray_npy::read_npy;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/metrics")
        .join(format!("{name}.npy"))
}

fn read3(name: &str) -> Array3<f64> {
    read_npy(fixture(name)).expect(name)
}

fn read2(name: &str) -> Array2<f64> {
    read_npy(fixture(name)).expect(name)
}

fn read1(name: &str) -> Array1<f64> {
    read_npy(fixture(name)).expect(name)
}

fn close(ours: f64, numpy: f64, rel: f64, what: &str) {
    assert!(
        (ours - numpy).abs() <= rel * numpy.abs().max(1e-300),
        "{what}: hits {ours:e}, numpy {numpy:e}"
    );
}

#[test]
fn forecast_mse_and_mse_per_step_equal_numpy() {
    let (pred, truth) = (read3("forecast_pred"), read3("forecast_truth"));
    let per_step = mse_per_step(pred.view(), truth.view()).unwrap();
    let want = read1("forecast_mse_per_step");
    assert_eq!(per_step.len(), want.len());
    for (t, (a, b)) in per_step.iter().zip(want.iter()).enumerate() {
        close(*a, *b, 1e-13, &format!("mse_per_step[{t}]"));
    }
    close(
        mse(pred.view(), truth.view()).unwrap(),
        read1("forecast_mse")[0],
        1e-13,
        "mse",
    );
}

#[test]
fn table1_sequence_mse_equals_numpy() {
    let (pred, truth) = (read2("sequence_pred"), read2("sequence_truth"));
    close(
        sequence_mse(&pred, &truth).unwrap(),
        read1("sequence_mse")[0],
        1e-13,
        "sequence_mse",
    );
}

/// The same draws, the same rescaled reservoir and the read-out of numpy's solve of the ridge
/// normal equations on the same teacher-forced states.
#[test]
fn esn_readout_equals_numpy_ridge_regression() {
    let cfg = EsnConfig {
        reservoir: 20,
        spectral_radius: 0.9,
        density: 0.3,
        input_scale: 0.5,
        ridge: 1e-2,
        seed: 7,
        washout: 3,
    };
    let seq = read2("esn_sequence");
    let esn = Esn::fit(seq.view(), &cfg).unwrap();
    assert_eq!(
        esn.input_weight(),
        read2("esn_input_weight").view(),
        "the input weights are numpy's draws"
    );
    let reservoir = esn.reservoir();
    for (a, b) in reservoir.iter().zip(read2("esn_reservoir").iter()) {
        assert!((a - b).abs() <= 1e-12, "reservoir: hits {a:e}, numpy {b:e}");
    }
    let want = read2("esn_readout");
    assert_eq!(esn.readout_weight().dim(), want.dim());
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (a, b) in esn.readout_weight().iter().zip(want.iter()) {
        assert!(
            (a - b).abs() <= 1e-8 * scale,
            "read-out: hits {a:e}, numpy {b:e} (largest {scale:e})"
        );
    }
}
