//! Views of generated sequences (Figure 7, Table 1): truth against each model, side by side.
//!
//! - [`SideBySide`]: animations whose every frame shows the truth and each model at the same
//!   time index, one titled panel each (flow fields, video frames), as a GIF;
//! - [`field_frames`] / [`video_frames`]: snapshot columns `[n_pixels, n_time]` (a flow field
//!   with x fastest, or RGB video frames) turned into images, all fields on one colour range;
//! - [`space_time`]: one heat map per sequence `[n_x, n_time]` on a common colour range (the
//!   Kuramoto-Sivashinsky panel of Figure 7);
//! - [`compare_series`], [`loss_curves`], [`row_mse`] + [`mode_error_axes`]: line plots of a
//!   probe point or coordinate against time, training losses, and the error of each coordinate;
//! - [`AudioPlayers`], [`signal_from_embedding`], [`wav_bytes`]: re-exported from
//!   [`crate::plot::audio`] (listening to the Bach sequences).
#[cfg(feature = "audio")]
pub use super::audio::{signal_from_embedding, wav_bytes, AudioPlayers};
use super::images::finite_range;
use super::{Animation, Axes, Color, Colormap, Figure, Heatmap, RgbImage, Series};
use crate::{Error, Result};
use ndarray::{Array2, Array4, ArrayView2};

/// Animation frames showing several image sequences next to each other, frame by frame.
#[derive(Debug, Clone, PartialEq)]
pub struct SideBySide {
    columns: Vec<(String, Vec<RgbImage>)>,
    numbers: Option<Vec<usize>>,
    every: usize,
    size: Option<(u32, u32)>,
    delay_ms: u32,
}

impl Default for SideBySide {
    fn default() -> Self {
        SideBySide::new()
    }
}

impl SideBySide {
    /// No columns yet; every frame shown, 100 ms apart, panels sized to the images.
    pub fn new() -> SideBySide {
        SideBySide {
            columns: Vec::new(),
            numbers: None,
            every: 1,
            size: None,
            delay_ms: 100,
        }
    }
    /// Add a titled column (all columns must have the same number of frames).
    pub fn column(mut self, title: impl Into<String>, frames: Vec<RgbImage>) -> SideBySide {
        self.columns.push((title.into(), frames));
        self
    }
    /// The frame numbers shown in the titles (default `0, 1, 2, ...`), e.g. when the columns
    /// hold a selection of frames.
    pub fn frame_numbers(mut self, numbers: Vec<usize>) -> SideBySide {
        self.numbers = Some(numbers);
        self
    }
    /// Keep every `every`-th frame (1 = all; 0 is taken as 1).
    pub fn every(mut self, every: usize) -> SideBySide {
        self.every = every.max(1);
        self
    }
    /// Size of the whole rendered frame in pixels (default: the images' size plus titles).
    pub fn size(mut self, width: u32, height: u32) -> SideBySide {
        self.size = Some((width, height));
        self
    }
    /// Delay between frames in milliseconds.
    pub fn delay_ms(mut self, delay_ms: u32) -> SideBySide {
        self.delay_ms = delay_ms;
        self
    }
    /// Number of frames per column (that of the first column; 0 with no columns).
    pub fn n_frames(&self) -> usize {
        self.columns.first().map_or(0, |c| c.1.len())
    }

    /// Render every kept frame index as one figure row (`title (frame k)` above each panel).
    /// Columns of different lengths, or frame numbers not one per frame, are an error.
    pub fn to_animation(&self) -> Result<Animation> {
        let n = self.n_frames();
        if n == 0 {
            return Err(Error::invalid(
                "side-by-side animation",
                "no frames: add at least one column with frames",
            ));
        }
        for (title, frames) in &self.columns {
            if frames.len() != n {
                return Err(Error::shape(
                    format!("frames of column {title}"),
                    format!("{n} like the first column"),
                    format!("{}", frames.len()),
                ));
            }
        }
        if let Some(numbers) = &self.numbers {
            if numbers.len() != n {
                return Err(Error::shape(
                    "frame numbers",
                    format!("{n} (one per frame)"),
                    format!("{}", numbers.len()),
                ));
            }
        }
        let (w0, h0) = (self.columns[0].1[0].width(), self.columns[0].1[0].height());
        let cols = self.columns.len() as u32;
        let (width, height) = self.size.unwrap_or((cols * (w0 + 20), h0 + 50));
        let mut anim = Animation::new(self.delay_ms);
        for k in (0..n).step_by(self.every) {
            let titles: Vec<String> = self
                .columns
                .iter()
                .map(|(t, _)| {
                    let number = self.numbers.as_ref().map_or(k, |v| v[k]);
                    format!("{t} (frame {number})")
                })
                .collect();
            let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
            let images = self.columns.iter().map(|(_, f)| f[k].clone());
            let fig = Figure::image_grid(images, self.columns.len(), &titles).size(width, height);
            anim.push_figure(&fig)?;
        }
        Ok(anim)
    }

