//! Figures are checked by what they draw (pixels in regions, text in SVG, frames in GIFs), not by
//! byte comparison with golden files.

use hits::plot::{Animation, Axes, Color, Colormap, Figure, Heatmap, Legend, RgbImage, Series};
use ndarray::Array2;

const RED: Color = Color(200, 30, 30);
const BLUE: Color = Color(30, 30, 200);

/// With `HITS_PLOT_DUMP=<dir>`, also write the figure as PNG and SVG there (to look at them).
fn dump(name: &str, fig: &Figure) {
    if let Some(dir) = std::env::var_os("HITS_PLOT_DUMP") {
        let dir = std::path::PathBuf::from(dir);
        fig.save(dir.join(format!("{name}.png"))).unwrap();
        fig.save(dir.join(format!("{name}.svg"))).unwrap();
    }
}

fn near(a: Color, b: Color, tol: i32) -> bool {
    (a.0 as i32 - b.0 as i32).abs() <= tol
        && (a.1 as i32 - b.1 as i32).abs() <= tol
        && (a.2 as i32 - b.2 as i32).abs() <= tol
}

fn count(img: &RgbImage, from: (f64, f64), to: (f64, f64), color: Color) -> usize {
    let (w, h) = (img.width() as f64, img.height() as f64);
    let p0 = ((from.0 * w) as u32, (from.1 * h) as u32);
    let p1 = ((to.0 * w) as u32, (to.1 * h) as u32);
    img.count_pixels(p0, p1, |c| near(c, color, 6))
}

/// Two series in the lower-left of fixed 0..10 axes, so the upper right holds only the legend.
fn two_lines(legend: Legend) -> Figure {
    let xs: Vec<f64> = (0..=40).map(|i| i as f64 * 0.1).collect();
    let a: Vec<f64> = xs.iter().map(|x| 0.5 * x).collect();
    let b: Vec<f64> = xs.iter().map(|x| 3.0 - 0.5 * x).collect();
    Figure::new().panel(
        Axes::new()
            .title("two lines")
            .x_label("time t")
            .y_label("value")
            .x_range(0.0, 10.0)
            .y_range(0.0, 10.0)
            .legend(legend)
            .series(Series::line(&xs, &a).label("rising").color(RED))
            .series(Series::line(&xs, &b).label("falling").color(BLUE)),
    )
}

#[test]
fn line_plot_draws_lines_axes_and_legend() {
    dump("two_lines", &two_lines(Legend::UpperRight));
    let img = two_lines(Legend::UpperRight).to_rgb().unwrap();
    assert_eq!((img.width(), img.height()), (900, 560));
    // Lines: many pixels of each colour in the lower-left part of the plot.
    for c in [RED, BLUE] {
        let n = count(&img, (0.0, 0.45), (0.55, 1.0), c);
        assert!(
            n > 300,
            "series colour {c:?}: only {n} pixels in the data region"
        );
    }
    // Legend: both colours in the upper right, where no data lies.
    for c in [RED, BLUE] {
        let n = count(&img, (0.6, 0.0), (1.0, 0.35), c);
        assert!(n > 20, "legend entry for {c:?}: {n} pixels");
    }
    // Axes and text: a solid black left axis line, text left of it.
    let dark = img.count_pixels((0, 0), (img.width(), img.height()), |c| {
        c.0 < 60 && c.1 < 60 && c.2 < 60
    });
    assert!(dark > 1500, "axes/labels: only {dark} dark pixels");

    let hidden = two_lines(Legend::Hidden).to_rgb().unwrap();
    for c in [RED, BLUE] {
        assert_eq!(
            count(&hidden, (0.6, 0.0), (1.0, 0.35), c),
            0,
            "legend drawn although hidden"
        );
    }
}

#[test]
fn svg_carries_titles_labels_legend_and_point_labels() {
    let cost = [0.1, 1.0, 10.0];
    let mse = [1e-2, 1e-4, 1e-6];
    let fig = Figure::new().title("accuracy vs cost").panel(
        Axes::new()
            .x_label("wall time [s]")
            .y_label("test MSE")
            .log_x()
            .log_y()
            .series(
                Series::line_points(&cost, &mse)
                    .label("multiscale")
                    .point_labels(["dt", "8 dt", "64 dt"]),
            ),
    );
    dump("accuracy_vs_cost", &fig);
    let svg = fig.to_svg().unwrap();
    for text in [
        "accuracy vs cost",
        "wall time [s]",
        "test MSE",
        "multiscale",
        "8 dt",
        "64 dt",
    ] {
        assert!(svg.contains(text), "SVG lacks {text:?}");
    }
    // Decade ticks of the log axes are labelled as powers of ten.
    for text in ["1e-4", "1e-6", "10"] {
        assert!(
            svg.contains(&format!("\n{text}\n</text>")),
            "SVG lacks the tick label {text:?}"
        );
    }
}

