//! Hybrid forecast: a coarse neural stepper plus classic RK4 inside every coarse interval.
//!
//! With a coarse stepper of step size S (the paper uses the largest, 1024 dt) and an RK4 step
//! h = c dt:
//!
//! 1. the stepper gives the coarse points x(0) = x0, x(S), x(2 S), ..., x(K S), K S >= n_steps;
//! 2. from EVERY coarse point x(j S), j < K, classic RK4 with step h advances S / c steps to
//!    fill the interval [j S, (j + 1) S) (all K n_traj starts in one batch); the RK4 end point of
//!    an interval is dropped in favour of the next coarse point;
//! 3. linear interpolation (c > 1) or subsampling (c < 1; exact copies) gives every step
//!    1..=`n_steps`.
//!
//! [`rk4_forecast`] is the baseline: RK4 with step h over the whole horizon from x0.
//! S must be a whole multiple of c. Both integrate autonomous systems (every RK4 run starts
//! at t = 0), which all the paper's systems are. Results are `f64`, `[n_traj, n_steps, dim]`.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::forecast::{hybrid_forecast, FlowMapStepper};
//! use hits::problem::builtin::Harmonic;
//! let coarse = FlowMapStepper::harmonic(0.01, 64); // the exact flow as the "network"
//! let x0 = ndarray::array![[0.0, 1.0]];
//! let pred = hybrid_forecast(&coarse, &Harmonic, 0.01, 2.0, x0.view(), 200)?; // h = 2 dt
//! assert_eq!(pred.dim(), (1, 200, 2));
//! assert!((pred[[0, 199, 0]] - 2f64.sin()).abs() < 1e-5);
//! # Ok(())
//! # }
//! ```

use std::mem::MaybeUninit;

use ndarray::{Array3, ArrayView2};
use rayon::prelude::*;

use super::metrics::{states_tensor, to_array3};
use super::stage::Stage;
use super::stepper::check_states;
use super::uniscale::rollout;
use super::Stepper;
use crate::solvers::{lanes_per_batch, Rk4Lanes};
use crate::{Error, Result, System};

/// Hybrid NN + RK4 forecast of `n_steps` steps of `dt` from `x0` (`[n_traj, dim]`), with the RK4
/// step `h = h_in_dt * dt`. Generic over the system so that its batched right-hand side
/// ([`System::rhs_batch`]) is inlined; `&dyn System` works too.
pub fn hybrid_forecast<S: System + ?Sized>(
    coarse: &dyn Stepper,
    system: &S,
    dt: f64,
    h_in_dt: f64,
    x0: ArrayView2<f64>,
    n_steps: usize,
) -> Result<Array3<f64>> {
    let dim = system.dim();
    if coarse.dim() != dim {
        return Err(Error::shape(
            "coarse stepper",
            format!("dim {dim} (the system's)"),
            coarse.dim().to_string(),
        ));
    }
    let x0 = states_tensor(x0, &coarse.device())?;
    let x0 = &x0;
    let n_traj = check_states("initial states x0", x0, dim)?;
    check_steps(dt, h_in_dt, n_steps)?;
    let big = coarse.step_size();
    let ratio = big as f64 / h_in_dt;
    let n_sub = ratio.round() as usize;
    if n_sub == 0 || (ratio - n_sub as f64).abs() > 1e-9 * ratio {
        return Err(Error::invalid(
            "h",
            format!("the coarse step ({big} dt) must be a whole multiple of h ({h_in_dt} dt)"),
        ));
    }
    let k = n_steps.div_ceil(big);
    let coarse_pts = to_array3(&rollout(coarse, x0, k)?)?; // [n_traj, k + 1, dim]
                                                           // Point-major [k + 1, n_traj, dim]: the RK4 starts are points 0..k, the interval ends 1..=k.
    let points: Vec<f64> = coarse_pts
        .permuted_axes([1, 0, 2])
        .as_standard_layout()
        .iter()
        .copied()
        .collect();
    let row = n_traj * dim;
    let plan = Fill {
        dim,
        n_traj,
        n_steps,
        h_in_dt,
        n_sub,
        k,
        big,
        starts: &points[..k * row],
        ends: Some(&points[row..]),
    };
    plan.run(system, h_in_dt * dt)
}

/// Plain RK4 with step `h = h_in_dt * dt` from `x0` (`[n_traj, dim]`) over `n_steps` steps of
/// `dt`, interpolated (or subsampled) to every step: `[n_traj, n_steps, dim]`.
pub fn rk4_forecast<S: System + ?Sized>(
    system: &S,
    dt: f64,
    h_in_dt: f64,
    x0: ArrayView2<f64>,
    n_steps: usize,
) -> Result<Array3<f64>> {
    let (n_traj, dim) = x0.dim();
    if dim != system.dim() {
        return Err(Error::shape(
            "initial states x0",
            format!("[n, {}]", system.dim()),
            format!("{:?}", x0.shape()),
        ));
    }
    check_steps(dt, h_in_dt, n_steps)?;
    let n_calls = (n_steps as f64 / h_in_dt - 1e-9).ceil().max(1.0) as usize;
    let x0 = x0.as_standard_layout();
    let plan = Fill {
        dim,
        n_traj,
        n_steps,
        h_in_dt,
        n_sub: n_calls,
        k: 1,
        big: 0,
        starts: x0.as_slice().unwrap_or_default(),
        ends: None,
    };
    plan.run(system, h_in_dt * dt)
}

