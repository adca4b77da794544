//! [`CellOutput`]: everything one notebook cell shows (figures, animations, images, audio
//! players, tables, markdown, text), shown together, in order, by one `show()`.
//!
//! [`CellOutput`]'s docs say why a second `show()` in a cell replaces the first (evcxr 0.22.0)
//! and how one combined output avoids it.

use super::audio::AudioPlayers;
use super::display::{escape_html, img_tag};
use super::markdown;
use super::{encode_png, evcxr_content, Animation, Figure, RgbImage, Table};
use crate::Result;

/// One thing a cell shows.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Figure(Figure),
    Image(RgbImage),
    Animation(Animation),
    Audio(AudioPlayers),
    Table(Table),
    Markdown(String),
    Text(String),
}

/// The items one notebook cell shows, in order, shown together by one [`CellOutput::show`].
///
/// # Why a second `show()` in a cell replaces the first
///
/// Read in evcxr 0.22.0's source:
/// - `evcxr/src/eval_context.rs`, `run_and_capture_output`: while a cell runs, every block
///   `EVCXR_BEGIN_CONTENT <mime>` .. `EVCXR_END_CONTENT` printed on stdout is stored with
///   `content_by_mime_type.insert(mime, content)` in one `HashMap<String, String>` per cell.
///   A second block of the same MIME type overwrites the first: two `Figure::show()` calls
///   leave only the second PNG.
/// - `evcxr_jupyter/src/core.rs`: after the cell has finished, that map is sent as ONE
///   `execute_result` message; evcxr 0.22 sends no `display_data` while a cell runs, and there
///   is no call that would. Stdout lines that are not content blocks are streamed as they are
///   printed, so `println!` text always lands above all of a cell's rich output.
/// - A Jupyter front end shows one entry of a MIME bundle: the richest it can render
///   (JupyterLab ranks `text/html` 50, images 90, `text/plain` 120: lower wins). Blocks of
///   different types therefore do not add up either: a figure and audio players in one cell
///   show only the players (`text/html`), a figure and a GIF only the figure (`image/png`).
///
/// The crate cannot make evcxr send several outputs per cell. What it can do is send one
/// output that holds everything: a `CellOutput` renders its items, in the order added, into
/// one HTML document (figures as base64 PNG `<img>`, animations as GIF `<img>`, audio as
/// `<audio>` players, tables as `<table>`), printed as one `text/html` block. JupyterLab's
/// sanitizer keeps `data:` image and audio sources and the inline styles used, even in an
/// untrusted notebook (`packages/apputils/src/sanitizer.ts`).
///
/// Beside the HTML the same bundle carries
/// - `image/png` (the first figure or image) or `image/gif` (the first animation, when no
///   figure or image comes before it): front ends without HTML (and checks that look for an
///   image output) still find the first picture; Jupyter shows the HTML;
/// - `text/plain`: a text rendering (tables as pipe tables, figures as `[figure 1: 900 x 560
///   px]`), which the evcxr REPL prints.
///
/// Show one `CellOutput` per cell (a second one would replace it, as above), and add text to
/// it rather than printing it, so that text and pictures keep their order. `Figure::show()`
/// alone keeps working as before (one `image/png`).
///
/// ```
/// # fn main() -> hits::Result<()> {
/// use hits::plot::{Axes, CellOutput, Figure, Table};
/// let fig = Figure::new().size(300, 200).panel(Axes::new().line("x", &[0.0, 1.0], &[0.0, 1.0]));
/// let table = Table::from_markdown("| stepper | MSE |\n|---|---|\n| RK4 | 1.0e-4 |\n")?;
/// let out = CellOutput::new().text("one cell, three items").figure(fig).table(table);
/// let html = out.to_html()?;
/// assert!(html.contains("<pre>one cell, three items</pre>"));
/// assert!(html.contains("<img src=\"data:image/png;base64,"));
/// assert!(html.contains("<td>RK4</td>"));
/// // out.show() prints the text/html, image/png and text/plain blocks for evcxr
/// assert_eq!(out.to_evcxr()?.matches("EVCXR_BEGIN_CONTENT").count(), 3);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CellOutput {
    items: Vec<Item>,
}