    /// Show inline in an evcxr notebook as a GIF (an error is printed as `Error: ...`).
    pub fn show(&self) {
        match self.to_animation() {
            Ok(anim) => anim.show(),
            Err(e) => eprintln!("Error: animation could not be made: {e}"),
        }
    }
}

/// Images of scalar snapshots: column `k` of `snapshots` (`[ny * nx, n_time]`, x fastest) is the
/// field `f[i, j] = snapshots[i * nx + j, k]`, drawn with row `i = ny - 1` on top (y up), through
/// `colormap` on `range` (or the finite min..max of all snapshots), each cell `scale` pixels.
pub fn field_frames(
    snapshots: ArrayView2<f64>,
    (ny, nx): (usize, usize),
    colormap: Colormap,
    range: Option<(f64, f64)>,
    scale: u32,
) -> Result<Vec<RgbImage>> {
    if snapshots.nrows() != ny * nx || ny * nx == 0 {
        return Err(Error::shape(
            "field snapshots",
            format!("[{ny} * {nx}, n_time]"),
            format!("{:?}", snapshots.shape()),
        ));
    }
    let range = range.unwrap_or_else(|| finite_range(snapshots.iter().copied()));
    let s = scale.max(1) as usize;
    (0..snapshots.ncols())
        .map(|k| {
            let col = snapshots.column(k);
            let field = Array2::from_shape_fn((ny * s, nx * s), |(r, c)| {
                col[(ny - 1 - r / s) * nx + c / s]
            });
            RgbImage::from_field(field.view(), colormap, Some(range))
        })
        .collect()
}

/// One image per frame of a video `[n, height, width, 3]`.
pub fn video_frames(frames: &Array4<u8>) -> Result<Vec<RgbImage>> {
    let (n, h, w, _) = frames.dim();
    (0..n)
        .map(|k| {
            let data = frames
                .slice(ndarray::s![k, .., .., ..])
                .iter()
                .copied()
                .collect();
            RgbImage::new(w as u32, h as u32, data)
        })
        .collect()
}

/// One heat map per `(title, field)` (fields `[n_x, n_time]`: time along x, space along y) on a
/// common colour range, stacked in one column; `x` is the space extent, `t` the time extent.
pub fn space_time(
    fields: &[(&str, ArrayView2<f64>)],
    x: (f64, f64),
    t: (f64, f64),
    colormap: Colormap,
) -> Result<Figure> {
    if fields.is_empty() {
        return Err(Error::invalid(
            "space-time fields",
            "give at least one field",
        ));
    }
    let range = finite_range(fields.iter().flat_map(|(_, f)| f.iter().copied()));
    let panels: Vec<Heatmap> = fields
        .iter()
        .map(|(title, f)| {
            Heatmap::new(*f)
                .x_extent(t.0, t.1)
                .y_extent(x.0, x.1)
                .colormap(colormap)
                .range(range.0, range.1)
                .title(*title)
                .x_label("t")
                .y_label("x")
        })
        .collect();
    let n = panels.len() as u32;
    Ok(Figure::new()
        .grid(panels.len(), 1)
        .size(900, 220 * n)
        .panels(panels))
}

/// The truth (black, thick) and each model's curve (palette colours) against `t`; every curve
/// has one value per time.
pub fn compare_series(t: &[f64], truth: &[f64], models: &[(&str, Vec<f64>)]) -> Result<Axes> {
    let mut axes = Axes::new().x_label("t").series(
        Series::line(t, check_len("truth", t.len(), truth)?)
            .label("truth")
            .color(Color::BLACK)
            .width(3),
    );
    for (i, (name, ys)) in models.iter().enumerate() {
        axes = axes.series(
            Series::line(t, check_len(name, t.len(), ys)?)
                .label(*name)
                .color(Color::palette(i)),
        );
    }
    Ok(axes)
}

fn check_len<'a>(name: &str, n: usize, ys: &'a [f64]) -> Result<&'a [f64]> {
    if ys.len() != n {
        return Err(Error::shape(
            format!("series {name}"),
            format!("{n} values (one per time)"),
            format!("{}", ys.len()),
        ));
    }
    Ok(ys)
}

