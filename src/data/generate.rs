//! The paper's ODE data sets, generated as the original notebooks did.
//!
//! All random numbers come from one numpy legacy stream, `np.random.seed(seed)` (the paper
//! uses seed 2), consumed in the original order:
//!
//! 1. initial conditions, trajectory by trajectory: all train, then all val, then all test;
//! 2. noise for train, then val, then test (see [`add_noise`]).
//!
//! Solving draws no random numbers, so the draws can all be taken first and the solves run in
//! parallel (rayon) with identical results.
//!
//! | system | initial condition of one trajectory, drawn in this order |
//! |---|---|
//! | Hyperbolic, Cubic | `x, y ~ U(-1, 1)` |
//! | Van der Pol | train `x ~ U(-2, 2), y ~ U(-4, 4)`; val and test `x, y ~ U(-2, 2)` |
//! | Hopf | `mu ~ U(-0.2, 0.6), x ~ U(-1, 2), y ~ U(-1, 1)` |
//! | Lorenz | per split, one warm-up start `U(-0.1, 0.1)^3` (see below) |
//! | Harmonic | `r ~ U(0, 2)`, then `phi ~ U(-pi, pi)` |
//!
//! Trajectories of the ODE systems are scipy's default RK45 (`rtol 1e-3, atol 1e-6`) on
//! `[0, (n_points - 1) dt]`, evaluated on `t = np.linspace(0, (n_points - 1) dt, n_points)`.
//! Lorenz: each split integrates its start over a warm-up of 10 000 dt (on the grid
//! `linspace(0, 10000 dt, 10001)`); its first trajectory starts at the end of the warm-up and
//! every further one where the previous one ended (one long chain per split). The harmonic
//! oscillator of Figure 2 is analytic: `x = r sin(t + phi)`, `y = r cos(t + phi)` on
//! `linspace(0, (n_points - 1) dt, n_points)`, with the draw order of the original motivating
//! example (`r0` then `phi0` per trajectory); the original adds no noise to it, noise requested
//! here is added as for the other systems.
//!
//! Agreement with the original code (scipy 1.17.1, numpy 2.4.6; see BENCHMARKS.md): initial
//! conditions and noise are bit-identical, all 7680 Lorenz trajectories of the paper's set are
//! bit-identical to scipy's chains, Hyperbolic and Hopf agree to ~1e-15 and Cubic to ~1e-11
//! relative. Van der Pol mostly agrees to the last bit, but on about 5% of its trajectories a
//! 1-ulp rounding difference grows through the adaptive step control into a visible phase
//! drift by t = 51: both are valid RK45 solutions at rtol 1e-3.

use super::{add_noise, DataSet, Sizes};
use crate::rng::RandomState;
use crate::solvers::{solve_ivp, solve_ivp_many, Tolerances};
use crate::{Error, Result, System, SystemKind};
use ndarray::{Array2, Array3, Axis};

/// Steps of the Lorenz warm-up before the first trajectory of each split.
pub const LORENZ_WARMUP_STEPS: usize = 10_000;

/// Trajectories solved per batch between two progress reports.
const CHUNK: usize = 64;

/// Clean trajectories plus the random stream as it stands after the initial-condition draws,
/// so that every noise level can be derived without solving again.
#[derive(Debug, Clone)]
pub struct CleanData {
    /// The noise-free data set.
    pub data: DataSet,
    /// The stream after all initial-condition draws: where the noise draws start.
    pub rng: RandomState,
}

impl CleanData {
    /// A copy of the data with `noise` added exactly as [`generate`] would.
    pub fn with_noise(&self, noise: f64) -> DataSet {
        let mut data = self.data.clone();
        add_noise(&mut data, noise, &mut self.rng.clone());
        data
    }

    /// The data with `noise` added, consuming the clean copy.
    pub fn into_noisy(mut self, noise: f64) -> DataSet {
        add_noise(&mut self.data, noise, &mut self.rng);
        self.data
    }
}

/// `np.linspace(0, (n_points - 1) * dt, n_points)`, value for value: `t_i = i * step` with
/// `step = stop / (n_points - 1)`, and the last point exactly `stop`.
pub fn time_grid(n_points: usize, dt: f64) -> Vec<f64> {
    if n_points < 2 {
        return vec![0.0; n_points];
    }
    let stop = (n_points - 1) as f64 * dt;
    let step = stop / (n_points - 1) as f64;
    let mut t: Vec<f64> = (0..n_points).map(|i| i as f64 * step + 0.0).collect();
    t[n_points - 1] = stop;
    t
}

