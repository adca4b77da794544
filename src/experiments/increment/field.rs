//! The increment fields of Figure 10 on a plane of initial states: exact (RK45 at tight
//! tolerances) and learned (a [`ResNetStepper`]'s MLP output); see [`super`] for the maths.

use ndarray::{Array2, Array3, Axis};

use crate::data::DataSet;
use crate::forecast::metrics::states_tensor;
use crate::problem::OdeProblem;
use crate::solvers::{solve_ivp_many, Tolerances};
use crate::stepper::ResNetStepper;
use crate::{Error, Result, System};

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
    /// The plane of the problem's `view.increment_plane` (for the paper's systems: the grids
    /// of Figure 10, see the module docs), `n x n` cells.
    pub fn of(problem: &OdeProblem, n: usize) -> Result<Slice2d> {
        let plane = problem.view.increment_plane.as_ref().ok_or_else(|| {
            Error::invalid(
                "increment plane",
                format!(
                    "{} has no plane of initial states (`view.increment_plane`); set one, or take the data's range with `Slice2d::from_data`",
                    problem.name
                ),
            )
        })?;
        Slice2d::new(problem, plane.axes, plane.ranges, plane.base.clone(), n)
    }

    /// The plane of the problem's phase axes over the range of the training trajectories, the
    /// other components at their mean: for problems without a plane of their own (data-only).
    pub fn from_data(problem: &OdeProblem, data: &DataSet, n: usize) -> Result<Slice2d> {
        let (i, j) = problem.view.phase_axes;
        let states = data
            .train
            .view()
            .into_shape_with_order((data.train.len() / data.dim().max(1), data.dim()))
            .map_err(|e| {
                Error::shape("training trajectories", "[n, points, dim]", e.to_string())
            })?;
        if states.nrows() == 0 {
            return Err(Error::invalid(
                "data",
                "the training split has no trajectories",
            ));
        }
        let range = |d: usize| {
            let col = states.column(d);
            let lo = col.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if hi > lo {
                (lo, hi)
            } else {
                (lo - 1.0, lo + 1.0)
            }
        };
        let base = (0..data.dim())
            .map(|d| states.column(d).mean().unwrap_or(0.0))
            .collect();
        Slice2d::new(problem, [i, j], [range(i), range(j)], base, n)
    }

    fn new(
        problem: &OdeProblem,
        axes: [usize; 2],
        ranges: [(f64, f64); 2],
        base: Vec<f64>,
        n: usize,
    ) -> Result<Slice2d> {
        if n == 0 {
            return Err(Error::invalid(
                "grid cells",
                "need at least 1 cell per side",
            ));
        }
        let grid = Slice2d {
            axes,
            ranges,
            cells: [n, n],
            base,
            names: problem.components.clone(),
        };
        grid.check(problem.dim())?;
        Ok(grid)
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

    pub(crate) fn check(&self, dim: usize) -> Result<()> {
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
    system: &dyn System,
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
    let t_end = *t_eval.last().unwrap_or(&0.0);
    let ys = solve_ivp_many(system, (0.0, t_end), x0.view(), &t_eval, tol)?;
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
pub fn increment_field(system: &dyn System, grid: &Slice2d, delta: f64) -> Result<IncrementField> {
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
