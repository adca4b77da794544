//! Ready-made panels for trajectory data `[n_traj, n_points, dim]` (the data-set layout):
//! phase portraits, time series per component, and error-vs-time curves per step size.

use super::{Axes, Color, Colormap, Figure, Series};
use crate::{Error, Result};
use ndarray::{ArrayView2, ArrayView3};

/// Phase portrait: component `j` against component `i` for the first `max_traj` trajectories of
/// `trajs` (`[n_traj, n_points, dim]`), one `tab10` colour each, no legend.
pub fn phase_portrait(
    trajs: ArrayView3<f64>,
    (i, j): (usize, usize),
    max_traj: usize,
) -> Result<Axes> {
    let (n, _, dim) = trajs.dim();
    if i >= dim || j >= dim {
        return Err(Error::invalid(
            "phase portrait components",
            format!("({i}, {j}) but the states have {dim} components"),
        ));
    }
    let mut axes = Axes::new()
        .x_label(format!("x{i}"))
        .y_label(format!("x{j}"));
    for k in 0..n.min(max_traj) {
        let xs: Vec<f64> = trajs.slice(ndarray::s![k, .., i]).to_vec();
        let ys: Vec<f64> = trajs.slice(ndarray::s![k, .., j]).to_vec();
        axes = axes.series(Series::line(&xs, &ys).color(Color::palette(k)).width(1));
    }
    Ok(axes)
}

/// One panel per component of `traj` (`[n_points, dim]`) against `t`, stacked in one column;
/// `names` labels the components (`x0, x1, ...` where missing).
pub fn time_series(t: &[f64], traj: ArrayView2<f64>, names: &[&str]) -> Result<Figure> {
    let (n_points, dim) = traj.dim();
    if t.len() != n_points {
        return Err(Error::shape(
            "time series",
            format!("{n_points} times (one per row)"),
            format!("{}", t.len()),
        ));
    }
    let panels = (0..dim).map(|d| {
        let name = names
            .get(d)
            .map_or_else(|| format!("x{d}"), |s| s.to_string());
        let axes = Axes::new()
            .y_label(name)
            .series(Series::line(t, &traj.column(d).to_vec()).color(Color::palette(d)));
        if d + 1 == dim {
            axes.x_label("t")
        } else {
            axes
        }
    });
    Ok(Figure::new().grid(dim.max(1), 1).panels(panels))
}

/// Error against time on a log y axis, one line per step size coloured by matplotlib's
/// `rainbow` from the smallest step (violet) to the largest (red), as in the paper's figures.
/// `curves` holds `(label, errors)`; every error curve has one value per entry of `t`.
pub fn error_vs_time(t: &[f64], curves: &[(String, Vec<f64>)]) -> Result<Axes> {
    let colors = Colormap::Rainbow.sample(curves.len());
    let mut axes = Axes::new().x_label("t").y_label("error").log_y();
    for ((label, err), color) in curves.iter().zip(colors) {
        if err.len() != t.len() {
            return Err(Error::shape(
                format!("error curve {label}"),
                format!("{} values", t.len()),
                format!("{}", err.len()),
            ));
        }
        axes = axes.series(Series::line(t, err).label(label.as_str()).color(color));
    }
    Ok(axes)
}
