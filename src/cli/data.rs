//! `hits data ks|fluid|bach|flower`: make the sequence data sets of Figure 7 / Table 1.
//!
//! Writes `<out>/<Name>/data.npy` (quick mode: `<out>/quick/<Name>/`) (`[n_features, n_time]`), `normalization.json`,
//! `meta.json`, and for the SVD-reduced sets `modes.npy` + `singular_values.npy`
//! (see `hits::sequence::store`). Prints what was made, whether it is synthetic, and timings.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use hits::data::quick_root;
use hits::sequence::bach::{bach_sequence, BachConfig};
use hits::sequence::store::{save_sequence, SequenceFiles, SequenceMeta};
use hits::sequence::svd::Reduction;
use hits::sequence::{cylinder, ks, mat, video, wav};
use ndarray::Array2;

use crate::say;

/// Which sequence data set to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SequenceName {
    /// Kuramoto-Sivashinsky field u(x, t), 512 x 4001.
    Ks,
    /// Cylinder wake at Re 100, 22 SVD coordinates x 151 snapshots.
    Fluid,
    /// 2 s of Bach's C major fugue, 128-delay embedding, 128 x 2077.
    Bach,
    /// The blooming-flower video, 64 SVD coordinates x 175 frames.
    Flower,
}

impl SequenceName {
    fn dir_name(self) -> &'static str {
        match self {
            SequenceName::Ks => "KS",
            SequenceName::Fluid => "Fluid",
            SequenceName::Bach => "Bach",
            SequenceName::Flower => "Flower",
        }
    }
}

/// Arguments of `hits data`.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// Data set to make.
    #[arg(value_enum)]
    pub which: SequenceName,
    /// Reduced settings for a fast check (also HITS_QUICK=1): shorter KS/cylinder runs,
    /// flower downscaled by 4; written to `<out>/quick/<Name>/` (where `hits reproduce table1
    /// --quick` reads), never over the full-size data.
    #[arg(long)]
    pub quick: bool,
    /// Output root; files go to <out>/<Name>/.
    #[arg(long, default_value = "data")]
    pub out: PathBuf,
    /// The user's original file instead of generating: kuramoto_sivishinky.mat (key `data`),
    /// CYLINDER_ALL.mat (key `UALL`), C_major.wav, flower.mp4.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Flower only: integer box-filter downscale of the frames (default 1, or 4 with --quick).
    #[arg(long)]
    pub downscale: Option<usize>,
}

