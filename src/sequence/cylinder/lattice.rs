//! The D2Q9 two-relaxation-time lattice-Boltzmann core: streaming, collision, boundaries.
//!
//! Populations `f_k(x)`, k = 0..9, move with the velocities [`C`] (0 rest, 1 E, 2 N, 3 W, 4 S,
//! 5 NE, 6 NW, 7 SW, 8 SE). One step pulls `f_k(x, t+1) = f*_k(x - c_k, t)` from the stored
//! post-collision populations `f*` (so every node is computed independently: rows run in
//! parallel with rayon), applies the boundary rules, and collides with TRT:
//!
//! ```text
//! f*_k = f_k - w+ (f+_k - feq+_k) - w- (f-_k - feq-_k),   f+-_k = (f_k +- f_opp(k)) / 2,
//! feq_k = w_k rho (1 + 3 c_k.u + 9/2 (c_k.u)^2 - 3/2 u.u),
//! w+ = 1 / tau,  nu = (tau - 1/2) / 3,  (1/w+ - 1/2)(1/w- - 1/2) = Lambda = 3/16.
//! ```
//!
//! Boundaries: periodic or free-slip (specular reflection half-way between nodes) in y;
//! periodic, or a channel in x with a Zou & He velocity inlet at the first column and a
//! zero-gradient outlet (populations copied from the neighbouring column) at the last; solid
//! obstacles with the linear interpolated bounce-back of Bouzidi, Firdaouss & Lallemand (2001),
//! whose wall distances `q` come from [`super::obstacle`]. The force on the obstacle is the
//! momentum exchange `F = sum over wall links of c_i (f*_i(x_f) + f_opp(i)(x_f, t+1))` (Ladd;
//! Mei, Yu, Shyy & Luo 2002).
//!
//! An optional sponge (absorbing layer) relaxes the post-collision populations towards a
//! far-field equilibrium, `f* <- f* + s(x) (feq(rho_inf, u_inf) - f*)`, with `s = 0` outside
//! the layer. Without it, sound waves (from the impulsive start and from the shedding itself)
//! bounce between the free-slip sides with almost no damping (viscous decay time ~ 1000 D/U)
//! and the lift locks onto the transverse acoustic mode of period `2 H / c_s` (measured:
//! St 0.29 and a lift amplitude that grew to 11 instead of 0.17 and 0.33).

use rayon::prelude::*;

use super::d2q9::{C, OPP, W};
use super::obstacle::WallLinks;
use crate::sequence::fixed_step::FixedStepper;
use crate::{Error, Result};

/// Index of the velocity mirrored in y (c_y -> -c_y).
const MIRROR_Y: [usize; 9] = [0, 1, 4, 3, 2, 8, 7, 6, 5];
/// The TRT "magic" parameter: with 3/16 bounce-back walls sit exactly half-way for Poiseuille flow.
pub const MAGIC: f64 = 3.0 / 16.0;

/// Boundary in x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum XBoundary {
    Periodic,
    /// Zou-He velocity inlet (u = `inflow`, v = 0) at i = 0, zero-gradient outlet at i = nx - 1.
    Channel {
        inflow: f64,
    },
}

/// Boundary in y.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum YBoundary {
    Periodic,
    /// Specular reflection half a cell beyond the first and last rows.
    FreeSlip,
}

/// The state: post-collision populations, node-major (`f[(j nx + i) 9 + k]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Populations(pub Vec<f64>);

/// A D2Q9 TRT lattice of `nx x ny` nodes with its boundaries and obstacle.
#[derive(Debug)]
pub struct Lattice {
    nx: usize,
    ny: usize,
    omega_plus: f64,
    omega_minus: f64,
    x_bc: XBoundary,
    y_bc: YBoundary,
    walls: WallLinks,
    sponge: Option<Sponge>,
    next: Vec<f64>,
    force: [f64; 2],
}

/// An absorbing layer: per-node relaxation strength towards a far-field equilibrium.
#[derive(Debug, Clone)]
struct Sponge {
    strength: Vec<f64>,
    target: [f64; 9],
}

/// Equilibrium populations.
pub fn equilibrium(rho: f64, ux: f64, uy: f64) -> [f64; 9] {
    let usq = 1.5 * (ux * ux + uy * uy);
    std::array::from_fn(|k| {
        let cu = 3.0 * (C[k].0 as f64 * ux + C[k].1 as f64 * uy);
        W[k] * rho * (1.0 + cu + 0.5 * cu * cu - usq)
    })
}

/// Density and velocity of one node's populations.
pub fn moments(f: &[f64]) -> (f64, f64, f64) {
    let rho: f64 = f.iter().sum();
    let jx = f[1] - f[3] + f[5] - f[6] - f[7] + f[8];
    let jy = f[2] - f[4] + f[5] + f[6] - f[7] - f[8];
    (rho, jx / rho, jy / rho)
}