/// RK4 runs that fill the output between known points, streamed: interval j starts at step
/// `j * big` from `starts[j]` and takes `n_sub` RK4 steps of `h_in_dt` dt; its RK4 points sit at
/// `j big + s h_in_dt` (s < `n_sub`), and its last point is `ends[j]` at `(j + 1) big` (or, without
/// `ends`, the RK4 end point at `n_sub h_in_dt`). Every output step t in `[p, p_next)` between
/// consecutive points is written as soon as both are known, with exactly the arithmetic of
/// [`crate::forecast::interpolate_to_steps`] (`x_p + (x_next - x_p) w`, `w = (t - p) / (p_next
/// - p)`, a copy where t = p), so no `[n_points, n_traj, dim]` buffer is ever built.
struct Fill<'a> {
    dim: usize,
    n_traj: usize,
    n_steps: usize,
    h_in_dt: f64,
    n_sub: usize,
    k: usize,
    big: usize,
    /// `[k, n_traj, dim]` point-major.
    starts: &'a [f64],
    /// `[k, n_traj, dim]` point-major, or none.
    ends: Option<&'a [f64]>,
}

impl Fill<'_> {
    /// Run every interval of every trajectory: batches of trajectories (all their intervals in
    /// one [`Rk4Lanes`], lane `j * m + i`) in parallel, each writing its own output rows.
    fn run<S: System + ?Sized>(&self, system: &S, h: f64) -> Result<Array3<f64>> {
        let (dim, n_traj, n_steps) = (self.dim, self.n_traj, self.n_steps);
        let len = n_traj * n_steps * dim;
        // Every output number is written exactly once (by `Stage::flush`), so the buffer is not
        // zeroed first: at forecast sizes, zeroing costs as much as a tenth of the forecast.
        let mut out: Vec<f64> = Vec::with_capacity(len);
        let mut written = 0;
        if len > 0 {
            let per_traj = lanes_per_batch(self.k * n_traj).div_ceil(self.k).max(1);
            written = out.spare_capacity_mut()[..len]
                .par_chunks_mut(per_traj * n_steps * dim)
                .enumerate()
                .map(|(c, chunk)| self.run_batch(system, h, c * per_traj, chunk))
                .sum::<usize>();
        }
        // The runs written are disjoint (distinct steps of distinct rows); their total proves
        // that all `len` numbers are initialised.
        assert_eq!(written, len, "hybrid forecast: output not fully written");
        // SAFETY: the `len` first elements were all initialised (checked just above).
        unsafe { out.set_len(len) };
        Array3::from_shape_vec((n_traj, n_steps, dim), out).map_err(shape_err)
    }

    /// The trajectories `r0..r0 + m` (`out`: their `[m, n_steps, dim]` output rows); returns
    /// how many numbers it wrote.
    fn run_batch<S: System + ?Sized>(
        &self,
        system: &S,
        h: f64,
        r0: usize,
        out: &mut [MaybeUninit<f64>],
    ) -> usize {
        let (dim, n_steps, k, n_traj) = (self.dim, self.n_steps, self.k, self.n_traj);
        let m = out.len() / (n_steps * dim);
        let lanes = k * m;
        let mut rk = Rk4Lanes::new(dim, lanes);
        // Starts and interval ends as SoA batches: lane j * m + i is interval j of trajectory r0 + i.
        let to_soa = |points: &[f64], soa: &mut [f64]| {
            for j in 0..k {
                for i in 0..m {
                    let src = &points[(j * n_traj + r0 + i) * dim..][..dim];
                    for (d, v) in src.iter().enumerate() {
                        soa[d * lanes + j * m + i] = *v;
                    }
                }
            }
        };
        to_soa(self.starts, rk.state_mut());
        let ends = self.ends.map(|e| {
            let mut soa = vec![0.0; dim * lanes];
            to_soa(e, &mut soa);
            soa
        });
        // Outputs are staged a few steps at a time (cache-resident), then written to the output
        // rows in contiguous runs (see `Stage`).
        let mut stage = Stage::new(k, m, dim);
        rk.run(system, 0.0, h, self.n_sub, |s, prev, cur| {
            let last = s == self.n_sub;
            // The upper point of this segment: the RK4 point, or the interval's end point.
            let (upper, to_end) = match (&ends, last) {
                (Some(e), true) => (&e[..], true),
                _ => (cur, false),
            };
            for j in 0..k {
                let base = (j * self.big) as f64;
                let pa = base + (s - 1) as f64 * self.h_in_dt;
                let pb = if to_end {
                    ((j + 1) * self.big) as f64
                } else {
                    base + s as f64 * self.h_in_dt
                };
                let mut t = pa.ceil().max(1.0) as usize;
                while t <= n_steps && (t as f64) < pb {
                    let tf = t as f64;
                    let w = (tf - pa) / (pb - pa);
                    let w = if tf == pa { None } else { Some(w) };
                    stage.put(j, t, out, prev, upper, w);
                    t += 1;
                }
                // After the last point of the last interval: copies of it up to the horizon.
                if last && j + 1 == k {
                    for t in (pb.ceil().max(1.0) as usize)..=n_steps {
                        stage.put(j, t, out, upper, upper, None);
                    }
                }
            }
        });
        debug_assert_eq!(n_steps * dim, out.len() / m);
        stage.finish(out)
    }
}

fn check_steps(dt: f64, h_in_dt: f64, n_steps: usize) -> Result<()> {
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(Error::invalid(
            "dt",
            format!("must be positive and finite, got {dt}"),
        ));
    }
    if !(h_in_dt > 0.0 && h_in_dt.is_finite()) {
        return Err(Error::invalid(
            "h",
            format!("must be a positive multiple of dt, got {h_in_dt} dt"),
        ));
    }
    if n_steps == 0 {
        return Err(Error::invalid("n_steps", "must be at least 1"));
    }
    Ok(())
}

fn shape_err(e: ndarray::ShapeError) -> Error {
    Error::shape(
        "hybrid forecast buffers",
        "a standard-layout array",
        e.to_string(),
    )
}
