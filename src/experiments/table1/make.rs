//! Making the sequence data sets of Figure 7 / Table 1 (what `hits data ks|fluid|bach|flower`
//! runs): the Kuramoto-Sivashinsky field and the cylinder wake simulated here (or read from the
//! user's `.mat` files), the Bach excerpt embedded (a recording or, without one, a synthetic
//! stand-in), the flower video decoded; the fluid and flower sets reduced by a thin SVD.
//!
//! [`make_data`] writes `<data_root>/<Name>/` (quick mode: `<data_root>/quick/<Name>/`, see
//! [`super::data_dir`]): `data.npy` (`[n_features, n_time]`), `normalization.json`, `meta.json`,
//! and for the SVD-reduced sets `modes.npy` + `singular_values.npy`
//! ([`crate::sequence::store`]). What was made, whether it is synthetic, and timings go to `log`
//! line by line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::Array2;

use super::SeqData;
#[cfg(feature = "audio")]
use crate::sequence::bach::{bach_sequence, BachConfig};
use crate::sequence::store::{save_sequence, SequenceFiles, SequenceMeta};
use crate::sequence::svd::Reduction;
#[cfg(feature = "video")]
use crate::sequence::video;
#[cfg(feature = "audio")]
use crate::sequence::wav;
use crate::sequence::{cylinder, ks, mat};
use crate::{Error, Result};

/// Where a data set comes from, where it differs from the defaults (`Source::default()`: the
/// paper's settings, or the quick ones in quick mode).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Source {
    /// The user's original file instead of generating (KS: `kuramoto_sivishinky.mat`, key
    /// `data`; Fluid: `UALL` of a `.mat`; Bach: `C_major.wav`; Flower: the MP4 video).
    pub input: Option<PathBuf>,
    /// KS only: the simulation (default [`ks::KsConfig::default`], quick [`ks::KsConfig::quick`]).
    pub ks: Option<ks::KsConfig>,
    /// Fluid only: the lattice-Boltzmann run (default [`cylinder::CylinderConfig::default`],
    /// quick [`cylinder::CylinderConfig::quick`]).
    pub cylinder: Option<cylinder::CylinderConfig>,
    /// Bach only: the excerpt and its embedding (default [`BachConfig::default`]).
    #[cfg(feature = "audio")]
    pub bach: Option<BachConfig>,
    /// Flower only: integer box-filter downscale of the frames (default 1, or 4 in quick mode).
    pub downscale: Option<usize>,
}

/// Make data set `data` under `data_root` ([`super::data_dir`]) and return its folder; `log`
/// gets one line per step. Bach needs the `audio` feature, Flower the `video` feature.
pub fn make_data(
    data: SeqData,
    data_root: &Path,
    quick: bool,
    source: &Source,
    log: &mut dyn FnMut(&str),
) -> Result<PathBuf> {
    let dir = super::data_dir(data_root, data, quick);
    let input = source.input.as_deref();
    match data {
        SeqData::Ks => make_ks(log, &dir, input, source.ks.clone(), quick)?,
        SeqData::Fluid => make_fluid(log, &dir, input, source.cylinder.clone(), quick)?,
        #[cfg(feature = "audio")]
        SeqData::Bach => make_bach(log, &dir, input, source.bach.clone(), quick)?,
        #[cfg(feature = "video")]
        SeqData::Flower => make_flower(log, &dir, input, quick, source.downscale)?,
        #[allow(unreachable_patterns)]
        other => {
            return Err(Error::invalid(
                "data set",
                format!(
                    "making {other} needs the `{}` feature of hits",
                    if other == SeqData::Bach {
                        "audio"
                    } else {
                        "video"
                    }
                ),
            ))
        }
    }
    Ok(dir)
}

fn save(
    log: &mut dyn FnMut(&str),
    dir: &Path,
    data: &Array2<f64>,
    reduction: Option<&Reduction>,
    meta: SequenceMeta,
) -> Result<()> {
    let modes = reduction.map(|r| (&r.modes, &r.singular_values));
    let files = SequenceFiles { data, modes, meta };
    save_sequence(dir, &files)?;
    let m = &files.meta;
    log(&format!(
        "{}: data.npy {} x {}{}  source: {}",
        m.name,
        m.shape[0],
        m.shape[1],
        match (m.synthetic, m.name.as_str()) {
            (true, "Bach") => "  [SYNTHETIC audio, not a recording]",
            (true, _) => "  [simulated here]",
            (false, _) => "",
        },
        m.source
    ));
    Ok(())
}