#[test]
fn log_axis_skips_points_it_cannot_draw() {
    // Zeros and NaN must neither fail nor pull the axis to the border.
    let t = [0.0, 1.0, 2.0, 3.0, 4.0];
    let err = [0.0, 1e-5, f64::NAN, 1e-3, 1e-2];
    let fig = Figure::new().panel(Axes::new().log_y().line("error", &t, &err));
    dump("log_axis_gaps", &fig);
    let img = fig.to_rgb().unwrap();
    let blue = Color::palette(0);
    assert!(count(&img, (0.0, 0.0), (1.0, 1.0), blue) > 100);
}

#[test]
fn time_series_panels_share_a_figure() {
    let t: Vec<f64> = (0..200).map(|i| i as f64 * 0.05).collect();
    let colors = Colormap::Rainbow.sample(3);
    let panels = (0..3).map(|k| {
        let y: Vec<f64> = t.iter().map(|t| (t + k as f64).sin()).collect();
        Axes::new()
            .y_label(format!("x{k}"))
            .series(Series::line(&t, &y).color(colors[k]))
    });
    let fig = Figure::new().grid(3, 1).panels(panels);
    assert_eq!(fig.dimensions(), (900, 780));
    dump("time_series", &fig);
    let img = fig.to_rgb().unwrap();
    for (k, c) in colors.iter().enumerate() {
        let band = (k as f64 / 3.0, (k + 1) as f64 / 3.0);
        assert!(
            count(&img, (0.0, band.0), (1.0, band.1), *c) > 200,
            "panel {k} lacks its line"
        );
    }
}

#[test]
fn heatmap_orients_field_and_draws_colour_bar() {
    // f: 0 on the left half, 1 on the right half; g: 0 on the lower half, 1 on the upper half.
    let f = Array2::from_shape_fn((40, 300), |(_, j)| if j < 150 { 0.0 } else { 1.0 });
    let g = Array2::from_shape_fn((40, 300), |(i, _)| if i < 20 { 0.0 } else { 1.0 });
    let (lo, hi) = (Colormap::Viridis.at(0.0), Colormap::Viridis.at(1.0));
    let fig = Figure::new()
        .grid(2, 1)
        .panel(Heatmap::new(f.view()).title("f").bar_label("j"));
    let fig = fig.panel(
        Heatmap::new(g.view())
            .x_extent(0.0, 1.0)
            .y_extent(-1.0, 1.0),
    );
    dump("heatmaps", &fig);
    let img = fig.to_rgb().unwrap();
    // Top panel: low colour on the left of the plot area, high on the right.
    assert!(count(&img, (0.08, 0.1), (0.2, 0.45), lo) > 200);
    assert_eq!(count(&img, (0.08, 0.1), (0.2, 0.45), hi), 0);
    assert!(count(&img, (0.6, 0.1), (0.85, 0.45), hi) > 200);
    assert_eq!(count(&img, (0.6, 0.1), (0.85, 0.45), lo), 0);
    // Colour bar (right 95 px) holds both ends of the scale.
    assert!(count(&img, (0.9, 0.0), (1.0, 0.5), lo) > 10);
    assert!(count(&img, (0.9, 0.0), (1.0, 0.5), hi) > 10);
    // Bottom panel: high rows on top.
    assert!(count(&img, (0.1, 0.55), (0.85, 0.62), hi) > 200);
    assert!(count(&img, (0.1, 0.85), (0.85, 0.9), lo) > 200);
    assert_eq!(count(&img, (0.1, 0.85), (0.85, 0.9), hi), 0);

    // SVG output caps the number of blocks.
    let svg = Figure::new()
        .panel(Heatmap::new(f.view()))
        .to_svg()
        .unwrap();
    let rects = svg.matches("<rect").count();
    assert!(rects < 120 * 40 + 400, "{rects} rects");
}

#[test]
fn symmetric_heatmap_centres_scale_on_zero() {
    let f = Array2::from_shape_fn((4, 5), |(i, j)| i as f64 - 3.0 * j as f64 / 4.0);
    let h = Heatmap::new(f.view()).colormap(Colormap::RdBu).symmetric();
    assert_eq!(h.value_range(), (-3.0, 3.0));
}

