//! Recurrent baselines of the sequence-generation experiment (Figure 7, Table 1): LSTM, echo-state
//! network (ESN) and clockwork RNN (CW-RNN), sized to the parameter count of HiTS.
//!
//! Every baseline is a one-step predictor: from the frame `x_t` (and its hidden state) it predicts
//! `x_{t+1}`,
//!
//! ```text
//! s_t = cell(s_{t-1}, x_t, t),   x̂_{t+1} = W_out h(s_t) + b_out,   s_{-1} = 0,
//! ```
//!
//! trained with teacher forcing (the true `x_t` as input, mean squared error of `x̂_{t+1}`) and
//! generating a whole sequence free-running from its first frame (`x̂_t` fed back as input):
//! frames `0 .. n_frames` with frame 0 the given one. Sequences are `[n_frames, dim]` arrays of
//! normalised features (see [`crate::sequence`]).
//!
//! | file | what |
//! |---|---|
//! | [`lstm`] | [`Lstm`]: one LSTM layer (PyTorch gate layout) and a linear read-out |
//! | [`esn`] | [`Esn`]: random sparse reservoir of spectral radius 0.9, ridge read-out |
//! | [`cwrnn`] | [`CwRnn`]: clockwork RNN, modules with periods `4^i` |
//! | [`train`] | [`BaselineTrainConfig`], [`TrainHistory`], truncated-BPTT training with Adam |
//! | [`sizing`] | [`parameter_count`], [`match_parameters`]: sizing to a parameter budget |
//! | [`save`] | safetensors + JSON checkpoints |
//!
//! ```
//! use hits::baselines::{match_parameters, mlp_parameter_count, BaselineKind};
//! // KS: five HiTS nets 512-2048-1024-512-256-128-512
//! let hits = 5 * mlp_parameter_count(&[512, 2048, 1024, 512, 256, 128, 512]);
//! let (hidden, n) = match_parameters(BaselineKind::Lstm, 512, hits, 0);
//! assert!((n as f64 - hits as f64).abs() < 0.02 * hits as f64);
//! assert!(hidden > 0);
//! ```

use ndarray::{Array2, ArrayView1};

pub mod cwrnn;
pub mod esn;
pub mod lstm;
pub mod save;
pub mod sizing;
pub mod train;

pub use cwrnn::{CwRnn, CwRnnConfig};
pub use esn::{Esn, EsnConfig};
pub use lstm::{Lstm, LstmConfig};
pub use sizing::{match_parameters, mlp_parameter_count, parameter_count, BaselineKind};
pub use train::{BaselineTrainConfig, TrainHistory};

/// A sequence model that generates a whole sequence from its first frame.
pub trait SequenceModel {
    /// Short display name: `"LSTM"`, `"ESN"`, `"CW-RNN"`.
    fn name(&self) -> &str;
    /// Number of trainable parameters.
    fn n_params(&self) -> usize;
    /// Free-running generation: frames `0 .. n_frames` with frame 0 = `first` (`[dim]`), each
    /// next frame predicted from the model's own previous output; `[n_frames, dim]`.
    fn generate(&self, first: ArrayView1<f64>, n_frames: usize) -> crate::Result<Array2<f64>>;
}

/// Check that `first` has `dim` entries (the model's feature count).
pub(crate) fn check_first(first: ArrayView1<f64>, dim: usize) -> crate::Result<()> {
    if first.len() != dim {
        return Err(crate::Error::shape(
            "first frame",
            format!("[{dim}]"),
            format!("[{}]", first.len()),
        ));
    }
    Ok(())
}
