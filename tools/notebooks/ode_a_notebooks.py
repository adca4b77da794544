#!/usr/bin/env python3
"""Write notebooks/multiscale_hits.ipynb (Figure 5, Table 5) and
notebooks/hybrid_time_steppers.ipynb (Figure 6B, Figure 9, Table 9) without outputs.

    python3 tools/notebooks/ode_a_notebooks.py

Edit this script, not the notebooks, and run it again. Heavy code lives in the crate
(hits::experiments::multiscale_hits, hits::experiments::hybrid); cells are glue.
"""

from nbcells import code, md, write


DEPS = code("""
:dep hits = { path = ".." }
// candle's Device is kept between cells, so the notebook names candle too (the version hits pins).
:dep candle-core = "=0.11.1"
// ndarray slices the trajectory arrays (the version hits pins).
:dep ndarray = "=0.17.2"
:efmt {:?}
""")

KNOBS_MD = md("""
## Adjustables

- `system`: `Hyperbolic`, `Cubic`, `VanDerPol`, `Hopf` or `Lorenz` (3-D).
- `pretrained`: use the authors' public PyTorch models (`../shared/data/original_models/<System>/`,
  imported on the fly) instead of training. They exist for every system but Lorenz; where they are
  missing the steppers are trained and the notebook says so.
- `epochs_cap`: cap on the training epochs of every stepper. Quick mode trains 400 epochs of tiny
  nets `[dim, 32, 32, 32, dim]`; the paper's sizes train up to 100 000 epochs per stepper (hours on
  this CPU for eleven steppers, minutes on a GPU).
- Quick mode (`HITS_QUICK=1`, set by the notebook runner): 32 / 16 / 16 trajectories of the full
  5121 points; files go to `quick/` subfolders of `../data`, `../models` and `../results`, so a
  quick run never overwrites a full one. Trained steppers are kept: re-running loads them.
""")

DATA_MD = md("""
## Data

The data set is made once and reused (`../data/<System>/`): initial conditions from numpy's
`np.random.seed(2)` stream, trajectories from our RK45 that follows scipy's `solve_ivp` (rtol 1e-3,
atol 1e-6) step for step. That loose ground truth matters below: it is what every forecast is
scored against.
""")

