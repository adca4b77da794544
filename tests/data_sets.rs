//! `hits::data` against the original data-generation code, and `.npy` input/output.
//!
//! Fixtures: `tools/make_data_fixtures.py` runs the original notebooks' code (numpy + scipy)
//! with seed 2 and 3/2/2 trajectories of full length, and keeps every 16th point.

use hits::data::npy::{read_array3, read_trajectories, write_array_atomic};
use hits::data::{initial_conditions, training_windows, DataSet, Sizes};
use hits::problem::OdeProblem;
use hits::rng::RandomState;
use hits::SystemKind;
use ndarray::{s, Array2, Array3, ShapeBuilder};
use std::path::{Path, PathBuf};

const SUB: usize = 16;

fn fixture_dir(kind: SystemKind) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data")
        .join(kind.name())
}

fn mini(kind: SystemKind) -> Sizes {
    Sizes {
        n_train: 3,
        n_val: 2,
        n_test: 2,
        ..kind.problem().sizes
    }
}

/// The built-in problem of `kind` with other sizes and seed (the tests' small data sets).
fn sized(kind: SystemKind, sizes: &Sizes, seed: u32) -> OdeProblem {
    let mut p = kind.problem();
    p.sizes = *sizes;
    p.seed = seed;
    p
}

/// A fresh, empty folder under the system temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hits-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Largest |a - b| / max(1, |b|).
fn max_rel_err(a: &Array3<f64>, b: &Array3<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f64::max)
}

#[test]
fn paper_initial_conditions_match_numpy_exactly() {
    for kind in SystemKind::ALL {
        let want = read_array3(&fixture_dir(kind).join("paper_ics.npy")).unwrap();
        let ics = initial_conditions(
            &kind.problem().generation().unwrap(),
            &mut RandomState::new(2),
        )
        .unwrap();
        for (split, ic) in ics.iter().enumerate() {
            let got: Array2<f64> = if kind == SystemKind::Lorenz {
                ic.clone()
            } else {
                let n = ic.nrows();
                ndarray::concatenate![
                    ndarray::Axis(0),
                    ic.slice(s![..3, ..]),
                    ic.slice(s![n - 3.., ..])
                ]
            };
            let want = want.slice(s![split, .., ..]);
            assert_eq!(got.shape(), want.shape(), "{kind} split {split}");
            for (g, w) in got.iter().zip(want.iter()) {
                assert_eq!(
                    g.to_bits(),
                    w.to_bits(),
                    "{kind} split {split}: {g} vs numpy {w}"
                );
            }
        }
    }
}

/// Generate the mini data set and compare with the fixture; returns the largest relative error.
fn compare_with_fixture(kind: SystemKind, noise: f64) -> f64 {
    let data = sized(kind, &mini(kind), 2).generate(noise).unwrap();
    let want = kind.problem().load_data(&fixture_dir(kind), noise).unwrap();
    let mut worst = 0.0_f64;
    for (got, want) in data.splits().into_iter().zip(want.splits()) {
        let got = got.slice(s![.., ..;SUB, ..]).to_owned();
        worst = worst.max(max_rel_err(&got, want));
        if noise == 0.0 && kind != SystemKind::Lorenz {
            // Initial conditions are drawn, not solved: identical bits.
            for (g, w) in got
                .slice(s![.., 0, ..])
                .iter()
                .zip(want.slice(s![.., 0, ..]))
            {
                assert_eq!(
                    g.to_bits(),
                    w.to_bits(),
                    "{kind}: initial condition {g} vs {w}"
                );
            }
        }
    }
    worst
}

#[test]
fn ode_data_sets_match_the_original_code() {
    for kind in [
        SystemKind::Hyperbolic,
        SystemKind::Cubic,
        SystemKind::VanDerPol,
        SystemKind::Hopf,
    ] {
        let err = compare_with_fixture(kind, 0.0);
        eprintln!("{kind}: max relative difference to scipy {err:.2e}");
        assert!(err <= 1e-10, "{kind}: max relative difference {err:e}");
    }
}

