//! The Dormand-Prince 5(4) tableau, with scipy's dense-output matrix.
//!
//! Coefficients are written as the same divisions as in scipy's `rk.py` (`RK45.A`, `.B`, `.C`,
//! `.E`, `.P`), so every `f64` is bit-identical to scipy's. `E` is the difference between the
//! 4th-order and the 5th-order weights (with the FSAL stage appended), so `h K^T E` is the local
//! error estimate; `P` gives the quartic interpolant of Shampine (1986) with the optimal c_6:
//! `y(t_old + x h) = y_old + h K^T P (x, x^2, x^3, x^4)`.
//!
//! References: J. R. Dormand, P. J. Prince, "A family of embedded Runge-Kutta formulae",
//! J. Comput. Appl. Math. 6 (1980) 19-26; L. W. Shampine, "Some practical Runge-Kutta formulas",
//! Math. Comp. 46 (1986) 135-150.

/// Number of stages of the Dormand-Prince pair (the FSAL stage `f(t + h, y_new)` not counted).
pub const N_STAGES: usize = 6;

/// Order of the embedded error estimator (4): the error exponent is `-1 / (4 + 1)`.
pub const ERROR_ESTIMATOR_ORDER: i32 = 4;

/// An explicit Runge-Kutta pair with a dense-output matrix, in scipy's notation.
#[derive(Debug, Clone, PartialEq)]
pub struct Tableau {
    /// Stage times `c_i` (`c_0 = 0`).
    pub c: [f64; N_STAGES],
    /// Stage coefficients: row `i` combines stages `0..i` (lower triangular).
    pub a: [[f64; N_STAGES - 1]; N_STAGES],
    /// 5th-order weights of the step.
    pub b: [f64; N_STAGES],
    /// Error weights over the stages and the FSAL stage (`b_4th - b_5th`, length 7).
    pub e: [f64; N_STAGES + 1],
    /// Dense-output matrix `[7, 4]`: `Q = K^T P`.
    pub p: [[f64; 4]; N_STAGES + 1],
}

/// The Dormand-Prince 5(4) tableau exactly as scipy's `RK45`.
pub const DOPRI5: Tableau = Tableau {
    c: [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0],
    a: [
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0],
        [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0],
        [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0],
        [
            19372.0 / 6561.0,
            -25360.0 / 2187.0,
            64448.0 / 6561.0,
            -212.0 / 729.0,
            0.0,
        ],
        [
            9017.0 / 3168.0,
            -355.0 / 33.0,
            46732.0 / 5247.0,
            49.0 / 176.0,
            -5103.0 / 18656.0,
        ],
    ],
    b: [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
    e: [
        -71.0 / 57600.0,
        0.0,
        71.0 / 16695.0,
        -71.0 / 1920.0,
        17253.0 / 339200.0,
        -22.0 / 525.0,
        1.0 / 40.0,
    ],
    p: [
        [
            1.0,
            -8048581381.0 / 2820520608.0,
            8663915743.0 / 2820520608.0,
            -12715105075.0 / 11282082432.0,
        ],
        [0.0, 0.0, 0.0, 0.0],
        [
            0.0,
            131558114200.0 / 32700410799.0,
            -68118460800.0 / 10900136933.0,
            87487479700.0 / 32700410799.0,
        ],
        [
            0.0,
            -1754552775.0 / 470086768.0,
            14199869525.0 / 1410260304.0,
            -10690763975.0 / 1880347072.0,
        ],
        [
            0.0,
            127303824393.0 / 49829197408.0,
            -318862633887.0 / 49829197408.0,
            701980252875.0 / 199316789632.0,
        ],
        [
            0.0,
            -282668133.0 / 205662961.0,
            2019193451.0 / 616988883.0,
            -1453857185.0 / 822651844.0,
        ],
        [
            0.0,
            40617522.0 / 29380423.0,
            -110615467.0 / 29380423.0,
            69997945.0 / 29380423.0,
        ],
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_a_sum_to_c_and_weights_sum_to_one() {
        let t = &DOPRI5;
        for (i, row) in t.a.iter().enumerate() {
            let s: f64 = row.iter().sum();
            assert!(
                (s - t.c[i]).abs() < 1e-14,
                "row {i}: sum {s} != c {}",
                t.c[i]
            );
        }
        let sb: f64 = t.b.iter().sum();
        assert!((sb - 1.0).abs() < 1e-14, "sum b = {sb}");
        // The embedded 4th-order weights b - e[..6] (plus the FSAL weight -e[6]) also sum to one,
        // so the error weights sum to zero.
        let se: f64 = t.e.iter().sum();
        assert!(se.abs() < 1e-15, "sum e = {se}");
    }

    #[test]
    fn interpolant_reproduces_the_step_at_x_equal_one() {
        // At x = 1 the interpolant must give y_new = y_old + h K^T b: column sums of P equal b
        // (and 0 for the FSAL row).
        let t = &DOPRI5;
        for i in 0..N_STAGES + 1 {
            let s: f64 = t.p[i].iter().sum();
            let want = if i < N_STAGES { t.b[i] } else { 0.0 };
            assert!((s - want).abs() < 1e-14, "P row {i}: {s} != {want}");
        }
    }

    #[test]
    fn order_conditions_up_to_five_hold() {
        // A few classical order conditions of the 5th-order weights.
        let t = &DOPRI5;
        let bc = |k: i32| -> f64 { (0..N_STAGES).map(|i| t.b[i] * t.c[i].powi(k)).sum() };
        for k in 0..5 {
            let want = 1.0 / f64::from(k + 1);
            assert!(
                (bc(k) - want).abs() < 1e-14,
                "sum b c^{k} = {} != {want}",
                bc(k)
            );
        }
    }
}
