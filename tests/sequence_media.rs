//! Sequence data (Bach, flower video, SVD, normalisation, chunks, MAT-files), checked against
//! numpy/scipy/PyAV fixtures from `tools/make_sequence_fixtures.py` and analytic results.

use std::path::{Path, PathBuf};

use hits::sequence::bach::{bach_sequence, delay_embedding, BachConfig};
use hits::sequence::chunks::Chunks;
use hits::sequence::mat::read_mat_array;
use hits::sequence::normalize::Normalization;
use hits::sequence::store::{load_sequence, read_npy2, save_sequence, SequenceFiles, SequenceMeta};
use hits::sequence::svd::Reduction;
use hits::sequence::wav::{read_wav, read_wav_at, resample, write_wav};
use hits::sequence::{bach_synth, video};
use ndarray::{Array1, Array2};
use ndarray_npy::ReadNpyExt;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sequence")
        .join(name)
}

fn read_npy1(path: &Path) -> Array1<f64> {
    Array1::<f64>::read_npy(std::fs::File::open(path).expect("fixture exists")).expect("1-D npy")
}

/// A fresh temporary folder, removed when the value is dropped (at the end of the test).
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("hits_media_{}_{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    Scratch(dir)
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    (a - b).iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

// ---------------------------------------------------------------- SVD

#[test]
fn svd_reconstructs_a_low_rank_matrix_exactly() {
    let b = Array2::from_shape_fn((60, 4), |(i, j)| ((i * 7 + j * 3) as f64 * 0.37).sin());
    let c = Array2::from_shape_fn((4, 30), |(i, j)| ((i * 5 + j * 11) as f64 * 0.21).cos());
    let x = b.dot(&c);
    let red = Reduction::fit(x.view(), 4).unwrap();
    assert_eq!(red.modes.dim(), (60, 4));
    assert_eq!(red.coords.dim(), (4, 30));
    assert_eq!(red.singular_values.len(), 30);
    let back = red.reconstruct(red.coords.view()).unwrap();
    let err = max_abs_diff(&back, &x);
    assert!(err < 1e-10, "reconstruction error {err}");
    assert!(red.singular_values[4] < 1e-10 * red.singular_values[0]);
    // modes are orthonormal
    let gram = red.modes.t().dot(&red.modes);
    assert!(max_abs_diff(&gram, &Array2::eye(4)) < 1e-12);
}

#[test]
fn singular_values_match_numpy() {
    let a = read_npy2(&fixture("svd_matrix.npy")).unwrap();
    let expected = read_npy1(&fixture("svd_singular_values.npy"));
    let red = Reduction::fit(a.view(), 15).unwrap();
    for (s, e) in red.singular_values.iter().zip(expected.iter()) {
        assert!((s - e).abs() < 1e-12 * expected[0], "{s} vs numpy {e}");
    }
    // full rank: exact reconstruction, and V^T rows have unit norm
    let back = red.reconstruct(red.coords.view()).unwrap();
    assert!(max_abs_diff(&back, &a) < 1e-12);
    for row in red.right_vectors().rows() {
        assert!((row.dot(&row) - 1.0).abs() < 1e-12);
    }
}

#[test]
fn truncation_error_equals_the_discarded_singular_values() {
    let a = read_npy2(&fixture("svd_matrix.npy")).unwrap();
    let expected = read_npy1(&fixture("svd_singular_values.npy"));
    for r in [1, 5, 14] {
        let red = Reduction::fit(a.view(), r).unwrap();
        let back = red.reconstruct(red.coords.view()).unwrap();
        let err = (&a - &back).iter().map(|v| v * v).sum::<f64>().sqrt();
        let numpy_tail = expected.iter().skip(r).map(|s| s * s).sum::<f64>().sqrt();
        assert!(
            (err - red.discarded_energy()).abs() < 1e-10 * err,
            "r={r}: {err} vs {}",
            red.discarded_energy()
        );
        assert!((err - numpy_tail).abs() < 1e-10 * err);
        assert!(red.energy_fraction() < 1.0 && red.energy_fraction() > 0.0);
    }
}

#[test]
fn svd_rejects_bad_ranks_and_shapes() {
    let a = Array2::<f64>::ones((5, 3));
    let e = Reduction::fit(a.view(), 4).unwrap_err().to_string();
    assert!(
        e.contains("r (number of SVD modes)") && e.contains("1..=3"),
        "{e}"
    );
    assert!(Reduction::fit(a.view(), 0).is_err());
    let red = Reduction::fit(a.view(), 1).unwrap();
    let e = red
        .reconstruct(Array2::zeros((2, 3)).view())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("reduced coordinates") && e.contains("[1, n_time]"),
        "{e}"
    );
}

