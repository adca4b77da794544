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
//! Grids ([`Slice2d::paper`]) cover the initial-condition boxes of the data sets. The
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
//! use hits::SystemKind;
//! let grid = Slice2d::paper(SystemKind::Hyperbolic, 5)?;
//! let f = increment_field(SystemKind::Hyperbolic, &grid, 1.0)?;
//! // x' = -0.05 x: x(t + 1) - x(t) = x (e^{-0.05} - 1) exactly.
//! let x = grid.x_values()[4];
//! assert!((f.field[[0, 2, 4]] - x * ((-0.05f64).exp() - 1.0)).abs() < 1e-8);
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use ndarray::{Array2, Array3, Axis};

use crate::forecast::metrics::states_tensor;
use crate::io::write_bytes_atomic;
use crate::plot::{Animation, Colormap, Figure, Heatmap, Panel};
use crate::solvers::{solve_ivp_many, Tolerances};
use crate::stepper::ResNetStepper;
use crate::{Error, Result, SystemKind};

/// Tolerances of the exact flow (much tighter than the data's `rtol 1e-3, atol 1e-6`).
pub const EXACT_TOL: Tolerances = Tolerances {
    rtol: 1e-10,
    atol: 1e-12,
};

/// A plane of initial states: components `axes[0]` (columns, x of the picture) and `axes[1]`
/// (rows, y) vary over cell centres of their ranges; the others keep the values of `base`.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice2d {
    /// The state components along the picture's x and y axes.
    pub axes: [usize; 2],
    /// Outer extents `(min, max)` along x and along y.
    pub ranges: [(f64, f64); 2],
    /// Cells along x and along y.
    pub cells: [usize; 2],
    /// The full state; the components of `axes` are overwritten at each grid point.
    pub base: Vec<f64>,
    /// Names of the state components (for titles).
    pub names: Vec<String>,
}

impl Slice2d {
    /// The grid used for Figure 10 (`n x n` cells; see the module docs for the planes).
    pub fn paper(system: SystemKind, n: usize) -> Result<Slice2d> {
        if n == 0 {
            return Err(Error::invalid(
                "grid cells",
                "need at least 1 cell per side",
            ));
        }
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (axes, ranges, base, names) = match system {
            SystemKind::Hyperbolic | SystemKind::Cubic => {
                ([0, 1], [(-1.0, 1.0); 2], vec![0.0; 2], names(&["x", "y"]))
            }
            SystemKind::VanDerPol => ([0, 1], [(-2.0, 2.0); 2], vec![0.0; 2], names(&["x", "y"])),
            SystemKind::Harmonic => ([0, 1], [(-2.0, 2.0); 2], vec![0.0; 2], names(&["x", "y"])),
            SystemKind::Hopf => (
                [1, 2],
                [(-1.0, 2.0), (-1.0, 1.0)],
                vec![0.2, 0.0, 0.0],
                names(&["mu", "x", "y"]),
            ),
            SystemKind::Lorenz => (
                [0, 1],
                [(-20.0, 20.0), (-25.0, 25.0)],
                vec![0.0, 0.0, 27.0],
                names(&["x", "y", "z"]),
            ),
        };
        Ok(Slice2d {
            axes,
            ranges,
            cells: [n, n],
            base,
            names,
        })
    }

    /// Cell centres along the picture's x axis.
    pub fn x_values(&self) -> Vec<f64> {
        centres(self.ranges[0], self.cells[0])
    }

    /// Cell centres along the picture's y axis (row 0 at the bottom).
    pub fn y_values(&self) -> Vec<f64> {
        centres(self.ranges[1], self.cells[1])
    }

    /// Every grid state `[ny * nx, dim]`, row `i * nx + j` at `(x_j, y_i)`.
    pub fn states(&self) -> Array2<f64> {
        let (xs, ys) = (self.x_values(), self.y_values());
        let mut out = Array2::zeros((xs.len() * ys.len(), self.base.len()));
        for (i, &y) in ys.iter().enumerate() {
            for (j, &x) in xs.iter().enumerate() {
                let mut row = out.row_mut(i * xs.len() + j);
                row.assign(&ndarray::ArrayView1::from(&self.base));
                row[self.axes[0]] = x;
                row[self.axes[1]] = y;
            }
        }
        out
    }

