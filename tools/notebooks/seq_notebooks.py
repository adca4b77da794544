#!/usr/bin/env python3
"""Write the sequence-generation notebooks (Figure 7, Table 1) without outputs.

    python3 tools/notebooks/seq_notebooks.py     writes notebooks/seq_generations.ipynb,
                                                 ks_equation.ipynb, bach.ipynb, fluid.ipynb,
                                                 flower.ipynb

The five notebooks share their set-up, data and training cells (seq_cells.py), so they are
generated from one place: edit these scripts (Bach and Flower: seq_media_notebooks.py), not the
notebooks, and run this one again. Heavy code lives in the crate
(hits::experiments::table1, hits::baselines, hits::plot::sequence); cells are glue.
"""

from nbcells import code, md, write
from seq_cells import (
    SETUP,
    USES,
    knobs_md,
    knobs,
    load_cell,
    TRAIN_MD,
    RUN_TABLE1,
    table_cells,
    DENORM,
    mode_error_cells,
    MAKE_KS,
    MAKE_FLUID,
)
from seq_media_notebooks import bach, flower


# ---------------------------------------------------------------- seq_generations


def seq_generations():
    return [
        md('''
# Sequence generation: HiTS against LSTM, ESN and CW-RNN (Figure 7, Table 1)

*Multiscale HiTS, Figure 7 and Table 1: which model can generate a long sequence from its first
frame?*

The paper's claim: a hierarchy of neural time-steppers, coupled across time scales, generates
long sequences (a chaotic PDE, music, a fluid flow, a video) far better than recurrent networks
of the same size. The recurrent networks carry their whole memory in a hidden state and take
one frame per step, so their errors compound over thousands of steps; HiTS lays down coarse
frames with its largest step and fills in each interval afresh with smaller ones, so no error
travels further than one coarse interval.

This notebook trains all four models on one data set (a knob), with their progress and loss
curves, lets each generate the whole sequence, and compares their errors and sizes. The
per-data-set notebooks (`ks_equation`, `bach`, `fluid`, `flower`) show the generations in the
data's own terms (space-time fields, sound, flow and video frames) and reuse what this notebook
stores.
'''),
        SETUP,
        USES,
        knobs_md('''
- `data_set`: `SeqData::Ks`, `Bach`, `Fluid` or `Flower`. This notebook makes the KS data itself
  when it is missing; make the others with `hits data <name>` (add `--quick` and
  `--out data/quick` for quick mode) or by running their own notebook once.'''),
        knobs("Ks"),
        md('''
## Data

Every model sees the normalised sequence `z = (x - mean) / range` per feature, `[D, T]`.
'''),
        code('''
// Make the KS data when it is missing (the library calls behind `hits data ks [--quick]`).
if data_set == SeqData::Ks && !data_dir.join("data.npy").exists() {
    let ks_cfg = if quick { hits::sequence::ks::KsConfig::quick() } else { hits::sequence::ks::KsConfig::default() };
    let u = hits::sequence::ks::simulate(&ks_cfg).expect("KS simulation");
    let meta = SequenceMeta { name: "KS".into(), shape: [u.nrows(), u.ncols()], synthetic: true,
        source: format!("hits::sequence::ks::simulate({ks_cfg:?})"), quick };
    save_sequence(&data_dir, &SequenceFiles { data: &u, modes: None, meta }).expect("writing the KS data");
}
'''),
        load_cell("chosen"),
        code('''
// plot: the normalised sequence, features against frames
Figure::new().size(900, 300).panel(Heatmap::new(data.z.view()).colormap(Colormap::RdBu)
    .title(format!("{data_set}: normalised sequence z")).x_label("frame").y_label("feature")).show();
'''),
        md('''
## HiTS

One stepper per step size (in frames), trained one after the other. A line is printed at every
validation check; the best validation weights are kept. The coupling then generates the whole
sequence from frame 0.
'''),
        code('''
// Train (or resume from models_dir) the HiTS steppers, generate, score.
let (hits_model, hits_row) = table1::run::run_hits(&data, &cfg, &device, Some(&models_dir.join("hits")), &mut |p| println!("{p}"))
    .expect("HiTS training");
println!("HiTS: step sizes {:?}, {} parameters, {:.1} s, MSE {:.3e}", hits_model.step_sizes(), hits_row.n_params, hits_row.train_seconds, hits_row.mse);
'''),
        code('''
// plot: validation loss of each HiTS stepper
let mut axes = Axes::new().title("HiTS: validation loss per step size").x_label("epoch").y_label("loss").log_y();
for rep in &hits_model.reports {
    let epochs: Vec<f64> = rep.history.iter().map(|h| h.0 as f64).collect();
    let val: Vec<f64> = rep.history.iter().map(|h| h.2).collect();
    axes = axes.series(Series::line_points(&epochs, &val).label(format!("step {}", rep.step_size)));
}
Figure::new().size(800, 360).panel(axes).show();
'''),
        md('''
## The baselines, sized to HiTS

`baseline_size` picks each baseline's hidden size (reservoir for the ESN) so that its trainable
parameters match HiTS's count (the ESN's read-out alone is trained, so its reservoir is larger;
`cfg.sizing` may fix or cap it). Each is trained on windows of `cfg.baseline.seq_len` frames with
the true frames as input (teacher forcing); its training loss is recorded every
`cfg.baseline.eval_every` epochs.
'''),
        code('''
// Size, train, generate and score each baseline; keep its loss curve.
use hits::baselines::BaselineKind;
let mut rows = vec![hits_row.clone()];
let mut losses: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
for kind in [BaselineKind::Lstm, BaselineKind::Esn, BaselineKind::CwRnn] {
    let (size, n) = table1::models::baseline_size(kind, &cfg, data.dim(), hits_row.n_params);
    println!("{}: size {size}, {n} parameters (HiTS {})", kind.name(), hits_row.n_params);
    let (mut ep, mut loss) = (Vec::new(), Vec::new());
    let (_, row) = table1::models::run_baseline(kind, &data, &cfg, hits_row.n_params, &device, Some(&models_dir),
        &mut |e, l| { ep.push(e as f64); loss.push(l); println!("{} epoch {e}: loss {l:.3e}", kind.name()); })
        .expect("baseline training");
    println!("{}: trained in {:.1} s, MSE {:.3e}", row.model, row.train_seconds, row.mse);
    if !ep.is_empty() { losses.push((kind.name().to_string(), ep, loss)); }
    rows.push(row);
}
'''),
        code('''
// plot: training loss of the trained baselines (the ESN has no iterative training)
{
let curves: Vec<(&str, Vec<f64>, Vec<f64>)> = losses.iter().map(|(m, e, l)| (m.as_str(), e.clone(), l.clone())).collect();
Figure::new().size(800, 360).panel(seqplot::loss_curves(&curves).expect("loss curves")).show();
}
'''),
        code('''
// Keep the results where the per-data-set notebooks and `hits reproduce table1` look for them.
for r in &rows { table1::run::store(&out_dir, r).expect("storing a result"); }
let result = Table1Result { data: data_set, n_frames: data.n_frames(), dim: data.dim(), quick: cfg.quick,
    synthetic: data.meta.synthetic, source: data.meta.source.clone(), rows };
'''),
        *table_cells(),
        md('''
## Figure 7 panel

For KS the space-time field of the truth and of each generation; for the other data sets a few
coordinates against time, truth in black.
'''),
        code('''
// plot: Figure 7's panel for this data set
result.figure(&data.truth()).expect("Figure 7 panel").show();
'''),
        md('''
## Try

- Another data set: `data_set = SeqData::Fluid` (after `hits data fluid`).
- The paper's sizes with fewer epochs on a CPU: `Table1Config::paper(data_set).with_epochs(500)`.
- Couple fewer steppers: `cfg.hits.steps = vec![1, 6, 36]` for KS, and watch the error curve.
'''),
    ]


