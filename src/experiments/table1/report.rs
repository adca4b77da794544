//! Table 1 beside the paper's values, and the Figure 7 panels.
//!
//! The table has one row per model and data set: weights (the baselines' beside HiTS's, to
//! which they are sized), training seconds, our MSE (over the whole normalised sequence, see
//! [`super`]) and the paper's MSE. Figure 7: for KS the
//! space-time field `z[x, t]` of the truth and of each model's generation as heat maps on one
//! colour scale; for the other data sets a few coordinates against time, truth (black, thick)
//! and every model.

use std::path::{Path, PathBuf};

use ndarray::{s, Array2};
use serde::{Deserialize, Serialize};

use super::result::ModelResult;
use super::SeqData;
use crate::io::write_bytes_atomic;
use crate::plot::{Axes, Color, Colormap, Figure, Heatmap, Series};
use crate::{Error, Result};

/// The models of Table 1, in the paper's column order.
pub const MODELS: [&str; 4] = ["HiTS", "LSTM", "ESN", "CW-RNN"];

/// The paper's MSE of `model` on `data`, if published.
pub fn paper_value(data: SeqData, model: &str) -> Option<f64> {
    let i = MODELS.iter().position(|m| *m == model)?;
    data.paper_mse().map(|v| v[i])
}

/// All rows of one data set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table1Result {
    pub data: SeqData,
    /// Frames `T` and features `D` of the sequence used.
    pub n_frames: usize,
    pub dim: usize,
    /// Reduced (quick) settings.
    pub quick: bool,
    /// The data was simulated or synthesised here (see `meta.json`).
    pub synthetic: bool,
    /// Where the data came from.
    pub source: String,
    /// One row per model.
    pub rows: Vec<ModelResult>,
}

/// Frames of one line panel of Figure 7 for a long sequence. A sequence of more than
/// `4 * WINDOW` frames (Bach: 2077 frames of audio, a period of a few frames) is drawn as its
/// first and its last `WINDOW` frames side by side: all its frames in one 900-pixel panel are
/// a solid band, and the end is where the generated sequences part. Shorter ones (Fluid 151,
/// Flower 175 frames) are drawn whole.
pub const WINDOW: usize = 80;

/// The `[start, end)` frame windows of the line panels for `n_frames` frames.
pub fn frame_windows(n_frames: usize) -> Vec<(usize, usize)> {
    if n_frames > 4 * WINDOW {
        vec![(0, WINDOW), (n_frames - WINDOW, n_frames)]
    } else {
        vec![(0, n_frames)]
    }
}

fn fmt_mse(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.2e}"))
}

/// `n` with thin spaces between groups of three digits: `4 069 760`.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A row's weight count beside HiTS's: `4 091 232 (+0.53 %)`, the HiTS row alone.
fn params_vs_hits(r: &Table1Result, m: &ModelResult) -> String {
    match r.row("HiTS") {
        Some(h) if m.model != "HiTS" && h.n_params > 0 => format!(
            "{} ({:+.2} %)",
            grouped(m.n_params),
            100.0 * (m.n_params as f64 / h.n_params as f64 - 1.0)
        ),
        _ => grouped(m.n_params),
    }
}

/// Markdown rows `| data | model | weights (vs HiTS) | train s | generation s | MSE | paper MSE |
/// details |` of several data sets, with a header.
pub fn markdown_table(results: &[Table1Result]) -> String {
    let mut s = String::from(
        "| data | model | weights (vs HiTS) | training [s] | generation [s] | MSE (ours) | MSE (paper) | details |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in results {
        for m in &r.rows {
            s.push_str(&format!(
                "| {}{} | {} | {} | {:.1} | {:.2} | {:.2e} | {} | {} |\n",
                r.data,
                if r.quick { " (quick)" } else { "" },
                m.model,
                params_vs_hits(r, m),
                m.train_seconds,
                m.generate_seconds,
                m.mse,
                fmt_mse(paper_value(r.data, &m.model)),
                m.detail
            ));
        }
    }
    s
}

/// CSV `data,model,n_params,train_seconds,generate_seconds,mse,paper_mse` of several data sets.
pub fn csv_table(results: &[Table1Result]) -> String {
    let mut s =
        String::from("data,quick,model,n_params,train_seconds,generate_seconds,mse,paper_mse\n");
    for r in results {
        for m in &r.rows {
            s.push_str(&format!(
                "{},{},{},{},{:.3},{:.3},{:e},{}\n",
                r.data,
                r.quick,
                m.model,
                m.n_params,
                m.train_seconds,
                m.generate_seconds,
                m.mse,
                paper_value(r.data, &m.model).map_or(String::new(), |v| format!("{v:e}"))
            ));
        }
    }
    s
}

impl Table1Result {
    /// The row of `model`, if present.
    pub fn row(&self, model: &str) -> Option<&ModelResult> {
        self.rows.iter().find(|r| r.model == model)
    }