/// Run `hits data`.
pub fn run(args: DataArgs) -> anyhow::Result<()> {
    let quick = args.quick || hits::data::quick_mode()?;
    let dir = quick_root(&args.out, quick).join(args.which.dir_name());
    let t0 = Instant::now();
    match args.which {
        SequenceName::Ks => make_ks(&dir, args.input.as_deref(), quick)?,
        SequenceName::Fluid => make_fluid(&dir, args.input.as_deref(), quick)?,
        SequenceName::Bach => make_bach(&dir, args.input.as_deref(), quick)?,
        SequenceName::Flower => make_flower(&dir, args.input.as_deref(), quick, args.downscale)?,
    }
    say!(
        "wrote {} in {:.1} s",
        dir.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn save(
    dir: &Path,
    data: &Array2<f64>,
    reduction: Option<&Reduction>,
    meta: SequenceMeta,
) -> anyhow::Result<()> {
    let modes = reduction.map(|r| (&r.modes, &r.singular_values));
    let files = SequenceFiles { data, modes, meta };
    save_sequence(dir, &files).with_context(|| format!("writing {}", dir.display()))?;
    let m = &files.meta;
    say!(
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
    );
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
fn load_mat_sequence(path: &Path, key: &str) -> anyhow::Result<Array2<f64>> {
    let t = Instant::now();
    let a = mat::read_mat_array(path, key)?;
    say!(
        "read {}['{key}'] {:?} in {:.1} s",
        path.display(),
        a.shape(),
        t.elapsed().as_secs_f64()
    );
    Ok(a)
}

fn make_ks(dir: &Path, input: Option<&Path>, quick: bool) -> anyhow::Result<()> {
    let (data, synthetic, source) = match input {
        Some(path) => {
            let mut a = load_mat_sequence(path, "data")?;
            if a.nrows() > a.ncols() {
                say!(
                    "note: {:?} is taller than wide; taken as [n_time, n_x] and transposed",
                    a.shape()
                );
                a = a.t().to_owned();
            }
            (a, false, format!("{}['data']", path.display()))
        }
        None => {
            let cfg = if quick {
                ks::KsConfig::quick()
            } else {
                ks::KsConfig::default()
            };
            let t = Instant::now();
            let u = ks::simulate(&cfg)?;
            say!(
                "KS simulation (ETDRK4) {:?} in {:.1} s",
                u.shape(),
                t.elapsed().as_secs_f64()
            );
            (u, true, format!("hits::sequence::ks::simulate({cfg:?})"))
        }
    };
    save(
        dir,
        &data,
        None,
        meta("KS", &data, synthetic, source, quick),
    )
}

fn reduce(snapshots: faer::Mat<f64>, r: usize) -> anyhow::Result<Reduction> {
    let t = Instant::now();
    let (m, n) = (snapshots.nrows(), snapshots.ncols());
    let red = Reduction::fit_faer(snapshots, r)?;
    say!(
        "thin SVD of {m} x {n} in {:.1} s: {r} modes keep {:.6} of the energy, s_1 = {:.4e}, s_{r} = {:.4e}",
        t.elapsed().as_secs_f64(),
        red.energy_fraction(),
        red.singular_values[0],
        red.singular_values[r - 1]
    );
    Ok(red)
}

fn make_fluid(dir: &Path, input: Option<&Path>, quick: bool) -> anyhow::Result<()> {
    const R: usize = 22;
    let (u, synthetic, source) = match input {
        Some(path) => {
            let u = load_mat_sequence(path, "UALL")?;
            if u.nrows() != 449 * 199 {
                say!(
                    "note: {} has {} rows, not the paper's 449 * 199 = 89351",
                    path.display(),
                    u.nrows()
                );
            }
            (u, false, format!("{}['UALL']", path.display()))
        }
        None => {
            let cfg = if quick {
                cylinder::CylinderConfig::quick()
            } else {
                cylinder::CylinderConfig::default()
            };
            let t = Instant::now();
            let mut shown = Instant::now();
            let run = cylinder::simulate_with_progress(&cfg, &mut |step, total| {
                if shown.elapsed().as_secs_f64() >= 30.0 {
                    shown = Instant::now();
                    let done = step as f64 / total as f64;
                    let spent = t.elapsed().as_secs_f64();
                    say!(
                        "cylinder wake: lattice step {step} of {total} ({:.0} %), {:.0} s so far, \
                         about {:.0} s to go",
                        100.0 * done,
                        spent,
                        spent * (1.0 - done) / done.max(1e-9)
                    );
                }
            })?;
            say!(
                "cylinder wake (lattice Boltzmann, Re {}): {} x {} grid, {} snapshots every {} D/U in {:.1} s \
                 ({:.3e} cell updates/s)",
                cfg.reynolds,
                run.nx,
                run.ny,
                run.u.ncols(),
                run.dt_snapshot,
                t.elapsed().as_secs_f64(),
                run.cell_updates_per_second
            );
            say!(
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
            );
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
    let red = reduce(snapshots, r)?;
    let data = red.coords.clone();
    save(
        dir,
        &data,
        Some(&red),
        meta("Fluid", &data, synthetic, source, quick),
    )
}

fn make_bach(dir: &Path, input: Option<&Path>, quick: bool) -> anyhow::Result<()> {
    let cfg = BachConfig::default();
    let t = Instant::now();
    let b = bach_sequence(input, &cfg)?;
    say!(
        "Bach: cut {} samples from {} at {} Hz, every {}th -> {}, embedded in {:.2} s",
        b.cut.len(),
        cfg.start,
        cfg.sample_rate,
        cfg.stride,
        b.signal.len(),
        t.elapsed().as_secs_f64()
    );
    if b.synthetic {
        say!(
            "NOTE: no --input C_major.wav given: the audio is SYNTHETIC ({})",
            hits::sequence::bach_synth::DESCRIPTION
        );
    }
    let excerpt = dir.join("excerpt.wav");
    wav::write_wav(&excerpt, &b.cut, cfg.sample_rate)?;
    say!(
        "listen: {} (the 2 s cut at {} Hz)",
        excerpt.display(),
        cfg.sample_rate
    );
    save(
        dir,
        &b.embedding,
        None,
        meta("Bach", &b.embedding, b.synthetic, b.source.clone(), quick),
    )
}

fn make_flower(
    dir: &Path,
    input: Option<&Path>,
    quick: bool,
    downscale: Option<usize>,
) -> anyhow::Result<()> {
    const R: usize = 64;
    let default = Path::new("../shared/data/flower.mp4");
    let path = match input {
        Some(p) => p.to_path_buf(),
        None if default.exists() => {
            say!("no --input: using {}", default.display());
            default.to_path_buf()
        }
        None => bail!(
            "flower: pass the video with --input flower.mp4 (H.264 MP4, 175 frames, 960 x 540)"
        ),
    };
    let f = downscale.unwrap_or(if quick { 4 } else { 1 });
    let t = Instant::now();
    let v = video::decode_mp4(&path, f)?;
    let (n, h, w) = v.dims();
    say!(
        "decoded {n} frames {w} x {h} (downscale {f}) at {:.3} fps in {:.1} s",
        v.fps,
        t.elapsed().as_secs_f64()
    );
    let red = reduce(v.snapshot_matrix(), R.min(n))?;
    let data = red.coords.clone();
    let source = format!("{} (RGB 0..255, {w} x {h}, downscale {f})", path.display());
    save(
        dir,
        &data,
        Some(&red),
        meta("Flower", &data, false, source, quick),
    )
}