#[test]
fn lorenz_chains_match_the_original_code() {
    let err = compare_with_fixture(SystemKind::Lorenz, 0.0);
    eprintln!("Lorenz: max relative difference to scipy {err:.2e}");
    // Chaotic: rounding differences grow like exp(0.9 t) over the 5 + 3 * 2.56 time units.
    assert!(err <= 1e-7, "Lorenz: max relative difference {err:e}");
}

#[test]
fn noisy_data_sets_match_the_original_code() {
    let err = compare_with_fixture(SystemKind::Hyperbolic, 0.01);
    assert!(err <= 1e-10, "Hyperbolic noise 0.01: {err:e}");
    let err = compare_with_fixture(SystemKind::Lorenz, 0.01);
    assert!(err <= 1e-7, "Lorenz noise 0.01: {err:e}");
}

#[test]
fn harmonic_oscillator_matches_the_motivating_example() {
    let err = compare_with_fixture(SystemKind::Harmonic, 0.0);
    assert!(err <= 1e-14, "Harmonic: {err:e}");
    let data = sized(SystemKind::Harmonic, &mini(SystemKind::Harmonic), 2)
        .generate(0.0)
        .unwrap();
    assert_eq!(data.train.shape(), &[3, 2000, 2]);
}

#[test]
fn noise_levels_share_the_clean_trajectories() {
    let sizes = Sizes {
        n_points: 200,
        ..mini(SystemKind::Hopf)
    };
    let hopf = sized(SystemKind::Hopf, &sizes, 2);
    let clean = hopf.generate_clean(&|_| {}).unwrap();
    assert_eq!(clean.with_noise(0.0), hopf.generate(0.0).unwrap());
    let noisy = clean.with_noise(0.02);
    assert_eq!(noisy, hopf.generate(0.02).unwrap());
    assert_ne!(noisy, clean.data);
    // mu is constant in time: its standard deviation is only rounding (mean of equal values),
    // so its noise is negligible, unlike that of x and y.
    let dmu = (&noisy.test - &clean.data.test)
        .slice(s![.., .., 0])
        .mapv(f64::abs);
    let dx = (&noisy.test - &clean.data.test)
        .slice(s![.., .., 1])
        .mapv(f64::abs);
    assert!(dmu.iter().all(|d| *d < 1e-15), "{dmu}");
    assert!(dx.iter().any(|d| *d > 1e-4), "{dx}");
}