// ---------------------------------------------------------------- normalisation, chunks

#[test]
fn normalisation_round_trips_and_scales_each_feature() {
    let x = Array2::from_shape_fn((4, 50), |(i, t)| {
        (i as f64 + 1.0) * (t as f64 * 0.3).sin() + i as f64
    });
    let norm = Normalization::fit(x.view()).unwrap();
    let z = norm.apply(x.view()).unwrap();
    for row in z.rows() {
        let (lo, hi) = row
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        assert!((hi - lo - 1.0).abs() < 1e-14);
        assert!(row.mean().unwrap().abs() < 1e-15);
    }
    assert!(max_abs_diff(&norm.invert(z.view()).unwrap(), &x) < 1e-14);
    let dir = scratch("norm");
    norm.save(&dir.join("n.json")).unwrap();
    // JSON keeps the values to the last bit or so (serde_json parsing is not exact)
    let back = Normalization::load(&dir.join("n.json")).unwrap();
    for (a, b) in back
        .mean
        .iter()
        .chain(&back.range)
        .zip(norm.mean.iter().chain(&norm.range))
    {
        assert!((a - b).abs() <= 1e-15 * b.abs().max(1.0), "{a} vs {b}");
    }
    let e = norm
        .apply(Array2::zeros((3, 5)).view())
        .unwrap_err()
        .to_string();
    assert!(e.contains("[4, n_time]"), "{e}");
    let constant = Array2::<f64>::ones((2, 5));
    let e = Normalization::fit(constant.view()).unwrap_err().to_string();
    assert!(e.contains("feature 0"), "{e}");
}

#[test]
fn chunks_cover_the_sequence_with_zero_padding_and_a_mask() {
    // the fluid setting: 22 features, 151 snapshots, step 4, n_forward 6 -> L = 24
    let seq = Array2::from_shape_fn((22, 151), |(i, t)| 1.0 + i as f64 + t as f64 * 0.01);
    let c = Chunks::new(seq.view(), 4, 6).unwrap();
    assert_eq!(c.n_chunks(), 7); // ceil(150 / 24)
    assert_eq!(c.data.dim(), (7, 25, 22));
    assert_eq!(c.mask.dim(), (7, 25));
    for k in 0..6 {
        assert_eq!(c.n_real(k), 25);
        // consecutive chunks share their boundary point
        assert_eq!(c.data[[k, 24, 3]], c.data[[k + 1, 0, 3]]);
    }
    assert_eq!(c.n_real(6), 151 - 144);
    assert_eq!(c.data[[6, 6, 5]], seq[[5, 150]]);
    assert!(c
        .data
        .slice(ndarray::s![6, 7.., ..])
        .iter()
        .all(|&v| v == 0.0));
    let tm = c.target_mask();
    assert_eq!(tm.dim(), (7, 6));
    assert!(tm[[6, 0]] && !tm[[6, 1]] && tm[[5, 5]]);
    assert!(Chunks::new(seq.view(), 0, 6).is_err());
    assert!(Chunks::new(Array2::zeros((3, 1)).view(), 1, 1).is_err());
}

// ---------------------------------------------------------------- Bach, WAV

#[test]
fn delay_embedding_is_a_hankel_matrix_of_the_paper_shape() {
    let cfg = BachConfig::default();
    assert_eq!(cfg.cut_len(), 44100);
    assert_eq!(cfg.sampled_len(), 2205); // 44100 / 20
    assert_eq!(cfg.shape(), (128, 2077)); // 2205 - 128
    let h = delay_embedding(&(0..10).map(f64::from).collect::<Vec<_>>(), 3).unwrap();
    assert_eq!(h.dim(), (3, 7));
    assert_eq!(h[[2, 6]], 8.0);
    assert!(delay_embedding(&[1.0, 2.0], 2).is_err());
}

