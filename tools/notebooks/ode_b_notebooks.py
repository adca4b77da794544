#!/usr/bin/env python3
"""Write the notebooks model_training.ipynb, noisy_measurements.ipynb and
visualize_increment.ipynb (issue 6 part B) without outputs.

    python3 tools/notebooks/ode_b_notebooks.py

Edit this script, not the notebooks, and run it again. Heavy code lives in the crate
(hits::experiments::{ode, training, noisy, increment}); cells are glue.
"""

from nbcells import code, md, write


SETUP = code('''
:dep hits = { path = ".." }
// Values kept between cells name their crates, so the notebook names them too (the versions hits pins).
:dep candle-core = "=0.11.1"
:efmt {:?}
''')

# ---------------------------------------------------------------- model_training

MODEL_TRAINING = [
    md('''
# Training the eleven steppers of a system

*Multiscale HiTS, the original `model_training` notebook: the neural time-steppers every ODE
experiment (Figures 5, 6, 8, 9, 10; Tables 5-9) starts from.*

A stepper of step `Δ = s·dt` is a residual network `x_{k+1} = x_k + MLP(x_k)`, the MLP
`[dim, w, w, w, dim]` with ReLU (the paper's width `w`: Hyperbolic, Van der Pol, Hopf 128, Cubic
256, Lorenz 1024). One stepper is trained per `s = 2^0 … 2^10`. Each training window is a
trajectory's first point `x = X[:, 0]` and the targets `X[:, s], X[:, 2s], …, X[:, 5s]`; the
loss is the mean squared error of the five recurrent predictions. An "epoch" is one Adam step
(lr 1e-3) on a random minibatch of 320 windows; every 1000 epochs the validation loss is
checked and the best weights kept; training stops at 100 000 epochs or once the best loss is
below 1e-8.

Why a whole hierarchy: small steps are easy to learn but their errors pile up over 5120 steps,
large steps take few steps but a harder map (see `visualize_increment.ipynb`). The multiscale
coupling (`multiscale_hits.ipynb`) uses them together.

`HITS_QUICK=1` (the notebook runner sets it) trains tiny versions: 32 training trajectories,
width 32, 400 epochs. The curves then show the mechanics, not the paper's accuracy.
'''),
    SETUP,
    code('''
use hits::experiments::ode::{ensure_data, ensure_steppers_with_reports, OdeConfig};
use hits::experiments::training::{best_loss_axes, loss_figure, training_table};
use hits::plot::Figure;
use hits::SystemKind;
use std::path::PathBuf;
use std::time::Instant;
'''),
    md('''
## Adjustables

- `system`: `Hyperbolic`, `Cubic`, `VanDerPol`, `Hopf` or `Lorenz`.
- `cfg = OdeConfig::select(system, quick)`: the paper's settings, or the quick ones. Change
  `cfg.arch` (layer widths), `cfg.steps` (step sizes in dt), `cfg.train.epochs`,
  `cfg.train.eval_every`, `cfg.train.batch_size`, `cfg.train.n_forward`, `cfg.train.lr`.
- `cfg.batched`: train all steppers in one batched trainer (stacked weights, one batched matrix
  product per layer). Each stepper gets exactly the updates it would get alone; it pays off on a
  GPU, while on the CPU one stepper after the other (one per core) is faster.
- `use_cpu`: `false` picks a CUDA GPU when the crate is built with the `cuda` feature.
- `data_root`, `models_root`: data sets and checkpoints (quick runs under `quick/` subfolders).
  Finished checkpoints are loaded instead of retrained; delete the folder to train afresh.
'''),
    code('''
// Adjustables
let quick = hits::data::quick_mode();
let system = SystemKind::Hyperbolic;
let mut cfg = OdeConfig::select(system, quick);
cfg.batched = false;
let use_cpu = true;
let data_root = PathBuf::from("../data");
let models_root = PathBuf::from("../models");
let device = hits::stepper::device(use_cpu).expect("device");
println!("quick mode: {quick}; {system}: arch {:?}, steps {:?} x dt {}, up to {} epochs (check every {}), minibatch {}",
    cfg.arch, cfg.steps, cfg.dt(), cfg.train.epochs, cfg.train.eval_every, cfg.train.batch_size);
println!("checkpoints in {}", cfg.dir_under(&models_root).display());
'''),
    md('''
## Data

The data set is made once (numpy's stream after `np.random.seed(2)`, scipy's RK45) and read
back afterwards; `data_generation.ipynb` looks at it in detail.
'''),
    code('''
// Load (or generate and save) the noise-free data set.
let data = ensure_data(&cfg, 0.0, &data_root).expect("data set");
println!("train {:?}, val {:?}, test {:?}", data.train.shape(), data.val.shape(), data.test.shape());
'''),
    md('''
## Training

A line per validation check: step size, epoch, training and validation loss, best so far, speed.
After every check the best weights and the optimiser state are saved, so an interrupted run
(kernel restart, power cut) resumes where it stopped.
'''),
    code('''
// Train the hierarchy, or load what is already finished.
// One stepper per core, one thread per matrix product (about 4x faster for nets this small).
hits::stepper::device::one_thread_per_matmul();
let start = Instant::now();
let trained = ensure_steppers_with_reports(&cfg, 0.0, &data, &models_root, &device, &mut |p| println!("{p}"))
    .expect("training");
println!("{} steppers ready in {:.1} s", trained.len(), start.elapsed().as_secs_f64());
let reports: Vec<_> = trained.iter().map(|(_, r)| r.clone()).collect();
'''),
    code('''
// The runs: epochs, last training loss, best validation loss, wall time (0 s: loaded from disk).
println!("{}", training_table(&reports, cfg.dt()));
'''),
    code('''
// plot: training and validation loss of every stepper (log y)
loss_figure(&reports, cfg.dt(), system.name()).expect("loss figure").show();
'''),
    md('''
The validation loss of the largest steps stays highest: their map `x -> x(t + Δ)` is the least
smooth one. With the quick settings none of them is near the paper's 1e-8 target.
'''),
    code('''
// plot: best validation loss against step size
Figure::new().size(560, 380).panel(best_loss_axes(&reports, cfg.dt())).show();
'''),
    md('''
## Resume

Running the same call again finds every checkpoint finished (epoch limit reached, or the target
loss) and loads it: no validation check is printed, and it takes well under a second. Raising
`cfg.train.epochs` would instead resume each stepper from its saved state.
'''),
    code('''
// Run the same call again: everything loads.
let start = Instant::now();
let mut checks = 0usize;
let again = ensure_steppers_with_reports(&cfg, 0.0, &data, &models_root, &device, &mut |_| checks += 1)
    .expect("loading");
println!("{} steppers loaded in {:.2} s, {checks} validation checks run", again.len(), start.elapsed().as_secs_f64());
assert_eq!(checks, 0, "finished checkpoints are not retrained");
'''),
    md('''
## Try

- Another system (`system = SystemKind::Cubic`) or a shorter hierarchy (`cfg.steps = vec![8, 16, 32]`).
- `cfg.batched = true` with `use_cpu = false` on a CUDA build: all eleven train in one trainer.
- Headless: `cargo run --release -- reproduce model-training --system cubic [--epochs N] [--cuda]`
  writes `results/model_training/<System>/{losses.png, training.md}`.
'''),
]

