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
//! The systems' boxes and methods are data of their [`crate::problem::OdeProblem`] (defined in
//! [`crate::problem::builtin`]); a problem of one's own draws from its own
//! [`InitialConditions`] in the same order.
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

use super::{add_noise, DataSet, DataSetMeta};
use super::{InitialConditions, Sizes, Split};
use crate::rng::RandomState;
use crate::solvers::{solve_ivp, solve_ivp_many, Tolerances};
use crate::{Error, Result, System};
use ndarray::{Array2, Array3, Axis};
use std::sync::Arc;

/// Trajectories solved per batch between two progress reports.
const CHUNK: usize = 64;

/// The exact solution of a problem whose initial conditions are parameters (the harmonic
/// oscillator's `(r, phi)`): `solution(params, t, state)` writes the state at time `t`.
pub type ExactSolution = Arc<SolutionFn>;

/// The function behind an [`ExactSolution`].
pub type SolutionFn = dyn Fn(&[f64], f64, &mut [f64]) + Send + Sync;

/// How the trajectories of a generated problem are computed from the drawn initial conditions.
#[derive(Clone)]
pub enum Integration {
    /// scipy's RK45 (`solve_ivp`) from each initial condition, evaluated on the grid.
    Rk45(Tolerances),
    /// One chain per split (the paper's Lorenz data): the split's one drawn start is integrated
    /// over `warmup_steps` dt, the first trajectory starts where the warm-up ended and every
    /// further one where the previous one ended.
    Chain {
        warmup_steps: usize,
        tolerances: Tolerances,
    },
    /// A closed-form solution of the drawn parameters (no integration).
    Exact(ExactSolution),
}

impl Integration {
    /// scipy's default RK45, the paper's ground truth (rtol 1e-3, atol 1e-6).
    pub fn rk45() -> Integration {
        Integration::Rk45(Tolerances::scipy_default())
    }
}

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

/// What generating a data set takes, and nothing more: names for messages and provenance, the
/// grid, the sizes, the seed, the initial-condition sampler, the integration and (unless the
/// integration is exact) the vector field. An ODE problem gives its own
/// ([`crate::problem::OdeProblem::generation`]); any other caller fills one in.
#[derive(Clone, Copy)]
pub struct Generation<'a> {
    /// The name for people, in messages and the provenance line.
    pub name: &'a str,
    /// The data set's name (`dataset.json`), e.g. `VanDerPol`.
    pub folder: &'a str,
    /// One name per state component.
    pub components: &'a [String],
    /// The sampling interval.
    pub dt: f64,
    /// Trajectories per split and points per trajectory.
    pub sizes: &'a Sizes,
    /// Seed of numpy's stream (`np.random.seed(seed)`).
    pub seed: u32,
    /// Where the initial conditions are drawn from.
    pub initial: &'a InitialConditions,
    /// How trajectories are computed from them.
    pub integration: &'a Integration,
    /// The vector field; needed unless the integration is exact.
    pub field: Option<&'a dyn System>,
}

impl Generation<'_> {
    fn field(&self) -> Result<&dyn System> {
        self.field.ok_or_else(|| {
            Error::invalid(
                "vector field",
                format!(
                    "data generation needs the vector field of {}, but it has none",
                    self.name
                ),
            )
        })
    }
}

/// Draw the initial conditions of the three splits in the original order.
///
/// Rows are trajectories: the initial state, or the parameters of an exact solution (the
/// harmonic oscillator's `(r, phi)`); for a chain (Lorenz) one row per split, the start of
/// its warm-up.
pub fn initial_conditions(
    generation: &Generation,
    rng: &mut RandomState,
) -> Result<[Array2<f64>; 3]> {
    let (initial, integration) = (generation.initial, generation.integration);
    let counts = generation.sizes.counts();
    let chain = matches!(integration, Integration::Chain { .. });
    let dim = initial.dim();
    let mut out = Vec::with_capacity(3);
    // the splits in order 0, 1, 2, as the original draws them
    for (split, &count) in Split::ALL.iter().zip(&counts) {
        let n = if chain { 1 } else { count };
        let mut ic = Array2::zeros((n, dim));
        for mut row in ic.rows_mut() {
            let x0 = initial.draw(*split, rng);
            if x0.len() != dim {
                return Err(Error::invalid(
                    "initial conditions",
                    format!(
                        "the sampler returned {} components, expected {dim}",
                        x0.len()
                    ),
                ));
            }
            row.assign(&ndarray::ArrayView1::from(&x0));
        }
        out.push(ic);
    }
    let [a, b, c]: [Array2<f64>; 3] = out.try_into().expect("three splits");
    Ok([a, b, c])
}