#[test]
fn synthetic_bach_gives_the_paper_sequence_and_says_so() {
    let b = bach_sequence(None, &BachConfig::default()).unwrap();
    assert!(b.synthetic);
    assert!(b.source.starts_with("SYNTHETIC"));
    assert_eq!(b.embedding.dim(), (128, 2077));
    assert_eq!(b.signal.len(), 2205);
    assert_eq!(b.cut.len(), 44100);
    assert_eq!(b.embedding[[127, 2076]], b.signal[2203]);
    assert_eq!(b.signal[1], b.cut[20]);
}

#[test]
fn bach_from_a_44k_wav_matches_the_22k_rendering() {
    let dir = scratch("bach");
    let path = dir.join("C_major_44k.wav");
    write_wav(&path, &bach_synth::synthesize(44100), 44100).unwrap();
    let from_wav = bach_sequence(Some(&path), &BachConfig::default()).unwrap();
    assert!(!from_wav.synthetic);
    let direct = bach_sequence(None, &BachConfig::default()).unwrap();
    // resampling 44.1k -> 22.05k of the same score, plus 16-bit quantisation
    let err = max_abs_diff(&from_wav.embedding, &direct.embedding);
    println!("44.1 kHz WAV -> 22.05 kHz vs direct 22.05 kHz rendering: max |diff| {err:.2e}");
    assert!(err < 5e-3, "max difference {err}");
    let short = BachConfig {
        start: 10_000_000,
        ..BachConfig::default()
    };
    let e = bach_sequence(Some(&path), &short).unwrap_err().to_string();
    assert!(e.contains("C_major_44k.wav"), "{e}");
}

#[test]
fn wav_write_read_round_trip_and_stereo_mixdown() {
    let dir = scratch("wav");
    let x: Vec<f64> = (0..1000).map(|i| 0.8 * (i as f64 * 0.05).sin()).collect();
    let path = dir.join("mono.wav");
    write_wav(&path, &x, 8000).unwrap();
    let back = read_wav(&path).unwrap();
    assert_eq!(back.sample_rate, 8000);
    assert_eq!(back.samples.len(), 1000);
    let err = x
        .iter()
        .zip(&back.samples)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    println!("16-bit WAV round trip: max error {err:.2e}");
    assert!(err < 1e-4, "16-bit round trip error {err}");

    let stereo = dir.join("stereo.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&stereo, spec).unwrap();
    for _ in 0..10 {
        w.write_sample(16384i16).unwrap();
        w.write_sample(-8192i16).unwrap();
    }
    w.finalize().unwrap();
    let m = read_wav(&stereo).unwrap();
    assert_eq!(m.samples.len(), 10);
    assert!((m.samples[0] - 0.125).abs() < 1e-15); // (0.5 - 0.25) / 2

    let bogus = dir.join("bogus.wav");
    std::fs::write(&bogus, b"not a wav").unwrap();
    let e = read_wav(&bogus).unwrap_err().to_string();
    assert!(e.contains("bogus.wav"), "{e}");
}

#[test]
fn resampling_a_sine_preserves_its_frequency() {
    for (from, to, f) in [
        (44100u32, 22050u32, 440.0),
        (8000, 22050, 1000.0),
        (48000, 22050, 3000.0),
    ] {
        let n = from as usize / 2;
        let x: Vec<f64> = (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / f64::from(from)).sin())
            .collect();
        let y = resample(&x, from, to).unwrap();
        assert_eq!(
            y.len(),
            (n as f64 * f64::from(to) / f64::from(from)).ceil() as usize
        );
        // compare away from the edges, where the sinc window sees zeros
        let margin = y.len() / 8;
        let err = (margin..y.len() - margin)
            .map(|k| {
                (y[k] - (2.0 * std::f64::consts::PI * f * k as f64 / f64::from(to)).sin()).abs()
            })
            .fold(0.0f64, f64::max);
        println!("resample {from} -> {to} Hz, {f} Hz sine: max error {err:.2e}");
        assert!(
            err < 1e-3,
            "{from} -> {to} Hz, {f} Hz sine: max error {err}"
        );
    }
    // a tone above the new Nyquist frequency is removed, not aliased
    let x: Vec<f64> = (0..22050)
        .map(|i| (2.0 * std::f64::consts::PI * 15000.0 * i as f64 / 44100.0).sin())
        .collect();
    let y = resample(&x, 44100, 22050).unwrap();
    let rms = (y[2000..9000].iter().map(|v| v * v).sum::<f64>() / 7000.0).sqrt();
    println!("15 kHz tone 44.1 -> 22.05 kHz: residual rms {rms:.2e}");
    assert!(rms < 1e-3, "aliased rms {rms}");
    // the same path through a file
    let dir = scratch("resample");
    write_wav(&dir.join("s.wav"), &x[..4410], 44100).unwrap();
    assert_eq!(
        read_wav_at(&dir.join("s.wav"), 22050)
            .unwrap()
            .samples
            .len(),
        2205
    );
}

