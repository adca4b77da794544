//! Table 1 and Figure 7 of the paper: generating whole sequences (KS, Bach, Fluid, Flower) with
//! coupled neural time-steppers (HiTS) against LSTM, echo-state network (ESN) and clockwork RNN
//! (CW-RNN) baselines of about the same size.
//!
//! Each model sees the normalised sequence `z = (x - mean) / range` (per feature,
//! [`crate::sequence::normalize`]) of `data/<Name>/data.npy`, is trained on it, and then
//! generates the whole sequence from its first frame `z_0` alone. The error is
//!
//! ```text
//! MSE = 1 / (T D) sum_{t=0}^{T-1} sum_{i=1}^{D} (zhat_t[i] - z_t[i])^2
//! ```
//!
//! over all `T` frames (frame 0 included, where every model is exact) and all `D` features of
//! the NORMALISED sequence, the quantity the original notebooks printed.
//!
//! | step | function |
//! |---|---|
//! | settings per data set (paper, quick) | [`Table1Config::paper`], [`Table1Config::quick`] |
//! | load + normalise | [`run::load_data`] |
//! | HiTS for sequences (train, generate) | [`seq_hits`] |
//! | the baselines sized to HiTS (train, generate) | [`models`] |
//! | train every model, generate, MSE, timing | [`run`] |
//! | Table 1 beside the paper, Figure 7 panels | [`report`] |
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! use hits::experiments::table1::{self, SeqData, Table1Config};
//! let cfg = Table1Config::quick(SeqData::Fluid);
//! let device = hits::stepper::device(true)?;
//! let data = table1::run::load_data(std::path::Path::new("data/quick/Fluid"), &cfg)?;
//! let hits = table1::seq_hits::train_seq_hits(data.z.view(), &cfg.hits, &device, None, &mut |p| eprintln!("{p}"))?;
//! let z_hat = hits.generate(data.z.column(0), data.n_frames())?; // [T, D]
//! # Ok(())
//! # }
//! ```

pub mod models;
pub mod report;
pub mod run;
pub mod seq_hits;

use serde::{Deserialize, Serialize};

use crate::baselines::BaselineTrainConfig;
use crate::stepper::TrainConfig;
use crate::{Error, Result};

/// The four sequence data sets of Figure 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SeqData {
    /// Kuramoto-Sivashinsky field, 512 x 4001.
    Ks,
    /// Bach fugue, 128-delay embedding, 128 x 2077.
    Bach,
    /// Cylinder wake, 22 SVD coordinates x 151 snapshots.
    Fluid,
    /// Blooming-flower video, 64 SVD coordinates x 175 frames.
    Flower,
}

impl SeqData {
    /// All four, in the paper's order.
    pub const ALL: [SeqData; 4] = [SeqData::Ks, SeqData::Bach, SeqData::Fluid, SeqData::Flower];

    /// The folder name under `data/` (and `results/table1/`): `KS`, `Bach`, `Fluid`, `Flower`.
    pub fn name(self) -> &'static str {
        match self {
            SeqData::Ks => "KS",
            SeqData::Bach => "Bach",
            SeqData::Fluid => "Fluid",
            SeqData::Flower => "Flower",
        }
    }

    /// Parse `ks`, `bach`, `fluid` or `flower` (any case).
    pub fn parse(s: &str) -> Result<SeqData> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ks" => Ok(SeqData::Ks),
            "bach" => Ok(SeqData::Bach),
            "fluid" => Ok(SeqData::Fluid),
            "flower" => Ok(SeqData::Flower),
            other => Err(Error::invalid(
                "data set",
                format!("unknown sequence data set {other:?}; use ks, bach, fluid or flower"),
            )),
        }
    }

    /// The paper's Table 1 MSEs `[HiTS, LSTM, ESN, CW-RNN]` (none for Flower: not published).
    pub fn paper_mse(self) -> Option<[f64; 4]> {
        match self {
            SeqData::Ks => Some([1.0e-3, 3.50, 3.51, 3.60]),
            SeqData::Bach => Some([8.6e-7, 4.6e-5, 2.7e-4, 4.7e-5]),
            SeqData::Fluid => Some([1.2e-7, 9.2e-8, 2.2e-8, 6.8e-7]),
            SeqData::Flower => None,
        }
    }
}

impl std::fmt::Display for SeqData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Settings of HiTS for one sequence: the nets, their step sizes and their training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitsSeqConfig {
    /// Hidden layer widths; the net of a `D`-feature sequence is `[D, hidden.., D]`.
    pub hidden: Vec<usize>,
    /// Step sizes in frames (steps longer than the sequence are left out, see [`seq_hits`]).
    pub steps: Vec<usize>,
    /// Training of each stepper: epochs (one minibatch each), batch, `n_forward`, lr,
    /// validation interval. `n_forward` is lowered for a step whose window would not fit.
    pub train: TrainConfig,
    /// Seed of the initial weights (stepper k uses `seed + step`).
    pub seed: u32,
}

impl HitsSeqConfig {
    /// The layer widths of the nets for a `dim`-feature sequence.
    pub fn arch(&self, dim: usize) -> Vec<usize> {
        let mut arch = Vec::with_capacity(self.hidden.len() + 2);
        arch.push(dim);
        arch.extend_from_slice(&self.hidden);
        arch.push(dim);
        arch
    }
}