impl Lattice {
    /// A lattice with relaxation time `tau` (kinematic viscosity `(tau - 1/2) / 3`).
    pub fn new(
        nx: usize,
        ny: usize,
        tau: f64,
        x_bc: XBoundary,
        y_bc: YBoundary,
        walls: WallLinks,
    ) -> Result<Self> {
        if nx < 3 || ny < 3 {
            return Err(Error::invalid(
                "lattice size",
                format!("need at least 3 x 3 nodes, got {nx} x {ny}"),
            ));
        }
        if !(tau.is_finite() && tau > 0.5) {
            return Err(Error::invalid(
                "tau",
                format!("relaxation time must exceed 1/2, got {tau}"),
            ));
        }
        if walls.len() != nx * ny {
            return Err(Error::shape(
                "obstacle mask",
                format!("{} nodes", nx * ny),
                format!("{} nodes", walls.len()),
            ));
        }
        let tau_minus = 0.5 + MAGIC / (tau - 0.5);
        Ok(Lattice {
            nx,
            ny,
            omega_plus: 1.0 / tau,
            omega_minus: 1.0 / tau_minus,
            x_bc,
            y_bc,
            walls,
            sponge: None,
            next: vec![0.0; nx * ny * 9],
            force: [0.0; 2],
        })
    }

    /// Add an absorbing layer: after each collision, node `n` relaxes by `strength[n]`
    /// (in [0, 1), 0 outside the layer) towards the equilibrium of `(rho, ux, uy)`.
    pub fn with_sponge(mut self, strength: Vec<f64>, rho: f64, ux: f64, uy: f64) -> Result<Self> {
        if strength.len() != self.nx * self.ny {
            return Err(Error::shape(
                "sponge strength",
                format!("[{}]", self.nx * self.ny),
                format!("[{}]", strength.len()),
            ));
        }
        if let Some(s) = strength.iter().find(|s| !(0.0..1.0).contains(*s)) {
            return Err(Error::invalid(
                "sponge strength",
                format!("must be in [0, 1), got {s}"),
            ));
        }
        self.sponge = Some(Sponge {
            strength,
            target: equilibrium(rho, ux, uy),
        });
        Ok(self)
    }

    /// Nodes in x and y.
    pub fn shape(&self) -> (usize, usize) {
        (self.nx, self.ny)
    }

    /// Whether node (i, j) is inside the obstacle.
    pub fn is_solid(&self, i: usize, j: usize) -> bool {
        self.walls.is_solid(j * self.nx + i)
    }

    /// Equilibrium populations for given density and velocity fields (node-major, x fastest);
    /// solid nodes get zeros.
    pub fn equilibrium_state(&self, rho: &[f64], ux: &[f64], uy: &[f64]) -> Result<Populations> {
        let n = self.nx * self.ny;
        for (name, a) in [("rho", rho), ("ux", ux), ("uy", uy)] {
            if a.len() != n {
                return Err(Error::shape(
                    name,
                    format!("[{n}]"),
                    format!("[{}]", a.len()),
                ));
            }
        }
        let mut f = vec![0.0; n * 9];
        for (node, fs) in f.chunks_exact_mut(9).enumerate() {
            if !self.walls.is_solid(node) {
                fs.copy_from_slice(&equilibrium(rho[node], ux[node], uy[node]));
            }
        }
        Ok(Populations(f))
    }