// ---------------------------------------------------------------- MATLAB files

#[test]
fn mat_loader_reads_scipy_files_plain_and_compressed() {
    for file in ["mat_v5_plain.mat", "mat_v5_zlib.mat"] {
        for key in ["data", "UALL", "ints"] {
            let got = read_mat_array(&fixture(file), key).unwrap();
            let want = read_npy2(&fixture(&format!("mat_v5_expected_{key}.npy"))).unwrap();
            assert_eq!(got, want, "{file}:{key}");
        }
    }
}

#[test]
fn mat_loader_errors_name_the_file_and_the_key() {
    let e = read_mat_array(&fixture("mat_v5_zlib.mat"), "nope")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("mat_v5_zlib.mat") && e.contains("'nope'") && e.contains("UALL"),
        "{e}"
    );
    let e = read_mat_array(&fixture("mat_v5_plain.mat"), "note")
        .unwrap_err()
        .to_string();
    assert!(e.contains("'note'") && e.contains("char array"), "{e}");
    let e = read_mat_array(&fixture("svd_matrix.npy"), "data")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("svd_matrix.npy") && e.contains("not a MATLAB"),
        "{e}"
    );
    let dir = scratch("mat");
    let mut v73 = b"MATLAB 7.3 MAT-file, Platform: GLNXA64".to_vec();
    v73.resize(128, b' ');
    std::fs::write(dir.join("v73.mat"), &v73).unwrap();
    let e = read_mat_array(&dir.join("v73.mat"), "UALL")
        .unwrap_err()
        .to_string();
    assert!(e.contains("v7.3"), "{e}");
    let e = read_mat_array(&dir.join("missing.mat"), "UALL")
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.mat"), "{e}");
}

// ---------------------------------------------------------------- store

#[test]
fn stored_sequences_round_trip() {
    let root = scratch("store");
    let dir = root.join("Fluid");
    let data = Array2::from_shape_fn((3, 8), |(i, t)| {
        (i * t) as f64 + 0.5 * i as f64 + (t as f64).sin()
    });
    let modes = Array2::from_shape_fn((10, 3), |(i, j)| (i + j) as f64);
    let s = Array1::from(vec![3.0, 2.0, 1.0]);
    let meta = SequenceMeta {
        name: "Fluid".into(),
        shape: [3, 8],
        synthetic: true,
        source: "test".into(),
        quick: true,
    };
    let files = SequenceFiles {
        data: &data,
        modes: Some((&modes, &s)),
        meta: meta.clone(),
    };
    let norm = save_sequence(&dir, &files).unwrap();
    let (back, back_meta) = load_sequence(&dir).unwrap();
    assert_eq!(back, data);
    assert_eq!(back_meta, meta);
    assert_eq!(read_npy2(&dir.join("modes.npy")).unwrap(), modes);
    assert_eq!(
        Normalization::load(&dir.join("normalization.json"))
            .unwrap()
            .range
            .len(),
        norm.range.len()
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.contains(".tmp") || name.contains("hits-tmp")
        })
        .collect();
    assert!(leftovers.is_empty());
}

// ---------------------------------------------------------------- video

fn flower() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/flower.mp4");
    if p.exists() {
        Some(p)
    } else {
        hits::testing::skip(
            "sequence_media (the flower video)",
            &format!(
                "{} not found (put the flower video there to run this test)",
                p.display()
            ),
        );
        None
    }
}