MULTISCALE = [
    md("""
# Figure 5 and Table 5: single time scales against the multiscale coupling

*Multiscale HiTS (Liu, Kutz & Brunton), Section 4: five nonlinear systems, eleven steppers each.*

For each system the paper trains one ResNet stepper `x(t + Δ) ≈ x(t) + MLP(x(t))` per step size
`Δ = 2^k dt`, k = 0..10, and forecasts 320 test trajectories over 5120 steps from their first point.
A small `Δ` is accurate per step but takes thousands of steps and its errors pile up; a large `Δ`
takes few steps but each is harder to learn and the interpolation between its points is coarse.
Figure 5 shows the test error over time of every step size and of their **multiscale coupling**:
the largest selected stepper lays down coarse points, every finer one restarts from each point
already computed, so no error travels further than one coarse interval. Table 5 gives the MSE of
each; the paper also reports the forecast wall times.

This notebook runs the experiment step by step for one system: data, steppers, the single-scale
forecasts, Figure 5, the model selection, the multiscale forecast, the table beside the paper's
values, and the computing times. `hits reproduce multiscale-hits` does the same headless for all
five systems.
"""),
    DEPS,
    code("""
use hits::experiments::multiscale_hits::{self, component_names, evaluate_steppers, obtain_steppers, projection, results_dir, ORIGINAL_MODELS};
use hits::experiments::ode::{ensure_data, OdeConfig};
use hits::forecast::{states_tensor, to_array3, uni_scale_forecast};
use hits::plot::{phase_portrait, Axes, Color, Figure, Series};
use hits::SystemKind;
use ndarray::s;
use std::path::PathBuf;
use std::time::Instant;
"""),
    KNOBS_MD,
    code("""
// Adjustables
let quick = hits::data::quick_mode();
let system = SystemKind::Hyperbolic;
let pretrained = true;
let epochs_cap: Option<usize> = None;

let mut cfg = OdeConfig::select(system, quick);
if let Some(cap) = epochs_cap { cfg.train.epochs = cfg.train.epochs.min(cap); }
let data_root = PathBuf::from("../data");
let models_root = PathBuf::from("../models");
let out_root = PathBuf::from("../results");
let originals = PathBuf::from("..").join(ORIGINAL_MODELS);
let device = hits::stepper::device(true).expect("CPU device");
println!("{system}: quick mode {quick}, pretrained {pretrained}, step sizes {:?} x dt {}, {} epochs at most", cfg.steps, cfg.dt(), cfg.train.epochs);
"""),
    DATA_MD,
    code("""
// Load or make the data set.
let start = Instant::now();
let data = ensure_data(&cfg, 0.0, &data_root).expect("data set");
println!("train {:?}, val {:?}, test {:?} in {:.1} s", data.train.shape(), data.val.shape(), data.test.shape(), start.elapsed().as_secs_f64());
"""),
    code("""
// plot: a few test trajectories in their phase plane (Lorenz: x-z, Hopf: x-y; mu is constant)
let (pi, pj) = projection(system);
let names = component_names(system);
Figure::new().size(560, 480).panel(
    phase_portrait(data.test.view(), (pi, pj), 12).expect("phase portrait")
        .title(format!("{system}: test trajectories")).x_label(names[pi]).y_label(names[pj]),
).show();
"""),
    md("""
## Steppers

`obtain_steppers` imports the authors' models (with `pretrained`), or loads our finished
checkpoints from `../models/<System>/` and trains the missing ones, printing a line at every
validation check. Its provenance line says which happened: every table and JSON summary carries it,
so no result hides whether it came from the paper's weights or from a (possibly capped) run of ours.
"""),
    code("""
// Import, load or train the eleven steppers.
let steppers = obtain_steppers(&cfg, 0.0, &data, &models_root, pretrained.then(|| originals.as_path()), &device, &mut |p| println!("{p}"))
    .expect("steppers");
{
    let p = &steppers.provenance;
    let arch = steppers.steppers.first().map(|s| s.arch().to_vec()).unwrap_or_default();
    println!("{} steppers, arch {arch:?}: {} in {:.1} s\\n{}", steppers.steppers.len(), p.source, p.seconds, p.detail);
}
"""),
    md("""
## One stepper alone

Before coupling anything: the first test trajectory forecast by the smallest and by the largest
stepper alone (uni-scale: roll the stepper from x0, interpolate linearly to every dt). The smallest
follows the fast transient but drifts as thousands of small errors add up; the largest stays on
course but cuts the corners between its few points.
"""),
    code("""
// plot: the first test trajectory, forecast by the smallest and by the largest stepper alone
{
    let x0 = states_tensor(data.test.slice(s![0..1, 0, ..]), &device).expect("x0");
    let n_steps = data.test.dim().1 - 1;
    let t: Vec<f64> = (0..=n_steps).map(|k| k as f64 * cfg.dt()).collect();
    let d = names.len() - 1;
    let truth = data.test.slice(s![0, .., d]).to_vec();
    let mut axes = Axes::new().title("one stepper alone").x_label("t").y_label(names[d])
        .series(Series::line(&t, &truth).label("truth").color(Color(0, 0, 0)).width(3));
    for st in [steppers.steppers.first(), steppers.steppers.last()].into_iter().flatten() {
        let pred = to_array3(&uni_scale_forecast(st, &x0, n_steps).expect("forecast")).expect("array");
        let mut ys = vec![truth[0]];
        ys.extend(pred.slice(s![0, .., d]).iter().copied());
        axes = axes.series(Series::line(&t, &ys).label(format!("{} dt alone", st.step_size())));
    }
    Figure::new().panel(axes).show();
}
"""),
    md("""
## Every step size, the selection and the coupling

`evaluate_steppers` forecasts the whole test set with each stepper (timed), runs the model
selection on the **validation** set and forecasts the test set with the selected coupling (timed).
On the CPU the steppers' forward pass runs fused (one matrix product per layer into reused
buffers); the numbers are the same as candle's.
"""),
    code("""
// Forecast with every step size, select on the validation set, couple.
let result = evaluate_steppers(system, &steppers, &data, 0.0, &device).expect("evaluation");
println!("evaluated in {:.1} s", result.evaluation_seconds);
for r in result.single_rows() {
    println!("step {:>4} dt: test MSE {:.2e} (paper {}) in {:.3} s", r.step_sizes[0], r.mse,
        r.paper_mse.map_or("-".to_string(), |v| format!("{v:.1e}")), r.seconds);
}
"""),
    md("""
### Figure 5

The error of each step size over time (rainbow, smallest violet) and the coupling (black). The
single scales show the two failure modes: small steps accumulate error over time, large steps
carry a large interpolation error from the start. The coupling should sit below all of them over
most of the horizon.
"""),
    code("""
// plot: Figure 5, test MSE against time
result.error_figure().expect("Figure 5").show();
"""),
    md("""
### Model selection

The original's cross-validation: start from all steppers, drop the largest one at a time while the
validation MSE of the coupling does not get worse, then drop the smallest likewise. Every candidate
tried is listed with its validation MSE.
"""),
    code("""
// The candidates the selection tried, and the winner.
println!("{}", result.selection_markdown());
println!("selected step sizes {:?} dt (validation MSE {:.3e})", result.selected_steps(), result.selection.mse);
"""),
    md("""
### The multiscale forecast

The first test trajectory: every state variable over time, truth (black), the coupling (red) and
the best single step size (blue), with the phase plane.
"""),
    code("""
// plot: a test trajectory, truth vs multiscale vs the best single scale
result.sample_figure().expect("sample figure").show();
"""),
    md("""
## Table 5 beside the paper

Our test MSE and forecast time beside the paper's (its times are from the authors' laptop with
PyTorch, over 320 trajectories; only step 1, step 1024 and the coupling were published). With the
authors' own models the MSE columns should agree to within the differences of the data (our test
set is generated afresh; in quick mode it has 16 trajectories instead of 320). With quick-mode
steppers trained for 400 epochs the numbers show the method working, not the paper's accuracy.
"""),
    code("""
// Table 5 for this system.
println!("{}", result.table_markdown());
"""),
    md("""
## Computing time

Wall time of each forecast: a uni-scale forecast costs in proportion to its number of steps
(5120 / step size); the coupling costs about as much as its smallest selected stepper, because
the finer levels of the coupling run from all coarse points in one batch.
"""),
    code("""
// plot: forecast wall time against step size, ours and the paper's
result.timing_figure().expect("timing figure").show();
"""),
    code("""
// Save the tables, figures and the JSON summary (read by the report generator).
let dir = results_dir(&out_root, system, quick);
for p in result.save(&dir).expect("save") { println!("wrote {}", p.display()); }
"""),
]

