//! The figures of [`MultiscaleResult`]: Figure 5 (error vs time), sample trajectories, and
//! the computing time of every forecast.

use super::MultiscaleResult;
use crate::plot::{error_vs_time, Axes, Color, Figure, Legend, Series};
use crate::Result;

const BLACK: Color = Color(0, 0, 0);
const RED: Color = Color(214, 39, 40);
const BLUE: Color = Color(31, 119, 180);
const GREY: Color = Color(127, 127, 127);

impl MultiscaleResult {
    fn times(&self, from: usize, n: usize) -> Vec<f64> {
        (from..from + n).map(|i| i as f64 * self.dt).collect()
    }

    /// Figure 5: test MSE against time (log y) of every step size (rainbow, smallest violet)
    /// and of the multiscale coupling (black, thick).
    pub fn error_figure(&self) -> Result<Figure> {
        let ms = self.multiscale_row();
        let t = self.times(1, ms.mse_per_step.len());
        let curves: Vec<(String, Vec<f64>)> = self
            .single_rows()
            .iter()
            .map(|r| (format!("{} dt", r.step_sizes[0]), r.mse_per_step.clone()))
            .collect();
        let sel = self.selected_steps();
        let label = format!(
            "multiscale {}..{} dt",
            sel.first().copied().unwrap_or(0),
            sel.last().copied().unwrap_or(0)
        );
        let axes = error_vs_time(&t, &curves)?
            .title(format!(
                "{}: test MSE vs time (Figure 5)",
                self.problem.name
            ))
            .y_label("MSE")
            .legend(Legend::LowerRight)
            .series(
                Series::line(&t, &ms.mse_per_step)
                    .label(label)
                    .color(BLACK)
                    .width(4),
            );
        Ok(Figure::new().panel(axes).size(900, 600))
    }

    /// One test trajectory: every state variable against time (truth black, multiscale red,
    /// best single scale blue), and a phase-plane panel (the problem's `view.phase_axes`).
    pub fn sample_figure(&self) -> Result<Figure> {
        let n = self.sample_truth.nrows();
        let t = self.times(0, n);
        let names: Vec<&str> = self.problem.components.iter().map(String::as_str).collect();
        let best = format!("best single ({} dt)", self.best_step);
        let col = |a: &ndarray::Array2<f64>, d: usize| a.column(d).to_vec();
        let mut panels: Vec<Axes> = (0..self.sample_truth.ncols())
            .map(|d| {
                Axes::new()
                    .x_label("t")
                    .y_label(names.get(d).copied().unwrap_or("state"))
                    .series(
                        Series::line(&t, &col(&self.sample_truth, d))
                            .label("truth")
                            .color(BLACK)
                            .width(3),
                    )
                    .series(
                        Series::line(&t, &col(&self.sample_multiscale, d))
                            .label("multiscale")
                            .color(RED),
                    )
                    .series(
                        Series::line(&t, &col(&self.sample_best, d))
                            .label(best.as_str())
                            .color(BLUE)
                            .width(1),
                    )
            })
            .collect();
        let (i, j) = self.problem.view.phase_axes;
        if j < self.sample_truth.ncols() {
            let pair = |a: &ndarray::Array2<f64>| (col(a, i), col(a, j));
            let (tx, ty) = pair(&self.sample_truth);
            let (mx, my) = pair(&self.sample_multiscale);
            let (bx, by) = pair(&self.sample_best);
            panels.push(
                Axes::new()
                    .title(format!("{}-{} plane", names[i], names[j]))
                    .x_label(names[i])
                    .y_label(names[j])
                    .legend(Legend::Hidden)
                    .series(Series::line(&tx, &ty).color(BLACK).width(3))
                    .series(Series::line(&mx, &my).color(RED))
                    .series(Series::line(&bx, &by).color(BLUE).width(1)),
            );
        }
        let rows = panels.len().div_ceil(2);
        Ok(Figure::new()
            .title(format!(
                "{}: test trajectory {}",
                self.problem.name,
                super::SAMPLE_TRAJECTORY
            ))
            .grid(rows, 2)
            .size(900, 320 * rows as u32)
            .panels(panels))
    }

    /// Computing time: forecast wall time against step size (log-log), ours and the paper's
    /// (authors' laptop: step 1, step 1024 and the multiscale), the multiscale times as
    /// horizontal lines.
    pub fn timing_figure(&self) -> Result<Figure> {
        let ks: Vec<f64> = self.steps.iter().map(|&k| k as f64).collect();
        let secs: Vec<f64> = self.single_rows().iter().map(|r| r.seconds).collect();
        let span = [
            ks.first().copied().unwrap_or(1.0),
            ks.last().copied().unwrap_or(1.0).max(2.0),
        ];
        let ms = self.multiscale_row();
        let mut axes = Axes::new()
            .title(format!(
                "{}: forecast wall time ({} trajectories)",
                self.problem.name, self.n_test
            ))
            .x_label("step size (dt)")
            .y_label("seconds")
            .log_x()
            .log_y()
            .series(
                Series::line_points(&ks, &secs)
                    .label("single scale (ours)")
                    .color(BLUE),
            )
            .series(
                Series::line(&span, &[ms.seconds; 2])
                    .label("multiscale (ours)")
                    .color(RED)
                    .width(3),
            );
        let paper: Vec<(f64, f64)> = self
            .single_rows()
            .iter()
            .filter_map(|r| r.paper_seconds.map(|s| (r.step_sizes[0] as f64, s)))
            .collect();
        if !paper.is_empty() {
            let (px, py): (Vec<f64>, Vec<f64>) = paper.into_iter().unzip();
            axes = axes.series(
                Series::points(&px, &py)
                    .label("single scale (paper)")
                    .color(GREY),
            );
        }
        if let Some(p) = ms.paper_seconds {
            axes = axes.series(
                Series::line(&span, &[p; 2])
                    .label("multiscale (paper)")
                    .color(GREY)
                    .width(1),
            );
        }
        Ok(Figure::new().panel(axes).size(900, 520))
    }
}
