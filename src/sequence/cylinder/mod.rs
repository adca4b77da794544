//! Flow past a circular cylinder at Re = 100: the "Fluid" sequence of the paper.
//!
//! 2-D incompressible flow around a cylinder of diameter D = 1 at the origin, uniform inflow
//! U = 1 from the left, Re = U D / nu. After the wake has settled into periodic vortex
//! shedding, `n_snapshots` snapshots of the streamwise velocity u / U are recorded every
//! `dt_snapshot` (in D / U), bilinearly sampled on the output window (by default the
//! 449 x 199 grid on x in [-1, 8], y in [-2, 2] of the paper's data, values inside the cylinder
//! 0).
//!
//! # Method: lattice Boltzmann
//!
//! A D2Q9 lattice-Boltzmann solver ([`lattice`]) rather than a projection method: it is
//! explicit and local (each node reads only its 8 neighbours, so rows parallelise with rayon
//! with no pressure Poisson solve), handles the curved wall on a Cartesian grid with
//! interpolated bounce-back, and gives the force by momentum exchange for free. It is
//! weakly compressible: errors scale with the Mach number `u_lattice sqrt(3)` squared, kept
//! small by `u_lattice` = 0.1 or less.
//! - Collision: two-relaxation-time (TRT, Ginzburg, Verhaeghe & d'Humieres 2008) with the magic
//!   parameter 3/16: more stable than BGK at the small relaxation times of Re = 100 and wall
//!   positions independent of viscosity.
//! - Cylinder: linear interpolated bounce-back (Bouzidi, Firdaouss & Lallemand 2001), second
//!   order on the curved wall; force by momentum exchange (Mei, Yu, Shyy & Luo 2002).
//! - Inflow: Zou & He (1997) velocity boundary at x = `domain_x.0`; outflow: zero gradient at
//!   x = `domain_x.1`; sides: free slip (symmetry planes) at `domain_y`.
//!
//! - Absorbing layers (sponges, [`lattice`]) along the sides (1.5 D) and before the outlet
//!   (3 D) relax towards the free stream. Without them sound waves from the start and from the
//!   shedding bounce between the sides undamped, and the lift locked onto the transverse
//!   acoustic mode (measured: St 0.29, lift amplitude growing to 11).
//!
//! The default domain x in [-10, 15], y in [-10, 10] keeps the fixed-velocity inlet 10 D
//! upstream and the outlet 7 D behind the output window (4 D of it before the outlet sponge);
//! the sides are 20 D apart (blockage D / H = 0.05). Measured at 20 cells per diameter: St 0.171,
//! mean Cd 1.401, lift amplitude 0.335, against the unbounded St ~ 0.165, Cd ~ 1.33, Cl' ~ 0.33
//! (e.g. Williamson 1996; Posdziech & Grundmann 2007). Smaller domains were further off:
//! x in [-5, 15], y in [-8, 8] gave St 0.178, Cd 1.48; y in [-5, 5] gave Cd 1.54, St ~ 0.187
//! (confinement, and an inlet only 5 D upstream). Symmetry is broken by a transverse velocity
//! bump in the near wake at t = 0 so that shedding starts early; the lift amplitude is
//! constant to 4 digits over the recorded window after the spin-up of 100 D/U.
//!
//! Units: lattice spacing `1 / cells_per_diameter` (in D), lattice time step
//! `u_lattice / cells_per_diameter` (in D / U).
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! use hits::sequence::cylinder::{simulate, CylinderConfig};
//! let run = simulate(&CylinderConfig::quick())?;
//! assert_eq!(run.u.dim(), (run.nx * run.ny, CylinderConfig::quick().n_snapshots));
//! println!("St = {:.3}, Cd = {:.3}", run.strouhal, run.mean_drag);
//! # Ok(()) }
//! ```

pub mod analysis;
pub mod d2q9;
pub mod lattice;
pub mod obstacle;

use std::time::Instant;

use ndarray::Array2;

use crate::sequence::fixed_step::FixedStepper;
use crate::{Error, Result, SolverError};
use analysis::GridField;
pub use lattice::{Lattice, Populations, XBoundary, YBoundary};
use obstacle::WallLinks;

