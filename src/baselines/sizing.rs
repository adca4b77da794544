//! Weight counts of the baselines and the one rule that sizes them to a parameter budget (the
//! whole HiTS of Table 1).
//!
//! With `d` features and hidden size `h`, every weight counted as the original counts it
//! (PyTorch's `numel` of every parameter of its modules, `seq_generations.ipynb`):
//!
//! ```text
//! LSTM    4h(d + h) + 8h + (h d + d)      W_ih, W_hh, b_ih, b_hh; read-out   (nn.LSTM + nn.Linear)
//! CW-RNN  h^2 + 2h d + 2h + d             W_H in full, W_I, b_ih, b_hh; read-out (nn.RNNCell + nn.Linear)
//! ESN     h^2 + 2h d + d                  reservoir W, input W_in, read-out with bias
//! MLP     sum_i (n_i n_{i+1} + n_{i+1})   a HiTS stepper [n_0, ..., n_L]
//! ```
//!
//! Two of these count weights that gradient descent never changes, which
//! [`trained_parameter_count`] leaves out: the CW-RNN's recurrent matrix is block
//! upper-triangular (`g` modules of `m = h/g` units; its lower blocks are masked at zero, as in the
//! original, whose `nn.RNNCell` still holds them), so `m^2 g(g+1)/2` of its `h^2` entries are
//! trained; the ESN's reservoir and input weights are fixed random numbers and only its read-out
//! (`h d + d`) is fitted.
//!
//! # The sizing rule ([`match_parameters`])
//!
//! The hidden size is the ROUNDEST one whose weight count is within [`SIZE_TOLERANCE`] (2 %) of
//! the budget: hidden sizes are tried on the grid of multiples of `10^k` (and of the module count
//! for the CW-RNN) for `k` from large to small; on the first grid that has a size within 2 %, the
//! closer of the two sizes around the budget wins. (If not even the finest grid has one, for
//! budgets of a few hundred weights, the closest size there is returned.)
//!
//! For KS (the five steppers `[512, w, 512]`, `w` = 2048, 1024, 512, 256, 128: budget
//! 4 069 760) this gives the published LSTM 740 (4 091 232 weights, +0.53 %) and CW-RNN 1570 with
//! 5 modules (4 076 232, +0.16 %). Neither simpler rule does both: the CLOSEST size is LSTM 737-738,
//! and "the smallest multiple of 10 that reaches the budget" (740 and 1570 for KS) misses 2 % on
//! the smaller data sets (Fluid's LSTM would be 60 units, +8.1 %; Bach's 290, +2.3 %).
//!
//! The published KS reservoir of 1600 units comes out of no consistent rule: with every weight
//! counted it holds 4 198 912 (+3.2 %, outside 2 %; at a tolerance that admits it the same rule
//! would give the CW-RNN 1600 instead of 1570), with only its trained read-out 819 712 (a fifth of
//! the budget; the original printed that number), with reservoir and input but no read-out
//! 3 379 200 (-17 %). The rule gives 1570; the published 1600 can be set by hand
//! ([`crate::experiments::table1::BaselineSizing::esn_reservoir`]).

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

/// How far (relative) a baseline's weight count may be from the budget: 2 %.
pub const SIZE_TOLERANCE: f64 = 0.02;

/// Trainable parameters of an MLP with layer widths `arch` (weights and biases), e.g. one HiTS
/// stepper.
pub fn mlp_parameter_count(arch: &[usize]) -> usize {
    arch.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
}

/// Weights of baseline `kind` with `dim` features and `hidden` units, every weight matrix counted
/// in full (see the module docs; `cwrnn_modules` is not needed for this count).
pub fn parameter_count(
    kind: BaselineKind,
    dim: usize,
    hidden: usize,
    _cwrnn_modules: usize,
) -> usize {
    let (d, h) = (dim, hidden);
    let readout = h * d + d;
    match kind {
        BaselineKind::Lstm => 4 * h * (d + h) + 8 * h + readout,
        BaselineKind::Esn => h * h + h * d + readout,
        BaselineKind::CwRnn => h * h + h * d + 2 * h + readout,
    }
}

/// The weights of [`parameter_count`] that training changes: all of the LSTM's; the CW-RNN's
/// without the masked lower blocks of `W_H` (`cwrnn_modules` modules, 0 counts as 1; a hidden
/// size that is not a multiple is rounded down); only the ESN's read-out.
pub fn trained_parameter_count(
    kind: BaselineKind,
    dim: usize,
    hidden: usize,
    cwrnn_modules: usize,
) -> usize {
    let (d, h) = (dim, hidden);
    match kind {
        BaselineKind::Lstm => parameter_count(kind, d, h, 0),
        BaselineKind::Esn => h * d + d,
        BaselineKind::CwRnn => {
            let g = cwrnn_modules.max(1);
            let m = h / g;
            m * m * g * (g + 1) / 2 + 2 * h * d + 2 * h + d
        }
    }
}