/// How the baselines are sized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineSizing {
    /// Number of clockwork modules of the CW-RNN (periods 4^i).
    pub cwrnn_modules: usize,
    /// ESN reservoir: `Some(n)` fixed (the paper's KS reservoir is 1600), `None` sized to
    /// HiTS's parameter count like the others (read-out weights), capped at `esn_max_reservoir`.
    pub esn_reservoir: Option<usize>,
    /// Upper bound of a matched ESN reservoir (its least-squares fit needs a `N x N` matrix).
    pub esn_max_reservoir: usize,
    /// Match the baselines to ONE HiTS net instead of the sum over all nets. The paper's
    /// published KS sizes (LSTM hidden 740: 4.09M parameters) match one of its five 3.9M nets,
    /// not their 19.5M sum (which would give LSTM hidden 1911), so the paper's settings use one
    /// net; the sum is the stricter "same total size" comparison.
    pub match_one_net: bool,
}

/// Everything one Table 1 row needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table1Config {
    pub data: SeqData,
    /// Use only the first `max_frames` frames of the sequence (quick mode).
    pub max_frames: Option<usize>,
    pub hits: HitsSeqConfig,
    pub sizing: BaselineSizing,
    /// Training of the LSTM and the CW-RNN.
    pub baseline: BaselineTrainConfig,
    /// True for the reduced settings.
    pub quick: bool,
}

/// The paper's hidden widths and step sizes per data set (Flower: our choice, see
/// [`Table1Config::paper`]).
pub fn paper_nets(data: SeqData) -> (Vec<usize>, Vec<usize>) {
    match data {
        SeqData::Ks => (vec![2048, 1024, 512, 256, 128], vec![1, 6, 36, 216, 1296]),
        SeqData::Bach => (vec![2048, 1024, 512, 256, 128], vec![1, 5, 25, 125, 625]),
        SeqData::Fluid => (vec![256, 164, 16, 4], vec![1, 4, 16, 64]),
        SeqData::Flower => (vec![512, 256, 128], vec![1, 4, 16]),
    }
}

impl Table1Config {
    /// The paper's settings: its nets and step sizes, `n_forward` 6, lr 1e-3, 10 000 epochs
    /// with minibatches of 320 windows, validation every 1000 epochs.
    ///
    /// Flower is not published; we use `[64, 512, 256, 128, 64]` with steps 1, 4, 16: the
    /// widths halve from 8x the input like the KS and Bach nets, and with 175 frames (like
    /// Fluid's 151) steps up to 16 keep a full 6-step window (96 frames) inside the sequence;
    /// a step of 64 would see only one window of two steps.
    ///
    /// Fluid's published net `[22, 256, 164, 16, 4, 22]` squeezes through 4 units: with ReLU and
    /// PyTorch-style initial weights it barely trains (here and in a PyTorch check: the
    /// 6-step loss stays near the do-nothing predictor's 0.24 for thousands of epochs, while
    /// `[22, 256, 164, 22]` reaches ~4e-5 in 1000). It is kept as published;
    /// `hits reproduce table1 --hidden 256,164` runs the variant.
    pub fn paper(data: SeqData) -> Table1Config {
        let (hidden, steps) = paper_nets(data);
        Table1Config {
            data,
            max_frames: None,
            hits: HitsSeqConfig {
                hidden,
                steps,
                train: TrainConfig {
                    epochs: 10_000,
                    batch_size: 320,
                    n_forward: 6,
                    lr: 1e-3,
                    eval_every: 1000,
                    ..TrainConfig::default()
                },
                seed: 0,
            },
            sizing: BaselineSizing {
                cwrnn_modules: 5,
                esn_reservoir: (data == SeqData::Ks).then_some(1600),
                esn_max_reservoir: 2000,
                match_one_net: true,
            },
            baseline: BaselineTrainConfig::paper(),
            quick: false,
        }
    }

    /// A tiny version for tests and CI: the first 100 frames, nets `[D, 64, 64, D]` with
    /// steps 1, 2, 4, 300 epochs; small baselines trained as briefly.
    pub fn quick(data: SeqData) -> Table1Config {
        let mut cfg = Table1Config::paper(data);
        cfg.max_frames = Some(100);
        cfg.hits.hidden = vec![64, 64];
        cfg.hits.steps = vec![1, 2, 4];
        cfg.hits.train.epochs = 300;
        cfg.hits.train.eval_every = 50;
        cfg.hits.train.batch_size = 64;
        cfg.sizing.esn_reservoir = None;
        cfg.sizing.esn_max_reservoir = 400;
        cfg.sizing.cwrnn_modules = 3;
        cfg.sizing.match_one_net = false;
        cfg.baseline = BaselineTrainConfig {
            epochs: 150,
            seq_len: 16,
            ..BaselineTrainConfig::quick()
        };
        cfg.quick = true;
        cfg
    }

    /// [`quick`](Self::quick) or [`paper`](Self::paper).
    pub fn select(data: SeqData, quick: bool) -> Table1Config {
        if quick {
            Table1Config::quick(data)
        } else {
            Table1Config::paper(data)
        }
    }

    /// Override the training epochs of every model (HiTS and the trained baselines), e.g. to
    /// run the full-size nets with fewer epochs on a CPU. Validation and progress come at least
    /// every tenth of the run.
    pub fn with_epochs(mut self, epochs: usize) -> Table1Config {
        self.hits.train.epochs = epochs;
        self.baseline.epochs = epochs;
        // At least ten progress reports (and saved checkpoints) per model.
        let every = (epochs / 10).max(1);
        self.hits.train.eval_every = self.hits.train.eval_every.min(every);
        self.baseline.eval_every = self.baseline.eval_every.min(every);
        self
    }
}
