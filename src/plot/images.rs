//! [`RgbImage`] (an 8-bit RGB pixel buffer) and [`ImagePanel`] (an image scaled into a panel).
//!
//! Pixels are stored row by row from the top, 3 bytes each: pixel `(x, y)` is at
//! `data[3 * (y * width + x)..][..3]`. A panel scales the image to fit, keeping its aspect ratio,
//! centred, with nearest-neighbour sampling (no blurring of small frames).

use super::{evcxr_content, plot_err, write_atomic, Color, Colormap, Resolution, FONT};
use crate::{Error, Result};
use ndarray::ArrayView2;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::Color as _;
use std::path::Path;

/// Encode an RGB image as PNG (8-bit RGB, high compression, adaptive row filter). Plots are
/// mostly flat colour, which shrinks them ~25x against a fast encoding (notebooks stay small).
pub fn encode_png(image: &RgbImage) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, image.width(), image.height());
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::High);
        encoder.set_filter(png::Filter::Adaptive);
        let mut writer = encoder.write_header().map_err(plot_err)?;
        writer.write_image_data(image.as_raw()).map_err(plot_err)?;
        writer.finish().map_err(plot_err)?;
    }
    Ok(out)
}

/// An 8-bit RGB image, rows from the top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl RgbImage {
    /// Wrap `data` (`3 * width * height` bytes, rows from the top).
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Result<RgbImage> {
        let expected = 3 * width as usize * height as usize;
        if data.len() != expected || width == 0 || height == 0 {
            return Err(Error::shape(
                "RGB image data",
                format!("3 * {width} * {height} = {expected} bytes (non-empty)"),
                format!("{} bytes", data.len()),
            ));
        }
        Ok(RgbImage {
            width,
            height,
            data,
        })
    }

    /// A `width x height` image filled with `color`.
    pub fn filled(width: u32, height: u32, color: Color) -> Result<RgbImage> {
        let n = width as usize * height as usize;
        RgbImage::new(width, height, [color.0, color.1, color.2].repeat(n))
    }

    /// Colour a scalar field: `field[[i, j]]` becomes pixel `(x = j, y = i)` (row 0 on top),
    /// through `colormap` on `range` (default: the field's finite min and max).
    pub fn from_field(
        field: ArrayView2<f64>,
        colormap: Colormap,
        range: Option<(f64, f64)>,
    ) -> Result<RgbImage> {
        let (h, w) = field.dim();
        let (lo, hi) = range.unwrap_or_else(|| finite_range(field.iter().copied()));
        let mut data = Vec::with_capacity(3 * w * h);
        for v in field.iter() {
            let c = colormap.map(*v, lo, hi);
            data.extend_from_slice(&[c.0, c.1, c.2]);
        }
        RgbImage::new(w as u32, h as u32, data)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }
    /// The raw bytes (rows from the top, RGB).
    pub fn as_raw(&self) -> &[u8] {
        &self.data
    }
    /// The raw bytes, by value.
    pub fn into_raw(self) -> Vec<u8> {
        self.data
    }
    /// The colour of pixel `(x, y)`, or `None` outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<Color> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = 3 * (y as usize * self.width as usize + x as usize);
        Some(Color(self.data[i], self.data[i + 1], self.data[i + 2]))
    }
    /// Count the pixels inside the rectangle `[x0, x1) x [y0, y1)` (clipped to the image) for
    /// which `pred` holds; handy for checking what a figure drew.
    pub fn count_pixels(
        &self,
        (x0, y0): (u32, u32),
        (x1, y1): (u32, u32),
        pred: impl Fn(Color) -> bool,
    ) -> usize {
        let mut n = 0;
        for y in y0..y1.min(self.height) {
            for x in x0..x1.min(self.width) {
                if self.pixel(x, y).is_some_and(&pred) {
                    n += 1;
                }
            }
        }
        n
    }
    /// PNG bytes (best compression, adaptive filter).
    pub fn to_png(&self) -> Result<Vec<u8>> {
        encode_png(self)
    }
    /// Write a PNG file atomically.
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), &self.to_png()?)
    }
    /// Show inline in an evcxr notebook (as `image/png`).
    pub fn evcxr_display(&self) {
        match self.to_png() {
            Ok(png) => println!("{}", evcxr_content("image/png", &png)),
            Err(e) => eprintln!("Error: image could not be encoded: {e}"),
        }
    }
}

/// The finite min and max of `values`, `(0, 1)` when there are none.
pub(crate) fn finite_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        (0.0, 1.0)
    } else {
        (lo, hi)
    }
}

/// A panel showing an image (e.g. one video frame), with an optional title.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePanel {
    image: RgbImage,
    title: Option<String>,
}

impl ImagePanel {
    /// A panel showing `image`.
    pub fn new(image: RgbImage) -> ImagePanel {
        ImagePanel { image, title: None }
    }
    /// Title above the image.
    pub fn title(mut self, title: impl Into<String>) -> ImagePanel {
        self.title = Some(title.into());
        self
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
        let area = match &self.title {
            Some(t) => area.titled(t, (FONT, 16)).map_err(plot_err)?,
            None => area.clone(),
        };
        let area = area.margin(4, 4, 4, 4);
        let (aw, ah) = area.dim_in_pixel();
        let (iw, ih) = (self.image.width as f64, self.image.height as f64);
        let scale = (aw as f64 / iw).min(ah as f64 / ih);
        let (dw, dh) = ((iw * scale).floor() as u32, (ih * scale).floor() as u32);
        if dw == 0 || dh == 0 {
            return Ok(());
        }
        let (ox, oy) = (((aw - dw) / 2) as i32, ((ah - dh) / 2) as i32);
        let (bw, bh) = match res {
            Resolution::Raster => (dw, dh),
            Resolution::Vector(cap) => (dw.min(cap as u32), dh.min(cap as u32)),
        };
        for by in 0..bh {
            let (py0, py1) = (by * dh / bh, (by + 1) * dh / bh);
            let sy = ((((py0 + py1) as f64 / 2.0) / scale) as u32).min(self.image.height - 1);
            for bx in 0..bw {
                let (px0, px1) = (bx * dw / bw, (bx + 1) * dw / bw);
                let sx = ((((px0 + px1) as f64 / 2.0) / scale) as u32).min(self.image.width - 1);
                let c = self.image.pixel(sx, sy).unwrap_or(Color::GREY);
                let color = RGBColor(c.0, c.1, c.2);
                if res == Resolution::Raster {
                    area.draw_pixel((ox + px0 as i32, oy + py0 as i32), &color)
                        .map_err(plot_err)?;
                } else {
                    let r = Rectangle::new(
                        [
                            (ox + px0 as i32, oy + py0 as i32),
                            (ox + px1 as i32, oy + py1 as i32),
                        ],
                        color.filled(),
                    );
                    area.draw(&r).map_err(plot_err)?;
                }
            }
        }
        Ok(())
    }
}
