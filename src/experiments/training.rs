//! Training the eleven steppers of one system (the original `model_training` notebook), as
//! figures and tables made from the [`TrainReport`]s that
//! [`crate::experiments::ode::ensure_steppers_with_reports`] returns.
//!
//! Each stepper `x_{k+1} = x_k + MLP(x_k)` of step `s dt` is trained on windows
//! `x = X[:, 0]`, `ys = X[:, s], X[:, 2s], .., X[:, n_forward s]` with the loss
//! `mean_j MSE(x̂_j, y_j)` of the `n_forward` recurrent predictions; every `eval_every` epochs the
//! training and validation losses are recorded (the history) and the best-validation weights
//! kept. [`loss_figure`] draws these histories, one panel per stepper, log y;
//! [`training_table`] lists epochs, best losses and wall time.
//!
//! A stepper loaded from a finished checkpoint keeps its history (the checkpoint's JSON sidecar
//! holds it) but reports 0 s of wall time: that is how a resumed run shows what it skipped.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::experiments::training::{loss_figure, training_table};
//! use hits::stepper::TrainReport;
//! let report = TrainReport {
//!     step_size: 4,
//!     epochs: 200,
//!     best_val_loss: 1e-4,
//!     history: vec![(100, 1e-3, 2e-3), (200, 1e-4, 1e-4)],
//!     stopped_early: false,
//!     seconds: 1.5,
//! };
//! let fig = loss_figure(&[report.clone()], 0.01, "Hyperbolic")?;
//! assert_eq!(fig.get_panels().len(), 1);
//! assert!(training_table(&[report], 0.01).contains("| 4 | 0.04 | 200 |"));
//! # Ok(())
//! # }
//! ```

use crate::plot::{Axes, Color, Figure, Legend, Series};
use crate::stepper::TrainReport;
use crate::{Error, Result};

/// Blue for the training loss, orange for the validation loss (matplotlib's first two colours).
const TRAIN_COLOR: Color = Color(31, 119, 180);
const VAL_COLOR: Color = Color(255, 127, 14);

fn finite_points(
    history: &[(usize, f64, f64)],
    pick: impl Fn(&(usize, f64, f64)) -> f64,
) -> (Vec<f64>, Vec<f64>) {
    history
        .iter()
        .filter(|h| pick(h).is_finite() && pick(h) > 0.0)
        .map(|h| (h.0 as f64, pick(h)))
        .unzip()
}

/// The training and validation loss of one stepper against epoch, log y.
pub fn loss_axes(report: &TrainReport, dt: f64) -> Axes {
    let (te, tl) = finite_points(&report.history, |h| h.1);
    let (ve, vl) = finite_points(&report.history, |h| h.2);
    Axes::new()
        .title(format!(
            "step {} dt = {:.4}",
            report.step_size,
            report.step_size as f64 * dt
        ))
        .x_label("epoch")
        .y_label("loss")
        .log_y()
        .legend(Legend::UpperRight)
        .series(Series::line(&te, &tl).label("train").color(TRAIN_COLOR))
        .series(Series::line(&ve, &vl).label("val").color(VAL_COLOR))
}

/// Loss curves of every stepper, one panel each (up to four per row), sorted by step size.
pub fn loss_figure(reports: &[TrainReport], dt: f64, title: &str) -> Result<Figure> {
    if reports.is_empty() {
        return Err(Error::invalid("reports", "no training reports to plot"));
    }
    let mut sorted: Vec<&TrainReport> = reports.iter().collect();
    sorted.sort_by_key(|r| r.step_size);
    let cols = sorted.len().min(4);
    let rows = sorted.len().div_ceil(cols);
    Ok(Figure::new()
        .title(format!(
            "{title}: training (blue) and validation (orange) loss"
        ))
        .grid(rows, cols)
        .size(300 * cols as u32, 250 * rows as u32 + 40)
        .panels(sorted.iter().map(|r| loss_axes(r, dt))))
}

/// The best validation loss of every stepper against its step size (log-log): how hard each
/// time scale is to learn.
pub fn best_loss_axes(reports: &[TrainReport], dt: f64) -> Axes {
    let mut pts: Vec<(f64, f64)> = reports
        .iter()
        .filter(|r| r.best_val_loss.is_finite() && r.best_val_loss > 0.0)
        .map(|r| (r.step_size as f64 * dt, r.best_val_loss))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (x, y): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
    Axes::new()
        .title("best validation loss per step size")
        .x_label("step [time]")
        .y_label("loss")
        .log_x()
        .log_y()
        .series(
            Series::line_points(&x, &y)
                .label("best val")
                .color(VAL_COLOR),
        )
}

/// A markdown table: step size, epochs trained, last training loss, best validation loss,
/// whether the target loss stopped it, and wall time (0 s: loaded from a finished checkpoint).
pub fn training_table(reports: &[TrainReport], dt: f64) -> String {
    let mut sorted: Vec<&TrainReport> = reports.iter().collect();
    sorted.sort_by_key(|r| r.step_size);
    let mut s = String::from("| step / dt | step | epochs | last train loss | best val loss | stopped early | time [s] |\n|---|---|---|---|---|---|---|\n");
    for r in sorted {
        let last = r
            .history
            .last()
            .map_or("-".to_string(), |h| format!("{:.2e}", h.1));
        s += &format!(
            "| {} | {} | {} | {} | {:.2e} | {} | {:.1} |\n",
            r.step_size,
            crate::data::npy::python_float(r.step_size as f64 * dt),
            r.epochs,
            last,
            r.best_val_loss,
            if r.stopped_early { "yes" } else { "no" },
            r.seconds
        );
    }
    s
}
