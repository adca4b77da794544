//! The Bach sequence of Figure 7: 2 s of the C major fugue BWV 846, delay-embedded.
//!
//! From a mono signal at 22050 Hz (the user's `C_major.wav`, resampled if needed, or the
//! synthetic stand-in of [`crate::sequence::bach_synth`]), as in the original `Bach` notebook:
//!
//! ```text
//! cut      = signal[33750 .. 33750 + 2 * 22050]          44100 samples (1.531 s .. 3.531 s)
//! sampled  = cut[::20]                                     ceil(44100 / 20) = 2205 samples
//! H[i, j]  = sampled[i + j],  i < 128,  j < 2205 - 128    128 x 2077 (Hankel / delay embedding)
//! ```
//!
//! The decimation keeps every 20th sample with no anti-aliasing filter, like the original
//! (`sig[::gap]`). The embedding has `len - n_delays` columns (2077), one fewer than the full
//! Hankel matrix would allow, matching the paper's 128 x 2077. Row 0 is the sampled signal
//! itself; [`BachSequence::signal`] keeps it for playback.

use std::path::Path;

use ndarray::Array2;

use crate::sequence::bach_synth;
use crate::sequence::wav::read_wav_at;
use crate::{Error, Result};

/// Where and how the excerpt is cut (defaults: the paper's values).
#[derive(Debug, Clone, PartialEq)]
pub struct BachConfig {
    /// Sample rate the audio is brought to, Hz.
    pub sample_rate: u32,
    /// First sample of the cut (at `sample_rate`).
    pub start: usize,
    /// Length of the cut, seconds.
    pub seconds: f64,
    /// Keep every `stride`-th sample of the cut.
    pub stride: usize,
    /// Number of delays (rows of the embedding).
    pub n_delays: usize,
}

impl Default for BachConfig {
    fn default() -> Self {
        BachConfig {
            sample_rate: 22050,
            start: 33750,
            seconds: 2.0,
            stride: 20,
            n_delays: 128,
        }
    }
}

/// The delay-embedded Bach excerpt.
#[derive(Debug, Clone, PartialEq)]
pub struct BachSequence {
    /// Delay embedding `[n_delays, len - n_delays]` (128 x 2077 by default).
    pub embedding: Array2<f64>,
    /// The decimated cut (2205 samples by default), at `sample_rate / stride` Hz.
    pub signal: Vec<f64>,
    /// The undecimated cut at `sample_rate` Hz, for listening.
    pub cut: Vec<f64>,
    /// `true` when the audio is the synthetic stand-in, not a recording.
    pub synthetic: bool,
    /// Where the audio came from, in words.
    pub source: String,
}

impl BachConfig {
    /// Number of samples in the cut.
    pub fn cut_len(&self) -> usize {
        (self.seconds * f64::from(self.sample_rate)).round() as usize
    }

    /// Number of samples after decimation: `ceil(cut_len / stride)`.
    pub fn sampled_len(&self) -> usize {
        self.cut_len().div_ceil(self.stride.max(1))
    }

    /// Shape of the embedding `[n_delays, sampled_len - n_delays]`.
    pub fn shape(&self) -> (usize, usize) {
        (
            self.n_delays,
            self.sampled_len().saturating_sub(self.n_delays),
        )
    }

    fn check(&self) -> Result<()> {
        if self.stride == 0 || self.n_delays == 0 || self.sample_rate == 0 {
            return Err(Error::invalid(
                "Bach config",
                "sample_rate, stride and n_delays must be positive",
            ));
        }
        if self.sampled_len() <= self.n_delays {
            return Err(Error::invalid(
                "Bach config",
                format!(
                    "{} decimated samples leave no column for {} delays; cut longer or use fewer delays",
                    self.sampled_len(),
                    self.n_delays
                ),
            ));
        }
        Ok(())
    }
}

/// Build the Bach sequence from the user's WAV file, or from the synthetic stand-in when
/// `wav` is `None`.
pub fn bach_sequence(wav: Option<&Path>, config: &BachConfig) -> Result<BachSequence> {
    config.check()?;
    let (audio, synthetic, source) = match wav {
        Some(path) => {
            let a = read_wav_at(path, config.sample_rate)?;
            (
                a.samples,
                false,
                format!(
                    "{} (resampled to {} Hz, mono)",
                    path.display(),
                    config.sample_rate
                ),
            )
        }
        None => (
            bach_synth::synthesize(config.sample_rate),
            true,
            format!("SYNTHETIC: {}", bach_synth::DESCRIPTION),
        ),
    };
    let end = config.start + config.cut_len();
    if audio.len() < end {
        let name = wav
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "synthetic audio".into());
        return Err(Error::invalid(
            "Bach audio",
            format!(
                "{name} has {} samples at {} Hz; the cut needs samples {}..{end}",
                audio.len(),
                config.sample_rate,
                config.start
            ),
        ));
    }
    let cut = audio[config.start..end].to_vec();
    let signal: Vec<f64> = cut.iter().step_by(config.stride).copied().collect();
    let embedding = delay_embedding(&signal, config.n_delays)?;
    Ok(BachSequence {
        embedding,
        signal,
        cut,
        synthetic,
        source,
    })
}

/// Hankel delay embedding: `H[i, j] = signal[i + j]`, `n_delays` rows and
/// `signal.len() - n_delays` columns.
pub fn delay_embedding(signal: &[f64], n_delays: usize) -> Result<Array2<f64>> {
    if n_delays == 0 || signal.len() <= n_delays {
        return Err(Error::invalid(
            "n_delays",
            format!(
                "must be in 1..{} for a signal of {} samples, got {n_delays}",
                signal.len(),
                signal.len()
            ),
        ));
    }
    let n_cols = signal.len() - n_delays;
    Ok(Array2::from_shape_fn((n_delays, n_cols), |(i, j)| {
        signal[i + j]
    }))
}