HYBRID = [
    md("""
# Figure 6B, Figure 9 and Table 9: hybrid time-steppers

*Multiscale HiTS (Liu, Kutz & Brunton), Section 4.3: a neural stepper and a classic integrator
combined.*

Classic RK4 with a fixed step `h` integrates a trajectory one step after another: 5120 / (h / dt)
sequential steps. The **hybrid** lets the largest neural stepper (Δ = 1024 dt: 10.24, or 0.512 for
Lorenz) jump ahead from x0, then runs RK4 with the same `h` from **every** coarse point at once, to
fill each coarse interval. The sequential chain shrinks from 5120 steps to one interval (1024 dt)
plus a handful of network calls, the work runs as one batch, and RK4 errors can no longer grow over
the whole horizon; the price is the network's error at each coarse point.

The paper compares RK4 and the hybrid at h = 1, 2, 4, 8, 16 dt: accuracy against computing time
(Figure 6B), error over time (Figure 9), and the MSE at h = dt (Table 9). Note that the "truth" is
scipy's default RK45 (rtol 1e-3), so RK4's error here is mostly the ground truth's own error.
`hits reproduce hybrid` does the same headless for all five systems.
"""),
    DEPS,
    code("""
use hits::experiments::hybrid::{self, results_dir, PAPER_H};
use hits::experiments::multiscale_hits::{component_names, obtain_steppers, ORIGINAL_MODELS};
use hits::experiments::ode::{ensure_data, OdeConfig};
use hits::forecast::{hybrid_forecast, rk4_forecast, states_tensor, to_array3, uni_scale_forecast, CpuResNet};
use hits::plot::{Axes, Color, Figure, Series};
use hits::SystemKind;
use ndarray::s;
use std::path::PathBuf;
use std::time::Instant;
"""),
    KNOBS_MD,
    code("""
// Adjustables
let quick = hits::data::quick_mode();
let system = SystemKind::Hyperbolic;
let pretrained = true;
let epochs_cap: Option<usize> = None;
let hs: Vec<f64> = PAPER_H.to_vec(); // RK4 steps in units of dt (each must divide 1024)

let mut cfg = OdeConfig::select(system, quick);
if let Some(cap) = epochs_cap { cfg.train.epochs = cfg.train.epochs.min(cap); }
// Only the coarse stepper is needed: train (or load) the largest alone.
cfg.steps = vec![*cfg.steps.iter().max().expect("step sizes")];
let data_root = PathBuf::from("../data");
let models_root = PathBuf::from("../models");
let out_root = PathBuf::from("../results");
let originals = PathBuf::from("..").join(ORIGINAL_MODELS);
let device = hits::stepper::device(true).expect("CPU device");
println!("{system}: quick mode {quick}, pretrained {pretrained}, coarse stepper {:?} x dt {}, RK4 h = {hs:?} dt", cfg.steps, cfg.dt());
"""),
    DATA_MD,
    code("""
// Load or make the data set.
let data = ensure_data(&cfg, 0.0, &data_root).expect("data set");
println!("test {:?}", data.test.shape());
"""),
    md("""
## The coarse stepper

The largest stepper of the hierarchy, imported, loaded or trained (the line below says which).
"""),
    code("""
// Import, load or train the coarse stepper.
let steppers = obtain_steppers(&cfg, 0.0, &data, &models_root, pretrained.then(|| originals.as_path()), &device, &mut |p| println!("{p}"))
    .expect("coarse stepper");
println!("{}: {}", steppers.provenance.source, steppers.provenance.detail);
"""),
    md("""
## One trajectory, three ways

The first test trajectory with RK4 at the largest h, the coarse stepper alone (interpolated
between its points 1024 dt apart) and the hybrid at the same h. The hybrid restarts RK4 at every
coarse point (the dots), so its error is reset there.
"""),
    code("""
// plot: one trajectory, RK4 vs the coarse stepper alone vs the hybrid at the largest h
{
    let h = *hs.last().expect("an RK4 step");
    let coarse = steppers.largest().expect("coarse stepper");
    let n_steps = data.test.dim().1 - 1;
    let x0_f64 = data.test.slice(s![0..1, 0, ..]);
    let x0 = states_tensor(x0_f64, &device).expect("x0");
    let rhs = system.system();
    let d = component_names(system).len() - 1;
    let t: Vec<f64> = (0..=n_steps).map(|k| k as f64 * cfg.dt()).collect();
    let truth = data.test.slice(s![0, .., d]).to_vec();
    let with_x0 = |a: ndarray::Array3<f64>| { let mut v = vec![truth[0]]; v.extend(a.slice(s![0, .., d]).iter().copied()); v };
    let rk = with_x0(rk4_forecast(rhs.as_ref(), cfg.dt(), h, x0_f64, n_steps).expect("RK4"));
    let nn = with_x0(to_array3(&uni_scale_forecast(coarse, &x0, n_steps).expect("NN")).expect("array"));
    let hy = with_x0(hybrid_forecast(coarse, rhs.as_ref(), cfg.dt(), h, &x0, n_steps).expect("hybrid"));
    let big = coarse.step_size();
    let (kx, ky): (Vec<f64>, Vec<f64>) = (0..=n_steps).step_by(big).map(|k| (t[k], nn[k])).unzip();
    let name = component_names(system)[d];
    Figure::new().panel(
        Axes::new().title(format!("{system}: {name}, h = {h} dt")).x_label("t").y_label(name)
            .series(Series::line(&t, &truth).label("truth").color(Color(0, 0, 0)).width(3))
            .series(Series::line(&t, &rk).label("RK4").color(Color(31, 119, 180)))
            .series(Series::line(&t, &nn).label(format!("NN {big} dt alone")).color(Color(127, 127, 127)).width(1))
            .series(Series::points(&kx, &ky).label("coarse points").color(Color(127, 127, 127)))
            .series(Series::line(&t, &hy).label("hybrid").color(Color(214, 39, 40))),
    ).show();
}
"""),
    md("""
## RK4 against the hybrid at every h

The whole test set, every h, each forecast timed. On the CPU the coarse stepper's forward pass runs
fused. Both RK4 and the hybrid integrate all trajectories as one vectorised batch, so on a CPU the
hybrid's shorter sequential chain saves less than on a GPU, where batch width is nearly free.
"""),
    code("""
// RK4 and the hybrid at every h, timed.
let start = Instant::now();
let result = {
    let coarse = steppers.largest().expect("coarse stepper");
    let fused = CpuResNet::new(coarse).expect("fused forward");
    hybrid::evaluate(system, &fused, data.test.view(), &hs, steppers.provenance.clone(), &device).expect("hybrid evaluation")
};
println!("evaluated in {:.1} s", start.elapsed().as_secs_f64());
"""),
    md("""
## Table 9 beside the paper

The paper published the MSE of RK4 and of the hybrid at h = dt only. With the authors' models
the hybrid was less accurate than RK4 for every system but Hopf: the network's error at each coarse
point costs more than RK4's own error over 1024 steps (against the loose RK45 truth).
"""),
    code("""
// Table 9 for this system.
println!("{}", result.table_markdown());
println!("the coarse stepper alone: test MSE {:.2e} in {:.4} s", result.coarse_mse, result.coarse_seconds);
"""),
    md("""
### Figure 6B: accuracy against computing time

Each point is one forecast of the whole test set: RK4 (blue) and the hybrid (red) at each h, the
coarse stepper alone in grey. Larger h is cheaper; below some h the error stops improving because
the ground truth's own error (or the network's at the coarse points) dominates.
"""),
    code("""
// plot: Figure 6B
result.accuracy_figure().expect("Figure 6B").show();
"""),
    md("""
### Figure 9: error over time

RK4's error grows over the horizon; the hybrid's is reset at every coarse point, so it stays
bounded by the network's error there.
"""),
    code("""
// plot: Figure 9
result.error_figure().expect("Figure 9").show();
"""),
    code("""
// Save the table, figures and the JSON summary (read by the report generator).
let dir = results_dir(&out_root, system, quick);
for p in result.save(&dir).expect("save") { println!("wrote {}", p.display()); }
"""),
]

if __name__ == "__main__":
    write("multiscale_hits.ipynb", MULTISCALE)
    write("hybrid_time_steppers.ipynb", HYBRID)