/// The `dataset.json` description of a data set made by [`generate_clean`] (no levels yet):
/// the folder name and dt, the component names, the seed and a provenance line naming the
/// sizes, the solver and its tolerances. `hits generate` and the experiments write the same, so
/// they share one data folder.
pub fn generated_meta(generation: &Generation) -> DataSetMeta {
    let solver = {
        match generation.integration {
            Integration::Rk45(t) => {
                format!(
                    "RK45 (scipy's algorithm, rtol {:e}, atol {:e})",
                    t.rtol, t.atol
                )
            }
            Integration::Chain {
                warmup_steps,
                tolerances: t,
            } => format!(
                "RK45 (scipy's algorithm, rtol {:e}, atol {:e}), one chain per split after a \
                 warm-up of {warmup_steps} dt",
                t.rtol, t.atol
            ),
            Integration::Exact(_) => "the exact solution of the drawn parameters".to_string(),
        }
    };
    let sizes = generation.sizes;
    let seed = generation.seed;
    let mut meta = DataSetMeta::new(
        generation.folder,
        generation.dt,
        format!(
            "hits::data::generate_clean ({}): {}/{}/{} train/val/test trajectories of {} points, \
             initial conditions from np.random.seed({seed}) as in the original notebooks, {solver}; \
             noise X += noise * mean_i(std_t(X)) * N(0, 1)",
            generation.name, sizes.n_train, sizes.n_val, sizes.n_test, sizes.n_points
        ),
    );
    meta.seed = Some(seed as u64);
    meta.components = Some(generation.components.to_vec());
    meta
}

/// Generate a data set with measurement noise `noise` from `np.random.seed(generation.seed)`
/// (an ODE problem: [`crate::problem::OdeProblem::generate`]).
///
/// Same as [`generate_clean`] followed by [`CleanData::into_noisy`].
pub fn generate(generation: &Generation, noise: f64) -> Result<DataSet> {
    Ok(generate_clean(generation, &|_| {})?.into_noisy(noise))
}

/// Generate the noise-free data set, reporting each finished batch of trajectories to
/// `on_done(count)` (called from worker threads).
pub fn generate_clean(
    generation: &Generation,
    on_done: &(dyn Fn(usize) + Sync),
) -> Result<CleanData> {
    let sizes = generation.sizes;
    if sizes.n_points < 2 {
        return Err(Error::invalid(
            "n_points",
            format!(
                "trajectories need at least 2 points, got {}",
                sizes.n_points
            ),
        ));
    }
    let integration = generation.integration;
    let dt = generation.dt;
    let mut rng = RandomState::new(generation.seed);
    let ics = initial_conditions(generation, &mut rng)?;
    let t = time_grid(sizes.n_points, dt);
    let [train, val, test] = match integration {
        Integration::Exact(solution) => {
            let dim = generation.components.len();
            let splits = ics
                .each_ref()
                .map(|ic| exact(ic, &t, dim, solution.as_ref()));
            on_done(sizes.total());
            splits
        }
        Integration::Chain {
            warmup_steps,
            tolerances,
        } => {
            let system = generation.field()?;
            // One sequential chain per split; the three chains run in parallel.
            let [n_train, n_val, n_test] = sizes.counts();
            let chain = |split: usize, n: usize| {
                let start = ics[split].row(0).to_vec();
                let warm = (*warmup_steps, *tolerances);
                chain(system, start, n, &t, dt, warm, on_done)
            };
            let (train, (val, test)) = rayon::join(
                || chain(0, n_train),
                || rayon::join(|| chain(1, n_val), || chain(2, n_test)),
            );
            [train?, val?, test?]
        }
        Integration::Rk45(tolerances) => {
            let system = generation.field()?;
            let [train, val, test] = ics
                .each_ref()
                .map(|ic| solve_batched(system, ic, &t, *tolerances, on_done));
            [train?, val?, test?]
        }
    };
    for (name, a) in [("train", &train), ("val", &val), ("test", &test)] {
        if let Some(i) = a.iter().position(|v| !v.is_finite()) {
            let (n, p, d) = a.dim();
            let (traj, rest) = (i / (p * d), i % (p * d));
            return Err(Error::invalid(
                "data generation",
                format!(
                    "the {name} trajectory {traj} of {} is not finite at point {} (component {}): the vector field blew up from its initial condition (of {n} trajectories)",
                    generation.name,
                    rest / d,
                    rest % d
                ),
            ));
        }
    }
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
    tolerances: Tolerances,
    on_done: &(dyn Fn(usize) + Sync),
) -> Result<Array3<f64>> {
    let t_span = (0.0, t[t.len() - 1]);
    let mut out = Array3::<f64>::zeros((y0s.nrows(), t.len(), system.dim()));
    for (y0, mut dst) in y0s
        .axis_chunks_iter(Axis(0), CHUNK)
        .zip(out.axis_chunks_iter_mut(Axis(0), CHUNK))
    {
        let ys = solve_ivp_many(system, t_span, y0, t, tolerances)?;
        dst.assign(&ys);
        on_done(y0.nrows());
    }
    Ok(out)
}

