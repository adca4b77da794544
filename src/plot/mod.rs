//! Figures for the experiments: PNG and SVG files, and inline display in evcxr notebooks.
//!
//! A [`Figure`] is a grid of panels (rows x columns, filled row by row). A panel is
//! - [`Axes`]: line and point series on linear or logarithmic axes with a legend (error vs time
//!   per step size, phase portraits, time series, accuracy vs cost with labelled points);
//! - [`Heatmap`]: a field `f[i, j]` drawn at `(x_j, y_i)` through a [`Colormap`], with a colour
//!   bar (space-time Kuramoto-Sivashinsky fields, increment maps);
//! - [`ImagePanel`]: an [`RgbImage`] scaled to fit (video frames, image grids).
//!
//! Recipes build common panels from trajectory arrays: [`phase_portrait`], [`time_series`],
//! [`error_vs_time`] (one rainbow-coloured line per step size on a log axis).
//!
//! An [`Animation`] is a sequence of frames (rendered figures or images) encoded as a GIF.
//! [`sequence`] holds the views of generated sequences (side-by-side animations, space-time
//! panels, probe and per-mode errors, inline audio players).
//!
//! A figure renders to any plotters `DrawingArea` ([`Figure::draw`]), to an RGB buffer
//! ([`Figure::to_rgb`]), to PNG ([`Figure::to_png`], best compression + adaptive filter) and to SVG
//! ([`Figure::to_svg`]); files are written atomically ([`Figure::save`]). In an evcxr notebook a
//! figure (or animation) that ends a cell shows itself through `evcxr_display`, and
//! [`Figure::show`] shows it from anywhere in a cell. evcxr keeps one output per cell (a second
//! `show()` replaces the first): a [`CellOutput`] collects the figures, animations, audio
//! players, [`Table`]s (read from the crate's markdown tables), [`markdown`] and text of one cell
//! and shows them together, in order, as one HTML output.
//!
//! Fonts are the DejaVu fonts compiled into the binary (no system fonts, works headless in CI).
//! They are registered with plotters at every entry point: in evcxr each cell links its own copy
//! of the crate, so a registration made in one cell is invisible to the next.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::plot::{Axes, Figure, Series};
//! let t: Vec<f64> = (0..100).map(|i| i as f64 * 0.1).collect();
//! let err: Vec<f64> = t.iter().map(|t| 1e-6 * (1.0 + t * t)).collect();
//! let fig = Figure::new().panel(
//!     Axes::new().title("error vs time").x_label("t").y_label("MSE").log_y()
//!         .series(Series::line(&t, &err).label("h = 1")),
//! );
//! let svg = fig.to_svg()?;
//! assert!(svg.contains("error vs time"));
//! # Ok(())
//! # }
//! ```

mod animation;
#[cfg(feature = "audio")]
pub mod audio;
mod colors;
mod display;
mod figure;
mod heatmap;
mod images;
mod joins;
mod lines;
pub mod markdown;
mod output;
mod recipes;
mod scale;
#[cfg(feature = "sequence")]
pub mod sequence;
mod table;

use crate::io::write_bytes_atomic as write_atomic;
pub use animation::Animation;
pub use colors::{Color, Colormap};
pub use display::evcxr_content;
pub use figure::{Figure, Panel};
pub use heatmap::Heatmap;
pub use images::{encode_png, ImagePanel, RgbImage};
pub use lines::{Axes, Legend, Mark, Series};
pub use output::CellOutput;
/// The plotting library underneath, for custom drawings on a [`Figure::draw`] area.
pub use plotters;
pub use recipes::{error_vs_time, phase_portrait, time_series};
pub use scale::Scale;
pub use table::{Align, Table};

use crate::Error;
use plotters::style::{FontStyle, RGBColor};

/// The font family name under which the DejaVu fonts are registered.
pub(crate) const FONT: &str = "sans-serif";

/// Register the DejaVu fonts with plotters (cheap; call at every entry point, see module docs).
pub(crate) fn register_fonts() -> crate::Result<()> {
    use plotters::style::register_font;
    let fonts = [
        (FontStyle::Normal, dejavu::sans::regular()),
        (FontStyle::Bold, dejavu::sans::bold()),
        (FontStyle::Italic, dejavu::sans::oblique()),
        (FontStyle::Oblique, dejavu::sans::oblique()),
    ];
    for (style, bytes) in fonts {
        register_font(FONT, style, bytes)
            .map_err(|_| Error::Plot("the embedded DejaVu font could not be parsed".into()))?;
    }
    Ok(())
}

/// Turn any drawing/encoding error into [`Error::Plot`].
pub(crate) fn plot_err(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}

/// Convert our colour type into plotters'.
pub(crate) fn rgb(c: Color) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// How finely raster data (heat maps, images) is drawn: every pixel for bitmaps; a coarser
/// block grid for vector output, where each block is one SVG element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// Up to one block per output pixel.
    Raster,
    /// At most this many blocks along each axis.
    Vector(usize),
}

/// Default block cap per axis for SVG output of heat maps and images.
pub(crate) const SVG_MAX_BLOCKS: usize = 120;