fn meta(
    name: &str,
    data: &Array2<f64>,
    synthetic: bool,
    source: String,
    quick: bool,
) -> SequenceMeta {
    SequenceMeta {
        name: name.into(),
        shape: [data.nrows(), data.ncols()],
        synthetic,
        source,
        quick,
    }
}

/// A `.mat` sequence as `[n_features, n_time]`: an array taller than wide is taken as
/// `[n_time, n_features]` and transposed.
fn load_mat_sequence(log: &mut dyn FnMut(&str), path: &Path, key: &str) -> Result<Array2<f64>> {
    let t = Instant::now();
    let a = mat::read_mat_array(path, key)?;
    log(&format!(
        "read {}['{key}'] {:?} in {:.1} s",
        path.display(),
        a.shape(),
        t.elapsed().as_secs_f64()
    ));
    Ok(a)
}

fn make_ks(
    log: &mut dyn FnMut(&str),
    dir: &Path,
    input: Option<&Path>,
    cfg: Option<ks::KsConfig>,
    quick: bool,
) -> Result<()> {
    let (data, synthetic, source) = match input {
        Some(path) => {
            let mut a = load_mat_sequence(log, path, "data")?;
            if a.nrows() > a.ncols() {
                log(&format!(
                    "note: {:?} is taller than wide; taken as [n_time, n_x] and transposed",
                    a.shape()
                ));
                a = a.t().to_owned();
            }
            (a, false, format!("{}['data']", path.display()))
        }
        None => {
            let cfg = cfg.unwrap_or_else(|| {
                if quick {
                    ks::KsConfig::quick()
                } else {
                    ks::KsConfig::default()
                }
            });
            let t = Instant::now();
            let u = ks::simulate(&cfg)?;
            log(&format!(
                "KS simulation (ETDRK4) {:?} in {:.1} s",
                u.shape(),
                t.elapsed().as_secs_f64()
            ));
            (u, true, format!("hits::sequence::ks::simulate({cfg:?})"))
        }
    };
    save(
        log,
        dir,
        &data,
        None,
        meta("KS", &data, synthetic, source, quick),
    )
}

fn reduce(log: &mut dyn FnMut(&str), snapshots: faer::Mat<f64>, r: usize) -> Result<Reduction> {
    let t = Instant::now();
    let (m, n) = (snapshots.nrows(), snapshots.ncols());
    let red = Reduction::fit_faer(snapshots, r)?;
    log(&format!(
        "thin SVD of {m} x {n} in {:.1} s: {r} modes keep {:.6} of the energy, s_1 = {:.4e}, s_{r} = {:.4e}",
        t.elapsed().as_secs_f64(),
        red.energy_fraction(),
        red.singular_values[0],
        red.singular_values[r - 1]
    ));
    Ok(red)
}