/// The uniform bounds of one initial condition, in draw order (split 0 train, 1 val, 2 test).
fn ic_bounds(kind: SystemKind, split: usize) -> Vec<(f64, f64)> {
    use std::f64::consts::PI;
    match kind {
        SystemKind::Hyperbolic | SystemKind::Cubic => vec![(-1.0, 1.0); 2],
        SystemKind::VanDerPol if split == 0 => vec![(-2.0, 2.0), (-4.0, 4.0)],
        SystemKind::VanDerPol => vec![(-2.0, 2.0), (-2.0, 2.0)],
        SystemKind::Hopf => vec![(-0.2, 0.6), (-1.0, 2.0), (-1.0, 1.0)],
        SystemKind::Lorenz => vec![(-0.1, 0.1); 3],
        SystemKind::Harmonic => vec![(0.0, 2.0), (-PI, PI)],
    }
}

/// Draw the initial conditions of the three splits in the original order.
///
/// Rows are trajectories: the initial state for Hyperbolic, Cubic, Van der Pol and Hopf;
/// `(r, phi)` for Harmonic; for Lorenz one row per split, the start of its warm-up.
pub fn initial_conditions(
    kind: SystemKind,
    sizes: &Sizes,
    rng: &mut RandomState,
) -> [Array2<f64>; 3] {
    let counts = sizes.counts();
    // `from_fn` visits the splits in order 0, 1, 2, as the original draws them.
    std::array::from_fn(|split| {
        let bounds = ic_bounds(kind, split);
        let n = if kind == SystemKind::Lorenz {
            1
        } else {
            counts[split]
        };
        let mut ic = Array2::zeros((n, bounds.len()));
        for mut row in ic.rows_mut() {
            for (v, &(low, high)) in row.iter_mut().zip(&bounds) {
                *v = rng.uniform(low, high);
            }
        }
        ic
    })
}

/// Generate the data set of `kind` with measurement noise `noise` from `np.random.seed(seed)`.
///
/// Same as [`generate_clean`] followed by [`CleanData::into_noisy`].
pub fn generate(kind: SystemKind, sizes: &Sizes, noise: f64, seed: u32) -> Result<DataSet> {
    Ok(generate_clean(kind, sizes, seed, &|_| {})?.into_noisy(noise))
}

/// Generate the noise-free data set of `kind`, reporting each finished batch of trajectories
/// to `on_done(count)` (called from worker threads).
pub fn generate_clean(
    kind: SystemKind,
    sizes: &Sizes,
    seed: u32,
    on_done: &(dyn Fn(usize) + Sync),
) -> Result<CleanData> {
    if sizes.n_points < 2 {
        return Err(Error::invalid(
            "n_points",
            format!(
                "trajectories need at least 2 points, got {}",
                sizes.n_points
            ),
        ));
    }
    let dt = kind.default_dt();
    let mut rng = RandomState::new(seed);
    let ics = initial_conditions(kind, sizes, &mut rng);
    let t = time_grid(sizes.n_points, dt);
    let system = kind.system();
    let [train, val, test] = match kind {
        SystemKind::Harmonic => {
            let splits = ics.each_ref().map(|ic| harmonic(ic, &t));
            on_done(sizes.total());
            splits
        }
        SystemKind::Lorenz => {
            // One sequential chain per split; the three chains run in parallel.
            let [n_train, n_val, n_test] = sizes.counts();
            let chain = |split: usize, n: usize| {
                lorenz_chain(&*system, ics[split].row(0).to_vec(), n, &t, dt, on_done)
            };
            let (train, (val, test)) = rayon::join(
                || chain(0, n_train),
                || rayon::join(|| chain(1, n_val), || chain(2, n_test)),
            );
            [train?, val?, test?]
        }
        _ => {
            let [train, val, test] = ics
                .each_ref()
                .map(|ic| solve_batched(&*system, ic, &t, on_done));
            [train?, val?, test?]
        }
    };
    Ok(CleanData {
        data: DataSet { train, val, test },
        rng,
    })
}