# ---------------------------------------------------------------- noisy_measurements

NOISY = [
    md('''
# Noisy measurements: Figure 6A, Figure 8, Tables 6-8

*Multiscale HiTS, the original `noisy_measurements` notebook: is the multiscale coupling still
better than every single scale when the training data are noisy?*

Every system is measured with noise of 0, 1 and 2 % of each component's size:
`X + σ · mean_i(std_t X[i, :, d]) · N(0, 1)`, drawn from the same numpy stream after the
initial conditions, for train, validation and test alike. Eleven steppers are trained per noise
level on the noisy training set, the coupling is chosen on the noisy validation set, and all
forecast the test set from its (noisy) first point.

**Which truth.** The original compares the forecasts with the *noisy* test set
(`test_noise<σ>.npy`), and the paper's Tables 6-8 are those numbers; so does the main column
here. Beside it, `clean` compares the same multiscale forecast with the noise-free test
trajectories: how well the dynamics were learned, without the floor the measurement noise puts
under the noisy-truth error.

Everything plotted is computed here (the forecast wall times too); the paper's multiscale
values stand in brackets. `HITS_QUICK=1` uses tiny data and nets, so the numbers show the
pipeline, not the paper's accuracy.
'''),
    SETUP,
    code('''
use hits::experiments::noisy::{self, load_summary, NoisyConfig, NoisyResult};
use hits::experiments::ode::ensure_data_levels;
use hits::plot::{Axes, Color, Figure, Series};
use hits::SystemKind;
use std::path::PathBuf;
use std::time::Instant;
'''),
    md('''
## Adjustables

- `cfg.systems`: any of the five systems (all five by default).
- `cfg.noises`: the noise levels (the paper: `0.0, 0.01, 0.02`).
- `cfg.epoch_cap`: cap the epochs of each stepper (`None`: the configured 100 000, or 400 quick).
- `cfg.batched`: batched training (for a GPU).
- `data_root`, `models_root`, `out_dir`: data, checkpoints (one file per step size and noise
  level, `model_D<k>_noise<σ>`), and where tables and figures are written.
'''),
    code('''
// Adjustables
let quick = hits::data::quick_mode();
let mut cfg = if quick { NoisyConfig::quick() } else { NoisyConfig::paper() };
cfg.systems = SystemKind::NONLINEAR.to_vec();
cfg.noises = vec![0.0, 0.01, 0.02];
cfg.epoch_cap = None;
let data_root = PathBuf::from("../data");
let models_root = PathBuf::from("../models");
let out_dir = PathBuf::from(if quick { "../results/quick/noisy" } else { "../results/noisy" });
let device = hits::stepper::device(true).expect("CPU device");
println!("quick mode: {quick}; systems {:?}; noise {:?}", cfg.systems, cfg.noises);
'''),
    md('''
## What the noise looks like

One Hopf trajectory at the three levels (the first 400 points of `x`). All three come from one
integration; only the noise differs.
'''),
    code('''
// plot: one test trajectory of Hopf at each noise level
let hopf = cfg.ode_config(SystemKind::Hopf);
let levels = ensure_data_levels(&hopf, &cfg.noises, &data_root).expect("Hopf data");
let t: Vec<f64> = (0..400).map(|i| i as f64 * hopf.dt()).collect();
let colors = [Color(0, 0, 0), Color(31, 119, 180), Color(214, 39, 40)];
let mut axes = Axes::new().title("Hopf, x of test trajectory 0").x_label("t").y_label("x");
for (i, (set, noise)) in levels.iter().zip(&cfg.noises).enumerate() {
    let x: Vec<f64> = (0..400).map(|k| set.test[[0, k, 1]]).collect();
    axes = axes.series(Series::line(&t, &x).label(format!("{}% noise", noise * 100.0)).color(colors[i % 3]));
}
Figure::new().size(720, 360).panel(axes).show();
'''),
    md('''
## Train and forecast

Per system and noise level: data (made once), the eleven steppers (loaded when finished),
the model selection on the validation set, and the forecasts. Quick mode prints one line per
finished stepper.
'''),
    code('''
// Run every system at every noise level.
// One stepper per core, one thread per matrix product (about 4x faster for nets this small).
hits::stepper::device::one_thread_per_matmul();
let start = Instant::now();
let mut systems = Vec::new();
for &system in &cfg.systems {
    let t0 = Instant::now();
    let runs = noisy::run_system(&cfg.ode_config(system), &cfg.noises, &data_root, &models_root, &device,
        &mut |p| if !quick || p.epoch >= p.max_epochs { println!("{system} {p}") })
        .expect("noise study");
    println!("{system}: done in {:.1} s", t0.elapsed().as_secs_f64());
    systems.push(runs);
}
let result = NoisyResult { quick: cfg.quick, epoch_cap: cfg.epoch_cap, systems };
println!("all systems in {:.1} s", start.elapsed().as_secs_f64());
'''),
    md('''
## Tables 6-8

One table per noise level: every step size, the multiscale coupling (paper's value in
brackets), the coupling against the clean truth, the step sizes the selection kept, and the
epochs trained. At 0 % noise the single scales carry the paper's Table 5 values too.
'''),
    code('''
println!("{}", result.tables_markdown());
'''),
    md('''
## Figure 6A: accuracy against efficiency

Each small point is one single-scale stepper (test MSE against its forecast wall time), the large
point of the same colour the multiscale coupling. The paper's claim: the coupling sits below
the single scales at a cost near the cheap ones.
'''),
    code('''
// plot: Figure 6A
result.fig6a().expect("figure 6A").show();
'''),
    md('''
## Figure 8: multiscale error against time

One curve per noise level. The coupling restarts the finer steppers from every coarse point, so
the error does not grow much over the horizon, with or without noise.
'''),
    code('''
// plot: Figure 8, one panel per system (rendered, then laid out in one figure: a cell shows one image)
let fig8: Vec<_> = result.systems.iter()
    .map(|sys| result.fig8(sys.system).expect("figure 8").to_rgb().expect("rendering"))
    .collect();
let rows = fig8.len().div_ceil(2) as u32;
Figure::image_grid(fig8, 2, &[]).size(1200, 360 * rows).show();
'''),
    md('''
## Saved results

Tables (markdown and CSV), the figures and `summary.json` (per system and noise: multiscale MSE,
the clean one, the paper's, the selected range, epochs), which `results/REPORT.md` reads.
'''),
    code('''
// Write the results and read the summary back.
let paths = result.save(&out_dir).expect("saving");
for p in &paths { println!("wrote {}", p.display()); }
let summary = load_summary(&out_dir).expect("summary");
for e in &summary.entries {
    println!("{:>10} {:>4}%: multiscale {:.2e} (clean {:.2e}, paper {}), steps {:?}", e.system.name(), e.noise * 100.0,
        e.multiscale_mse, e.multiscale_mse_clean, e.paper_mse.map_or("-".into(), |v| format!("{v:.1e}")), e.selected_steps);
}
'''),
    md('''
## Try

- One system at full size: `cfg = NoisyConfig::paper(); cfg.systems = vec![SystemKind::Hyperbolic];`
  (hours on a CPU; `cfg.epoch_cap = Some(5000)` for a shorter run).
- Headless: `cargo run --release -- reproduce noisy [--system hopf] [--epochs N]` writes
  `results/noisy/`.
'''),
]

