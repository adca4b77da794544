//! Figure 10 of the paper: the increment a stepper of step `Δ` has to learn,
//!
//! ```text
//! F_Δ(x) = x(t + Δ) - x(t)      (the flow over Δ minus the identity; autonomous systems)
//! ```
//!
//! over a grid of initial states, one heat map per state component, at several `Δ`. Small `Δ`
//! give a small, nearly linear field (`F_Δ(x) ≈ Δ f(x)`); large `Δ` give large fields with
//! sharp structure (separatrices, the limit cycle), which is why large-step steppers are harder
//! to train. A [`ResNetStepper`] computes `x + MLP(x)`, so its MLP output *is* its learned
//! `F_Δ` ([`learned_increment`]), which can be drawn beside the exact one.
//!
//! The exact flow is RK45 ([`solve_ivp_many`], one solve per grid point, all `Δ` of a call from
//! one integration) at tight tolerances [`EXACT_TOL`] (rtol 1e-10, atol 1e-12), not the data's
//! loose scipy defaults: this is the field itself, not a data set.
//!
//! Grids ([`Slice2d::of`], from the problem's `view.increment_plane`) cover the
//! initial-condition boxes of the data sets (a data-only problem uses the range of its data,
//! [`Slice2d::from_data`], and shows learned fields only: the exact ones need a vector field). The
//! three-dimensional systems are cut by a plane: **Hopf** at `mu = 0.2` (a stable limit cycle
//! of radius `sqrt(0.2)`), over `(x, y) ∈ [-1, 2] x [-1, 1]`; **Lorenz** at `z = 27` (the
//! height of the non-trivial fixed points `(±sqrt(72), ±sqrt(72), 27)`), over
//! `(x, y) ∈ [-20, 20] x [-25, 25]`. All components are still shown (Hopf's `mu` increment is
//! exactly zero for the exact flow; a learned stepper's is not).
//!
//! The original notebook used an interactive slider over `Δ = 0.16 .. 10.24`; here
//! [`IncrementResult::panel_figure`] shows a grid of panels at a few `Δ` (default `1, 16, 128,
//! 1024` dt) and [`IncrementResult::animation`] a GIF over `Δ = 2^k dt`, `k = 0..10`;
//! [`increment_field`] gives the field for any `Δ`.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::experiments::increment::{increment_field, Slice2d};
//! let problem = hits::problem::hyperbolic();
//! let grid = Slice2d::of(&problem, 5)?;
//! let f = increment_field(problem.vector_field("exact increments")?, &grid, 1.0)?;
//! // x' = -0.05 x: x(t + 1) - x(t) = x (e^{-0.05} - 1) exactly.
//! let x = grid.x_values()[4];
//! assert!((f.field[[0, 2, 4]] - x * ((-0.05f64).exp() - 1.0)).abs() < 1e-8);
//! # Ok(())
//! # }
//! ```

mod field;

use std::path::{Path, PathBuf};

use ndarray::Axis;

pub use field::{
    increment_field, increment_fields, learned_increment, IncrementField, Slice2d, EXACT_TOL,
};

use crate::io::write_bytes_atomic;
use crate::plot::{Animation, Colormap, Figure, Heatmap, Panel};
use crate::problem::OdeProblem;
use crate::solvers::Tolerances;
use crate::stepper::ResNetStepper;
use crate::{Error, Result};

/// Settings of Figure 10 for one system.
#[derive(Debug, Clone)]
pub struct IncrementConfig {
    pub problem: OdeProblem,
    pub grid: Slice2d,
    /// `Δ / dt` of the rows of the panel figure.
    pub panel_steps: Vec<usize>,
    /// `Δ / dt` of the animation frames.
    pub animation_steps: Vec<usize>,
    /// Tolerances of the exact flow.
    pub tol: Tolerances,
}

impl IncrementConfig {
    /// 80 x 80 grid of the problem's plane ([`Slice2d::of`]), panels at `Δ = 1, 16, 128,
    /// 1024` dt, frames at `2^0 .. 2^10` dt.
    pub fn paper(problem: &OdeProblem) -> Result<IncrementConfig> {
        IncrementConfig::on(problem, Slice2d::of(problem, 80)?)
    }

    /// Same `Δ`s on a 24 x 24 grid.
    pub fn quick(problem: &OdeProblem) -> Result<IncrementConfig> {
        IncrementConfig::on(problem, Slice2d::of(problem, 24)?)
    }