# ---------------------------------------------------------------- ks_equation


def ks_equation():
    return [
        md('''
# Kuramoto-Sivashinsky: space-time fields of the truth and of each model (Figure 7, KS panel)

*Multiscale HiTS, Figure 7 (KS) and Table 1 (KS row: HiTS 1.0e-3, LSTM 3.50, ESN 3.51,
CW-RNN 3.60).*

The Kuramoto-Sivashinsky equation `u_t = -u u_x - u_xx - u_xxxx` on a periodic domain of length
32π is spatio-temporal chaos: cells of `u` drift, merge and split. The paper saves `u` on 512
points every 0.4 time units up to t = 1600 (512 x 4001) and asks each model to generate all 4000
later frames from the first. In the paper the recurrent networks lose the pattern (MSE ≈ 3.5 on
the normalised field) while HiTS keeps it (1e-3).

Our field comes from our ETDRK4 solver (`hits::sequence::ks`, Kassam & Trefethen's scheme),
unless `data/KS` was made from the original `.mat` file (`hits data ks --input`). The heat maps
below put time along x and space along y, on one colour scale for all panels.
'''),
        SETUP,
        USES,
        knobs_md('''
- `ks_cfg`: the KS run used when the data is made here; its domain length and save interval give
  the axes of the plots.'''),
        knobs("Ks", '''
let ks_cfg = if quick { hits::sequence::ks::KsConfig::quick() } else { hits::sequence::ks::KsConfig::default() };'''),
        md('''
## Data
'''),
        MAKE_KS,
        load_cell("KS"),
        code('''
// plot: the true field u(x, t) over the frames used
let (x_ext, t_ext) = ((0.0, ks_cfg.length), (0.0, (data.n_frames() - 1) as f64 * ks_cfg.save_every));
seqplot::space_time(&[("truth u(x, t)", data.raw.view())], x_ext, t_ext, Colormap::RdBu).expect("heat map").show();
'''),
        TRAIN_MD,
        RUN_TABLE1,
        DENORM,
        md('''
## Space-time fields

Truth on top, then each model's generation from the same first frame. A model that has learnt
the dynamics keeps producing cells of the right size and speed, even after it has drifted off the
true trajectory (chaos makes some drift unavoidable); one that has not fades to a constant or
blows up.
'''),
        code('''
// plot: Figure 7's KS panel, truth and each model on one colour scale
{
let mut panels: Vec<(&str, ndarray::ArrayView2<f64>)> = vec![("truth", data.raw.view())];
panels.extend(generated.iter().map(|(m, u)| (m.as_str(), u.view())));
seqplot::space_time(&panels, x_ext, t_ext, Colormap::RdBu).expect("space-time panels").show();
}
'''),
        code('''
// plot: the error field (generation - truth) of each model
{
let errors: Vec<(String, Array2<f64>)> = generated.iter().map(|(m, u)| (format!("{m} - truth"), u - &data.raw)).collect();
let panels: Vec<(&str, ndarray::ArrayView2<f64>)> = errors.iter().map(|(m, e)| (m.as_str(), e.view())).collect();
seqplot::space_time(&panels, x_ext, t_ext, Colormap::RdBu).expect("error panels").show();
}
'''),
        *table_cells(),
        md('''
## Try

- The paper's field and nets: unset `HITS_QUICK` (the KS simulation takes about a second; the
  training of the 2048-wide nets is long on a CPU: `Table1Config::paper(SeqData::Ks).with_epochs(500)`
  gives a first look).
- `hits reproduce table1 --data ks` runs the same headless and writes `results/table1/KS/`.
'''),
    ]


