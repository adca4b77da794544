//! [`Figure`]: a grid of panels rendered to a plotters area, an RGB buffer, PNG, SVG, or inline
//! in an evcxr notebook.
//!
//! Panels fill the grid row by row. Without an explicit [`Figure::grid`], `n` panels are laid
//! out in one row when `n <= 3`, otherwise in rows of 3. The default size is 900 px wide (a
//! notebook's width) and about 560 px for one panel; see [`Figure::dimensions`].

use super::{
    encode_png, evcxr_content, plot_err, write_atomic, Axes, Heatmap, ImagePanel, Resolution,
    RgbImage,
};
use super::{FONT, SVG_MAX_BLOCKS};
use crate::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// One cell of a figure's grid.
#[derive(Debug, Clone, PartialEq)]
pub enum Panel {
    /// Line/point plot.
    Axes(Axes),
    /// Field with colour bar.
    Heatmap(Heatmap),
    /// Image.
    Image(ImagePanel),
    /// Nothing (leaves a grid cell blank).
    Empty,
}

impl From<Axes> for Panel {
    fn from(a: Axes) -> Panel {
        Panel::Axes(a)
    }
}
impl From<Heatmap> for Panel {
    fn from(h: Heatmap) -> Panel {
        Panel::Heatmap(h)
    }
}
impl From<ImagePanel> for Panel {
    fn from(i: ImagePanel) -> Panel {
        Panel::Image(i)
    }
}
impl From<RgbImage> for Panel {
    fn from(i: RgbImage) -> Panel {
        Panel::Image(ImagePanel::new(i))
    }
}

/// A figure: an optional title over a grid of panels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figure {
    size: Option<(u32, u32)>,
    grid: Option<(usize, usize)>,
    title: Option<String>,
    panels: Vec<Panel>,
}

/// Default figure width in pixels (fits a notebook column).
pub const DEFAULT_WIDTH: u32 = 900;

