//! Output plumbing shared by figures, animations, tables and cell outputs: PNG encoding, evcxr's
//! inline-content protocol and the small HTML helpers (escaping, `data:` URLs) of the inline
//! displays (files are written with [`crate::io::write_bytes_atomic`]).
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

/// Escape text for HTML element content and double-quoted attribute values.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `data:<mime>;base64,<bytes>`: a URL that carries the bytes themselves (images, audio).
pub(crate) fn data_url(mime: &str, bytes: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:{mime};base64,{b64}")
}

/// An `<img>` element showing `bytes` (`mime`: `image/png`, `image/gif`) at its `width` x
/// `height` pixels, shrunk to the output's width when wider.
pub(crate) fn img_tag(mime: &str, bytes: &[u8], (width, height): (u32, u32), alt: &str) -> String {
    format!(
        "<img src=\"{}\" width=\"{width}\" height=\"{height}\" alt=\"{}\" style=\"max-width: 100%; height: auto\">",
        data_url(mime, bytes),
        escape_html(alt)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_and_data_urls() {
        assert_eq!(
            escape_html(r#"a<b & "c" 'd'>"#),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;"
        );
        assert_eq!(data_url("image/png", b"abc"), "data:image/png;base64,YWJj");
        let img = img_tag("image/gif", b"abc", (4, 3), "x\"y");
        assert!(img.starts_with("<img src=\"data:image/gif;base64,YWJj\" width=\"4\" height=\"3\""));
        assert!(img.contains("alt=\"x&quot;y\""), "{img}");
    }

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