/// Settings of one cylinder-wake run (lengths in D, times in D / U).
#[derive(Debug, Clone, PartialEq)]
pub struct CylinderConfig {
    /// Reynolds number U D / nu.
    pub reynolds: f64,
    /// Lattice cells per cylinder diameter.
    pub cells_per_diameter: usize,
    /// Inflow speed in lattice units (Mach number = `u_lattice * sqrt(3)`).
    pub u_lattice: f64,
    /// Simulated domain in x (inlet, outlet).
    pub domain_x: (f64, f64),
    /// Simulated domain in y (free-slip sides).
    pub domain_y: (f64, f64),
    /// Time simulated before the first snapshot.
    pub t_spinup: f64,
    /// Number of recorded snapshots.
    pub n_snapshots: usize,
    /// Time between snapshots (must be a whole number of lattice steps).
    pub dt_snapshot: f64,
    /// Output window in x and its number of points.
    pub window_x: (f64, f64, usize),
    /// Output window in y and its number of points.
    pub window_y: (f64, f64, usize),
    /// Amplitude (in U) of the initial transverse velocity bump that breaks the symmetry.
    pub perturbation: f64,
    /// Thickness (in D) of the absorbing layers along the two sides.
    pub sponge_side: f64,
    /// Thickness (in D) of the absorbing layer before the outlet.
    pub sponge_outlet: f64,
    /// Largest relaxation per step towards the free stream inside the layers (0 = no sponge).
    pub sponge_strength: f64,
}

impl Default for CylinderConfig {
    /// The paper's data: Re = 100, 151 snapshots 0.2 apart on 449 x 199 points; 20 cells per
    /// diameter, u_lattice 0.1 (Mach 0.17, tau 0.56), 501 x 401 nodes, 100 D/U of spin-up
    /// (26 000 lattice steps in all; see BENCHMARKS.md for accuracy and cost).
    fn default() -> Self {
        CylinderConfig {
            reynolds: 100.0,
            cells_per_diameter: 20,
            u_lattice: 0.1,
            domain_x: (-10.0, 15.0),
            domain_y: (-10.0, 10.0),
            t_spinup: 100.0,
            n_snapshots: 151,
            dt_snapshot: 0.2,
            window_x: (-1.0, 8.0, 449),
            window_y: (-2.0, 2.0, 199),
            perturbation: 0.5,
            sponge_side: 1.5,
            sponge_outlet: 3.0,
            sponge_strength: 0.05,
        }
    }
}

impl CylinderConfig {
    /// A tiny run for tests and CI (seconds): 8 cells per diameter, a tight domain, 10 time
    /// units of spin-up and 11 snapshots on a 91 x 41 window. The wake is not shedding yet.
    pub fn quick() -> Self {
        CylinderConfig {
            cells_per_diameter: 8,
            domain_x: (-2.0, 9.0),
            domain_y: (-3.0, 3.0),
            t_spinup: 10.0,
            n_snapshots: 11,
            window_x: (-1.0, 8.0, 91),
            window_y: (-2.0, 2.0, 41),
            ..CylinderConfig::default()
        }
    }

    /// Relaxation time of the lattice: `3 nu + 1/2` with `nu = u_lattice cells / Re`.
    pub fn tau(&self) -> f64 {
        3.0 * self.u_lattice * self.cells_per_diameter as f64 / self.reynolds + 0.5
    }

    /// Lattice steps per unit of time D / U.
    pub fn steps_per_time(&self) -> f64 {
        self.cells_per_diameter as f64 / self.u_lattice
    }

