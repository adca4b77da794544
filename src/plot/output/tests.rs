//! Tests of [`super::CellOutput`]: what evcxr and the HTML pages receive.

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
    let bad = CellOutput::new().figure(Figure::new().panel(Axes::new().line("h = 4", &[1.0], &[])));
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
