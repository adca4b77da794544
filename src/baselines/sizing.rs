//! Parameter counts of the baselines and the hidden size that matches a parameter budget.
//!
//! With `d` features and hidden size `h` (trainable parameters only):
//!
//! ```text
//! LSTM    4h(d + h) + 8h + (h d + d)            W_ih, W_hh, b_ih, b_hh; read-out
//! ESN     h d + d                               read-out only (reservoir and input fixed)
//! CW-RNN  m^2 g(g + 1)/2 + h d + h + (h d + d)  block upper-triangular W_H (g modules of
//!                                               m = h/g units), W_I, bias; read-out
//! MLP     sum_i (n_i n_{i+1} + n_{i+1})         a HiTS stepper [n_0, ..., n_L]
//! ```
//!
//! [`match_parameters`] returns the hidden size whose count is closest to a target (for the
//! CW-RNN, among multiples of the number of modules). The counts grow with `h`, so a bisection
//! finds the first size at or above the target and the closer of it and its predecessor wins.

use serde::{Deserialize, Serialize};

/// Which baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BaselineKind {
    Lstm,
    Esn,
    CwRnn,
}

impl BaselineKind {
    /// All three, in the order of Table 1.
    pub const ALL: [BaselineKind; 3] = [BaselineKind::Lstm, BaselineKind::Esn, BaselineKind::CwRnn];

    /// The name in the paper's tables: `"LSTM"`, `"ESN"`, `"CW-RNN"`.
    pub fn name(self) -> &'static str {
        match self {
            BaselineKind::Lstm => "LSTM",
            BaselineKind::Esn => "ESN",
            BaselineKind::CwRnn => "CW-RNN",
        }
    }
}

impl std::fmt::Display for BaselineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Trainable parameters of an MLP with layer widths `arch` (weights and biases), e.g. one HiTS
/// stepper.
pub fn mlp_parameter_count(arch: &[usize]) -> usize {
    arch.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
}

/// Trainable parameters of baseline `kind` with `dim` features and `hidden` units
/// (`cwrnn_modules` modules for the CW-RNN, ignored otherwise; a CW-RNN hidden size is rounded
/// down to a multiple of the module count, and 0 modules count as 1).
pub fn parameter_count(
    kind: BaselineKind,
    dim: usize,
    hidden: usize,
    cwrnn_modules: usize,
) -> usize {
    let (d, h) = (dim, hidden);
    let readout = h * d + d;
    match kind {
        BaselineKind::Lstm => 4 * h * (d + h) + 8 * h + readout,
        BaselineKind::Esn => readout,
        BaselineKind::CwRnn => {
            let g = cwrnn_modules.max(1);
            let m = h / g;
            let h = m * g;
            m * m * g * (g + 1) / 2 + h * d + h + h * d + d
        }
    }
}

/// Hidden size whose parameter count is closest to `target` for this model on `dim` features;
/// returns `(hidden, n_params)`. For the CW-RNN the hidden size is a multiple of
/// `cwrnn_modules` (0 counts as 1). A target below the smallest model gives the smallest model.
pub fn match_parameters(
    kind: BaselineKind,
    dim: usize,
    target: usize,
    cwrnn_modules: usize,
) -> (usize, usize) {
    let unit = match kind {
        BaselineKind::CwRnn => cwrnn_modules.max(1),
        _ => 1,
    };
    let count = |k: usize| parameter_count(kind, dim, k * unit, cwrnn_modules);
    // Smallest k >= 1 with count(k) >= target.
    let (mut lo, mut hi) = (1usize, 1usize);
    while count(hi) < target {
        lo = hi;
        hi *= 2;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if count(mid) >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let k = if hi > 1 && target - count(hi - 1) <= count(hi) - target {
        hi - 1
    } else {
        hi
    };
    (k * unit, count(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_hand() {
        // LSTM d=3 h=5: 4*5*8 + 40 + 15 + 3
        assert_eq!(parameter_count(BaselineKind::Lstm, 3, 5, 0), 160 + 40 + 18);
        assert_eq!(parameter_count(BaselineKind::Esn, 3, 5, 0), 18);
        // CW-RNN d=2, 2 modules of 3: blocks (0,0),(0,1),(1,1) = 27; W_I 12; b 6; read-out 14
        assert_eq!(
            parameter_count(BaselineKind::CwRnn, 2, 6, 2),
            27 + 12 + 6 + 14
        );
        assert_eq!(mlp_parameter_count(&[2, 4, 2]), 12 + 10);
    }

    #[test]
    fn matching_is_closest() {
        for kind in BaselineKind::ALL {
            for target in [100, 1_000, 77_777, 4_000_000] {
                let (h, n) = match_parameters(kind, 7, target, 3);
                assert_eq!(n, parameter_count(kind, 7, h, 3));
                let step = if kind == BaselineKind::CwRnn { 3 } else { 1 };
                let gap = n.abs_diff(target);
                assert!(parameter_count(kind, 7, h + step, 3).abs_diff(target) >= gap);
                if h > step {
                    assert!(parameter_count(kind, 7, h - step, 3).abs_diff(target) >= gap);
                }
            }
        }
    }
}