# ---------------------------------------------------------------- fluid


def fluid():
    return [
        md('''
# Fluid: the cylinder wake, frame by frame (Figure 7, Table 1)

*Multiscale HiTS, Figure 7 and Table 1 (Fluid row: HiTS 1.2e-7, LSTM 9.2e-8, ESN 2.2e-8,
CW-RNN 6.8e-7).*

The streamwise velocity behind a cylinder at Reynolds number 100 sheds vortices periodically (the
von Kármán street). The paper takes 151 snapshots on a 449 x 199 grid and reduces them by a thin
SVD to 22 coordinates (`snapshots ≈ modes @ coords`); the models learn the 22 x 151 sequence of
coordinates, and the flow is rebuilt from what they generate. Every model does well in the
paper: a periodic wake in a few modes is an easy sequence.

Our snapshots come from our lattice-Boltzmann solver (`hits::sequence::cylinder`), not the
paper's file, unless `data/Fluid` was made from `CYLINDER_ALL.mat` (`hits data fluid --input`).
This notebook shows what Table 1 cannot: the rebuilt flow fields side by side, the velocity at a
probe point in the wake, and the error of each SVD coordinate. (In quick mode the simulation is
short and coarse and the wake has not started shedding yet.)
'''),
        SETUP,
        USES,
        knobs_md('''
- `cyl`: the cylinder simulation used when the data is made here; its output window is the grid
  the snapshots live on.
- `probe`: a point `(x, y)` in cylinder diameters (cylinder at the origin, flow along x).'''),
        knobs("Fluid", '''
let cyl = if quick { hits::sequence::cylinder::CylinderConfig::quick() } else { hits::sequence::cylinder::CylinderConfig::default() };
let probe = (3.0, 0.5);'''),
        md('''
## Data

`data.npy` holds the SVD coordinates `S V^T` (22 x 151); `modes.npy` the spatial modes `U`
(grid points x 22), so `modes @ coords` rebuilds snapshots (x fastest on the grid).
'''),
        MAKE_FLUID,
        load_cell("Fluid"),
        code('''
// The spatial modes and the grid they live on (the simulation's output window).
let modes = read_npy2(&data_dir.join("modes.npy")).expect("modes.npy");
let (nx, ny) = (cyl.window_x.2, cyl.window_y.2);
assert_eq!(modes.nrows(), nx * ny, "modes.npy does not fit the {nx} x {ny} window of `cyl`: make the data with the same settings");
println!("modes {:?} on a {nx} x {ny} grid", modes.dim());
'''),
        code('''
// plot: the kept singular values (the rows of S V^T have norms s_i)
let s_kept: Vec<f64> = data.raw.rows().into_iter().map(|r| r.dot(&r).sqrt()).collect();
let idx: Vec<f64> = (1..=s_kept.len()).map(|i| i as f64).collect();
Figure::new().size(600, 300).panel(Axes::new().title("singular values of the kept modes").x_label("mode").log_y()
    .series(Series::line_points(&idx, &s_kept))).show();
'''),
        code('''
// plot: three snapshots of the truth rebuilt from the coordinates (u / U)
let truth_fields = modes.dot(&data.raw);
let range = truth_fields.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
let frames = seqplot::field_frames(truth_fields.view(), (ny, nx), Colormap::RdBu, Some(range), 2).expect("fields");
let last = frames.len() - 1;
Figure::image_grid([frames[0].clone(), frames[last / 2].clone(), frames[last].clone()], 3,
    &["frame 0", "middle frame", "last frame"]).size(1000, 220).show();
'''),
        TRAIN_MD,
        RUN_TABLE1,
        DENORM,
        md('''
## The flow, side by side

Every model's coordinates rebuilt into flow fields, next to the truth, on the truth's colour
scale. (The GIF keeps at most ~40 frames.)
'''),
        code('''
// plot: truth and each model, frame by frame
let fields: Vec<(String, Array2<f64>)> = std::iter::once(("truth".to_string(), truth_fields.clone()))
    .chain(generated.iter().map(|(m, c)| (m.clone(), modes.dot(c))))
    .collect();
let mut anim = SideBySide::new().every((data.n_frames() / 40).max(1)).delay_ms(150).size(300 * fields.len() as u32, 190);
for (name, f) in &fields {
    anim = anim.column(name.as_str(), seqplot::field_frames(f.view(), (ny, nx), Colormap::RdBu, Some(range), 1).expect("frames"));
}
anim.show();
'''),
        md('''
## A probe in the wake

The velocity at one grid point against time: vortices passing the probe make it oscillate at the
shedding frequency.
'''),
        code('''
// plot: u at the probe point, truth and each model
{
let at = |v: f64, (lo, hi, n): (f64, f64, usize)| (((v - lo) / (hi - lo) * (n - 1) as f64).round() as usize).min(n - 1);
let p = at(probe.1, cyl.window_y) * nx + at(probe.0, cyl.window_x);
let frame_t: Vec<f64> = (0..data.n_frames()).map(|k| k as f64 * cyl.dt_snapshot).collect();
let models: Vec<(&str, Vec<f64>)> = fields[1..].iter().map(|(m, f)| (m.as_str(), f.row(p).to_vec())).collect();
let axes = seqplot::compare_series(&frame_t, &fields[0].1.row(p).to_vec(), &models).expect("probe")
    .title(format!("u / U at x = {}, y = {}", probe.0, probe.1)).x_label("t [D / U]");
Figure::new().size(900, 320).panel(axes).show();
}
'''),
        *mode_error_cells("energy of the wake"),
        *table_cells(),
        md('''
## Try

- The paper's size: unset `HITS_QUICK` (the simulation takes ~7 minutes on 2 cores, once).
- Another probe: `probe = (1.0, 0.0)`, just behind the cylinder.
'''),
    ]


def main():
    write("seq_generations.ipynb", seq_generations())
    write("ks_equation.ipynb", ks_equation())
    write("bach.ipynb", bach())
    write("fluid.ipynb", fluid())
    write("flower.ipynb", flower())


if __name__ == "__main__":
    main()
