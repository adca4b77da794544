//! Output plumbing shared by figures and animations: PNG encoding, evcxr's inline-content
//! protocol and atomic file writes.
//!
//! evcxr shows rich output when a value's `evcxr_display` prints
//! `EVCXR_BEGIN_CONTENT <mime>\n<payload>\nEVCXR_END_CONTENT`; binary payloads (PNG, GIF) are
//! base64-encoded. PNGs are encoded with the best compression and an adaptive filter: plots are
//! mostly flat colour, which shrinks them ~25x against a fast encoding (notebooks stay small).

use super::{plot_err, RgbImage};
use crate::{Error, Result};
use base64::Engine as _;
use std::io::Write;
use std::path::Path;

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

/// Write `bytes` to `path` atomically: write a temporary file in the same folder, flush it to
/// disk, then rename it over `path` (readers never see a half-written file). Creates missing
/// parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid("path", format!("{} has no file name", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
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

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("hits-plot-atomic-{}", std::process::id()));
        let path = dir.join("sub").join("x.bin");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