    /// A short description, e.g. `(x, y) at mu = 0.2`.
    pub fn describe(&self) -> String {
        let fixed: Vec<String> = (0..self.base.len())
            .filter(|d| !self.axes.contains(d))
            .map(|d| format!("{} = {}", self.name(d), self.base[d]))
            .collect();
        let plane = format!("({}, {})", self.name(self.axes[0]), self.name(self.axes[1]));
        if fixed.is_empty() {
            plane
        } else {
            format!("{plane} at {}", fixed.join(", "))
        }
    }

    fn name(&self, d: usize) -> String {
        self.names
            .get(d)
            .cloned()
            .unwrap_or_else(|| format!("x{d}"))
    }

    fn check(&self, dim: usize) -> Result<()> {
        if self.base.len() != dim
            || self.axes.iter().any(|&a| a >= dim)
            || self.axes[0] == self.axes[1]
        {
            return Err(Error::shape(
                "grid state",
                format!("{dim} components, two distinct axes below {dim}"),
                format!("{} components, axes {:?}", self.base.len(), self.axes),
            ));
        }
        if self.cells.contains(&0) {
            return Err(Error::invalid(
                "grid cells",
                "need at least 1 cell per side",
            ));
        }
        Ok(())
    }
}

fn centres((lo, hi): (f64, f64), n: usize) -> Vec<f64> {
    let h = (hi - lo) / n as f64;
    (0..n).map(|i| lo + (i as f64 + 0.5) * h).collect()
}

/// The increment over one `Δ` on a grid: `field[[d, i, j]]` is component `d` of
/// `F_Δ` at grid point `(x_j, y_i)`.
#[derive(Debug, Clone, PartialEq)]
pub struct IncrementField {
    /// `Δ` in time units.
    pub delta: f64,
    /// `[dim, ny, nx]`.
    pub field: Array3<f64>,
}

fn to_field(flat: Array2<f64>, grid: &Slice2d) -> Result<Array3<f64>> {
    let [nx, ny] = grid.cells;
    let dim = flat.ncols();
    let t = flat.t().as_standard_layout().to_owned();
    t.into_shape_with_order((dim, ny, nx)).map_err(|e| {
        Error::shape(
            "increment field",
            format!("[{dim}, {ny}, {nx}]"),
            e.to_string(),
        )
    })
}

/// The exact increments `F_Δ` of `system` on `grid` for every `Δ` of `deltas` (time units,
/// positive, any order), from one RK45 integration per grid point with tolerances `tol`.
pub fn increment_fields(
    system: SystemKind,
    grid: &Slice2d,
    deltas: &[f64],
    tol: Tolerances,
) -> Result<Vec<IncrementField>> {
    grid.check(system.dim())?;
    if deltas.is_empty() || deltas.iter().any(|d| !(d.is_finite() && *d > 0.0)) {
        return Err(Error::invalid(
            "delta",
            format!("need positive, finite time spans, got {deltas:?}"),
        ));
    }
    let mut t_eval: Vec<f64> = deltas.to_vec();
    t_eval.sort_by(f64::total_cmp);
    t_eval.dedup();
    let x0 = grid.states();
    let sys = system.system();
    let t_end = *t_eval.last().unwrap_or(&0.0);
    let ys = solve_ivp_many(sys.as_ref(), (0.0, t_end), x0.view(), &t_eval, tol)?;
    deltas
        .iter()
        .map(|&d| {
            let k = t_eval.iter().position(|&t| t == d).unwrap_or(0);
            let flat = &ys.index_axis(Axis(1), k) - &x0;
            Ok(IncrementField {
                delta: d,
                field: to_field(flat, grid)?,
            })
        })
        .collect()
}

/// The exact increment of `system` over `delta` (time units) on `grid` ([`EXACT_TOL`]).
pub fn increment_field(system: SystemKind, grid: &Slice2d, delta: f64) -> Result<IncrementField> {
    let mut v = increment_fields(system, grid, &[delta], EXACT_TOL)?;
    v.pop()
        .ok_or_else(|| Error::invalid("delta", "no field computed"))
}