/// The hidden size (reservoir for the ESN) of `kind` on `dim` features for a budget of
/// `target` weights, by the rule of the module docs; returns `(hidden, parameter_count)`. For
/// the CW-RNN the size is a multiple of `cwrnn_modules` (0 counts as 1).
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
    let count = |h: usize| parameter_count(kind, dim, h, cwrnn_modules);
    let cross = unit * first_reaching(|k| count(k * unit), target);
    let tol = SIZE_TOLERANCE * target as f64;
    let gap = |h: usize| count(h).abs_diff(target);
    let mut grid = 10usize.pow(cross.to_string().len() as u32);
    loop {
        let g = lcm(grid, unit);
        // `below` < cross <= `above`: the two sizes of this grid around the budget.
        let below = (cross - 1) / g * g;
        let above = below + g;
        let best = [below, above]
            .into_iter()
            .filter(|&h| h > 0)
            .min_by_key(|&h| (gap(h), std::cmp::Reverse(h)))
            .unwrap_or(above);
        if gap(best) as f64 <= tol || grid == 1 {
            return (best, count(best));
        }
        grid /= 10;
    }
}

/// Smallest `k >= 1` with `count(k) >= target` (`count` increasing).
fn first_reaching(count: impl Fn(usize) -> usize, target: usize) -> usize {
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
    hi
}

fn lcm(a: usize, b: usize) -> usize {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    a / x * b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_hand() {
        // LSTM d=3 h=5: 4*5*8 + 40 + 15 + 3
        assert_eq!(parameter_count(BaselineKind::Lstm, 3, 5, 0), 160 + 40 + 18);
        // ESN d=3 h=5: reservoir 25, input 15, read-out 18
        assert_eq!(parameter_count(BaselineKind::Esn, 3, 5, 0), 25 + 15 + 18);
        assert_eq!(trained_parameter_count(BaselineKind::Esn, 3, 5, 0), 18);
        // CW-RNN d=2 h=6: W_H 36, W_I 12, two biases 12, read-out 14; 2 modules of 3 train
        // the blocks (0,0),(0,1),(1,1) = 27 of W_H
        assert_eq!(
            parameter_count(BaselineKind::CwRnn, 2, 6, 2),
            36 + 12 + 12 + 14
        );
        assert_eq!(
            trained_parameter_count(BaselineKind::CwRnn, 2, 6, 2),
            27 + 12 + 12 + 14
        );
        assert_eq!(mlp_parameter_count(&[2, 4, 2]), 12 + 10);
    }

    /// The rule on budgets worked out by hand (see the module docs).
    #[test]
    fn roundest_size_within_two_percent() {
        let lstm = |d, t| match_parameters(BaselineKind::Lstm, d, t, 0);
        // KS: 730 (-1.55 %) and 740 (+0.53 %) are both within 2 %: the closer wins.
        assert_eq!(lstm(512, 4_069_760), (740, 4_091_232));
        // Fluid: no multiple of 10 within 2 % (50: -20 %, 60: +8.1 %): 57 (-0.72 %), not 58.
        assert_eq!(lstm(22, 19_888).0, 57);
        assert_eq!(
            match_parameters(BaselineKind::CwRnn, 512, 4_069_760, 5),
            (1570, 4_076_232)
        );
        assert_eq!(
            match_parameters(BaselineKind::Esn, 512, 4_069_760, 0).0,
            1570
        );
        // A CW-RNN of 3 modules on the grid of 30 (lcm of 10 and 3) or of 3.
        let (h, _) = match_parameters(BaselineKind::CwRnn, 7, 77_777, 3);
        assert_eq!(h % 3, 0);
        assert_eq!(lcm(10, 3), 30);
        assert_eq!(lcm(100, 5), 100);
    }

    #[test]
    fn always_within_tolerance_for_real_budgets() {
        for kind in BaselineKind::ALL {
            for target in [77_777, 1_020_416, 4_000_000, 19_519_360] {
                let (h, n) = match_parameters(kind, 7, target, 3);
                assert_eq!(n, parameter_count(kind, 7, h, 3));
                let rel = n.abs_diff(target) as f64 / target as f64;
                assert!(rel <= SIZE_TOLERANCE, "{kind} {target}: {h} -> {n}");
            }
        }
        // A budget below the smallest model gives the smallest model.
        assert_eq!(match_parameters(BaselineKind::Lstm, 7, 1, 0).0, 1);
    }
}
