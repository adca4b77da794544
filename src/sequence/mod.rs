//! Sequence data for the sequence-generation experiments (Figure 7, Table 1).
//!
//! | data set | source | sequence `[n_features, n_time]` |
//! |---|---|---|
//! | KS | [`ks`]: Kuramoto-Sivashinsky by ETDRK4, or the user's `kuramoto_sivishinky.mat` (key `data`) via [`mat`] | 512 x 4001 |
//! | Bach | [`bach`]: the user's `C_major.wav` via [`wav`], or the SYNTHETIC stand-in [`bach_synth`]; delay embedding | 128 x 2077 |
//! | Fluid | cylinder wake ([`cylinder`], lattice Boltzmann), or the user's `CYLINDER_ALL.mat` (key `UALL`); [`svd`] to 22 modes | 22 x 151 |
//! | Flower | [`video`]: `flower.mp4` decoded in pure cargo; [`svd`] to 64 modes | 64 x 175 |
//!
//! Shared pieces: [`normalize`] (`(x - mean) / range` per feature), [`chunks`] (the original's
//! zero-padded training chunks with a mask), [`store`] (atomic `.npy`/JSON files under
//! `data/<Name>/`).
#[cfg(feature = "audio")]
pub mod bach;
pub mod bach_synth;
pub mod chunks;
pub mod cylinder;
pub mod fixed_step;
pub mod ks;
pub mod mat;
pub mod normalize;
pub mod store;
pub mod svd;
#[cfg(feature = "video")]
pub mod video;
#[cfg(feature = "audio")]
pub mod wav;
