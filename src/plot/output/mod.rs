//! [`CellOutput`]: everything one notebook cell shows (figures, animations, images, audio
//! players, tables, markdown, text), shown together, in order, by one `show()`.
//!
//! [`CellOutput`]'s docs say why a second `show()` in a cell replaces the first (evcxr 0.22.0)
//! and how one combined output avoids it.

#[cfg(feature = "audio")]
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
    #[cfg(feature = "audio")]
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
    #[cfg(feature = "audio")]
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
                #[cfg(feature = "audio")]
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
                #[cfg(feature = "audio")]
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
mod tests;