/// A rendered cell output: the HTML and the first picture for the bundle.
struct Rendered {
    html: String,
    first_picture: Option<(&'static str, Vec<u8>)>,
}

impl CellOutput {
    /// Nothing to show yet.
    pub fn new() -> CellOutput {
        CellOutput::default()
    }
    /// Add a figure (rendered as PNG when shown).
    pub fn figure(self, figure: Figure) -> CellOutput {
        self.with(Item::Figure(figure))
    }
    /// Add an image (shown as PNG at its own size).
    pub fn image(self, image: RgbImage) -> CellOutput {
        self.with(Item::Image(image))
    }
    /// Add an animation (shown as a looping GIF).
    pub fn animation(self, animation: Animation) -> CellOutput {
        self.with(Item::Animation(animation))
    }
    /// Add audio players.
    pub fn audio(self, players: AudioPlayers) -> CellOutput {
        self.with(Item::Audio(players))
    }
    /// Add a table (rendered as an HTML table).
    pub fn table(self, table: Table) -> CellOutput {
        self.with(Item::Table(table))
    }
    /// Add markdown, e.g. a report with prose and several tables (the subset the crate's
    /// reports use: see [`super::markdown`]); a malformed table in it is an error when the
    /// output is rendered.
    pub fn markdown(self, markdown: impl Into<String>) -> CellOutput {
        self.with(Item::Markdown(markdown.into()))
    }
    /// Add plain text, shown verbatim in monospace (like printed output).
    pub fn text(self, text: impl Into<String>) -> CellOutput {
        self.with(Item::Text(text.into()))
    }