    /// The paper's `Δ`s on a grid of one's own (e.g. [`Slice2d::from_data`]).
    pub fn on(problem: &OdeProblem, grid: Slice2d) -> Result<IncrementConfig> {
        grid.check(problem.dim())?;
        Ok(IncrementConfig {
            problem: problem.clone(),
            grid,
            panel_steps: vec![1, 16, 128, 1024],
            animation_steps: (0..=10).map(|k| 1usize << k).collect(),
            tol: EXACT_TOL,
        })
    }
}

/// The exact (and, when steppers were given, learned) increments of one system.
#[derive(Debug, Clone)]
pub struct IncrementResult {
    /// The problem's name and folder.
    pub system: String,
    pub folder: String,
    pub grid: Slice2d,
    pub panel_steps: Vec<usize>,
    pub animation_steps: Vec<usize>,
    /// Exact fields for `panel_steps`, then `animation_steps` (deduplicated), keyed by `Δ / dt`
    /// (none for a problem without a vector field).
    pub exact: Vec<(usize, IncrementField)>,
    /// Learned fields, keyed by step size, for the steppers given.
    pub learned: Vec<(usize, IncrementField)>,
}

/// Compute Figure 10 for `cfg.problem`: exact fields at every `Δ` of the config (when the
/// problem has a vector field), learned ones for every stepper of `steppers` (any step sizes).
pub fn run(cfg: &IncrementConfig, steppers: &[ResNetStepper]) -> Result<IncrementResult> {
    let mut steps: Vec<usize> = cfg
        .panel_steps
        .iter()
        .chain(&cfg.animation_steps)
        .copied()
        .collect();
    steps.extend(steppers.iter().map(|s| s.step_size()));
    steps.sort_unstable();
    steps.dedup();
    let dt = cfg.problem.dt;
    let deltas: Vec<f64> = steps.iter().map(|&k| k as f64 * dt).collect();
    let exact = match &cfg.problem.field {
        Some(field) => steps
            .iter()
            .copied()
            .zip(increment_fields(field, &cfg.grid, &deltas, cfg.tol)?)
            .collect(),
        None if steppers.is_empty() => {
            return Err(Error::invalid(
                "increments",
                format!(
                    "{} has no vector field for exact increments: give trained steppers to draw the learned ones",
                    cfg.problem.name
                ),
            ))
        }
        None => Vec::new(),
    };
    let learned = steppers
        .iter()
        .map(|s| Ok((s.step_size(), learned_increment(s, &cfg.grid)?)))
        .collect::<Result<_>>()?;
    Ok(IncrementResult {
        system: cfg.problem.name.clone(),
        folder: cfg.problem.folder.clone(),
        grid: cfg.grid.clone(),
        panel_steps: cfg.panel_steps.clone(),
        animation_steps: cfg.animation_steps.clone(),
        exact,
        learned,
    })
}

impl IncrementResult {
    /// The exact field at `Δ = steps dt`, if computed.
    pub fn exact_at(&self, steps: usize) -> Option<&IncrementField> {
        self.exact.iter().find(|(k, _)| *k == steps).map(|(_, f)| f)
    }

    /// The learned field of the stepper of step `steps`, if given.
    pub fn learned_at(&self, steps: usize) -> Option<&IncrementField> {
        self.learned
            .iter()
            .find(|(k, _)| *k == steps)
            .map(|(_, f)| f)
    }

    /// `||learned - exact|| / ||exact||` over the grid (all components) for each stepper given.
    pub fn relative_errors(&self) -> Vec<(usize, f64)> {
        self.learned
            .iter()
            .filter_map(|(k, l)| {
                let e = self.exact_at(*k)?;
                let num: f64 = (&l.field - &e.field).iter().map(|v| v * v).sum();
                let den: f64 = e.field.iter().map(|v| v * v).sum();
                Some((*k, (num / den.max(f64::MIN_POSITIVE)).sqrt()))
            })
            .collect()
    }