    /// Figure 7's panel for this data set; `truth` is the normalised sequence `[T, D]`.
    pub fn figure(&self, truth: &Array2<f64>) -> Result<Figure> {
        if truth.dim() != (self.n_frames, self.dim) {
            return Err(Error::shape(
                "truth",
                format!("[{}, {}]", self.n_frames, self.dim),
                format!("{:?}", truth.dim()),
            ));
        }
        match self.data {
            SeqData::Ks => self.heatmaps(truth),
            _ => self.coordinates(truth),
        }
    }

    fn heatmaps(&self, truth: &Array2<f64>) -> Result<Figure> {
        let (lo, hi) = truth
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        let panel = |field: &Array2<f64>, title: String| {
            Heatmap::new(field.t())
                .colormap(Colormap::RdBu)
                .range(lo, hi)
                .title(title)
                .x_label("frame t")
                .y_label("x index")
        };
        let mut panels = vec![panel(truth, format!("{}: truth", self.data))];
        for m in &self.rows {
            panels.push(panel(
                &m.generated,
                format!("{} (MSE {:.2e})", m.model, m.mse),
            ));
        }
        let n = panels.len();
        Ok(Figure::new()
            .title(format!(
                "Figure 7, {}: generated from the first frame",
                self.data
            ))
            .grid(n, 1)
            .size(900, 220 * n as u32)
            .panels(panels))
    }

    /// One panel per drawn coordinate and frame window (see [`WINDOW`]), truth and every model.
    fn coordinates(&self, truth: &Array2<f64>) -> Result<Figure> {
        const COLORS: [Color; 4] = [
            Color(214, 39, 40),
            Color(31, 119, 180),
            Color(44, 160, 44),
            Color(255, 127, 14),
        ];
        let windows = frame_windows(self.n_frames);
        let mut coords = vec![0, 1.min(self.dim - 1), self.dim / 2, self.dim - 1];
        coords.dedup();
        let mut panels = Vec::with_capacity(coords.len() * windows.len());
        for &c in &coords {
            for &(a, b) in &windows {
                let t: Vec<f64> = (a..b).map(|i| i as f64).collect();
                let cut = |z: &Array2<f64>| z.slice(s![a..b, c]).to_vec();
                let mut axes = Axes::new()
                    .x_label(if windows.len() > 1 {
                        format!(
                            "frame t ({} of {})",
                            if a == 0 { "first" } else { "last" },
                            self.n_frames
                        )
                    } else {
                        "frame t".to_string()
                    })
                    .y_label(format!("z[{c}]"))
                    .series(
                        Series::line(&t, &cut(truth))
                            .label("truth")
                            .color(Color(0, 0, 0))
                            .width(3),
                    );
                for (m, color) in self.rows.iter().zip(COLORS.iter().cycle()) {
                    axes = axes.series(
                        Series::line(&t, &cut(&m.generated))
                            .label(m.model.clone())
                            .color(*color),
                    );
                }
                panels.push(axes);
            }
        }
        Ok(Figure::new()
            .title(format!(
                "Figure 7, {}: coordinates generated from the first frame",
                self.data
            ))
            .grid(coords.len(), windows.len())
            .size(900, 240 * coords.len() as u32)
            .panels(panels))
    }

    /// Write `table1.md`, `table1.csv`, `result.json` and `figure7.png` / `.svg` into `dir`.
    pub fn save(&self, dir: &Path, truth: &Array2<f64>) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let paths: Vec<PathBuf> = [
            "table1.md",
            "table1.csv",
            "result.json",
            "figure7.png",
            "figure7.svg",
        ]
        .iter()
        .map(|f| dir.join(f))
        .collect();
        let md = format!(
            "# Table 1, {}{}\n\n{} frames x {} features; source: {}{}.\n\
             MSE over every frame and feature of the normalised sequence generated from frame 0.\n\n{}",
            self.data,
            if self.quick { " (quick settings)" } else { "" },
            self.n_frames,
            self.dim,
            self.source,
            if self.synthetic { " (made here, not the original file)" } else { "" },
            markdown_table(std::slice::from_ref(self))
        );
        write_bytes_atomic(&paths[0], md.as_bytes())?;
        write_bytes_atomic(&paths[1], csv_table(std::slice::from_ref(self)).as_bytes())?;
        write_bytes_atomic(&paths[2], serde_json::to_string_pretty(self)?.as_bytes())?;
        let fig = self.figure(truth)?;
        fig.save(&paths[3])?;
        fig.save(&paths[4])?;
        Ok(paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_sequences_are_drawn_as_their_first_and_last_window() {
        assert_eq!(frame_windows(151), vec![(0, 151)]);
        assert_eq!(frame_windows(175), vec![(0, 175)]);
        assert_eq!(frame_windows(4 * WINDOW), vec![(0, 4 * WINDOW)]);
        assert_eq!(
            frame_windows(2077),
            vec![(0, WINDOW), (2077 - WINDOW, 2077)]
        );
    }
}