/// Solve from every row of `y0s` on the grid `t`, in parallel batches of [`CHUNK`].
fn solve_batched(
    system: &dyn System,
    y0s: &Array2<f64>,
    t: &[f64],
    on_done: &(dyn Fn(usize) + Sync),
) -> Result<Array3<f64>> {
    let t_span = (0.0, t[t.len() - 1]);
    let mut out = Array3::<f64>::zeros((y0s.nrows(), t.len(), system.dim()));
    for (y0, mut dst) in y0s
        .axis_chunks_iter(Axis(0), CHUNK)
        .zip(out.axis_chunks_iter_mut(Axis(0), CHUNK))
    {
        let ys = solve_ivp_many(system, t_span, y0, t, Tolerances::scipy_default())?;
        dst.assign(&ys);
        on_done(y0.nrows());
    }
    Ok(out)
}

/// One Lorenz split: warm up from `start`, then `n` trajectories, each starting where the
/// previous one ended.
fn lorenz_chain(
    system: &dyn System,
    start: Vec<f64>,
    n: usize,
    t: &[f64],
    dt: f64,
    on_done: &(dyn Fn(usize) + Sync),
) -> Result<Array3<f64>> {
    let tol = Tolerances::scipy_default();
    let warm_t = time_grid(LORENZ_WARMUP_STEPS + 1, dt);
    let warm = solve_ivp(
        system,
        (0.0, warm_t[LORENZ_WARMUP_STEPS]),
        &start,
        &warm_t,
        tol,
    )?;
    let mut y0 = warm.y.row(LORENZ_WARMUP_STEPS).to_vec();
    let t_span = (0.0, t[t.len() - 1]);
    let mut out = Array3::<f64>::zeros((n, t.len(), system.dim()));
    for mut dst in out.outer_iter_mut() {
        let sol = solve_ivp(system, t_span, &y0, t, tol)?;
        y0 = sol.y.row(t.len() - 1).to_vec();
        dst.assign(&sol.y);
        on_done(1);
    }
    Ok(out)
}

/// `x = r sin(t + phi)`, `y = r cos(t + phi)` for each row `(r, phi)` of `params`.
fn harmonic(params: &Array2<f64>, t: &[f64]) -> Array3<f64> {
    let mut out = Array3::<f64>::zeros((params.nrows(), t.len(), 2));
    for (p, mut traj) in params.outer_iter().zip(out.outer_iter_mut()) {
        let (r, phi) = (p[0], p[1]);
        for (k, tk) in t.iter().enumerate() {
            let (sin, cos) = (tk + phi).sin_cos();
            traj[[k, 0]] = r * sin;
            traj[[k, 1]] = r * cos;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_grid_is_numpy_linspace() {
        let t = time_grid(5121, 0.01);
        assert_eq!(t[0], 0.0);
        assert_eq!(t[5120], 5120.0 * 0.01);
        assert_eq!(t[1], (5120.0 * 0.01) / 5120.0);
        assert_eq!(time_grid(1, 0.1), vec![0.0]);
    }

    #[test]
    fn initial_conditions_follow_the_draw_order() {
        let sizes = Sizes {
            n_train: 2,
            n_val: 1,
            n_test: 1,
            n_points: 3,
        };
        let ics = initial_conditions(SystemKind::VanDerPol, &sizes, &mut RandomState::new(2));
        let mut rs = RandomState::new(2);
        let want = [
            rs.uniform(-2.0, 2.0),
            rs.uniform(-4.0, 4.0),
            rs.uniform(-2.0, 2.0),
            rs.uniform(-4.0, 4.0),
            rs.uniform(-2.0, 2.0),
            rs.uniform(-2.0, 2.0),
        ];
        assert_eq!(ics[0].iter().copied().collect::<Vec<_>>(), want[..4]);
        assert_eq!(ics[1].iter().copied().collect::<Vec<_>>(), want[4..]);
        let lorenz = initial_conditions(SystemKind::Lorenz, &sizes, &mut RandomState::new(2));
        assert!(lorenz.iter().all(|ic| ic.shape() == [1, 3]));
    }

    #[test]
    fn too_few_points_is_an_error() {
        let sizes = Sizes {
            n_train: 1,
            n_val: 1,
            n_test: 1,
            n_points: 1,
        };
        let err = generate(SystemKind::Cubic, &sizes, 0.0, 2)
            .unwrap_err()
            .to_string();
        assert!(err.contains("n_points"), "{err}");
    }
}
