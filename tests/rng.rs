//! `hits::rng::RandomState` against numpy's legacy stream, bit for bit.
//!
//! Fixtures: `tools/make_rng_fixtures.py` (numpy), under `tests/fixtures/rng/`.

use hits::rng::RandomState;
use ndarray::Array1;
use ndarray_npy::read_npy;
use std::path::PathBuf;

const SEEDS: [u32; 4] = [0, 2, 12345, u32::MAX];

fn fixture(seed: u32, what: &str) -> Vec<f64> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rng")
        .join(format!("seed{seed}_{what}.npy"));
    let a: Array1<f64> = read_npy(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    a.to_vec()
}

/// Bitwise equality, with the first differing index in the message.
fn assert_bits_eq(seed: u32, what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "seed {seed} {what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(
            g.to_bits(),
            w.to_bits(),
            "seed {seed} {what}[{i}]: got {g:e}, numpy {w:e}"
        );
    }
}

#[test]
fn seed_2_first_draw_matches_numpy() {
    // np.random.seed(2); np.random.random_sample()
    let want = fixture(2, "random_sample")[0];
    assert_eq!(
        RandomState::new(2).random_sample().to_bits(),
        want.to_bits()
    );
}

#[test]
fn random_sample_matches_numpy() {
    for seed in SEEDS {
        let got = RandomState::new(seed).random_sample_n(1500);
        assert_bits_eq(seed, "random_sample", &got, &fixture(seed, "random_sample"));
    }
}

#[test]
fn uniform_matches_numpy() {
    let bounds = [
        ("uniform_m1_1", -1.0, 1.0),
        ("uniform_m4_4", -4.0, 4.0),
        ("uniform_pi", -std::f64::consts::PI, std::f64::consts::PI),
    ];
    for seed in SEEDS {
        for (what, low, high) in bounds {
            let got = RandomState::new(seed).uniform_n(low, high, 101);
            assert_bits_eq(seed, what, &got, &fixture(seed, what));
        }
    }
}

#[test]
fn randn_matches_numpy() {
    for seed in SEEDS {
        let got = RandomState::new(seed).randn(1001);
        assert_bits_eq(seed, "randn", &got, &fixture(seed, "randn"));
        let mut filled = vec![0.0; 1001];
        RandomState::new(seed).fill_standard_normal(&mut filled);
        assert_bits_eq(seed, "randn (fill)", &filled, &fixture(seed, "randn"));
    }
}

/// Same call sequence as `interleaved()` in tools/make_rng_fixtures.py.
#[test]
fn interleavings_match_numpy() {
    for seed in SEEDS {
        let mut rs = RandomState::new(seed);
        let mut got = rs.uniform_n(-1.0, 1.0, 3);
        got.extend(rs.randn(5));
        got.push(rs.uniform(2.0, 7.0));
        got.extend(rs.randn(1));
        got.extend(rs.random_sample_n(2));
        got.extend(rs.randn(3));
        got.extend([
            rs.uniform(-0.2, 0.6),
            rs.uniform(-1.0, 2.0),
            rs.uniform(-1.0, 1.0),
        ]);
        got.extend(rs.randn(2));
        assert_bits_eq(seed, "interleaved", &got, &fixture(seed, "interleaved"));
    }
}

#[test]
fn different_seeds_differ() {
    let a = RandomState::new(1).random_sample_n(4);
    let b = RandomState::new(2).random_sample_n(4);
    assert_ne!(a, b);
}
