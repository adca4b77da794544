//! Recurrent baselines of the sequence-generation experiment (Figure 7, Table 1): LSTM, echo-state
//! network (ESN) and clockwork RNN (CW-RNN), sized to the parameter count of the whole HiTS (all
//! its steppers together).
//!
//! Every baseline is a one-step predictor: from the frame `x_t` (and its hidden state) it predicts
//! `x_{t+1}`,
//!
//! ```text
//! s_t = cell(s_{t-1}, x_t, t),   x̂_{t+1} = W_out h(s_t) + b_out,   s_{-1} = 0,
//! ```
//!
//! trained with teacher forcing (the true `x_t` as input, mean squared error of `x̂_{t+1}`; the
//! LSTM and CW-RNN by Adam on the whole sequence per epoch, as the original, the ESN's read-out
//! by least squares over the whole sequence) and
//! generating a whole sequence free-running from its first frame (`x̂_t` fed back as input):
//! frames `0 .. n_frames` with frame 0 the given one. Sequences are `[n_frames, dim]` arrays of
//! normalised features (see [`crate::sequence`]).
//!
//! | file | what |
//! |---|---|
//! | [`lstm`] | [`Lstm`]: one LSTM layer (PyTorch gate layout) and a linear read-out |
//! | [`esn`] | [`Esn`]: random sparse reservoir of spectral radius 0.9, ridge read-out |
//! | [`cwrnn`] | [`CwRnn`]: clockwork RNN, modules with periods `4^i` |
//! | [`config`] | [`BaselineTrainConfig`], [`BaselineWindows`], [`TrainHistory`]: the settings and record of training |
//! | [`train`] | the training loops: the whole sequence (one Adam step per epoch, best weights kept) or truncated windows |
//! | [`state`] | the whole-sequence loop's state on disk, continued exactly after an interruption |
//! | [`bptt`] | hand-written back-propagation through time of the LSTM and CW-RNN |
//! | [`sizing`] | [`parameter_count`], [`match_parameters`]: the sizing rule (roundest size within 2 %) |
//! | [`save`] | safetensors + JSON checkpoints |
//!
//! ```
//! use hits::baselines::{match_parameters, mlp_parameter_count, BaselineKind};
//! // KS: one stepper [512, w, 512] per step size, w = 2048, 1024, 512, 256, 128
//! let hits: usize = [2048, 1024, 512, 256, 128]
//!     .iter()
//!     .map(|&w| mlp_parameter_count(&[512, w, 512]))
//!     .sum();
//! assert_eq!(hits, 4_069_760);
//! // the paper's LSTM (740) and CW-RNN (1570 with 5 modules) come out of the rule
//! assert_eq!(match_parameters(BaselineKind::Lstm, 512, hits, 0), (740, 4_091_232));
//! assert_eq!(match_parameters(BaselineKind::CwRnn, 512, hits, 5).0, 1570);
//! ```

use ndarray::{Array2, ArrayView1};

pub mod bptt;
pub mod config;
pub mod cwrnn;
pub mod esn;
pub mod lstm;
mod reservoir;
pub mod save;
pub mod sizing;
pub mod state;
pub mod train;

pub use config::{BaselineTrainConfig, BaselineWindows, TrainHistory};
pub use cwrnn::{CwRnn, CwRnnConfig};
pub use esn::{Esn, EsnConfig};
pub use lstm::{Lstm, LstmConfig};
pub use sizing::{
    match_parameters, mlp_parameter_count, parameter_count, trained_parameter_count, BaselineKind,
    SIZE_TOLERANCE,
};

/// A sequence model that generates a whole sequence from its first frame.
pub trait SequenceModel {
    /// Short display name: `"LSTM"`, `"ESN"`, `"CW-RNN"`.
    fn name(&self) -> &str;
    /// Number of weights, every weight matrix counted in full ([`parameter_count`]): what the
    /// baselines are sized by.
    fn n_params(&self) -> usize;
    /// The weights that training changes ([`trained_parameter_count`]).
    fn n_trained(&self) -> usize {
        self.n_params()
    }
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