/// One chain split (Lorenz): warm up from `start` over `warmup.0` dt, then `n` trajectories,
/// each starting where the previous one ended.
fn chain(
    system: &dyn System,
    start: Vec<f64>,
    n: usize,
    t: &[f64],
    dt: f64,
    (warmup_steps, tol): (usize, Tolerances),
    on_done: &(dyn Fn(usize) + Sync),
) -> Result<Array3<f64>> {
    let warm_t = time_grid(warmup_steps + 1, dt);
    let warm = solve_ivp(system, (0.0, warm_t[warmup_steps]), &start, &warm_t, tol)?;
    let mut y0 = warm.y.row(warmup_steps).to_vec();
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

/// The exact solution of every row of `params` on the grid `t`.
fn exact(params: &Array2<f64>, t: &[f64], dim: usize, solution: &SolutionFn) -> Array3<f64> {
    let mut out = Array3::<f64>::zeros((params.nrows(), t.len(), dim));
    let mut state = vec![0.0; dim];
    for (p, mut traj) in params.outer_iter().zip(out.outer_iter_mut()) {
        let p = p.to_vec();
        for (k, &tk) in t.iter().enumerate() {
            solution(&p, tk, &mut state);
            traj.row_mut(k).assign(&ndarray::ArrayView1::from(&state));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Sizes;
    use crate::problem::{self, OdeProblem};

    fn tiny(mut p: OdeProblem, n_points: usize) -> OdeProblem {
        p.sizes = Sizes {
            n_train: 2,
            n_val: 1,
            n_test: 1,
            n_points,
        };
        p
    }

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
        let vdp = tiny(problem::van_der_pol(), 3);
        let ics = initial_conditions(&vdp.generation().unwrap(), &mut RandomState::new(2)).unwrap();
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
        let lorenz = initial_conditions(
            &tiny(problem::lorenz(), 3).generation().unwrap(),
            &mut RandomState::new(2),
        )
        .unwrap();
        assert!(lorenz.iter().all(|ic| ic.shape() == [1, 3]));
    }

    #[test]
    fn too_few_points_is_an_error() {
        let err = tiny(problem::cubic(), 1)
            .generate(0.0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("n_points"), "{err}");
    }

    #[test]
    fn a_field_that_blows_up_is_an_error_naming_the_trajectory() {
        let f = crate::systems::vector_field(1, |_t, y, dy| dy[0] = y[0] * y[0]);
        let mut p = OdeProblem::with_field(
            "blow up",
            f,
            InitialConditions::uniform(vec![(5.0, 6.0)]),
            0.1,
        )
        .unwrap();
        p.sizes = Sizes {
            n_train: 1,
            n_val: 1,
            n_test: 1,
            n_points: 50,
        };
        let err = p.generate(0.0).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.contains("blow up") || err.contains("finite") || err.contains("step"),
            "{err}"
        );
    }
}
