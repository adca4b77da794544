//! Tables 6-8, Figure 6A and Figure 8 from a [`NoisyResult`].

use super::NoisyResult;
use crate::forecast::Score;
use crate::plot::{Axes, Color, Figure, Legend, Series};
use crate::{Error, Result};

fn percent(noise: f64) -> String {
    format!(
        "{}%",
        crate::data::npy::python_float(100.0 * noise).trim_end_matches(".0")
    )
}

/// Our score (`diverged at step N` when it is not a number) and the paper's value.
fn cell(ours: Score, paper: Option<f64>) -> String {
    let ours = ours.describe(|v| format!("{v:.1e}"));
    match paper {
        Some(p) => format!("{ours} ({p:.1e})"),
        None => ours,
    }
}

/// Keep the points where both coordinates can go on log axes.
fn loggable(xs: &[f64], ys: &[f64]) -> (Vec<f64>, Vec<f64>) {
    xs.iter()
        .zip(ys)
        .filter(|(x, y)| x.is_finite() && y.is_finite() && **x > 0.0 && **y > 0.0)
        .map(|(x, y)| (*x, *y))
        .unzip()
}

/// One series of Figure 6A: x, y, label, colour, point size.
type PointSet = (Vec<f64>, Vec<f64>, String, Color, u32);

/// Single-scale forecasts above this test MSE have diverged; Figure 6A leaves them out (they
/// would squash every other point into one corner of a log axis). The tables keep them.
pub const DIVERGED: f64 = 1e6;

fn noise_color(i: usize) -> Color {
    [Color(0, 0, 0), Color(31, 119, 180), Color(214, 39, 40)]
        .get(i)
        .copied()
        .unwrap_or_else(|| Color::palette(i))
}

impl NoisyResult {
    /// The noise levels present, in order of first appearance.
    pub fn noises(&self) -> Vec<f64> {
        let mut out: Vec<f64> = Vec::new();
        for r in self.systems.iter().flat_map(|s| &s.runs) {
            if !out.contains(&r.noise) {
                out.push(r.noise);
            }
        }
        out
    }

    /// Tables 6-8: one table per noise level, a row per system with the test MSE of every step
    /// size and of the multiscale coupling (the paper's value in brackets where it has one),
    /// the multiscale MSE against the clean test set and the selected step sizes.
    pub fn tables_markdown(&self) -> String {
        let mut s = String::new();
        if self.quick {
            s += "Quick mode (tiny data and nets): the numbers show the pipeline working, not the paper's accuracy.\n\n";
        }
        if let Some(cap) = self.epoch_cap {
            s += &format!("Training capped at {cap} epochs per stepper.\n\n");
        }
        s += "Test MSE against the noisy test set, as the original (paper's value in brackets); `clean`: the multiscale forecast against the clean test trajectories.\n\n";
        for (t, noise) in self.noises().into_iter().enumerate() {
            let steps: Vec<usize> = self
                .systems
                .iter()
                .flat_map(|sys| {
                    sys.runs.iter().filter(|r| r.noise == noise).flat_map(|r| {
                        r.singles()
                            .filter_map(|row| row.step_sizes.first().copied())
                    })
                })
                .fold(Vec::new(), |mut v, k| {
                    if !v.contains(&k) {
                        v.push(k);
                    }
                    v
                });
            let mut steps = steps;
            steps.sort_unstable();
            s += &format!("## Table {}: {} noise\n\n| system |", 6 + t, percent(noise));
            for k in &steps {
                s += &format!(" {k} dt |");
            }
            s += " multiscale | clean | selected (dt) | epochs |\n|---|";
            s += &"---|".repeat(steps.len() + 4);
            s += "\n";
            for sys in &self.systems {
                let Some(run) = sys.runs.iter().find(|r| r.noise == noise) else {
                    continue;
                };
                s += &format!("| {} |", sys.problem.name);
                for k in &steps {
                    let row = run.singles().find(|r| r.step_sizes.first() == Some(k));
                    let paper = if noise == 0.0 {
                        sys.problem.reference.and_then(|p| p.single_mse(*k))
                    } else {
                        None
                    };
                    s += &format!(" {} |", row.map_or("-".into(), |r| cell(r.score(), paper)));
                }
                match run.multiscale() {
                    Some(ms) => {
                        let paper = sys.problem.reference.and_then(|p| p.multiscale_at(noise));
                        let sel = match ms.step_sizes.as_slice() {
                            [a, .., b] => format!("{a}..{b}"),
                            [a] => a.to_string(),
                            [] => "-".into(),
                        };
                        s += &format!(
                            " {} | {} | {sel} |",
                            cell(ms.score(), paper),
                            Score::value(run.multiscale_mse_clean).describe(|v| format!("{v:.1e}"))
                        );
                    }
                    None => s += " - | - | - |",
                }
                s += &format!(" {} / {} |\n", run.epochs, run.epoch_limit);
            }
            s += "\n";
        }
        s
    }