# ---------------------------------------------------------------- visualize_increment

SETUP_NDARRAY = code('''
:dep hits = { path = ".." }
// Values kept between cells name their crates, so the notebook names them too (the versions hits pins).
:dep candle-core = "=0.11.1"
:dep ndarray = "=0.17.2"
:efmt {:?}
''')

INCREMENT = [
    md('''
# The increment a stepper learns: Figure 10

*Multiscale HiTS, Figure 10 (the original `visualize_increment` notebook).*

For an autonomous system `x' = f(x)` a stepper of step `Δ` has to learn

`F_Δ(x) = x(t + Δ) − x(t)`,

the flow over `Δ` minus the identity (the `MLP` of `x + MLP(x)`). For small `Δ`,
`F_Δ(x) ≈ Δ·f(x)`: small and as smooth as `f`. For large `Δ` the field grows and folds
(separatrices, the limit cycle), which is why the largest steppers are the hardest to train and
why the paper couples several scales instead of relying on one.

The exact `F_Δ` comes from RK45 at tight tolerances (rtol 1e-10), one solve per grid point, all
`Δ` from one integration. Hopf (`μ, x, y`) is cut at `μ = 0.2` and Lorenz at `z = 27`. The original
used an interactive slider over `Δ`; here a grid of panels, a GIF over `Δ = 2^k dt`, and
`increment_field` for any `Δ`.
'''),
    SETUP_NDARRAY,
    code('''
use hits::experiments::increment::{self, increment_field, IncrementConfig, Slice2d};
use hits::experiments::ode::OdeConfig;
use hits::plot::{Colormap, Figure, Heatmap};
use hits::stepper::load_hierarchy;
use hits::SystemKind;
use ndarray::Axis;
use std::path::PathBuf;
use std::time::Instant;
'''),
    md('''
## Adjustables

- `system`: the system shown in detail (`Hyperbolic`, `Cubic`, `VanDerPol`, `Hopf`, `Lorenz`).
- `cfg.grid = Slice2d::paper(system, n)`: `n x n` grid points over the data's initial-condition box.
- `cfg.panel_steps`: the `Δ / dt` of the panel rows; `cfg.animation_steps`: of the GIF frames.
- `models_root`: where trained steppers are looked for (noise 0); when found, their learned
  increments are shown beside the exact ones (`model_training.ipynb` trains them).
- `out_dir`: where `hits reproduce increment` style files are written.
'''),
    code('''
// Adjustables
let quick = hits::data::quick_mode();
let system = SystemKind::Hyperbolic;
let mut cfg = (if quick { IncrementConfig::quick(system) } else { IncrementConfig::paper(system) }).expect("config");
cfg.panel_steps = vec![1, 16, 128, 1024];
let models_root = PathBuf::from("../models");
let out_dir = PathBuf::from(if quick { "../results/quick/increment" } else { "../results/increment" });
let device = hits::stepper::device(true).expect("CPU device");
println!("quick mode: {quick}; {system}: grid {:?} cells of {}, panels at {:?} dt", cfg.grid.cells, cfg.grid.describe(), cfg.panel_steps);
'''),
    md('''
## Trained steppers (optional)

A stepper's MLP output on the grid is its learned `F_Δ`. The steppers of `model_training.ipynb`
are used when they are there; otherwise only the exact fields are drawn.
'''),
    code('''
// Load the trained steppers at noise 0, if any.
let dir = OdeConfig::select(system, quick).dir_under(&models_root);
let steppers = match load_hierarchy(&dir, 0.0, &device) {
    Ok(s) => s,
    Err(e) => { println!("exact increments only: {e}"); Vec::new() }
};
println!("{} steppers from {}", steppers.len(), dir.display());
'''),
    code('''
// Exact increments at every Δ of the config (and of the steppers), learned ones from the steppers.
let start = Instant::now();
let result = increment::run(&cfg, &steppers).expect("increments");
println!("{} exact and {} learned fields in {:.1} s", result.exact.len(), result.learned.len(), start.elapsed().as_secs_f64());
'''),
    code('''
// plot: Figure 10 for the chosen system, one row per Δ (exact, then learned on the same colour scale)
result.panel_figure().expect("panels").show();
'''),
    md('''
Read the colour bars: the increment grows by orders of magnitude from `Δ = dt` to `Δ = 1024 dt`.
Where a stepper was given, the relative error of its learned field is below.
'''),
    code('''
println!("{}", result.summary_markdown());
'''),
    code('''
// plot: the same over Δ = 2^k dt as an animation (in place of the original's slider)
result.animation().expect("animation").show();
'''),
    md('''
## Any Δ

`increment_field(system, &grid, delta)` gives the exact field for any `Δ` (time units); here
`Δ = 2.5`, both components.
'''),
    code('''
// plot: the exact increment at Δ = 2.5
let f = increment_field(system, &cfg.grid, 2.5).expect("field");
let panels: Vec<Heatmap> = (0..f.field.dim().0).map(|d| {
    Heatmap::new(f.field.index_axis(Axis(0), d))
        .x_extent(cfg.grid.ranges[0].0, cfg.grid.ranges[0].1)
        .y_extent(cfg.grid.ranges[1].0, cfg.grid.ranges[1].1)
        .colormap(Colormap::RdBu).symmetric()
        .title(format!("Δ{} at Δ = 2.5", cfg.grid.names[d]))
}).collect();
Figure::new().grid(1, f.field.dim().0).size(330 * f.field.dim().0 as u32, 320).panels(panels).show();
'''),
    md('''
## All five systems

Exact fields only, at the same `Δ / dt` (Lorenz's `dt` is 0.0005, so its largest `Δ` is 0.512).
'''),
    code('''
// plot: Figure 10 for every system (exact), side by side; each system's files saved under out_dir
let mut images = Vec::new();
for kind in SystemKind::NONLINEAR {
    let c = (if quick { IncrementConfig::quick(kind) } else { IncrementConfig::paper(kind) }).expect("config");
    let r = increment::run(&c, &[]).expect("increments");
    images.push(r.panel_figure().expect("panels").to_rgb().expect("rendering"));
    r.save(&out_dir).expect("saving");
}
println!("saved under {}", out_dir.display());
Figure::image_grid(images, 5, &["Hyperbolic", "Cubic", "Van der Pol", "Hopf (μ = 0.2)", "Lorenz (z = 27)"]).size(1800, 900).show();
'''),
    md('''
## Try

- Another `Δ` list (`cfg.panel_steps = vec![2, 32, 512]`), a finer grid (`Slice2d::paper(system, 120)`),
  another plane (`cfg.grid.base[0] = 0.5` puts Hopf at `μ = 0.5`).
- Headless: `cargo run --release -- reproduce increment [--system lorenz]` writes
  `results/increment/<System>/`.
'''),
]


if __name__ == "__main__":
    write("model_training.ipynb", MODEL_TRAINING)
    write("noisy_measurements.ipynb", NOISY)
    write("visualize_increment.ipynb", INCREMENT)
