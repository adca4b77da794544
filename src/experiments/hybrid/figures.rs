//! The figures of [`HybridResult`]: accuracy against cost (Figure 6B) and the error curves of
//! RK4 and of the hybrid at every RK4 step (Figure 9).

use super::HybridResult;
use crate::plot::Axes;
use crate::plot::{error_vs_time, Color, Figure, Legend, Series};
use crate::Result;

const RED: Color = Color(214, 39, 40);
const BLUE: Color = Color(31, 119, 180);
const GREY: Color = Color(127, 127, 127);

impl HybridResult {
    /// Figure 6B: test MSE against forecast wall time (log-log), RK4 (blue) and hybrid (red)
    /// at every RK4 step, points labelled by h; the coarse stepper alone in grey.
    pub fn accuracy_figure(&self) -> Result<Figure> {
        let labels: Vec<String> = self.rows.iter().map(|r| format!("h={}", r.h)).collect();
        let pick =
            |f: &dyn Fn(&super::HybridRow) -> f64| self.rows.iter().map(f).collect::<Vec<f64>>();
        let axes = Axes::new()
            .title(format!(
                "{}: accuracy vs computing time ({} trajectories)",
                self.system, self.n_test
            ))
            .x_label("forecast wall time [s]")
            .y_label("test MSE")
            .log_x()
            .log_y()
            .legend(Legend::UpperRight)
            .series(
                Series::points(&pick(&|r| r.rk4_seconds), &pick(&|r| r.rk4_mse))
                    .label("RK4")
                    .color(BLUE)
                    .point_labels(labels.clone()),
            )
            .series(
                Series::points(&pick(&|r| r.hybrid_seconds), &pick(&|r| r.hybrid_mse))
                    .label(format!("hybrid (NN {} dt + RK4)", self.coarse_step))
                    .color(RED)
                    .point_labels(labels),
            )
            .series(
                Series::points(&[self.coarse_seconds], &[self.coarse_mse])
                    .label(format!("NN {} dt alone", self.coarse_step))
                    .color(GREY),
            );
        Ok(Figure::new().panel(axes).size(900, 560))
    }

    /// Figure 9: test MSE against time (log y), one line per RK4 step (rainbow), RK4 on the
    /// left, the hybrid on the right, the coarse stepper alone in grey on both.
    pub fn error_figure(&self) -> Result<Figure> {
        let n = self.coarse_per_step.len();
        let t: Vec<f64> = (1..=n).map(|i| i as f64 * self.dt).collect();
        let curves = |f: &dyn Fn(&super::HybridRow) -> &Vec<f64>| -> Vec<(String, Vec<f64>)> {
            self.rows
                .iter()
                .map(|r| (format!("h = {} dt", r.h), f(r).clone()))
                .collect()
        };
        let coarse = Series::line(&t, &self.coarse_per_step)
            .label(format!("NN {} dt alone", self.coarse_step))
            .color(GREY)
            .width(1);
        let rk4 = error_vs_time(&t, &curves(&|r| &r.rk4_per_step))?
            .title("RK4")
            .y_label("test MSE")
            .legend(Legend::LowerRight)
            .series(coarse.clone());
        let hybrid = error_vs_time(&t, &curves(&|r| &r.hybrid_per_step))?
            .title(format!("hybrid: NN {} dt + RK4", self.coarse_step))
            .y_label("test MSE")
            .legend(Legend::LowerRight)
            .series(coarse);
        Ok(Figure::new()
            .title(format!("{}: error vs time (Figure 9)", self.system))
            .grid(1, 2)
            .size(1100, 500)
            .panels([rk4, hybrid]))
    }
}