#[test]
fn save_and_load_round_trip_with_original_file_names() {
    let dir = scratch("roundtrip");
    let sizes = Sizes {
        n_points: 50,
        ..mini(SystemKind::Cubic)
    };
    let data = sized(SystemKind::Cubic, &sizes, 2).generate(0.01).unwrap();
    let written = data
        .save(
            &dir,
            0.01,
            &hits::data::DataSetMeta::new("Cubic", 0.01, "test data"),
        )
        .unwrap();
    let names: Vec<_> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "train_noise0.01.npy",
            "val_noise0.01.npy",
            "test_noise0.01.npy"
        ]
    );
    assert_eq!(DataSet::load(&dir, 0.01).unwrap(), data);
    // Atomic writes leave no temporary files behind: the splits, dataset.json, the lock file.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".hits.lock",
            "dataset.json",
            "test_noise0.01.npy",
            "train_noise0.01.npy",
            "val_noise0.01.npy"
        ]
    );
    // A split that disagrees with train is named.
    write_array_atomic(
        &dir.join("val_noise0.01.npy"),
        &Array3::<f64>::zeros((2, 49, 2)),
    )
    .unwrap();
    let err = DataSet::load(&dir, 0.01).unwrap_err().to_string();
    assert!(
        err.contains("val_noise0.01.npy") && err.contains("[2, 49, 2]"),
        "{err}"
    );
    // The wrong system for the files.
    let err = hits::problem::hopf()
        .load_data(&dir, 0.02)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("dataset.json") && err.contains("'Cubic'") && err.contains("Hopf"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn write_bytes(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn reading_reports_what_is_wrong_with_a_file() {
    let dir = scratch("errors");
    let good = dir.join("good.npy");
    write_array_atomic(&good, &Array3::<f64>::ones((2, 3, 4))).unwrap();

    let missing = dir.join("missing.npy");
    let err = read_array3(&missing).unwrap_err().to_string();
    assert!(err.contains("missing.npy"), "{err}");

    let f32_file = dir.join("f32.npy");
    write_array_atomic(&f32_file, &Array3::<f32>::ones((2, 3, 4))).unwrap();
    let err = read_array3(&f32_file).unwrap_err().to_string();
    assert!(
        err.contains("f32.npy") && err.contains("float64") && err.contains("<f4"),
        "{err}"
    );

    let two_d = dir.join("2d.npy");
    write_array_atomic(&two_d, &Array2::<f64>::ones((3, 4))).unwrap();
    let err = read_array3(&two_d).unwrap_err().to_string();
    assert!(
        err.contains("2d.npy") && err.contains("found 2") && err.contains("[3, 4]"),
        "{err}"
    );

    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.join("truncated.npy");
    write_bytes(&truncated, &bytes[..bytes.len() - 8]);
    let err = read_array3(&truncated).unwrap_err().to_string();
    assert!(
        err.contains("truncated.npy") && err.contains("truncated"),
        "{err}"
    );

    let garbage = dir.join("garbage.npy");
    write_bytes(&garbage, b"this is not numpy data at all, not even close");
    let err = read_array3(&garbage).unwrap_err().to_string();
    assert!(
        err.contains("garbage.npy") && err.contains("not a valid .npy"),
        "{err}"
    );

    let err = read_trajectories(&good, 3).unwrap_err().to_string();
    assert!(
        err.contains("good.npy") && err.contains("dimension 3") && err.contains("[2, 3, 4]"),
        "{err}"
    );
    assert_eq!(read_trajectories(&good, 4).unwrap().shape(), &[2, 3, 4]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fortran_order_files_are_read() {
    let dir = scratch("fortran");
    let path = dir.join("f.npy");
    let values: Vec<f64> = (0..24).map(f64::from).collect();
    let f = Array3::from_shape_vec((2, 3, 4).f(), values).unwrap();
    write_array_atomic(&path, &f).unwrap();
    let header = String::from_utf8_lossy(&std::fs::read(&path).unwrap()[..120]).into_owned();
    assert!(header.contains("'fortran_order': True"), "{header}");
    let read = read_array3(&path).unwrap();
    assert_eq!(read, f);
    assert_eq!(read[[1, 2, 3]], 23.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn windows_for_every_paper_step_size() {
    let data = DataSet::load(&fixture_dir(SystemKind::Hopf), 0.0).unwrap();
    // 321 stored points: steps up to 64 (in stored units) with 5 targets fit.
    let w = training_windows(data.train.view(), 64, 5).unwrap();
    assert_eq!(w.x.shape(), &[3, 3]);
    assert_eq!(w.ys.shape(), &[3, 5, 3]);
    assert_eq!(w.ys.slice(s![.., 4, ..]), data.train.slice(s![.., 320, ..]));
    assert!(training_windows(data.train.view(), 65, 5).is_err());
    // The paper's sizes: step 1024 dt with n_forward 5 needs all 5121 points.
    assert_eq!(hits::problem::hopf().sizes.n_points, 5 * 1024 + 1);
    assert_eq!(hits::problem::hopf().quick().sizes.n_points, 5 * 1024 + 1);
}

#[test]
fn cli_generate_writes_the_original_file_names() {
    let dir = scratch("cli");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hits"))
        .args([
            "generate",
            "--system",
            "hyperbolic",
            "--quick",
            "--noise",
            "0.0,0.02",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("train_noise0.02.npy [32, 5121, 2]"),
        "{stdout}"
    );
    let quick = hits::problem::hyperbolic().quick();
    let clean = quick.generate_clean(&|_| {}).unwrap();
    // Quick mode writes under quick/, never where full-size data lives.
    assert!(!dir.join("Hyperbolic").exists());
    let folder = dir.join("quick").join("Hyperbolic");
    assert_eq!(DataSet::load(&folder, 0.0).unwrap(), clean.data);
    assert_eq!(
        DataSet::load(&folder, 0.02).unwrap(),
        clean.with_noise(0.02)
    );
    // Bad input is refused with the reason.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hits"))
        .args(["generate", "--system", "duffing"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown system 'duffing'"));
    std::fs::remove_dir_all(&dir).unwrap();
}
