//! [`Axes`]: line and point series on linear or logarithmic axes, with a legend.
//!
//! Ranges default to the data (finite values, and positive ones on a log axis) padded by 3% of
//! the span (of the decades on a log axis). Non-finite points, and non-positive ones on a log
//! axis, are not drawn: a line breaks there instead of diving to the border. Series without a
//! colour take the next colour of [`Color::TAB10`](super::Color::TAB10).

use super::scale::{check_range, data_range, tick_label};
use super::{plot_err, rgb, Color, Scale, FONT};
use crate::{Error, Result};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::Color as _;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mark {
    /// A polyline through the points.
    #[default]
    Line,
    /// A filled circle at each point.
    Points,
    /// Both.
    LinePoints,
}

/// Where the legend goes inside the plot area (or nowhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Top right corner (default).
    #[default]
    UpperRight,
    /// Top left corner.
    UpperLeft,
    /// Bottom left corner.
    LowerLeft,
    /// Bottom right corner.
    LowerRight,
    /// No legend even when series are labelled.
    Hidden,
}

/// One data series: points `(xs[i], ys[i])`, drawn as a line and/or points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    xs: Vec<f64>,
    ys: Vec<f64>,
    label: Option<String>,
    color: Option<Color>,
    mark: Mark,
    width: u32,
    point_labels: Vec<String>,
}

impl Series {
    fn with_mark(xs: &[f64], ys: &[f64], mark: Mark) -> Series {
        Series {
            xs: xs.to_vec(),
            ys: ys.to_vec(),
            label: None,
            color: None,
            mark,
            width: 2,
            point_labels: Vec::new(),
        }
    }
    /// A line through `(xs[i], ys[i])` (lengths are checked when drawn).
    pub fn line(xs: &[f64], ys: &[f64]) -> Series {
        Self::with_mark(xs, ys, Mark::Line)
    }
    /// Filled circles at `(xs[i], ys[i])`.
    pub fn points(xs: &[f64], ys: &[f64]) -> Series {
        Self::with_mark(xs, ys, Mark::Points)
    }
    /// A line with a filled circle at each point.
    pub fn line_points(xs: &[f64], ys: &[f64]) -> Series {
        Self::with_mark(xs, ys, Mark::LinePoints)
    }
    /// Name shown in the legend.
    pub fn label(mut self, label: impl Into<String>) -> Series {
        self.label = Some(label.into());
        self
    }
    /// Colour (default: the next `tab10` colour).
    pub fn color(mut self, color: Color) -> Series {
        self.color = Some(color);
        self
    }
    /// Line width and point radius in pixels (default 2).
    pub fn width(mut self, width: u32) -> Series {
        self.width = width.max(1);
        self
    }
    /// A text label next to each point (e.g. the step size at each accuracy/cost point);
    /// one per point.
    pub fn point_labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Series {
        self.point_labels = labels.into_iter().map(Into::into).collect();
        self
    }
    /// The series' colour if one was set.
    pub fn get_color(&self) -> Option<Color> {
        self.color
    }
    fn name(&self) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| "unlabelled series".into())
    }
    fn check(&self) -> Result<()> {
        if self.xs.len() != self.ys.len() {
            return Err(Error::shape(
                format!("xs and ys of {}", self.name()),
                format!("{} y values (one per x)", self.xs.len()),
                format!("{}", self.ys.len()),
            ));
        }
        if !self.point_labels.is_empty() && self.point_labels.len() != self.xs.len() {
            return Err(Error::shape(
                format!("point labels of {}", self.name()),
                format!("{} (one per point)", self.xs.len()),
                format!("{}", self.point_labels.len()),
            ));
        }
        Ok(())
    }
}

/// A panel with x/y axes, a title, axis labels, series and a legend.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Axes {
    title: Option<String>,
    x_label: String,
    y_label: String,
    x_scale: Scale,
    y_scale: Scale,
    x_range: Option<(f64, f64)>,
    y_range: Option<(f64, f64)>,
    legend: Legend,
    series: Vec<Series>,
}

impl Axes {
    /// Empty axes with linear scales and the legend at the top right.
    pub fn new() -> Axes {
        Axes::default()
    }
    /// Title above the panel.
    pub fn title(mut self, title: impl Into<String>) -> Axes {
        self.title = Some(title.into());
        self
    }
    /// Label of the x axis.
    pub fn x_label(mut self, label: impl Into<String>) -> Axes {
        self.x_label = label.into();
        self
    }
    /// Label of the y axis.
    pub fn y_label(mut self, label: impl Into<String>) -> Axes {
        self.y_label = label.into();
        self
    }
    /// Logarithmic x axis.
    pub fn log_x(mut self) -> Axes {
        self.x_scale = Scale::Log;
        self
    }
    /// Logarithmic y axis.
    pub fn log_y(mut self) -> Axes {
        self.y_scale = Scale::Log;
        self
    }
    /// Fixed x range `(min, max)` instead of the data's.
    pub fn x_range(mut self, min: f64, max: f64) -> Axes {
        self.x_range = Some((min, max));
        self
    }
    /// Fixed y range `(min, max)` instead of the data's.
    pub fn y_range(mut self, min: f64, max: f64) -> Axes {
        self.y_range = Some((min, max));
        self
    }
    /// Legend placement.
    pub fn legend(mut self, legend: Legend) -> Axes {
        self.legend = legend;
        self
    }
    /// Add a series.
    pub fn series(mut self, series: Series) -> Axes {
        self.series.push(series);
        self
    }
    /// Add a labelled line (shorthand for `series(Series::line(xs, ys).label(label))`).
    pub fn line(self, label: impl Into<String>, xs: &[f64], ys: &[f64]) -> Axes {
        self.series(Series::line(xs, ys).label(label))
    }
    /// The series added so far.
    pub fn get_series(&self) -> &[Series] {
        &self.series
    }