    /// Every row as CSV: system, noise, method, step sizes, MSE (noisy truth), the paper's,
    /// MSE against the clean truth (multiscale only), forecast seconds, and the step at which a
    /// diverged forecast left the finite range (its `mse` and `mse_clean` then empty; never
    /// `NaN` or `inf`).
    pub fn tables_csv(&self) -> String {
        let mut s =
            String::from("system,noise,method,steps,mse,paper_mse,mse_clean,seconds,diverged_at\n");
        for sys in &self.systems {
            for run in &sys.runs {
                for r in &run.rows {
                    let steps: Vec<String> = r.step_sizes.iter().map(|k| k.to_string()).collect();
                    let clean = if r.method == "multiscale" {
                        Score::value(run.multiscale_mse_clean).csv_cells().0
                    } else {
                        String::new()
                    };
                    let (mse, diverged) = r.score().csv_cells();
                    s += &format!(
                        "{},{},{},{},{},{},{},{},{}\n",
                        sys.problem.folder,
                        run.noise,
                        r.method,
                        steps.join(" "),
                        mse,
                        r.paper_mse.map_or(String::new(), |v| format!("{v:e}")),
                        clean,
                        r.seconds,
                        diverged
                    );
                }
            }
        }
        s
    }

    /// Figure 6A, accuracy against efficiency: one panel per system, test MSE against forecast
    /// wall time (both measured here), the single scales as small points per noise level and the
    /// multiscale coupling as a large point of the same colour.
    pub fn fig6a(&self) -> Result<Figure> {
        if self.systems.is_empty() {
            return Err(Error::invalid("systems", "no results to plot"));
        }
        let panels = self.systems.iter().enumerate().map(|(p, sys)| {
            let legend = if p == 0 {
                Legend::UpperRight
            } else {
                Legend::Hidden
            };
            let mut series = Vec::new();
            for (i, run) in sys.runs.iter().enumerate() {
                let c = noise_color(i);
                let singles: Vec<_> = run.singles().filter(|r| r.mse <= DIVERGED).collect();
                let (x, y) = loggable(
                    &singles.iter().map(|r| r.seconds).collect::<Vec<_>>(),
                    &singles.iter().map(|r| r.mse).collect::<Vec<_>>(),
                );
                series.push((x, y, format!("{} single", percent(run.noise)), c, 3));
                if let Some(ms) = run.multiscale() {
                    let (x, y) = loggable(&[ms.seconds], &[ms.mse]);
                    series.push((x, y, format!("{} multiscale", percent(run.noise)), c, 8));
                }
            }
            // Explicit ranges with a margin, so no point sits on the frame.
            let all = |f: fn(&PointSet) -> &Vec<f64>| {
                let v: Vec<f64> = series.iter().flat_map(|s| f(s).iter().copied()).collect();
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (lo.is_finite() && hi.is_finite()).then_some((lo / 2.0, hi * 2.0))
            };
            let mut axes = Axes::new()
                .title(sys.problem.name.as_str())
                .x_label("forecast time [s]")
                .y_label("test MSE")
                .log_x()
                .log_y()
                .legend(legend);
            if let (Some(xr), Some(yr)) = (all(|s| &s.0), all(|s| &s.1)) {
                axes = axes.x_range(xr.0, xr.1).y_range(yr.0, yr.1);
            }
            for (x, y, label, c, w) in series {
                axes = axes.series(Series::points(&x, &y).label(label).color(c).width(w));
            }
            axes
        });
        let cols = self.systems.len().min(3);
        let rows = self.systems.len().div_ceil(cols);
        Ok(Figure::new()
            .title(format!("accuracy vs efficiency (Figure 6A); single scales with MSE > {DIVERGED:.0e} (diverged) left out"))
            .grid(rows, cols)
            .size(420 * cols as u32, 340 * rows as u32 + 40)
            .panels(panels))
    }

    /// Figure 8 for one system (by folder name): the multiscale test MSE against time, one
    /// curve per noise level.
    pub fn fig8(&self, system: &str) -> Result<Figure> {
        let sys = self
            .systems
            .iter()
            .find(|s| s.problem.folder == system)
            .ok_or_else(|| Error::invalid("system", format!("{system} was not run")))?;
        let mut axes = Axes::new()
            .title(format!("{system}: multiscale error vs time"))
            .x_label("t")
            .y_label("MSE")
            .log_y()
            .legend(Legend::LowerRight);
        for (i, run) in sys.runs.iter().enumerate() {
            let Some(ms) = run.multiscale() else { continue };
            let t: Vec<f64> = (1..=ms.mse_per_step.len())
                .map(|k| k as f64 * sys.dt)
                .collect();
            let (x, y) = loggable(&t, &ms.mse_per_step);
            axes = axes.series(
                Series::line(&x, &y)
                    .label(format!("{} noise", percent(run.noise)))
                    .color(noise_color(i)),
            );
        }
        Ok(Figure::new().size(700, 420).panel(axes))
    }
}