    /// Density and velocity at every node (x fastest); zero velocity and unit density inside
    /// the obstacle.
    pub fn macroscopic(&self, state: &Populations) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = self.nx * self.ny;
        let (mut rho, mut ux, mut uy) = (vec![1.0; n], vec![0.0; n], vec![0.0; n]);
        for (node, fs) in state.0.chunks_exact(9).enumerate() {
            if !self.walls.is_solid(node) {
                (rho[node], ux[node], uy[node]) = moments(fs);
            }
        }
        (rho, ux, uy)
    }

    /// The force on the obstacle during the last step (lattice units, per unit depth).
    pub fn force(&self) -> [f64; 2] {
        self.force
    }

    /// Compute the post-collision populations of row `j` into `out`; returns the row's share
    /// of the obstacle force.
    fn row(&self, old: &[f64], j: usize, out: &mut [f64]) -> [f64; 2] {
        let (nx, ny) = (self.nx as i64, self.ny as i64);
        let mut force = [0.0; 2];
        for i in 0..self.nx {
            let node = j * self.nx + i;
            let fo = &mut out[i * 9..i * 9 + 9];
            if self.walls.is_solid(node) {
                fo.fill(0.0);
                continue;
            }
            let mut f = [0.0; 9];
            let interior = i > 0 && i + 1 < self.nx && j > 0 && j + 1 < self.ny;
            let wall = self.walls.links(node);
            if interior && wall.is_none() {
                for k in 0..9 {
                    let src = (node as i64 - C[k].0 - C[k].1 * nx) as usize;
                    f[k] = old[src * 9 + k];
                }
            } else {
                let mut inlet_unknown = false;
                for k in 0..9 {
                    let (mut si, mut sj, mut kk) = (i as i64 - C[k].0, j as i64 - C[k].1, k);
                    if sj < 0 || sj >= ny {
                        match self.y_bc {
                            YBoundary::Periodic => sj = sj.rem_euclid(ny),
                            YBoundary::FreeSlip => (sj, kk) = (j as i64, MIRROR_Y[k]),
                        }
                    }
                    if si < 0 || si >= nx {
                        match self.x_bc {
                            XBoundary::Periodic => si = si.rem_euclid(nx),
                            XBoundary::Channel { .. } if si < 0 => {
                                inlet_unknown = true;
                                continue;
                            }
                            XBoundary::Channel { .. } => si = nx - 1,
                        }
                    }
                    let src = (sj * nx + si) as usize;
                    if !self.walls.is_solid(src) {
                        f[k] = old[src * 9 + kk];
                        continue;
                    }
                    // Interpolated bounce-back: the link node -> node - c_k = node + c_iw hits the wall.
                    let iw = OPP[k];
                    let q = wall.map_or(0.5, |w| w[iw]);
                    let behind = node as i64 + C[k].0 + C[k].1 * nx;
                    let own = old[node * 9 + iw];
                    f[k] = if q < 0.5
                        && (0..nx * ny).contains(&behind)
                        && !self.walls.is_solid(behind as usize)
                    {
                        2.0 * q * own + (1.0 - 2.0 * q) * old[behind as usize * 9 + iw]
                    } else if q >= 0.5 {
                        own / (2.0 * q) + (2.0 * q - 1.0) / (2.0 * q) * old[node * 9 + k]
                    } else {
                        own
                    };
                    force[0] += C[iw].0 as f64 * (own + f[k]);
                    force[1] += C[iw].1 as f64 * (own + f[k]);
                }
                if inlet_unknown {
                    if let XBoundary::Channel { inflow: u } = self.x_bc {
                        zou_he_inlet(&mut f, u);
                    }
                }
            }
            self.collide(&f, fo);
            if let Some(sponge) = &self.sponge {
                let s = sponge.strength[node];
                if s > 0.0 {
                    fo.iter_mut()
                        .zip(&sponge.target)
                        .for_each(|(o, t)| *o += s * (t - *o));
                }
            }
        }
        force
    }

    /// TRT collision of the populations `f` into `out`.
    #[inline]
    fn collide(&self, f: &[f64; 9], out: &mut [f64]) {
        let (rho, ux, uy) = moments(f);
        let feq = equilibrium(rho, ux, uy);
        out[0] = f[0] - self.omega_plus * (f[0] - feq[0]);
        for (k, o) in [(1, 3), (2, 4), (5, 7), (6, 8)] {
            let (fp, fm) = (0.5 * (f[k] + f[o]), 0.5 * (f[k] - f[o]));
            let (ep, em) = (0.5 * (feq[k] + feq[o]), 0.5 * (feq[k] - feq[o]));
            let (dp, dm) = (self.omega_plus * (fp - ep), self.omega_minus * (fm - em));
            out[k] = f[k] - dp - dm;
            out[o] = f[o] - dp + dm;
        }
    }
}

/// Zou & He (1997) velocity inlet on a west boundary: the populations moving east (1, 5, 8)
/// from the known ones, for velocity (u, 0).
fn zou_he_inlet(f: &mut [f64; 9], u: f64) {
    let rho = (f[0] + f[2] + f[4] + 2.0 * (f[3] + f[6] + f[7])) / (1.0 - u);
    f[1] = f[3] + 2.0 / 3.0 * rho * u;
    f[5] = f[7] - 0.5 * (f[2] - f[4]) + rho * u / 6.0;
    f[8] = f[6] + 0.5 * (f[2] - f[4]) + rho * u / 6.0;
}

impl FixedStepper for Lattice {
    type State = Populations;

    /// One lattice time step (the time unit of the lattice).
    fn step_size(&self) -> f64 {
        1.0
    }

    fn step(&mut self, state: &mut Populations) {
        let mut next = std::mem::take(&mut self.next);
        let old = &state.0;
        let this = &*self;
        let force = next
            .par_chunks_mut(self.nx * 9)
            .enumerate()
            .map(|(j, out)| this.row(old, j, out))
            .reduce(|| [0.0; 2], |a, b| [a[0] + b[0], a[1] + b[1]]);
        self.force = force;
        std::mem::swap(&mut state.0, &mut next);
        self.next = next;
    }
}