    fn with(mut self, item: Item) -> CellOutput {
        self.items.push(item);
        self
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn render(&self) -> Result<Rendered> {
        let mut blocks = Vec::with_capacity(self.items.len());
        let mut first_picture = None;
        let (mut n_fig, mut n_anim) = (0, 0);
        for item in &self.items {
            let html = match item {
                Item::Figure(f) => {
                    n_fig += 1;
                    png_img(&f.to_rgb()?, n_fig, &mut first_picture)?
                }
                Item::Image(i) => {
                    n_fig += 1;
                    png_img(i, n_fig, &mut first_picture)?
                }
                Item::Animation(a) => {
                    n_anim += 1;
                    let gif = a.to_gif()?;
                    let dims = a.frames().first().map(size).unwrap_or_default();
                    let tag = img_tag("image/gif", &gif, dims, &format!("animation {n_anim}"));
                    first_picture.get_or_insert(("image/gif", gif));
                    tag
                }
                Item::Audio(p) => p.to_html(),
                Item::Table(t) => t.to_html(),
                Item::Markdown(md) => markdown::to_html(md)?,
                Item::Text(t) => format!("<pre>{}</pre>", escape_html(t)),
            };
            blocks.push(format!("<div>\n{html}\n</div>"));
        }
        let html = format!(
            "<div class=\"hits-cell-output\">\n{}\n</div>",
            blocks.join("\n")
        );
        Ok(Rendered {
            html,
            first_picture,
        })
    }

    /// The items as one HTML fragment, in order (figures and images as base64 PNG `<img>`,
    /// animations as GIF `<img>`, each item in its own `<div>`).
    pub fn to_html(&self) -> Result<String> {
        Ok(self.render()?.html)
    }

    /// The plain-text alternative: text and markdown as written, tables as pipe tables,
    /// pictures and players as bracketed placeholders (`[figure 1: 900 x 560 px]`), items
    /// separated by blank lines.
    pub fn to_text(&self) -> String {
        let (mut n_fig, mut n_anim) = (0, 0);
        let parts: Vec<String> = self
            .items
            .iter()
            .map(|item| match item {
                Item::Figure(f) => {
                    n_fig += 1;
                    let (w, h) = f.dimensions();
                    format!("[figure {n_fig}: {w} x {h} px]")
                }
                Item::Image(i) => {
                    n_fig += 1;
                    format!("[figure {n_fig}: {} x {} px]", i.width(), i.height())
                }
                Item::Animation(a) => {
                    n_anim += 1;
                    let (w, h) = a.frames().first().map(size).unwrap_or_default();
                    format!("[animation {n_anim}: {} frames, {w} x {h} px]", a.len())
                }
                Item::Audio(p) => format!("[audio: {}]", p.labels().collect::<Vec<_>>().join(", ")),
                Item::Table(t) => t.to_markdown().trim_end().to_string(),
                Item::Markdown(s) | Item::Text(s) => s.trim_end().to_string(),
            })
            .collect();
        parts.join("\n\n")
    }

    /// What [`CellOutput::show`] prints: evcxr content blocks `text/html` (everything),
    /// `image/png` or `image/gif` (the first picture, if any) and `text/plain`; empty when
    /// nothing was added.
    pub fn to_evcxr(&self) -> Result<String> {
        if self.items.is_empty() {
            return Ok(String::new());
        }
        let r = self.render()?;
        let mut blocks = vec![evcxr_content("text/html", r.html.as_bytes())];
        if let Some((mime, bytes)) = &r.first_picture {
            blocks.push(evcxr_content(mime, bytes));
        }
        blocks.push(evcxr_content("text/plain", self.to_text().as_bytes()));
        Ok(blocks.join("\n"))
    }

    /// Show inline in an evcxr notebook; called by evcxr when a cell ends with a `CellOutput`.
    /// A rendering error is printed to stderr as `Error: ...` and nothing is shown.
    pub fn evcxr_display(&self) {
        match self.to_evcxr() {
            Ok(s) if s.is_empty() => {}
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("Error: cell output could not be rendered: {e}"),
        }
    }

    /// Show inline from anywhere in a cell (same as [`CellOutput::evcxr_display`]); once per
    /// cell (see the module docs).
    pub fn show(&self) {
        self.evcxr_display()
    }
}

/// An `<img>` of `image` as PNG, alt text `figure {n}`; the PNG becomes the bundle's picture
/// when none came before.
fn png_img(
    image: &RgbImage,
    n: usize,
    first_picture: &mut Option<(&'static str, Vec<u8>)>,
) -> Result<String> {
    let png = encode_png(image)?;
    let tag = img_tag("image/png", &png, size(image), &format!("figure {n}"));
    first_picture.get_or_insert(("image/png", png));
    Ok(tag)
}

fn size(image: &RgbImage) -> (u32, u32) {
    (image.width(), image.height())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{markdown_table, ForecastRow};
    use crate::plot::{Axes, Color};
    use base64::Engine as _;
    use std::collections::HashMap;

    /// Read show()'s text as evcxr 0.22 does (`run_and_capture_output`): each content block
    /// into a map by MIME type (a later block replaces an earlier one), other lines are stdout.
    fn evcxr_bundle(text: &str) -> (HashMap<String, String>, Vec<String>) {
        let (mut map, mut stdout) = (HashMap::new(), Vec::new());
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            match line.split_once("EVCXR_BEGIN_CONTENT ") {
                Some((_, mime)) => {
                    let body: Vec<&str> = lines
                        .by_ref()
                        .take_while(|l| *l != "EVCXR_END_CONTENT")
                        .collect();
                    map.insert(mime.to_string(), body.join("\n"));
                }
                None => stdout.push(line.to_string()),
            }
        }
        (map, stdout)
    }

    /// Width, height and pixels of the first `data:image/png` `<img>` in `html`.
    fn first_html_png(html: &str) -> (u32, u32, Vec<u8>) {
        let b64 = html
            .split("data:image/png;base64,")
            .nth(1)
            .expect("a PNG <img>");
        let b64 = &b64[..b64.find('"').expect("closing quote")];
        decode_png(
            &base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
    }

    fn decode_png(png: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// Each needle is found in `haystack` after the previous one.
    fn assert_in_order(haystack: &str, needles: &[&str]) {
        let mut at = 0;
        for n in needles {
            let pos = haystack[at..]
                .find(n)
                .unwrap_or_else(|| panic!("{n:?} not found after byte {at} of:\n{haystack:.2000}"));
            at += pos + n.len();
        }
    }

    fn line_figure(w: u32, h: u32) -> Figure {
        Figure::new()
            .size(w, h)
            .panel(Axes::new().title("t").line("y", &[0.0, 1.0], &[1.0, 0.0]))
    }

    #[test]
    fn every_item_in_order_in_one_bundle() {
        let row = |method: &str, detail: &str, mse| ForecastRow {
            method: method.into(),
            step_sizes: vec![1, 4],
            detail: detail.into(),
            mse,
            paper_mse: None,
            seconds: 0.5,
            paper_seconds: Some(1.25),
            mse_per_step: vec![],
        };
        let md = markdown_table(&[
            row("multiscale", "h < 2 dt & <b>", 1.5e-4),
            row("RK4", "a \\| b", 2e-3),
        ]);
        let mut anim = Animation::new(50);
        anim.push_image(RgbImage::filled(12, 8, Color(200, 30, 30)).unwrap())
            .unwrap();
        let out = CellOutput::new()
            .text("first <text>")
            .figure(line_figure(300, 200))
            .table(Table::from_markdown(&md).unwrap())
            .animation(anim)
            .audio(AudioPlayers::new().clip("truth", &[0.1; 16], 8000).unwrap())
            .markdown("## Selection\n\nsteps `1..4`");
        assert_eq!(out.len(), 6);
        let (bundle, stdout) = evcxr_bundle(&out.to_evcxr().unwrap());
        assert!(stdout.is_empty(), "{stdout:?}");
        let mut mimes: Vec<&str> = bundle.keys().map(String::as_str).collect();
        mimes.sort();
        assert_eq!(mimes, ["image/png", "text/html", "text/plain"]);
        let html = &bundle["text/html"];
        assert_eq!(html, &out.to_html().unwrap());
        assert_in_order(
            html,
            &[
                "<pre>first &lt;text&gt;</pre>",
                "<img src=\"data:image/png;base64,",
                "<th>method</th><th>steps (dt)</th><th>detail</th><th>test MSE</th>",
                "<td>multiscale</td><td>1..4 (2)</td><td>h &lt; 2 dt &amp; &lt;b&gt;</td><td>1.50e-4</td>",
                "<td>RK4</td><td>1..4 (2)</td><td>a | b</td><td>2.00e-3</td>",
                "<img src=\"data:image/gif;base64,",
                "<td>truth</td><td><audio controls src=\"data:audio/wav;base64,",
                "<h2>Selection</h2>\n<p>steps <code>1..4</code></p>",
            ],
        );
        assert!(!html.contains("<b>") && !html.contains("| multiscale |"));
        assert_in_order(
            &bundle["text/plain"],
            &[
                "first <text>",
                "[figure 1: 300 x 200 px]",
                "| multiscale | 1..4 (2) |",
                "[animation 1: 1 frames, 12 x 8 px]",
                "[audio: truth]",
                "## Selection",
            ],
        );
        assert!(CellOutput::new().to_evcxr().unwrap().is_empty());
    }

    #[test]
    fn figures_in_the_html_decode_to_pngs_of_their_size() {
        let first = line_figure(900, 560);
        let out = CellOutput::new()
            .text("two figures")
            .figure(first.clone())
            .figure(line_figure(320, 200));
        let (bundle, _) = evcxr_bundle(&out.to_evcxr().unwrap());
        let html = &bundle["text/html"];
        assert!(html.contains("width=\"900\" height=\"560\" alt=\"figure 1\""));
        let (w, h, pixels) = first_html_png(html);
        assert_eq!((w, h), (900, 560));
        assert_eq!(pixels, first.to_rgb().unwrap().as_raw());
        let after_first = html.split("alt=\"figure 1\"").nth(1).unwrap();
        let (w, h, _) = first_html_png(after_first);
        assert_eq!((w, h), (320, 200));
        // the bundle's image/png (what the notebook runner looks for) is the first figure
        let png = base64::engine::general_purpose::STANDARD
            .decode(&bundle["image/png"])
            .unwrap();
        assert_eq!(png, first.to_png().unwrap());
    }

    #[test]
    fn the_first_picture_decides_the_bundle_image_and_errors_name_the_problem() {
        let mut anim = Animation::new(100);
        anim.push_image(RgbImage::filled(4, 4, Color(0, 0, 0)).unwrap())
            .unwrap();
        let out = CellOutput::new()
            .animation(anim)
            .figure(line_figure(200, 100));
        let (bundle, _) = evcxr_bundle(&out.to_evcxr().unwrap());
        assert!(bundle.contains_key("image/gif") && !bundle.contains_key("image/png"));
        let (bundle, _) = evcxr_bundle(&CellOutput::new().text("no picture").to_evcxr().unwrap());
        assert_eq!(bundle.len(), 2, "{:?}", bundle.keys());
        let bad =
            CellOutput::new().figure(Figure::new().panel(Axes::new().line("h = 4", &[1.0], &[])));
        assert!(bad.to_evcxr().unwrap_err().to_string().contains("h = 4"));
        let bad = CellOutput::new().markdown("| a |\n|---|\n| 1 | 2 |");
        assert!(bad
            .to_html()
            .unwrap_err()
            .to_string()
            .contains("line 3 has 2 cells"));
        let empty = CellOutput::new().animation(Animation::new(10));
        assert!(empty
            .to_html()
            .unwrap_err()
            .to_string()
            .contains("no frames"));
    }
}