/// The increment a trained stepper has learned, `MLP(x)`, on `grid` (`Δ` = its step).
pub fn learned_increment(stepper: &ResNetStepper, grid: &Slice2d) -> Result<IncrementField> {
    grid.check(stepper.dim())?;
    let x = states_tensor(grid.states().view(), stepper.device())?;
    let inc: Vec<Vec<f32>> = stepper.increment(&x)?.to_vec2()?;
    let flat = Array2::from_shape_fn((inc.len(), stepper.dim()), |(i, d)| inc[i][d] as f64);
    Ok(IncrementField {
        delta: stepper.step_size() as f64 * stepper.dt(),
        field: to_field(flat, grid)?,
    })
}

/// Settings of Figure 10 for one system.
#[derive(Debug, Clone, PartialEq)]
pub struct IncrementConfig {
    pub system: SystemKind,
    pub grid: Slice2d,
    /// `Δ / dt` of the rows of the panel figure.
    pub panel_steps: Vec<usize>,
    /// `Δ / dt` of the animation frames.
    pub animation_steps: Vec<usize>,
    /// Tolerances of the exact flow.
    pub tol: Tolerances,
}

impl IncrementConfig {
    /// 80 x 80 grid, panels at `Δ = 1, 16, 128, 1024` dt, frames at `2^0 .. 2^10` dt.
    pub fn paper(system: SystemKind) -> Result<IncrementConfig> {
        Ok(IncrementConfig {
            system,
            grid: Slice2d::paper(system, 80)?,
            panel_steps: vec![1, 16, 128, 1024],
            animation_steps: (0..=10).map(|k| 1usize << k).collect(),
            tol: EXACT_TOL,
        })
    }

    /// Same `Δ`s on a 24 x 24 grid.
    pub fn quick(system: SystemKind) -> Result<IncrementConfig> {
        Ok(IncrementConfig {
            grid: Slice2d::paper(system, 24)?,
            ..IncrementConfig::paper(system)?
        })
    }
}

/// The exact (and, when steppers were given, learned) increments of one system.
#[derive(Debug, Clone)]
pub struct IncrementResult {
    pub system: SystemKind,
    pub grid: Slice2d,
    pub panel_steps: Vec<usize>,
    pub animation_steps: Vec<usize>,
    /// Exact fields for `panel_steps`, then `animation_steps` (deduplicated), keyed by `Δ / dt`.
    pub exact: Vec<(usize, IncrementField)>,
    /// Learned fields, keyed by step size, for the steppers given.
    pub learned: Vec<(usize, IncrementField)>,
}

/// Compute Figure 10 for `cfg.system`: exact fields at every `Δ` of the config, learned ones
/// for every stepper of `steppers` (any step sizes).
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
    let dt = cfg.system.default_dt();
    let deltas: Vec<f64> = steps.iter().map(|&k| k as f64 * dt).collect();
    let exact = steps
        .iter()
        .copied()
        .zip(increment_fields(cfg.system, &cfg.grid, &deltas, cfg.tol)?)
        .collect();
    let learned = steppers
        .iter()
        .map(|s| Ok((s.step_size(), learned_increment(s, &cfg.grid)?)))
        .collect::<Result<_>>()?;
    Ok(IncrementResult {
        system: cfg.system,
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
    /// (when a stepper of that step was given) on the same colour scales.
    fn row(&self, steps: usize) -> Result<Vec<Panel>> {
        let exact = self
            .exact_at(steps)
            .ok_or_else(|| Error::invalid("delta", format!("no exact field at {steps} dt")))?;
        let dim = exact.field.dim().0;
        let mut panels = Vec::new();
        let sources = [
            Some(("exact", exact)),
            self.learned_at(steps).map(|l| ("learned", l)),
        ];
        for (what, f) in sources.into_iter().flatten() {
            for d in 0..dim {
                let m = exact
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

    /// Write `panels.png`, `panels.svg`, `increment.gif` and `summary.md` into `dir/<System>/`.
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let dir = dir.join(self.system.name());
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