/// Training loss against epoch on a log axis, one line per `(name, epochs, losses)`.
pub fn loss_curves(curves: &[(&str, Vec<f64>, Vec<f64>)]) -> Result<Axes> {
    let mut axes = Axes::new()
        .title("training loss")
        .x_label("epoch")
        .y_label("loss")
        .log_y();
    for (i, (name, epochs, loss)) in curves.iter().enumerate() {
        let loss = check_len(name, epochs.len(), loss)?;
        axes = axes.series(
            Series::line_points(epochs, loss)
                .label(*name)
                .color(Color::palette(i)),
        );
    }
    Ok(axes)
}

/// Mean squared error of each row: `mean_j (pred[i, j] - truth[i, j])^2`. For `[n_coords, n_time]`
/// arrays that is the error of each coordinate (mode) over time; for `[n_time, n_coords]` the
/// error of each frame.
pub fn row_mse(truth: ArrayView2<f64>, pred: ArrayView2<f64>) -> Result<Vec<f64>> {
    if truth.dim() != pred.dim() || truth.ncols() == 0 {
        return Err(Error::shape(
            "prediction",
            format!("{:?} like the truth (non-empty)", truth.shape()),
            format!("{:?}", pred.shape()),
        ));
    }
    Ok(truth
        .rows()
        .into_iter()
        .zip(pred.rows())
        .map(|(a, b)| {
            a.iter()
                .zip(b.iter())
                .map(|(x, y)| (y - x).powi(2))
                .sum::<f64>()
                / a.len() as f64
        })
        .collect())
}

/// Per-coordinate errors of each model (from [`row_mse`]) against the coordinate index
/// (1-based, as modes are numbered), log y axis.
pub fn mode_error_axes(models: &[(&str, Vec<f64>)]) -> Axes {
    let mut axes = Axes::new()
        .title("error of each coordinate")
        .x_label("mode")
        .y_label("MSE over time")
        .log_y();
    for (i, (name, err)) in models.iter().enumerate() {
        let modes: Vec<f64> = (1..=err.len()).map(|m| m as f64).collect();
        axes = axes.series(
            Series::line_points(&modes, err)
                .label(*name)
                .color(Color::palette(i)),
        );
    }
    axes
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn field_frames_put_y_up_and_share_the_range() {
        // 2 x 3 field, x fastest: row 0 (y = 0) = [0, 0, 0], row 1 (y = 1) = [1, 1, 1]
        let snaps = array![[0.0], [0.0], [0.0], [1.0], [1.0], [1.0]];
        let imgs = field_frames(snaps.view(), (2, 3), Colormap::Gray, Some((0.0, 1.0)), 2).unwrap();
        assert_eq!((imgs[0].width(), imgs[0].height()), (6, 4));
        assert_eq!(imgs[0].pixel(0, 0), Some(Color::WHITE)); // top = y = 1
        assert_eq!(imgs[0].pixel(5, 3), Some(Color::BLACK)); // bottom = y = 0
        assert!(field_frames(snaps.view(), (2, 2), Colormap::Gray, None, 1).is_err());
    }

    #[test]
    fn side_by_side_renders_kept_frames_and_checks_lengths() {
        let red = RgbImage::filled(8, 6, Color(255, 0, 0)).unwrap();
        let blue = RgbImage::filled(8, 6, Color(0, 0, 255)).unwrap();
        let anim = SideBySide::new()
            .column("truth", vec![red.clone(); 5])
            .column("model", vec![blue.clone(); 5])
            .every(2)
            .size(200, 100)
            .to_animation()
            .unwrap();
        assert_eq!(anim.len(), 3);
        let f = &anim.frames()[0];
        let reds = f.count_pixels((0, 0), (100, 100), |c| c == Color(255, 0, 0));
        let blues = f.count_pixels((100, 0), (200, 100), |c| c == Color(0, 0, 255));
        assert!(reds > 100 && blues > 100, "reds {reds}, blues {blues}");
        let bad = SideBySide::new()
            .column("a", vec![red; 2])
            .column("b", vec![blue; 3]);
        assert!(bad.to_animation().is_err());
    }

    #[test]
    fn row_mse_is_the_mean_over_each_row() {
        let t = array![[0.0, 0.0], [1.0, 1.0]];
        let p = array![[1.0, 3.0], [1.0, 1.0]];
        assert_eq!(row_mse(t.view(), p.view()).unwrap(), vec![5.0, 0.0]);
        assert!(row_mse(t.view(), p.t()).is_ok()); // 2 x 2 either way
        assert!(row_mse(t.view(), array![[1.0]].view()).is_err());
    }
}