#[test]
fn image_grid_places_images_row_by_row() {
    let colors = [RED, BLUE, Color(30, 160, 30), Color(230, 200, 20)];
    let imgs: Vec<RgbImage> = colors
        .iter()
        .map(|c| RgbImage::filled(16, 9, *c).unwrap())
        .collect();
    let fig = Figure::image_grid(imgs, 2, &["a", "b", "c", "d"]);
    dump("image_grid", &fig);
    let img = fig.to_rgb().unwrap();
    let quads = [
        ((0.0, 0.0), (0.5, 0.5)),
        ((0.5, 0.0), (1.0, 0.5)),
        ((0.0, 0.5), (0.5, 1.0)),
        ((0.5, 0.5), (1.0, 1.0)),
    ];
    for (k, (from, to)) in quads.iter().enumerate() {
        for (m, c) in colors.iter().enumerate() {
            let n = count(&img, *from, *to, *c);
            if k == m {
                assert!(n > 10_000, "image {k} missing from its cell ({n} px)");
            } else {
                assert_eq!(n, 0, "image {m} leaked into cell {k}");
            }
        }
    }
}

#[test]
fn png_is_compact_and_decodes_to_the_rendered_pixels() {
    let fig = two_lines(Legend::UpperRight);
    let rgb = fig.to_rgb().unwrap();
    let png = fig.to_png().unwrap();
    assert!(png.len() < 100_000, "{} bytes", png.len());
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (900, 560));
    assert_eq!(&buf[..info.buffer_size()], rgb.as_raw());
}

#[test]
fn gif_has_one_frame_per_push() {
    let fields: Vec<Array2<f64>> = (0..6)
        .map(|k| Array2::from_shape_fn((8, 12), |(i, j)| ((i + j + k) % 7) as f64))
        .collect();
    let anim = Animation::from_fields(fields.iter().map(|f| f.view()), Colormap::Jet, None, 4, 80)
        .unwrap();
    let gif_bytes = anim.to_gif().unwrap();
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut dec = opts.read_info(std::io::Cursor::new(gif_bytes)).unwrap();
    assert_eq!((dec.width(), dec.height()), (48, 32));
    let mut frames = 0;
    while let Some(frame) = dec.read_next_frame().unwrap() {
        assert_eq!(frame.delay, 8);
        frames += 1;
    }
    assert_eq!(frames, 6);

    let mut figs = Animation::new(100);
    for k in 0..3 {
        let y = [0.0, k as f64];
        figs.push_figure(&Figure::new().size(200, 150).panel(Axes::new().line(
            "y",
            &[0.0, 1.0],
            &y,
        )))
        .unwrap();
    }
    assert_eq!(figs.len(), 3);
    let err = figs
        .push_image(RgbImage::filled(10, 10, RED).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("animation frame 3"), "{err}");
    assert!(Animation::new(10)
        .to_gif()
        .unwrap_err()
        .to_string()
        .contains("no frames"));
}

#[test]
fn bad_input_gives_clear_errors() {
    let e = Figure::new()
        .panel(Axes::new().line("h = 4 dt", &[1.0, 2.0], &[1.0]))
        .to_rgb()
        .unwrap_err();
    assert!(
        e.to_string().contains("h = 4 dt") && e.to_string().contains("got 1"),
        "{e}"
    );
    let e = Figure::new()
        .panel(Axes::new().log_y().y_range(-1.0, 1.0))
        .to_rgb()
        .unwrap_err();
    assert!(e.to_string().contains("log axis needs min > 0"), "{e}");
    let e = Figure::new()
        .grid(1, 1)
        .panel(Axes::new())
        .panel(Axes::new())
        .to_rgb()
        .unwrap_err();
    assert!(
        e.to_string().contains("2 panels do not fit a 1 x 1 grid"),
        "{e}"
    );
    let e = Figure::new().save("figure.jpg").unwrap_err();
    assert!(
        e.to_string()
            .contains("figure.jpg: expected a .png or .svg"),
        "{e}"
    );
    let e = RgbImage::new(2, 2, vec![0; 5]).unwrap_err();
    assert!(e.to_string().contains("got 5 bytes"), "{e}");
}

#[test]
fn save_writes_png_and_svg_files() {
    let dir = std::env::temp_dir().join(format!("hits-plot-test-{}", std::process::id()));
    let fig = two_lines(Legend::UpperLeft);
    fig.save(dir.join("f.png")).unwrap();
    fig.save(dir.join("f.svg")).unwrap();
    let png = std::fs::read(dir.join("f.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(std::fs::read_to_string(dir.join("f.svg"))
        .unwrap()
        .starts_with("<svg"));
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "temporary files left behind"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
