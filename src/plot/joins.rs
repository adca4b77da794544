//! Wide polylines without miter spikes.
//!
//! plotters strokes a line wider than one pixel as one polygon with miter joins and no miter
//! limit: where a dense, noisy series turns back on itself (an audio-rate signal, a diverging
//! forecast) the miter of that vertex shoots far outside the plot, across other panels. The
//! cure here: drop points that land on the pixel of the previous one (a zero-length leg has no
//! direction to join), and end the path at every vertex that turns back sharply on screen,
//! starting the next path there, so that no join is drawn at it.

/// The pieces of `points` to draw as separate paths; `to_px` maps a point to its pixel.
pub(crate) fn split_at_sharp_turns(
    points: &[(f64, f64)],
    to_px: impl Fn((f64, f64)) -> (i32, i32),
) -> Vec<Vec<(f64, f64)>> {
    let mut kept: Vec<((f64, f64), (f64, f64))> = Vec::with_capacity(points.len());
    for &p in points {
        let (x, y) = to_px(p);
        let px = (f64::from(x), f64::from(y));
        if kept.last().is_none_or(|&(_, last)| last != px) {
            kept.push((p, px));
        }
    }
    let mut pieces: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for i in 0..kept.len() {
        if let Some(piece) = pieces.last_mut() {
            piece.push(kept[i].0);
        }
        if i > 0 && i + 1 < kept.len() && sharp(kept[i - 1].1, kept[i].1, kept[i + 1].1) {
            pieces.push(vec![kept[i].0]);
        }
    }
    pieces
}

/// Whether the legs `b -> a` and `b -> c` meet at an angle whose miter would be longer than
/// twice the line width: the miter of two legs at angle theta is w / (2 sin(theta / 2)), over
/// 2 w when sin(theta / 2) < 1/4, i.e. cos(theta) > 1 - 2 / 16.
fn sharp(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> bool {
    let (u, v) = ((a.0 - b.0, a.1 - b.1), (c.0 - b.0, c.1 - b.1));
    let cos = (u.0 * v.0 + u.1 * v.1) / (u.0.hypot(u.1) * v.0.hypot(v.1));
    cos > 1.0 - 2.0 / 16.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px((x, y): (f64, f64)) -> (i32, i32) {
        (x.round() as i32, y.round() as i32)
    }

    #[test]
    fn a_zigzag_is_cut_at_each_reversal_and_a_gentle_curve_is_not() {
        // up 100 px, one pixel to the right, down again: two reversals
        let zigzag = [(0.0, 0.0), (1.0, 100.0), (2.0, 0.0), (3.0, 100.0)];
        let pieces = split_at_sharp_turns(&zigzag, px);
        assert_eq!(pieces.len(), 3, "{pieces:?}");
        assert_eq!(pieces[0], vec![(0.0, 0.0), (1.0, 100.0)]);
        assert_eq!(pieces[1], vec![(1.0, 100.0), (2.0, 0.0)]);
        let gentle: Vec<(f64, f64)> = (0..50)
            .map(|i| (i as f64 * 4.0, (i as f64 * 0.1).sin() * 30.0))
            .collect();
        assert_eq!(split_at_sharp_turns(&gentle, px), vec![gentle.clone()]);
    }

    #[test]
    fn points_on_one_pixel_are_drawn_once() {
        let pieces = split_at_sharp_turns(&[(0.0, 0.0), (0.2, 0.1), (5.0, 5.0)], px);
        assert_eq!(pieces, vec![vec![(0.0, 0.0), (5.0, 5.0)]]);
    }
}