#[test]
fn flower_video_decodes_bit_exactly_like_ffmpeg() {
    let Some(path) = flower() else { return };
    let stats = read_npy2(&fixture("flower_yuv_stats.npy")).unwrap();
    let small: ndarray::Array4<f64> =
        ndarray::Array4::read_npy(std::fs::File::open(fixture("flower_rgb_small.npy")).unwrap())
            .unwrap();
    let mut means = Vec::new();
    let mut worst_rgb = 0.0f64;
    let f = 20;
    let info = video::for_each_frame(&path, |k, p| {
        means.push(p.plane_means());
        if let Some(slot) = [0, 87, 174].iter().position(|&i| i == k) {
            for i in 0..p.height / f {
                for j in 0..p.width / f {
                    let mut acc = [0.0; 3];
                    for di in 0..f {
                        for dj in 0..f {
                            let rgb = p.rgb(i * f + di, j * f + dj);
                            (0..3).for_each(|c| acc[c] += rgb[c]);
                        }
                    }
                    for c in 0..3 {
                        let d = (acc[c] / (f * f) as f64 - small[[slot, i, j, c]]).abs();
                        worst_rgb = worst_rgb.max(d);
                    }
                }
            }
        }
        Ok(())
    })
    .unwrap();
    assert_eq!((info.n_frames, info.height, info.width), (175, 540, 960));
    assert!(
        (info.fps - 24000.0 / 1001.0).abs() < 1e-3,
        "fps {}",
        info.fps
    );
    for (k, m) in means.iter().enumerate() {
        for c in 0..3 {
            assert!(
                (m[c] - stats[[k, c]]).abs() < 1e-9,
                "frame {k} plane {c}: {} vs PyAV {}",
                m[c],
                stats[[k, c]]
            );
        }
    }
    println!("flower: 175 frames; worst RGB difference to the PyAV+numpy fixture {worst_rgb:.2e}");
    assert!(
        worst_rgb < 1e-9,
        "RGB differs from the numpy conversion by {worst_rgb}"
    );
}

#[test]
fn flower_video_frames_have_the_paper_shape() {
    let Some(path) = flower() else { return };
    let v = video::decode_mp4(&path, 1).unwrap();
    assert_eq!(v.frames.dim(), (175, 540, 960, 3));
    let small = video::decode_mp4(&path, 4).unwrap();
    assert_eq!(small.frames.dim(), (175, 135, 240, 3));
    // box filter: the downscaled mean colour equals the full-size one (up to rounding)
    let (a, b) = (
        video::channel_means(&v.frames),
        video::channel_means(&small.frames),
    );
    assert!(max_abs_diff(&a, &b) < 0.6, "{}", max_abs_diff(&a, &b));
    assert!(video::decode_mp4(&path, 0).is_err());
    let e = video::decode_mp4(&fixture("mat_v5_plain.mat"), 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("mat_v5_plain.mat"), "{e}");
}

// ---------------------------------------------------------------- CLI

#[test]
fn cli_writes_the_bach_data_set_and_labels_it_synthetic() {
    let out = scratch("cli");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_hits"))
        .args(["data", "bach", "--out"])
        .arg(out.as_os_str())
        .output()
        .expect("hits runs");
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(stdout.contains("SYNTHETIC"), "{stdout}");
    let (data, meta) = load_sequence(&out.join("Bach")).unwrap();
    assert_eq!(data.dim(), (128, 2077));
    assert!(meta.synthetic);
    let norm = Normalization::load(&out.join("Bach/normalization.json")).unwrap();
    assert_eq!(norm.n_features(), 128);
    assert_eq!(
        read_wav(&out.join("Bach/excerpt.wav"))
            .unwrap()
            .samples
            .len(),
        44100
    );
}

#[test]
fn video_frames_survive_a_full_rank_svd_round_trip() {
    let frames = ndarray::Array4::from_shape_fn((6, 4, 5, 3), |(k, i, j, c)| {
        ((k * 37 + i * 11 + j * 5 + c * 3) % 256) as u8
    });
    let v = video::Video {
        frames: frames.clone(),
        fps: 24.0,
    };
    let red = Reduction::fit_faer(v.snapshot_matrix(), 6).unwrap();
    let snaps = red.reconstruct(red.coords.view()).unwrap();
    assert_eq!(
        video::frames_from_snapshots(snaps.view(), 4, 5).unwrap(),
        frames
    );
    // truncated: values stay clipped to 0..255 and the shape is checked
    let red2 = Reduction::fit_faer(v.snapshot_matrix(), 2).unwrap();
    let approx = red2.reconstruct(red2.coords.view()).unwrap();
    assert_eq!(
        video::frames_from_snapshots(approx.view(), 4, 5)
            .unwrap()
            .dim(),
        (6, 4, 5, 3)
    );
    assert!(video::frames_from_snapshots(approx.view(), 5, 5).is_err());
}
