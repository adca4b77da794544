//! Axis scales: data ranges with padding, range checks and short tick labels.

use crate::{Error, Result};

/// The scale of one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Evenly spaced decades (base 10); only positive values are drawn.
    Log,
}

/// The padded range of the drawable values, or a unit range when there are none.
pub(crate) fn data_range(values: impl Iterator<Item = f64>, scale: Scale) -> Result<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (scale == Scale::Linear || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    Ok(match scale {
        _ if lo > hi => match scale {
            Scale::Linear => (0.0, 1.0),
            Scale::Log => (1.0, 10.0),
        },
        Scale::Linear if lo == hi => (
            lo - 0.5 * lo.abs().max(1e-12),
            hi + 0.5 * hi.abs().max(1e-12),
        ),
        Scale::Linear => {
            let pad = 0.03 * (hi - lo);
            (lo - pad, hi + pad)
        }
        Scale::Log => {
            let (lo, hi) = if lo == hi {
                (lo / 2.0, hi * 2.0)
            } else {
                let pad = (hi / lo).powf(0.03);
                (lo / pad, hi * pad)
            };
            // A range inside one decade would get no labelled tick: reach down to its decade.
            let decade = 10f64.powf(lo.log10().floor());
            if decade * 10.0 > hi {
                (decade, hi)
            } else {
                (lo, hi)
            }
        }
    })
}

pub(crate) fn check_range(name: &str, lo: f64, hi: f64, scale: Scale) -> Result<()> {
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(Error::invalid(
            name,
            format!("need finite min < max, got ({lo}, {hi})"),
        ));
    }
    if scale == Scale::Log && lo <= 0.0 {
        return Err(Error::invalid(
            name,
            format!("a log axis needs min > 0, got {lo}"),
        ));
    }
    Ok(())
}

/// Tick text: decades as `1e-3` on log axes, short plain or scientific numbers otherwise.
pub(crate) fn tick_label(v: f64, log: bool) -> String {
    // Rounding leaves linear ticks like -2.1e-16 where 0 is meant: no linear axis here spans
    // 1e-12 (log axes can: an MSE of 1e-15 is a value, not a rounded zero).
    if !log && v.abs() < 1e-12 {
        return "0".into();
    }
    let a = v.abs();
    if log || !(1e-3..1e5).contains(&a) {
        let e = a.log10();
        if (e - e.round()).abs() < 1e-9 && (!(-2.0..=3.0).contains(&e.round()) || log) {
            let sign = if v < 0.0 { "-" } else { "" };
            return match e.round() as i32 {
                0 => format!("{sign}1"),
                1 => format!("{sign}10"),
                k => format!("{sign}1e{k}"),
            };
        }
        if !(1e-3..1e5).contains(&a) {
            return format!("{v:.1e}").replace(".0e", "e");
        }
    }
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.001, true), "1e-3");
        assert_eq!(tick_label(100.0, true), "1e2");
        assert_eq!(tick_label(1.0, true), "1");
        assert_eq!(tick_label(0.25, false), "0.25");
        assert_eq!(tick_label(-2.5e-6, false), "-2.5e-6");
        assert_eq!(tick_label(120000.0, false), "1.2e5");
        assert_eq!(tick_label(40.0, false), "40");
        assert_eq!(tick_label(-2.1e-16, false), "0");
        assert_eq!(tick_label(1e-15, true), "1e-15");
        assert_eq!(tick_label(2.5e-14, true), "2.5e-14");
    }

    #[test]
    fn a_log_range_inside_one_decade_reaches_its_decade() {
        let (lo, hi) = data_range([2e-3, 8e-3].into_iter(), Scale::Log).unwrap();
        assert_eq!(lo, 1e-3);
        assert!(hi > 8e-3 && hi < 1e-2, "{hi}");
        let (lo, _) = data_range([3e-15, 4e-15].into_iter(), Scale::Log).unwrap();
        assert!((lo / 1e-15 - 1.0).abs() < 1e-9, "{lo}");
    }

    #[test]
    fn ranges_skip_what_cannot_be_drawn() {
        let (lo, hi) =
            data_range([0.0, -1.0, 1e-3, 1e1, f64::NAN].into_iter(), Scale::Log).unwrap();
        assert!(
            lo < 1e-3 && lo > 5e-4 && hi > 10.0 && hi < 20.0,
            "{lo} {hi}"
        );
        let (lo, hi) = data_range([2.0, 2.0].into_iter(), Scale::Linear).unwrap();
        assert!(lo < 2.0 && hi > 2.0);
        assert_eq!(
            data_range(std::iter::empty(), Scale::Log).unwrap(),
            (1.0, 10.0)
        );
    }
}
