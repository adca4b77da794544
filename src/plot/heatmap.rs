//! [`Heatmap`]: a scalar field on a regular grid, coloured through a [`Colormap`], with a colour bar.
//!
//! For a field `f` of shape `[n_rows, n_cols]` and extents `x = (x_min, x_max)`,
//! `y = (y_min, y_max)`, cell `(i, j)` covers `[x_min + j dx, x_min + (j + 1) dx] x
//! [y_min + i dy, y_min + (i + 1) dy]` with `dx = (x_max - x_min) / n_cols`,
//! `dy = (y_max - y_min) / n_rows`: row 0 is at the bottom. A Kuramoto-Sivashinsky run `u` of
//! shape `[n_x, n_t]` is drawn as is with time along x and space along y.
//!
//! Fields larger than the plot area are averaged over blocks of cells (one block per pixel;
//! at most 120 x 120 blocks in SVG output, where every block is an element). The colour scale
//! defaults to the finite min..max, or to `[-m, m]` with `m = max |f|` when
//! [`Heatmap::symmetric`] is set (for signed fields with a diverging map).

use super::images::finite_range;
use super::scale::tick_label;
use super::{plot_err, rgb, Colormap, Resolution, FONT};
use crate::{Error, Result};
use ndarray::{Array2, ArrayView2};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A panel showing a scalar field with a colour bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    field: Array2<f64>,
    x: (f64, f64),
    y: (f64, f64),
    colormap: Colormap,
    range: Option<(f64, f64)>,
    symmetric: bool,
    title: Option<String>,
    x_label: String,
    y_label: String,
    bar_label: String,
}

impl Heatmap {
    /// A heat map of `field` (`[n_rows, n_cols]`) on the extents `x = (0, n_cols)`,
    /// `y = (0, n_rows)`, viridis, colour scale from the data.
    pub fn new(field: ArrayView2<f64>) -> Heatmap {
        let (r, c) = field.dim();
        Heatmap {
            field: field.to_owned(),
            x: (0.0, c as f64),
            y: (0.0, r as f64),
            colormap: Colormap::Viridis,
            range: None,
            symmetric: false,
            title: None,
            x_label: String::new(),
            y_label: String::new(),
            bar_label: String::new(),
        }
    }
    /// Outer x extents of the first and last column.
    pub fn x_extent(mut self, min: f64, max: f64) -> Heatmap {
        self.x = (min, max);
        self
    }
    /// Outer y extents of the first (bottom) and last (top) row.
    pub fn y_extent(mut self, min: f64, max: f64) -> Heatmap {
        self.y = (min, max);
        self
    }
    /// Colour map (default viridis).
    pub fn colormap(mut self, colormap: Colormap) -> Heatmap {
        self.colormap = colormap;
        self
    }
    /// Fixed colour scale `(vmin, vmax)`.
    pub fn range(mut self, vmin: f64, vmax: f64) -> Heatmap {
        self.range = Some((vmin, vmax));
        self
    }
    /// Centre the colour scale on zero (`[-max|f|, max|f|]`).
    pub fn symmetric(mut self) -> Heatmap {
        self.symmetric = true;
        self
    }
    /// Title above the panel.
    pub fn title(mut self, title: impl Into<String>) -> Heatmap {
        self.title = Some(title.into());
        self
    }
    /// Label of the x axis.
    pub fn x_label(mut self, label: impl Into<String>) -> Heatmap {
        self.x_label = label.into();
        self
    }
    /// Label of the y axis.
    pub fn y_label(mut self, label: impl Into<String>) -> Heatmap {
        self.y_label = label.into();
        self
    }
    /// Label of the colour bar.
    pub fn bar_label(mut self, label: impl Into<String>) -> Heatmap {
        self.bar_label = label.into();
        self
    }

    /// The colour scale `(vmin, vmax)` used when drawing.
    pub fn value_range(&self) -> (f64, f64) {
        if let Some(r) = self.range {
            return r;
        }
        let (lo, hi) = finite_range(self.field.iter().copied());
        if self.symmetric {
            let m = lo.abs().max(hi.abs());
            (-m, m)
        } else {
            (lo, hi)
        }
    }

