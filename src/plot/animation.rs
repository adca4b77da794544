//! [`Animation`]: frames (rendered figures or images) encoded as a looping GIF.
//!
//! Every frame gets its own palette of at most 256 colours: exact when the frame has no more
//! colours (typical for plots), otherwise reduced by NeuQuant (speed 10). Frame delays are
//! stored in units of 10 ms, as GIF requires.

use super::{evcxr_content, plot_err, write_atomic, Colormap, Figure, RgbImage};
use crate::{Error, Result};
use ndarray::ArrayView2;
use std::path::Path;

/// A sequence of equally sized frames shown `delay_ms` apart, looping forever.
#[derive(Debug, Clone, PartialEq)]
pub struct Animation {
    frames: Vec<RgbImage>,
    delay_ms: u32,
}

impl Animation {
    /// An empty animation with `delay_ms` between frames (rounded to 10 ms, at least 10 ms).
    pub fn new(delay_ms: u32) -> Animation {
        Animation {
            frames: Vec::new(),
            delay_ms,
        }
    }

    /// Colour each field through `colormap` on one common `range` (default: the finite min and
    /// max over all fields), `field[[i, j]]` at pixel `(j, i)`; each pixel enlarged `scale`
    /// times (nearest neighbour) so small fields stay visible.
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = ArrayView2<'a, f64>>,
        colormap: Colormap,
        range: Option<(f64, f64)>,
        scale: u32,
        delay_ms: u32,
    ) -> Result<Animation> {
        let fields: Vec<ArrayView2<f64>> = fields.into_iter().collect();
        let range = range.unwrap_or_else(|| {
            super::images::finite_range(fields.iter().flat_map(|f| f.iter().copied()))
        });
        let mut anim = Animation::new(delay_ms);
        for f in fields {
            let img = RgbImage::from_field(f, colormap, Some(range))?;
            anim.push_image(upscale(&img, scale.max(1))?)?;
        }
        Ok(anim)
    }

    /// Append an image; all frames must have the size of the first.
    pub fn push_image(&mut self, image: RgbImage) -> Result<()> {
        if let Some(first) = self.frames.first() {
            if (first.width(), first.height()) != (image.width(), image.height()) {
                return Err(Error::shape(
                    format!("animation frame {}", self.frames.len()),
                    format!("{} x {} like frame 0", first.width(), first.height()),
                    format!("{} x {}", image.width(), image.height()),
                ));
            }
        }
        if image.width() > u16::MAX as u32 || image.height() > u16::MAX as u32 {
            return Err(Error::invalid(
                "animation frame size",
                format!(
                    "GIF frames are at most 65535 px a side, got {} x {}",
                    image.width(),
                    image.height()
                ),
            ));
        }
        self.frames.push(image);
        Ok(())
    }

    /// Render `figure` and append it as a frame.
    pub fn push_figure(&mut self, figure: &Figure) -> Result<()> {
        self.push_image(figure.to_rgb()?)
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }
    /// True when there are no frames.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
    /// The frames.
    pub fn frames(&self) -> &[RgbImage] {
        &self.frames
    }

    /// GIF bytes (looping forever).
    pub fn to_gif(&self) -> Result<Vec<u8>> {
        let first = self
            .frames
            .first()
            .ok_or_else(|| Error::invalid("animation", "no frames to encode; push frames first"))?;
        let (w, h) = (first.width() as u16, first.height() as u16);
        let delay = (self.delay_ms.div_ceil(10)).clamp(1, u16::MAX as u32) as u16;
        let mut out = Vec::new();
        {
            let mut enc = gif::Encoder::new(&mut out, w, h, &[]).map_err(plot_err)?;
            enc.set_repeat(gif::Repeat::Infinite).map_err(plot_err)?;
            for img in &self.frames {
                let mut frame = gif::Frame::from_rgb_speed(w, h, img.as_raw(), 10);
                frame.delay = delay;
                enc.write_frame(&frame).map_err(plot_err)?;
            }
            enc.into_inner().map_err(plot_err)?;
        }
        Ok(out)
    }

    /// Write a GIF file atomically.
    pub fn save_gif(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), &self.to_gif()?)
    }

    /// Show inline in an evcxr notebook (as `image/gif`).
    pub fn evcxr_display(&self) {
        match self.to_gif() {
            Ok(gif) => println!("{}", evcxr_content("image/gif", &gif)),
            Err(e) => eprintln!("Error: animation could not be encoded: {e}"),
        }
    }

    /// Show inline from anywhere in a notebook cell; one display per cell, see
    /// [`super::CellOutput`] for several.
    pub fn show(&self) {
        self.evcxr_display()
    }
}

/// Enlarge every pixel to a `scale x scale` block.
fn upscale(img: &RgbImage, scale: u32) -> Result<RgbImage> {
    if scale == 1 {
        return Ok(img.clone());
    }
    let (w, h) = (img.width() * scale, img.height() * scale);
    let mut data = Vec::with_capacity(3 * w as usize * h as usize);
    for y in 0..h {
        for x in 0..w {
            let c = img
                .pixel(x / scale, y / scale)
                .unwrap_or(super::Color::GREY);
            data.extend_from_slice(&[c.0, c.1, c.2]);
        }
    }
    RgbImage::new(w, h, data)
}
