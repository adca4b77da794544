//! Post-processing of the wake: bilinear sampling onto the output grid, and the shedding
//! frequency from upward zero crossings of the lift.

/// A uniform lattice field: value `v[j nx + i]` at `(x0 + i h, y0 + j h)`.
#[derive(Debug, Clone, Copy)]
pub struct GridField<'a> {
    pub v: &'a [f64],
    pub nx: usize,
    pub ny: usize,
    pub x0: f64,
    pub y0: f64,
    pub h: f64,
}

impl GridField<'_> {
    /// Bilinear interpolation at `(x, y)`, clamped to the grid.
    pub fn bilinear(&self, x: f64, y: f64) -> f64 {
        let a = ((x - self.x0) / self.h).clamp(0.0, (self.nx - 1) as f64);
        let b = ((y - self.y0) / self.h).clamp(0.0, (self.ny - 1) as f64);
        let (i, j) = (
            (a.floor() as usize).min(self.nx - 2),
            (b.floor() as usize).min(self.ny - 2),
        );
        let (fa, fb) = (a - i as f64, b - j as f64);
        let at = |i: usize, j: usize| self.v[j * self.nx + i];
        (1.0 - fb) * ((1.0 - fa) * at(i, j) + fa * at(i + 1, j))
            + fb * ((1.0 - fa) * at(i, j + 1) + fa * at(i + 1, j + 1))
    }
}

/// Times (in samples, fractional) at which `signal - mean(signal)` crosses zero upwards,
/// located by linear interpolation.
pub fn upward_crossings(signal: &[f64]) -> Vec<f64> {
    if signal.is_empty() {
        return Vec::new();
    }
    let mean = signal.iter().sum::<f64>() / signal.len() as f64;
    signal
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] - mean < 0.0 && w[1] - mean >= 0.0)
        .map(|(n, w)| n as f64 + (mean - w[0]) / (w[1] - w[0]))
        .collect()
}

/// The dominant period (in samples) of an oscillating signal: the mean spacing of its upward
/// zero crossings, with the first and last crossing; `None` with fewer than two crossings.
pub fn period(signal: &[f64]) -> Option<(f64, f64, f64)> {
    let c = upward_crossings(signal);
    if c.len() < 2 {
        return None;
    }
    let (first, last) = (c[0], c[c.len() - 1]);
    Some(((last - first) / (c.len() - 1) as f64, first, last))
}

/// Mean of `signal` over the samples between `from` and `to` (fractional indices, rounded).
pub fn mean_between(signal: &[f64], from: f64, to: f64) -> f64 {
    let (a, b) = (
        from.round() as usize,
        (to.round() as usize).min(signal.len()),
    );
    if b <= a {
        return signal.iter().sum::<f64>() / signal.len().max(1) as f64;
    }
    signal[a..b].iter().sum::<f64>() / (b - a) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_of_a_sine() {
        let p = 37.3;
        let s: Vec<f64> = (0..1000)
            .map(|n| (2.0 * std::f64::consts::PI * n as f64 / p + 0.3).sin() + 0.2)
            .collect();
        let (got, first, last) = period(&s).unwrap();
        assert!((got - p).abs() < 0.05, "{got}");
        assert!((mean_between(&s, first, last) - 0.2).abs() < 1e-2);
    }

    #[test]
    fn bilinear_is_exact_for_bilinear_fields() {
        let (nx, ny) = (5, 4);
        let v: Vec<f64> = (0..nx * ny)
            .map(|n| ((n % nx) as f64 * 0.5 - 1.0) * (1.0 + 0.25 * (n / nx) as f64))
            .collect();
        let g = GridField {
            v: &v,
            nx,
            ny,
            x0: -1.0,
            y0: 2.0,
            h: 0.5,
        };
        let (x, y) = (0.3, 2.7);
        assert!((g.bilinear(x, y) - x * (1.0 + 0.5 * (y - 2.0))).abs() < 1e-12);
    }
}