fn make_fluid(
    log: &mut dyn FnMut(&str),
    dir: &Path,
    input: Option<&Path>,
    cfg: Option<cylinder::CylinderConfig>,
    quick: bool,
) -> Result<()> {
    const R: usize = 22;
    let (u, synthetic, source) = match input {
        Some(path) => {
            let u = load_mat_sequence(log, path, "UALL")?;
            if u.nrows() != 449 * 199 {
                log(&format!(
                    "note: {} has {} rows, not the paper's 449 * 199 = 89351",
                    path.display(),
                    u.nrows()
                ));
            }
            (u, false, format!("{}['UALL']", path.display()))
        }
        None => {
            let cfg = cfg.unwrap_or_else(|| {
                if quick {
                    cylinder::CylinderConfig::quick()
                } else {
                    cylinder::CylinderConfig::default()
                }
            });
            let t = Instant::now();
            let mut shown = Instant::now();
            let run = cylinder::simulate_with_progress(&cfg, &mut |step, total| {
                if shown.elapsed().as_secs_f64() >= 30.0 {
                    shown = Instant::now();
                    let done = step as f64 / total as f64;
                    let spent = t.elapsed().as_secs_f64();
                    log(&format!(
                        "cylinder wake: lattice step {step} of {total} ({:.0} %), {:.0} s so far, \
                         about {:.0} s to go",
                        100.0 * done,
                        spent,
                        spent * (1.0 - done) / done.max(1e-9)
                    ));
                }
            })?;
            log(&format!(
                "cylinder wake (lattice Boltzmann, Re {}): {} x {} grid, {} snapshots every {} D/U in {:.1} s \
                 ({:.3e} cell updates/s)",
                cfg.reynolds,
                run.nx,
                run.ny,
                run.u.ncols(),
                run.dt_snapshot,
                t.elapsed().as_secs_f64(),
                run.cell_updates_per_second
            ));
            log(&format!(
                "physics check: Strouhal St = {:.4}, mean drag Cd = {:.4}, lift amplitude {:.4} \
                 (unconfined Re 100 literature: St ~0.165, Cd ~1.33){}",
                run.strouhal,
                run.mean_drag,
                run.lift_amplitude,
                if quick {
                    "; --quick run: the wake is not shedding yet, these are not meaningful"
                } else {
                    ""
                }
            ));
            let source = format!(
                "hits::sequence::cylinder::simulate({cfg:?}), St {:.4}, Cd {:.4}",
                run.strouhal, run.mean_drag
            );
            (run.u, true, source)
        }
    };
    let r = R.min(u.nrows().min(u.ncols()));
    let snapshots = faer::Mat::from_fn(u.nrows(), u.ncols(), |i, j| u[[i, j]]);
    drop(u);
    let red = reduce(log, snapshots, r)?;
    let data = red.coords.clone();
    save(
        log,
        dir,
        &data,
        Some(&red),
        meta("Fluid", &data, synthetic, source, quick),
    )
}

#[cfg(feature = "audio")]
fn make_bach(
    log: &mut dyn FnMut(&str),
    dir: &Path,
    input: Option<&Path>,
    cfg: Option<BachConfig>,
    quick: bool,
) -> Result<()> {
    let cfg = cfg.unwrap_or_default();
    let t = Instant::now();
    let b = bach_sequence(input, &cfg)?;
    log(&format!(
        "Bach: cut {} samples from {} at {} Hz, every {}th -> {}, embedded in {:.2} s",
        b.cut.len(),
        cfg.start,
        cfg.sample_rate,
        cfg.stride,
        b.signal.len(),
        t.elapsed().as_secs_f64()
    ));
    if b.synthetic {
        log(&format!(
            "NOTE: no --input C_major.wav given: the audio is SYNTHETIC ({})",
            crate::sequence::bach_synth::DESCRIPTION
        ));
    }
    let excerpt = dir.join("excerpt.wav");
    wav::write_wav(&excerpt, &b.cut, cfg.sample_rate)?;
    log(&format!(
        "listen: {} (the 2 s cut at {} Hz)",
        excerpt.display(),
        cfg.sample_rate
    ));
    save(
        log,
        dir,
        &b.embedding,
        None,
        meta("Bach", &b.embedding, b.synthetic, b.source.clone(), quick),
    )
}

#[cfg(feature = "video")]
fn make_flower(
    log: &mut dyn FnMut(&str),
    dir: &Path,
    input: Option<&Path>,
    quick: bool,
    downscale: Option<usize>,
) -> Result<()> {
    const R: usize = 64;
    let default = Path::new("../shared/data/flower.mp4");
    let path = match input {
        Some(p) => p.to_path_buf(),
        None if default.exists() => {
            log(&format!("no --input: using {}", default.display()));
            default.to_path_buf()
        }
        None => {
            return Err(Error::invalid(
                "flower video",
                "pass the video (--input flower.mp4: H.264 MP4, 175 frames, 960 x 540)",
            ))
        }
    };
    let f = downscale.unwrap_or(if quick { 4 } else { 1 });
    let t = Instant::now();
    let v = video::decode_mp4(&path, f)?;
    let (n, h, w) = v.dims();
    log(&format!(
        "decoded {n} frames {w} x {h} (downscale {f}) at {:.3} fps in {:.1} s",
        v.fps,
        t.elapsed().as_secs_f64()
    ));
    let red = reduce(log, v.snapshot_matrix(), R.min(n))?;
    let data = red.coords.clone();
    let source = format!("{} (RGB 0..255, {w} x {h}, downscale {f})", path.display());
    save(
        log,
        dir,
        &data,
        Some(&red),
        meta("Flower", &data, false, source, quick),
    )
}
