//! The ODE data sets of the paper (Hyperbolic, Cubic, Van der Pol, Hopf, Lorenz), or of any
//! [`OdeProblem`], at the noise levels 0, 1% and 2%: made (or found) on disk, with their sizes,
//! the time it took, the per-component noise scale and phase portraits. `hits reproduce
//! data-generation` and the `data_generation` notebook.
//!
//! The noise added to component `d` is `noise * s_d * N(0, 1)`, `s_d` the standard deviation of
//! the component over time averaged over the split's trajectories (the original's
//! `noise * X.std(1).mean(0)`), drawn from numpy's legacy stream after the initial conditions.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::ode::ensure_data_levels;
use crate::data::noise::mean_temporal_std;
use crate::data::npy::python_float;
use crate::data::{split_path, DataSet, SPLITS};
use crate::io::write_bytes_atomic;
use crate::plot::{phase_portrait, Figure};
use crate::problem::OdeProblem;
use crate::{Error, Result};

/// One problem's data sets.
#[derive(Debug, Clone)]
pub struct DataRow {
    /// The problem's name.
    pub system: String,
    /// The components of its phase portrait.
    pub phase_axes: (usize, usize),
    /// Trajectories per split (train, val, test) and points per trajectory.
    pub counts: [usize; 3],
    pub n_points: usize,
    pub dt: f64,
    /// Noise levels saved.
    pub noise_levels: Vec<f64>,
    /// False when every file was already on disk (files of other sizes are remade all the same).
    pub generated: bool,
    /// Wall time of making (or loading) all levels [s].
    pub seconds: f64,
    /// `s_d` of the clean training split, per component.
    pub scale: Vec<f64>,
    /// Where the files are.
    pub dir: PathBuf,
}

/// The data sets of several systems (see the module docs).
#[derive(Debug, Clone)]
pub struct DataOverview {
    pub rows: Vec<DataRow>,
    /// The clean data of each problem (in the order of `rows`), for plots.
    pub clean: Vec<DataSet>,
}

/// Make (or load) the data of every problem at every level of `noises` under `data_root`.
pub fn make_all(problems: &[OdeProblem], noises: &[f64], data_root: &Path) -> Result<DataOverview> {
    let mut levels: Vec<f64> = noises.to_vec();
    if !levels.contains(&0.0) {
        levels.insert(0, 0.0);
    }
    let (mut rows, mut clean) = (Vec::new(), Vec::new());
    for cfg in problems {
        let dir = cfg.dir_under(data_root);
        let on_disk = levels
            .iter()
            .all(|&n| SPLITS.iter().all(|s| split_path(&dir, s, n).exists()));
        let start = Instant::now();
        let mut sets = ensure_data_levels(cfg, &levels, data_root)?;
        let seconds = start.elapsed().as_secs_f64();
        let zero = levels.iter().position(|&n| n == 0.0).unwrap_or(0);
        let data = sets.swap_remove(zero);
        rows.push(DataRow {
            system: cfg.name.clone(),
            phase_axes: cfg.view.phase_axes,
            counts: cfg.sizes.counts(),
            n_points: cfg.sizes.n_points,
            dt: cfg.dt,
            noise_levels: levels.clone(),
            generated: !on_disk,
            seconds,
            scale: mean_temporal_std(&data.train).to_vec(),
            dir,
        });
        clean.push(data);
    }
    Ok(DataOverview { rows, clean })
}

impl DataOverview {
    /// The sizes table (markdown).
    pub fn table_markdown(&self) -> String {
        let mut s = String::from(
            "| system | train / val / test | points | dt | noise levels | s_d (train) | made in |\n|---|---|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let scale: Vec<String> = r.scale.iter().map(|v| format!("{v:.3}")).collect();
            let levels: Vec<String> = r.noise_levels.iter().map(|&n| python_float(n)).collect();
            s += &format!(
                "| {} | {} / {} / {} | {} | {} | {} | {} | {:.2} s ({}) |\n",
                r.system,
                r.counts[0],
                r.counts[1],
                r.counts[2],
                r.n_points,
                r.dt,
                levels.join(", "),
                scale.join(", "),
                r.seconds,
                if r.generated { "generated" } else { "loaded" }
            );
        }
        s
    }

    /// The same table as CSV.
    pub fn table_csv(&self) -> String {
        let mut s = String::from("system,n_train,n_val,n_test,n_points,dt,generated,seconds\n");
        for r in &self.rows {
            s += &format!(
                "{},{},{},{},{},{},{},{:.4}\n",
                r.system,
                r.counts[0],
                r.counts[1],
                r.counts[2],
                r.n_points,
                r.dt,
                r.generated,
                r.seconds
            );
        }
        s
    }

    /// Phase portraits of the first 12 training trajectories of each problem, in its phase
    /// axes (Hopf: x against y, its state being (mu, x, y); Lorenz: x against z).
    pub fn phase_figure(&self) -> Result<Figure> {
        let panels = self
            .rows
            .iter()
            .zip(&self.clean)
            .map(|(row, data)| {
                Ok(phase_portrait(data.train.view(), row.phase_axes, 12)?.title(&row.system))
            })
            .collect::<Result<Vec<_>>>()?;
        let n = panels.len().max(1);
        let cols = n.min(3);
        Ok(Figure::new()
            .grid(n.div_ceil(cols), cols)
            .size(420 * cols as u32, 360 * n.div_ceil(cols) as u32)
            .panels(panels))
    }

    /// Write `data.md`, `data.csv`, `phase_portraits.png` and `.svg` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let paths = [
            dir.join("data.md"),
            dir.join("data.csv"),
            dir.join("phase_portraits.png"),
            dir.join("phase_portraits.svg"),
        ];
        let md = format!("# The ODE data sets\n\n{}", self.table_markdown());
        write_bytes_atomic(&paths[0], md.as_bytes())?;
        write_bytes_atomic(&paths[1], self.table_csv().as_bytes())?;
        let fig = self.phase_figure()?;
        fig.save(&paths[2])?;
        fig.save(&paths[3])?;
        Ok(paths.to_vec())
    }
}