    /// Check the settings; returns (spin-up steps, steps between snapshots).
    pub fn schedule(&self) -> Result<(usize, usize)> {
        let pos = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(
                    name,
                    format!("must be positive and finite, got {v}"),
                ))
            }
        };
        pos("reynolds", self.reynolds)?;
        pos("dt_snapshot", self.dt_snapshot)?;
        if self.cells_per_diameter < 4 {
            return Err(Error::invalid(
                "cells_per_diameter",
                format!("need at least 4, got {}", self.cells_per_diameter),
            ));
        }
        if !(self.u_lattice > 0.0 && self.u_lattice <= 0.2) {
            return Err(Error::invalid(
                "u_lattice",
                format!(
                    "must be in (0, 0.2] to keep the Mach number low, got {}",
                    self.u_lattice
                ),
            ));
        }
        if self.tau() < 0.505 {
            return Err(Error::invalid("tau", format!("relaxation time {} too close to 1/2 (unstable): raise u_lattice or cells_per_diameter", self.tau())));
        }
        if !(self.t_spinup.is_finite() && self.t_spinup >= 0.0 && self.perturbation.is_finite()) {
            return Err(Error::invalid(
                "t_spinup",
                format!(
                    "must be >= 0, got {} (perturbation {})",
                    self.t_spinup, self.perturbation
                ),
            ));
        }
        let sponge_ok = [self.sponge_side, self.sponge_outlet]
            .iter()
            .all(|w| w.is_finite() && *w >= 0.0);
        if !sponge_ok || !(0.0..1.0).contains(&self.sponge_strength) {
            return Err(Error::invalid(
                "sponge",
                format!(
                    "widths must be >= 0 and strength in [0, 1), got side {}, outlet {}, strength {}",
                    self.sponge_side, self.sponge_outlet, self.sponge_strength
                ),
            ));
        }
        if self.n_snapshots == 0 {
            return Err(Error::invalid("n_snapshots", "need at least one snapshot"));
        }
        let ((x0, x1), (y0, y1)) = (self.domain_x, self.domain_y);
        if !(x0 <= -1.5 && x1 >= 1.5 && y0 <= -1.5 && y1 >= 1.5) {
            return Err(Error::invalid("domain", format!("must extend at least 1.5 D around the cylinder, got x {x0}..{x1}, y {y0}..{y1}")));
        }
        for (name, (a, b, n), (lo, hi)) in [
            ("window_x", self.window_x, self.domain_x),
            ("window_y", self.window_y, self.domain_y),
        ] {
            if n < 2 || a.is_nan() || b.is_nan() || a >= b || a < lo || b > hi {
                return Err(Error::invalid(name, format!("need >= 2 points and {lo} <= start < end <= {hi}, got {a}..{b} with {n} points")));
            }
        }
        let per_snap = self.dt_snapshot * self.steps_per_time();
        if (per_snap - per_snap.round()).abs() > 1e-6 * per_snap || per_snap.round() < 1.0 {
            return Err(Error::invalid("dt_snapshot", format!("{} D/U is {per_snap} lattice steps; choose u_lattice and cells_per_diameter so that it is a whole number", self.dt_snapshot)));
        }
        Ok((
            (self.t_spinup * self.steps_per_time()).round() as usize,
            per_snap.round() as usize,
        ))
    }
}

/// The recorded wake and its statistics.
#[derive(Debug, Clone)]
pub struct CylinderRun {
    /// u / U, [nx * ny, n_snapshots]; column = one snapshot, x fastest.
    pub u: Array2<f64>,
    /// Output points in x.
    pub nx: usize,
    /// Output points in y.
    pub ny: usize,
    /// Time between snapshots, in D / U.
    pub dt_snapshot: f64,
    /// Strouhal number f D / U from the lift over the recorded window (NaN with fewer than
    /// two shedding periods recorded).
    pub strouhal: f64,
    /// Mean drag coefficient F_x / (rho U^2 D / 2) over whole shedding periods of the recorded
    /// window (the whole window when no period was found).
    pub mean_drag: f64,
    /// Half the peak-to-peak lift coefficient over the recorded window.
    pub lift_amplitude: f64,
    /// Drag and lift coefficients at every lattice step of the recorded window.
    pub drag: Vec<f64>,
    /// See [`CylinderRun::drag`].
    pub lift: Vec<f64>,
    /// Lattice node updates per second of stepping.
    pub cell_updates_per_second: f64,
}