impl Figure {
    /// An empty figure (default size, automatic grid).
    pub fn new() -> Figure {
        Figure::default()
    }
    /// Add a panel (filled row by row).
    pub fn panel(mut self, panel: impl Into<Panel>) -> Figure {
        self.panels.push(panel.into());
        self
    }
    /// Add several panels.
    pub fn panels<P: Into<Panel>>(mut self, panels: impl IntoIterator<Item = P>) -> Figure {
        self.panels.extend(panels.into_iter().map(Into::into));
        self
    }
    /// Lay panels out in `rows x cols`.
    pub fn grid(mut self, rows: usize, cols: usize) -> Figure {
        self.grid = Some((rows, cols));
        self
    }
    /// Size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Figure {
        self.size = Some((width, height));
        self
    }
    /// Title over the whole figure.
    pub fn title(mut self, title: impl Into<String>) -> Figure {
        self.title = Some(title.into());
        self
    }
    /// A grid of images, `cols` per row, each with its title (`titles` may be shorter).
    pub fn image_grid(
        images: impl IntoIterator<Item = RgbImage>,
        cols: usize,
        titles: &[&str],
    ) -> Figure {
        let panels: Vec<Panel> = images
            .into_iter()
            .enumerate()
            .map(|(i, img)| match titles.get(i) {
                Some(t) => ImagePanel::new(img).title(*t).into(),
                None => ImagePanel::new(img).into(),
            })
            .collect();
        let cols = cols.max(1);
        let rows = panels.len().div_ceil(cols).max(1);
        Figure::new().grid(rows, cols).panels(panels)
    }
    /// The panels added so far.
    pub fn get_panels(&self) -> &[Panel] {
        &self.panels
    }

    /// `(rows, cols)` of the grid.
    pub fn layout(&self) -> (usize, usize) {
        self.grid.unwrap_or_else(|| {
            let n = self.panels.len().max(1);
            if n <= 3 {
                (1, n)
            } else {
                (n.div_ceil(3), 3)
            }
        })
    }

    /// `(width, height)` in pixels: the size set, or 900 wide and per row 560 px for a single
    /// panel, 260 px for a column of panels, otherwise 0.8 x the panel width (220..400).
    pub fn dimensions(&self) -> (u32, u32) {
        if let Some(s) = self.size {
            return s;
        }
        let (rows, cols) = self.layout();
        let row_h = match (rows, cols) {
            (1, 1) => 560.0,
            (_, 1) => 260.0,
            _ => (DEFAULT_WIDTH as f64 / cols as f64 * 0.8).clamp(220.0, 400.0),
        };
        let title_h = if self.title.is_some() { 40 } else { 0 };
        (DEFAULT_WIDTH, (rows as f64 * row_h) as u32 + title_h)
    }

    /// Draw into `root` (any plotters backend) at full resolution.
    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        self.draw_with(root, Resolution::Raster)
    }

    fn draw_with<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        res: Resolution,
    ) -> Result<()> {
        super::register_fonts()?;
        let (rows, cols) = self.layout();
        if rows == 0 || cols == 0 || self.panels.len() > rows * cols {
            return Err(Error::invalid(
                "figure grid",
                format!(
                    "{} panels do not fit a {rows} x {cols} grid",
                    self.panels.len()
                ),
            ));
        }
        root.fill(&WHITE).map_err(plot_err)?;
        let area = match &self.title {
            Some(t) => root.titled(t, (FONT, 22)).map_err(plot_err)?,
            None => root.clone(),
        };
        for (panel, cell) in self.panels.iter().zip(area.split_evenly((rows, cols))) {
            match panel {
                Panel::Axes(a) => a.draw(&cell)?,
                Panel::Heatmap(h) => h.draw_with(&cell, res)?,
                Panel::Image(i) => i.draw_with(&cell, res)?,
                Panel::Empty => {}
            }
        }
        root.present().map_err(plot_err)
    }

    /// Render into an RGB buffer of [`Figure::dimensions`].
    pub fn to_rgb(&self) -> Result<RgbImage> {
        let (w, h) = self.dimensions();
        if w == 0 || h == 0 {
            return Err(Error::invalid(
                "figure size",
                format!("{w} x {h} has no pixels"),
            ));
        }
        let mut buf = vec![255u8; 3 * w as usize * h as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            self.draw_with(&root, Resolution::Raster)?;
        }
        RgbImage::new(w, h, buf)
    }

    /// PNG bytes (best compression, adaptive filter).
    pub fn to_png(&self) -> Result<Vec<u8>> {
        encode_png(&self.to_rgb()?)
    }

    /// SVG text (heat maps and images are drawn as at most 120 x 120 blocks).
    pub fn to_svg(&self) -> Result<String> {
        let (w, h) = self.dimensions();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            self.draw_with(&root, Resolution::Vector(SVG_MAX_BLOCKS))?;
        }
        Ok(svg)
    }

    /// Write a `.png` or `.svg` file (by extension), atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => write_atomic(path, &self.to_png()?),
            Some("svg") => write_atomic(path, self.to_svg()?.as_bytes()),
            _ => Err(Error::invalid(
                "figure path",
                format!("{}: expected a .png or .svg file name", path.display()),
            )),
        }
    }

    /// Show inline in an evcxr notebook (as `image/png`); called by evcxr when a cell ends with
    /// a figure. A drawing error is printed to stderr as `Error: ...`.
    pub fn evcxr_display(&self) {
        match self.to_png() {
            Ok(png) => println!("{}", evcxr_content("image/png", &png)),
            Err(e) => eprintln!("Error: figure could not be drawn: {e}"),
        }
    }

    /// Show inline from anywhere in a notebook cell (same as [`Figure::evcxr_display`]). evcxr
    /// keeps one output per cell, so a second `show()` in the cell replaces this one: show
    /// several figures, tables and text together with a [`super::CellOutput`].
    pub fn show(&self) {
        self.evcxr_display()
    }
}