    /// One row of heat maps at `Δ = steps dt`: the exact components, then the learned ones
    /// (when a stepper of that step was given) on the same colour scales (the exact field's;
    /// the learned one's without a vector field).
    fn row(&self, steps: usize) -> Result<Vec<Panel>> {
        let sources: Vec<(&str, &IncrementField)> = [
            self.exact_at(steps).map(|e| ("exact", e)),
            self.learned_at(steps).map(|l| ("learned", l)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let scale = sources
            .first()
            .map(|(_, f)| *f)
            .ok_or_else(|| Error::invalid("delta", format!("no field at {steps} dt")))?;
        let dim = scale.field.dim().0;
        let mut panels = Vec::new();
        for (what, f) in sources {
            for d in 0..dim {
                let m = scale
                    .field
                    .index_axis(Axis(0), d)
                    .iter()
                    .fold(0.0f64, |m, v| m.max(v.abs()));
                let m = if m > 0.0 { m } else { 1.0 };
                let heat = Heatmap::new(f.field.index_axis(Axis(0), d))
                    .x_extent(self.grid.ranges[0].0, self.grid.ranges[0].1)
                    .y_extent(self.grid.ranges[1].0, self.grid.ranges[1].1)
                    .colormap(Colormap::RdBu)
                    .range(-m, m)
                    .title(format!(
                        "{what} Δ{} (Δ = {} dt = {:.4})",
                        self.grid.names[d], steps, f.delta
                    ))
                    .x_label(self.grid.names[self.grid.axes[0]].clone())
                    .y_label(self.grid.names[self.grid.axes[1]].clone());
                panels.push(Panel::from(heat));
            }
        }
        Ok(panels)
    }

    fn figure_of(&self, steps: &[usize], width_per_panel: u32) -> Result<Figure> {
        let rows: Vec<Vec<Panel>> = steps.iter().map(|&k| self.row(k)).collect::<Result<_>>()?;
        let cols = rows.iter().map(Vec::len).max().unwrap_or(1);
        let mut fig = Figure::new()
            .title(format!(
                "{}: increment x(t + Δ) - x(t), {}",
                self.system,
                self.grid.describe()
            ))
            .grid(rows.len(), cols)
            .size(width_per_panel * cols as u32, 300 * rows.len() as u32 + 40);
        for mut r in rows {
            r.resize(cols, Panel::Empty);
            fig = fig.panels(r);
        }
        Ok(fig)
    }

    /// Figure 10 as a grid of panels: one row per `Δ` of `panel_steps`, one column per state
    /// component (exact, then learned where a stepper of that step was given).
    pub fn panel_figure(&self) -> Result<Figure> {
        self.figure_of(&self.panel_steps, 330)
    }

    /// A GIF over the `Δ` of `animation_steps` (each frame one row of [`Self::panel_figure`];
    /// the colour scale follows the exact field of each `Δ`). All frames have the same
    /// number of panels: the learned half is left out when some `Δ` has no stepper.
    pub fn animation(&self) -> Result<Animation> {
        let all_learned = self
            .animation_steps
            .iter()
            .all(|&k| self.learned_at(k).is_some());
        let mut anim = Animation::new(700);
        for &k in &self.animation_steps {
            let mut r = self.row(k)?;
            if !all_learned {
                r.truncate(self.grid.base.len());
            }
            let n = r.len();
            let fig = Figure::new()
                .title(format!(
                    "{}: x(t + Δ) - x(t), Δ = {} dt, {}",
                    self.system,
                    k,
                    self.grid.describe()
                ))
                .grid(1, n)
                .size(300 * n as u32, 320)
                .panels(r);
            anim.push_figure(&fig)?;
        }
        Ok(anim)
    }

    /// A markdown summary: the grid, the `Δ`s, the field ranges and the learned errors.
    pub fn summary_markdown(&self) -> String {
        let mut s = format!("# Figure 10: {} increments\n\nGrid {} x {} cells of {}, ranges {:?}.\n\n| Δ / dt | Δ | max abs per component |\n|---|---|---|\n", self.system, self.grid.cells[0], self.grid.cells[1], self.grid.describe(), self.grid.ranges);
        for (k, f) in &self.exact {
            let maxes: Vec<String> = f
                .field
                .outer_iter()
                .map(|c| format!("{:.3e}", c.iter().fold(0.0f64, |m, v| m.max(v.abs()))))
                .collect();
            s += &format!("| {k} | {:.4} | {} |\n", f.delta, maxes.join(", "));
        }
        let errs = self.relative_errors();
        if !errs.is_empty() {
            s += "\nLearned vs exact, relative L2 error over the grid:\n\n| step / dt | rel. error |\n|---|---|\n";
            for (k, e) in errs {
                s += &format!("| {k} | {e:.3e} |\n");
            }
        }
        s
    }

    /// Write `panels.png`, `panels.svg`, `increment.gif` and `summary.md` into `dir/<folder>/`.
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let dir = dir.join(&self.folder);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let paths = [
            dir.join("panels.png"),
            dir.join("panels.svg"),
            dir.join("increment.gif"),
            dir.join("summary.md"),
        ];
        let fig = self.panel_figure()?;
        fig.save(&paths[0])?;
        fig.save(&paths[1])?;
        self.animation()?.save_gif(&paths[2])?;
        write_bytes_atomic(&paths[3], self.summary_markdown().as_bytes())?;
        Ok(paths.to_vec())
    }
}