/// Sponge strength per node: `strength * ramp^2`, the ramp rising linearly from 0 at the
/// inner edge of each layer to 1 at the boundary.
fn sponge_profile(cfg: &CylinderConfig, nx: usize, ny: usize) -> Vec<f64> {
    let h = 1.0 / cfg.cells_per_diameter as f64;
    let ((x0, x1), (y0, y1)) = (cfg.domain_x, cfg.domain_y);
    let ramp = |d: f64, w: f64| {
        if w > 0.0 {
            (1.0 - d / w).clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    let mut s = vec![0.0; nx * ny];
    for j in 0..ny {
        let y = y0 + j as f64 * h;
        let side = ramp((y - y0).min(y1 - y), cfg.sponge_side);
        for i in 0..nx {
            let out = ramp(x1 - (x0 + i as f64 * h), cfg.sponge_outlet);
            s[j * nx + i] = cfg.sponge_strength * side.max(out).powi(2);
        }
    }
    s
}

/// Run the lattice-Boltzmann simulation described by `cfg`.
pub fn simulate(cfg: &CylinderConfig) -> Result<CylinderRun> {
    simulate_with_progress(cfg, &mut |_, _| {})
}

/// [`simulate`], calling `progress(step, total)` with the lattice steps done and to do, about a
/// hundred times over the run (spin-up included).
pub fn simulate_with_progress(
    cfg: &CylinderConfig,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<CylinderRun> {
    let (spinup, per_snap) = cfg.schedule()?;
    let cells = cfg.cells_per_diameter as f64;
    let h = 1.0 / cells;
    let ((x0, x1), (y0, y1)) = (cfg.domain_x, cfg.domain_y);
    let nx = ((x1 - x0) * cells).round() as usize + 1;
    let ny = ((y1 - y0) * cells).round() as usize + 1;
    let walls = WallLinks::circle(nx, ny, -x0 * cells, -y0 * cells, 0.5 * cells);
    let u_lb = cfg.u_lattice;
    let mut lattice = Lattice::new(
        nx,
        ny,
        cfg.tau(),
        XBoundary::Channel { inflow: u_lb },
        YBoundary::FreeSlip,
        walls,
    )?;
    if cfg.sponge_strength > 0.0 {
        lattice = lattice.with_sponge(sponge_profile(cfg, nx, ny), 1.0, u_lb, 0.0)?;
    }

    // Uniform flow, at rest inside the cylinder, plus a transverse bump behind it.
    let n = nx * ny;
    let (mut ux, mut uy) = (vec![u_lb; n], vec![0.0; n]);
    for j in 0..ny {
        for i in 0..nx {
            let (x, y) = (x0 + i as f64 * h, y0 + j as f64 * h);
            let node = j * nx + i;
            if lattice.is_solid(i, j) {
                ux[node] = 0.0;
            } else {
                uy[node] = cfg.perturbation * u_lb * (-((x - 1.5).powi(2) + y * y)).exp();
            }
        }
    }
    let mut state = lattice.equilibrium_state(&vec![1.0; n], &ux, &uy)?;

    let (wnx, wny) = (cfg.window_x.2, cfg.window_y.2);
    let mut u_out = Array2::<f64>::zeros((wnx * wny, cfg.n_snapshots));
    let total = spinup + (cfg.n_snapshots - 1) * per_snap;
    let coef = 1.0 / (0.5 * u_lb * u_lb * cells);
    let (mut drag, mut lift) = (Vec::new(), Vec::new());
    let mut stepping = 0.0;
    let mut snap = 0;
    let report_every = total.div_ceil(100).max(1);
    for step in 0..=total {
        if step >= spinup && (step - spinup) % per_snap == 0 {
            let (_, ux, _) = lattice.macroscopic(&state);
            let field = GridField {
                v: &ux,
                nx,
                ny,
                x0,
                y0,
                h,
            };
            let mut col = u_out.column_mut(snap);
            for l in 0..wny {
                let y = cfg.window_y.0
                    + (cfg.window_y.1 - cfg.window_y.0) * l as f64 / (wny - 1) as f64;
                for k in 0..wnx {
                    let x = cfg.window_x.0
                        + (cfg.window_x.1 - cfg.window_x.0) * k as f64 / (wnx - 1) as f64;
                    // (A margin below r^2 keeps points on the circle, met with rounding, symmetric in y.)
                    let inside = x * x + y * y < 0.25 - 1e-9;
                    col[l * wnx + k] = if inside {
                        0.0
                    } else {
                        field.bilinear(x, y) / u_lb
                    };
                }
            }
            if col.iter().any(|v| !v.is_finite()) {
                return Err(SolverError::NonFinite {
                    t: step as f64 / cfg.steps_per_time(),
                }
                .into());
            }
            snap += 1;
        }
        if step == total {
            break;
        }
        if step % report_every == 0 {
            progress(step, total);
        }
        let start = Instant::now();
        lattice.step(&mut state);
        stepping += start.elapsed().as_secs_f64();
        if step >= spinup {
            let [fx, fy] = lattice.force();
            drag.push(fx * coef);
            lift.push(fy * coef);
        }
    }

    let (strouhal, mean_drag) = match analysis::period(&lift) {
        Some((period, first, last)) => (
            cfg.steps_per_time() / period,
            analysis::mean_between(&drag, first, last),
        ),
        None => (
            f64::NAN,
            drag.iter().sum::<f64>() / drag.len().max(1) as f64,
        ),
    };
    let (lo, hi) = lift
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &l| {
            (a.min(l), b.max(l))
        });
    Ok(CylinderRun {
        u: u_out,
        nx: wnx,
        ny: wny,
        dt_snapshot: cfg.dt_snapshot,
        strouhal,
        mean_drag,
        lift_amplitude: if lift.is_empty() {
            0.0
        } else {
            0.5 * (hi - lo)
        },
        drag,
        lift,
        cell_updates_per_second: (nx * ny * total) as f64 / stepping.max(1e-12),
    })
}
