//! `hits data ks|fluid|bach|flower`: make the sequence data sets of Figure 7 / Table 1
//! ([`hits::experiments::table1::make::make_data`]).
//!
//! Writes `<out>/<Name>/data.npy` (quick mode: `<out>/quick/<Name>/`) (`[n_features, n_time]`), `normalization.json`,
//! `meta.json`, and for the SVD-reduced sets `modes.npy` + `singular_values.npy`
//! (see `hits::sequence::store`). Prints what was made, whether it is synthetic, and timings.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use hits::experiments::table1::make::{make_data, Source};
use hits::experiments::table1::SeqData;

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
    /// The library's name of the data set.
    pub fn data(self) -> SeqData {
        match self {
            SequenceName::Ks => SeqData::Ks,
            SequenceName::Fluid => SeqData::Fluid,
            SequenceName::Bach => SeqData::Bach,
            SequenceName::Flower => SeqData::Flower,
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
    let t0 = Instant::now();
    let source = Source {
        input: args.input.clone(),
        downscale: args.downscale,
        ..Source::default()
    };
    let data = args.which.data();
    let dir = make_data(data, &args.out, quick, &source, &mut |line| say!("{line}"))
        .with_context(|| format!("making the {data} data"))?;
    say!(
        "wrote {} in {:.1} s",
        dir.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