    /// Draw into `area` at full resolution.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        self.draw_with(area, Resolution::Raster)
    }

    pub(crate) fn draw_with<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        res: Resolution,
    ) -> Result<()> {
        super::register_fonts()?;
        let (rows, cols) = self.field.dim();
        if rows == 0 || cols == 0 {
            return Err(Error::shape(
                "heat map field",
                "at least 1 x 1 values",
                format!("{rows} x {cols}"),
            ));
        }
        for (name, (lo, hi)) in [("x extent", self.x), ("y extent", self.y)] {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(Error::invalid(
                    name,
                    format!("need finite min < max, got ({lo}, {hi})"),
                ));
            }
        }
        let (mut vmin, mut vmax) = self.value_range();
        if !(vmin.is_finite() && vmax.is_finite() && vmin <= vmax) {
            return Err(Error::invalid(
                "heat map range",
                format!("need finite vmin <= vmax, got ({vmin}, {vmax})"),
            ));
        }
        if vmin == vmax {
            let pad = 0.5 * vmin.abs().max(1e-12);
            (vmin, vmax) = (vmin - pad, vmax + pad);
        }
        let area = match &self.title {
            Some(t) => area.titled(t, (FONT, 18)).map_err(plot_err)?,
            None => area.clone(),
        };
        let (w, _) = area.dim_in_pixel();
        let (main, bar) = area.split_horizontally(w.saturating_sub(95).max(1));
        let x_area = if self.x_label.is_empty() { 30 } else { 48 };

        let mut chart = ChartBuilder::on(&main)
            .margin(10)
            .x_label_area_size(x_area)
            .y_label_area_size(if self.y_label.is_empty() { 58 } else { 78 })
            .build_cartesian_2d(self.x.0..self.x.1, self.y.0..self.y.1)
            .map_err(plot_err)?;
        let (pw, ph) = chart.plotting_area().dim_in_pixel();
        let cap = match res {
            Resolution::Raster => usize::MAX,
            Resolution::Vector(cap) => cap,
        };
        let nbx = cols.min(pw.max(1) as usize).min(cap);
        let nby = rows.min(ph.max(1) as usize).min(cap);
        let (dx, dy) = (
            (self.x.1 - self.x.0) / nbx as f64,
            (self.y.1 - self.y.0) / nby as f64,
        );
        let mut blocks = Vec::with_capacity(nbx * nby);
        for bi in 0..nby {
            let (i0, i1) = (
                bi * rows / nby,
                ((bi + 1) * rows / nby).max(bi * rows / nby + 1),
            );
            for bj in 0..nbx {
                let (j0, j1) = (
                    bj * cols / nbx,
                    ((bj + 1) * cols / nbx).max(bj * cols / nbx + 1),
                );
                let (mut sum, mut n) = (0.0, 0usize);
                for v in self
                    .field
                    .slice(ndarray::s![i0..i1, j0..j1])
                    .iter()
                    .filter(|v| v.is_finite())
                {
                    sum += v;
                    n += 1;
                }
                let mean = if n > 0 { sum / n as f64 } else { f64::NAN };
                let (x0, y0) = (self.x.0 + bj as f64 * dx, self.y.0 + bi as f64 * dy);
                let c = rgb(self.colormap.map(mean, vmin, vmax));
                blocks.push(Rectangle::new([(x0, y0), (x0 + dx, y0 + dy)], c.filled()));
            }
        }
        chart.draw_series(blocks).map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&|v| tick_label(*v, false))
            .y_label_formatter(&|v| tick_label(*v, false))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .axis_style(BLACK)
            .draw()
            .map_err(plot_err)?;

        // Colour bar: a column of 128 bands with ticks on the right, aligned with the plot.
        let mut bar_chart = ChartBuilder::on(&bar)
            .margin_top(10)
            .margin_bottom(10)
            .margin_left(8)
            .x_label_area_size(x_area)
            .right_y_label_area_size(62)
            .build_cartesian_2d(0.0..1.0, vmin..vmax)
            .map_err(plot_err)?;
        let bands = 128;
        let step = (vmax - vmin) / bands as f64;
        bar_chart
            .draw_series((0..bands).map(|k| {
                let v0 = vmin + k as f64 * step;
                let c = rgb(self.colormap.map(v0 + 0.5 * step, vmin, vmax));
                Rectangle::new([(0.0, v0), (1.0, v0 + step)], c.filled())
            }))
            .map_err(plot_err)?;
        bar_chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(6)
            .y_desc(self.bar_label.as_str())
            .y_label_formatter(&|v| tick_label(*v, false))
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .axis_style(BLACK)
            .draw()
            .map_err(plot_err)?;
        Ok(())
    }
}