    /// Draw into `area` (any plotters backend).
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        super::register_fonts()?;
        for s in &self.series {
            s.check()?;
        }
        let xs = self.series.iter().flat_map(|s| s.xs.iter().copied());
        let ys = self.series.iter().flat_map(|s| s.ys.iter().copied());
        let (x0, x1) = self
            .x_range
            .map_or_else(|| data_range(xs, self.x_scale), Ok)?;
        let (y0, y1) = self
            .y_range
            .map_or_else(|| data_range(ys, self.y_scale), Ok)?;
        check_range("x range", x0, x1, self.x_scale)?;
        check_range("y range", y0, y1, self.y_scale)?;
        match (self.x_scale, self.y_scale) {
            (Scale::Linear, Scale::Linear) => self.draw_in(area, x0..x1, y0..y1),
            (Scale::Log, Scale::Linear) => self.draw_in(area, (x0..x1).log_scale(), y0..y1),
            (Scale::Linear, Scale::Log) => self.draw_in(area, x0..x1, (y0..y1).log_scale()),
            (Scale::Log, Scale::Log) => {
                self.draw_in(area, (x0..x1).log_scale(), (y0..y1).log_scale())
            }
        }
    }

    fn draw_in<DB, X, Y>(&self, area: &DrawingArea<DB, Shift>, xr: X, yr: Y) -> Result<()>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(10)
            .margin_right(22)
            .x_label_area_size(if self.x_label.is_empty() { 30 } else { 48 })
            .y_label_area_size(if self.y_label.is_empty() { 58 } else { 78 });
        if let Some(t) = &self.title {
            builder.caption(t, (FONT, 18));
        }
        let mut chart = builder.build_cartesian_2d(xr, yr).map_err(plot_err)?;
        let (xlog, ylog) = (self.x_scale == Scale::Log, self.y_scale == Scale::Log);
        let fx = move |v: &f64| tick_label(*v, xlog);
        let fy = move |v: &f64| tick_label(*v, ylog);
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_labels(8)
            .y_labels(7)
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .bold_line_style(RGBColor(220, 220, 220))
            .light_line_style(RGBColor(244, 244, 244))
            .axis_style(BLACK)
            .draw()
            .map_err(plot_err)?;

        let mut labelled = false;
        for (i, s) in self.series.iter().enumerate() {
            let color = rgb(s.color.unwrap_or_else(|| Color::palette(i)));
            let line_style = ShapeStyle::from(color).stroke_width(s.width);
            let keep = |x: f64, y: f64| {
                x.is_finite() && y.is_finite() && (!xlog || x > 0.0) && (!ylog || y > 0.0)
            };
            let mut segments: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (&x, &y) in s.xs.iter().zip(&s.ys) {
                if keep(x, y) {
                    if let Some(seg) = segments.last_mut() {
                        seg.push((x, y));
                    }
                } else if segments.last().is_some_and(|seg| !seg.is_empty()) {
                    segments.push(Vec::new());
                }
            }
            let draw_lines = matches!(s.mark, Mark::Line | Mark::LinePoints);
            let draw_points = matches!(s.mark, Mark::Points | Mark::LinePoints);
            let radius = (s.width + 1) as i32;
            let mut first = true;
            for seg in segments {
                let mut elems: Vec<DynElement<DB, (f64, f64)>> = Vec::new();
                if draw_lines && seg.len() > 1 {
                    if s.width > 1 {
                        // wide lines: no joins at sharp turns (see joins.rs)
                        let to_px = |p: (f64, f64)| chart.backend_coord(&p);
                        for piece in super::joins::split_at_sharp_turns(&seg, to_px) {
                            elems.push(PathElement::new(piece, line_style).into_dyn());
                        }
                    } else {
                        elems.push(PathElement::new(seg.clone(), line_style).into_dyn());
                    }
                }
                if draw_points {
                    for &p in &seg {
                        elems.push(Circle::new(p, radius, color.filled()).into_dyn());
                    }
                }
                let anno = chart.draw_series(elems).map_err(plot_err)?;
                if first {
                    if let Some(label) = &s.label {
                        labelled = true;
                        let anno = anno.label(label.as_str());
                        if s.mark == Mark::Points {
                            anno.legend(move |(x, y)| {
                                Circle::new((x + 10, y), radius, color.filled())
                            });
                        } else {
                            anno.legend(move |(x, y)| {
                                PathElement::new(vec![(x, y), (x + 22, y)], line_style)
                            });
                        }
                    }
                }
                first = false;
            }
            if !s.point_labels.is_empty() {
                let texts =
                    s.xs.iter()
                        .zip(&s.ys)
                        .zip(&s.point_labels)
                        .filter(|((x, y), _)| keep(**x, **y));
                chart
                    .draw_series(texts.map(|((&x, &y), text)| {
                        EmptyElement::at((x, y))
                            + Text::new(
                                text.clone(),
                                (6, -16),
                                (FONT, 13).into_font().color(&BLACK),
                            )
                    }))
                    .map_err(plot_err)?;
            }
        }
        if labelled && self.legend != Legend::Hidden {
            let position = match self.legend {
                Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
                Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
                Legend::LowerRight => SeriesLabelPosition::LowerRight,
                _ => SeriesLabelPosition::UpperRight,
            };
            chart
                .configure_series_labels()
                .position(position)
                .margin(10)
                .legend_area_size(28)
                .label_font((FONT, 13))
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(160, 160, 160))
                .draw()
                .map_err(plot_err)?;
        }
        Ok(())
    }
}
