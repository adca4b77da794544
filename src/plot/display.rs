//! Output plumbing shared by figures and animations: PNG encoding and evcxr's inline-content
//! protocol (files are written with [`crate::io::write_bytes_atomic`]).
//!
//! evcxr shows rich output when a value's `evcxr_display` prints
//! `EVCXR_BEGIN_CONTENT <mime>\n<payload>\nEVCXR_END_CONTENT`; binary payloads (PNG, GIF) are
//! base64-encoded. PNGs are encoded with the best compression and an adaptive filter: plots are
//! mostly flat colour, which shrinks them ~25x against a fast encoding (notebooks stay small).

use super::{plot_err, RgbImage};
use crate::Result;
use base64::Engine as _;

/// Encode an RGB image as PNG (8-bit RGB, high compression, adaptive row filter).
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

/// The text evcxr turns into rich output: `mime` is e.g. `image/png`, `image/gif` (the bytes are
/// base64-encoded) or `image/svg+xml`, `text/html` (the bytes are UTF-8 text, passed as is).
pub fn evcxr_content(mime: &str, bytes: &[u8]) -> String {
    let payload = if mime.starts_with("text/") || mime.ends_with("+xml") {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    format!("EVCXR_BEGIN_CONTENT {mime}\n{payload}\nEVCXR_END_CONTENT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evcxr_content_wraps_base64_for_images_and_text_as_is() {
        let s = evcxr_content("image/png", b"abc");
        assert_eq!(s, "EVCXR_BEGIN_CONTENT image/png\nYWJj\nEVCXR_END_CONTENT");
        let s = evcxr_content("image/svg+xml", b"<svg/>");
        assert_eq!(
            s,
            "EVCXR_BEGIN_CONTENT image/svg+xml\n<svg/>\nEVCXR_END_CONTENT"
        );
    }
}
