//! Listening to generated sequences: a delay embedding turned back into a signal, WAV bytes,
//! and inline `<audio>` players (WAV in a `data:` URL) for evcxr notebooks.
//!
//! A delay embedding `H[i, j] = s[i + j]` (`[n_delays, n_cols]`) holds sample `s[k]` on every
//! anti-diagonal cell `i + j = k`. A generated embedding need not be exactly Hankel, so the
//! signal is the mean over each anti-diagonal (the least-squares Hankel projection):
//!
//! ```text
//! s[k] = mean { H[i, k - i] : max(0, k - n_cols + 1) <= i <= min(k, n_delays - 1) },   k < n_delays + n_cols - 1
//! ```
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::plot::audio::{signal_from_embedding, AudioPlayers};
//! let s: Vec<f64> = (0..10).map(|k| (k as f64).sin()).collect();
//! let h = ndarray::Array2::from_shape_fn((4, 7), |(i, j)| s[i + j]);
//! let back = signal_from_embedding(h.view())?;
//! assert!(back.iter().zip(&s).all(|(a, b)| (a - b).abs() < 1e-15));
//! let html = AudioPlayers::new().clip("sine", &back, 8000)?.to_html();
//! assert!(html.contains("<audio controls") && html.contains("data:audio/wav;base64,"));
//! # Ok(())
//! # }
//! ```

use ndarray::ArrayView2;

use super::display::{data_url, escape_html};
use super::evcxr_content;
use crate::{Error, Result};

/// The signal behind a delay embedding `[n_delays, n_cols]`: the mean of each anti-diagonal
/// (see the module docs); `n_delays + n_cols - 1` samples.
pub fn signal_from_embedding(embedding: ArrayView2<f64>) -> Result<Vec<f64>> {
    let (d, n) = embedding.dim();
    if d == 0 || n == 0 {
        return Err(Error::shape(
            "delay embedding",
            "[n_delays >= 1, n_cols >= 1]",
            format!("{:?}", embedding.shape()),
        ));
    }
    let mut sum = vec![0.0; d + n - 1];
    let mut count = vec![0usize; d + n - 1];
    for ((i, j), v) in embedding.indexed_iter() {
        sum[i + j] += v;
        count[i + j] += 1;
    }
    Ok(sum.iter().zip(count).map(|(s, c)| s / c as f64).collect())
}

/// Mono 16-bit PCM WAV bytes (samples clipped to `[-1, 1]`, scaled by 32767).
pub fn wav_bytes(samples: &[f64], sample_rate: u32) -> Result<Vec<u8>> {
    if sample_rate == 0 || samples.is_empty() {
        return Err(Error::invalid(
            "audio clip",
            format!(
                "needs samples and a positive sample rate, got {} samples at {sample_rate} Hz",
                samples.len()
            ),
        ));
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let wav_err = |e: hound::Error| Error::invalid("audio clip", format!("WAV encoding: {e}"));
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut cursor, spec).map_err(wav_err)?;
        for &s in samples {
            let s = if s.is_finite() { s } else { 0.0 };
            w.write_sample((s.clamp(-1.0, 1.0) * 32767.0).round() as i16)
                .map_err(wav_err)?;
        }
        w.finalize().map_err(wav_err)?;
    }
    Ok(cursor.into_inner())
}

/// Labelled inline audio players, shown as one HTML table in an evcxr notebook.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioPlayers {
    caption: Option<String>,
    clips: Vec<(String, Vec<u8>)>,
}

impl AudioPlayers {
    /// No clips yet.
    pub fn new() -> AudioPlayers {
        AudioPlayers::default()
    }
    /// A line of text above the players (e.g. that the audio is a synthetic stand-in).
    pub fn caption(mut self, caption: impl Into<String>) -> AudioPlayers {
        self.caption = Some(caption.into());
        self
    }
    /// Add a clip: `samples` in `[-1, 1]` (clipped) at `sample_rate` Hz.
    pub fn clip(
        mut self,
        label: impl Into<String>,
        samples: &[f64],
        sample_rate: u32,
    ) -> Result<AudioPlayers> {
        self.clips
            .push((label.into(), wav_bytes(samples, sample_rate)?));
        Ok(self)
    }
    /// Number of clips.
    pub fn len(&self) -> usize {
        self.clips.len()
    }
    /// True when there are no clips.
    pub fn is_empty(&self) -> bool {
        self.clips.is_empty()
    }
    /// The clips' labels, in order.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.clips.iter().map(|(label, _)| label.as_str())
    }
    /// HTML: the caption, then one row per clip with its label and an `<audio controls>` element
    /// whose source is the WAV as a base64 `data:` URL.
    pub fn to_html(&self) -> String {
        let mut html = String::new();
        if let Some(c) = &self.caption {
            html.push_str(&format!("<p><b>{}</b></p>\n", escape_html(c)));
        }
        html.push_str("<table>\n");
        for (label, wav) in &self.clips {
            html.push_str(&format!(
                "<tr><td>{}</td><td><audio controls src=\"{}\"></audio></td></tr>\n",
                escape_html(label),
                data_url("audio/wav", wav)
            ));
        }
        html.push_str("</table>");
        html
    }
    /// Show inline in an evcxr notebook (as `text/html`).
    pub fn evcxr_display(&self) {
        println!("{}", evcxr_content("text/html", self.to_html().as_bytes()));
    }
    /// Show inline from anywhere in a notebook cell (same as [`AudioPlayers::evcxr_display`]);
    /// one display per cell, see [`crate::plot::CellOutput`] for several.
    pub fn show(&self) {
        self.evcxr_display()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn embedding_round_trip_and_antidiagonal_mean() {
        let h = array![[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]];
        assert_eq!(
            signal_from_embedding(h.view()).unwrap(),
            vec![1.0, 2.0, 3.0, 4.0]
        );
        // a non-Hankel embedding: each sample is the mean of its anti-diagonal
        let h = array![[0.0, 2.0], [4.0, 6.0]];
        assert_eq!(
            signal_from_embedding(h.view()).unwrap(),
            vec![0.0, 3.0, 6.0]
        );
        assert!(signal_from_embedding(Array2::<f64>::zeros((0, 3)).view()).is_err());
    }

    #[test]
    fn wav_bytes_decode_back_with_hound() {
        let s = [0.0, 0.5, -0.5, 2.0, f64::NAN];
        let bytes = wav_bytes(&s, 1000).unwrap();
        let mut r = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(r.spec().sample_rate, 1000);
        let back: Vec<i16> = r.samples::<i16>().map(|x| x.unwrap()).collect();
        assert_eq!(back, vec![0, 16384, -16384, 32767, 0]);
        assert!(wav_bytes(&[], 1000).is_err());
        assert!(wav_bytes(&s, 0).is_err());
    }

    #[test]
    fn players_html_has_one_audio_per_clip_and_escapes_labels() {
        let p = AudioPlayers::new()
            .caption("SYNTHETIC <stand-in>")
            .clip("truth", &[0.1; 8], 8000)
            .unwrap()
            .clip("LSTM", &[0.2; 8], 8000)
            .unwrap();
        let html = p.to_html();
        assert_eq!(html.matches("<audio controls").count(), 2);
        assert!(html.contains("SYNTHETIC &lt;stand-in&gt;"));
        assert!(!html.contains("<stand-in>"));
    }
}
