//! Colours: a categorical palette for series and continuous colour maps for step sizes and fields.
//!
//! A colour map sends `t` in `[0, 1]` to a colour; [`Colormap::map`] first normalises a value
//! `v` to `t = (v - vmin) / (vmax - vmin)` and clamps it. Non-finite values map to grey.
//! - `Rainbow` is matplotlib's `rainbow`: `r = |2t - 0.5|`, `g = sin(pi t)`, `b = cos(pi t / 2)`
//!   (clipped to `[0, 1]`), the map the paper's error-vs-time figures use for step sizes.
//! - `Viridis` interpolates matplotlib's viridis through 8 anchors (perceptually uniform).
//! - `RdBu` is ColorBrewer's 11-class RdBu reversed (blue low, white middle, red high): signed
//!   fields such as increments.
//! - `Jet` is matplotlib's `jet` (piecewise linear), common for space-time plots.
//! - `Gray` goes from black to white.

/// An sRGB colour with 8 bits per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color(pub u8, pub u8, pub u8);

impl Color {
    /// White, the figure background.
    pub const WHITE: Color = Color(255, 255, 255);
    /// Black, for axes and text.
    pub const BLACK: Color = Color(0, 0, 0);
    /// Grey, for missing (non-finite) values.
    pub const GREY: Color = Color(128, 128, 128);

    /// matplotlib's default categorical palette (`tab10`), used for series without a colour.
    pub const TAB10: [Color; 10] = [
        Color(31, 119, 180),
        Color(255, 127, 14),
        Color(44, 160, 44),
        Color(214, 39, 40),
        Color(148, 103, 189),
        Color(140, 86, 75),
        Color(227, 119, 194),
        Color(127, 127, 127),
        Color(188, 189, 34),
        Color(23, 190, 207),
    ];

    /// The `i`-th colour of [`Color::TAB10`], cycling.
    pub fn palette(i: usize) -> Color {
        Self::TAB10[i % Self::TAB10.len()]
    }

    /// Linear blend: `self` at `s = 0`, `other` at `s = 1`.
    pub fn mix(self, other: Color, s: f64) -> Color {
        let s = s.clamp(0.0, 1.0);
        let f = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * s).round() as u8;
        Color(f(self.0, other.0), f(self.1, other.1), f(self.2, other.2))
    }
}

/// A continuous colour map (see the module docs for the definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Colormap {
    /// matplotlib `viridis` (default for fields).
    #[default]
    Viridis,
    /// matplotlib `rainbow` (step sizes in error plots).
    Rainbow,
    /// ColorBrewer RdBu reversed: blue (low), white, red (high).
    RdBu,
    /// matplotlib `jet`.
    Jet,
    /// Black to white.
    Gray,
}

const VIRIDIS: [Color; 8] = [
    Color(68, 1, 84),
    Color(70, 50, 127),
    Color(54, 92, 141),
    Color(39, 127, 143),
    Color(31, 162, 136),
    Color(74, 194, 110),
    Color(160, 219, 57),
    Color(254, 232, 37),
];

/// ColorBrewer RdBu (11 classes), listed from blue to red (i.e. `RdBu_r`).
const RDBU_R: [Color; 11] = [
    Color(0x05, 0x30, 0x61),
    Color(0x21, 0x66, 0xac),
    Color(0x43, 0x93, 0xc3),
    Color(0x92, 0xc5, 0xde),
    Color(0xd1, 0xe5, 0xf0),
    Color(0xf7, 0xf7, 0xf7),
    Color(0xfd, 0xdb, 0xc7),
    Color(0xf4, 0xa5, 0x82),
    Color(0xd6, 0x60, 0x4d),
    Color(0xb2, 0x18, 0x2b),
    Color(0x67, 0x00, 0x1f),
];

fn unit(x: f64) -> u8 {
    (x.clamp(0.0, 1.0) * 255.0).round() as u8
}

fn interpolate(anchors: &[Color], t: f64) -> Color {
    let last = anchors.len() - 1;
    let pos = t * last as f64;
    let i = (pos.floor() as usize).min(last - 1);
    anchors[i].mix(anchors[i + 1], pos - i as f64)
}

impl Colormap {
    /// The colour at `t` in `[0, 1]` (clamped); grey for NaN.
    pub fn at(self, t: f64) -> Color {
        if !t.is_finite() {
            return Color::GREY;
        }
        let t = t.clamp(0.0, 1.0);
        match self {
            Colormap::Viridis => interpolate(&VIRIDIS, t),
            Colormap::RdBu => interpolate(&RDBU_R, t),
            Colormap::Rainbow => Color(
                unit((2.0 * t - 0.5).abs()),
                unit((std::f64::consts::PI * t).sin()),
                unit((std::f64::consts::FRAC_PI_2 * t).cos()),
            ),
            Colormap::Jet => {
                let ramp = |x: f64| (1.5 - (4.0 * t - x).abs()).clamp(0.0, 1.0);
                Color(unit(ramp(3.0)), unit(ramp(2.0)), unit(ramp(1.0)))
            }
            Colormap::Gray => Color(unit(t), unit(t), unit(t)),
        }
    }

    /// The colour of value `v` on the scale `[vmin, vmax]` (clamped); grey when `v` is not
    /// finite; the middle colour when `vmin == vmax`.
    pub fn map(self, v: f64, vmin: f64, vmax: f64) -> Color {
        if !v.is_finite() {
            return Color::GREY;
        }
        let span = vmax - vmin;
        let t = if span > 0.0 { (v - vmin) / span } else { 0.5 };
        self.at(t)
    }

    /// `n` colours evenly spaced from `t = 0` to `t = 1`, like matplotlib's
    /// `cmap(np.linspace(0, 1, n))` (one colour: `t = 0`).
    pub fn sample(self, n: usize) -> Vec<Color> {
        match n {
            0 => Vec::new(),
            1 => vec![self.at(0.0)],
            _ => (0..n).map(|i| self.at(i as f64 / (n - 1) as f64)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rainbow_matches_matplotlib_at_known_points() {
        // matplotlib: rainbow(0.0) = (0.5, 0, 1), rainbow(0.5) ~ (0.5, 1, 0.707), rainbow(1) = (1, ~0, ~0)
        assert_eq!(Colormap::Rainbow.at(0.0), Color(128, 0, 255));
        assert_eq!(Colormap::Rainbow.at(0.5), Color(128, 255, 180));
        assert_eq!(Colormap::Rainbow.at(1.0), Color(255, 0, 0));
    }

    #[test]
    fn maps_clamp_and_flag_missing_values() {
        assert_eq!(Colormap::Viridis.at(-3.0), Color(68, 1, 84));
        assert_eq!(Colormap::Viridis.at(7.0), Color(254, 232, 37));
        assert_eq!(Colormap::RdBu.map(0.0, -1.0, 1.0), Color(0xf7, 0xf7, 0xf7));
        assert_eq!(Colormap::Gray.map(f64::NAN, 0.0, 1.0), Color::GREY);
        assert_eq!(Colormap::Jet.at(0.5), Color(128, 255, 128));
        assert_eq!(Colormap::Rainbow.sample(5).len(), 5);
        assert_eq!(Colormap::Gray.map(2.0, 2.0, 2.0), Color(128, 128, 128));
    }
}
