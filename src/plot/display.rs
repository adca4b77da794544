//! Output plumbing shared by figures, animations, tables and cell outputs: evcxr's
//! inline-content protocol and the small HTML helpers (escaping, `data:` URLs, markdown inline
//! text) of the inline displays (files are written with [`crate::io::write_bytes_atomic`]; PNG
//! encoding is [`super::encode_png`], with the images).
//!
//! evcxr shows rich output when a value's `evcxr_display` prints
//! `EVCXR_BEGIN_CONTENT <mime>\n<payload>\nEVCXR_END_CONTENT`; binary payloads (PNG, GIF) are
//! base64-encoded.

use base64::Engine as _;

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

/// Markdown inline text as HTML: `` `code` `` spans, `**bold**`, backslash escapes of ASCII
/// punctuation; everything else escaped and shown as written.
pub(crate) fn inline_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            if let Some(p) = rest[1..].chars().next().filter(char::is_ascii_punctuation) {
                out += &escape_html(&p.to_string());
                rest = &rest[1 + p.len_utf8()..];
                continue;
            }
        } else if c == '`' {
            let run = rest.chars().take_while(|&c| c == '`').count();
            let fence = &rest[..run];
            if let Some(end) = rest[run..].find(fence) {
                let code = &rest[run..run + end];
                out += &format!("<code>{}</code>", escape_html(code.trim()));
                rest = &rest[2 * run + end..];
                continue;
            }
            out += fence; // an unmatched run of backticks is literal text
            rest = &rest[run..];
            continue;
        } else if let Some(inner) = rest.strip_prefix("**") {
            if let Some(end) = inner.find("**").filter(|&e| e > 0) {
                out += &format!("<b>{}</b>", inline_html(&inner[..end]));
                rest = &inner[end + 2..];
                continue;
            }
        }
        out += &escape_html(&c.to_string());
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_code_bold_escapes_and_literal_html() {
        assert_eq!(
            inline_html("MSE `a<b` **best** \\*x\\* <i>&"),
            "MSE <code>a&lt;b</code> <b>best</b> *x* &lt;i&gt;&amp;"
        );
        assert_eq!(inline_html("``a`b`` `open"), "<code>a`b</code> `open");
        assert_eq!(inline_html("**"), "**");
        assert_eq!(inline_html("π ≈ 3"), "π ≈ 3");
    }

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
