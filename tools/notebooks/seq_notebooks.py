#!/usr/bin/env python3
"""Write the sequence-generation notebooks (Figure 7, Table 1) without outputs.

    python3 tools/notebooks/seq_notebooks.py     writes notebooks/seq_generations.ipynb,
                                                 ks_equation.ipynb, bach.ipynb, fluid.ipynb,
                                                 flower.ipynb

The five notebooks share their set-up, data and training cells, so they are generated from one
place: edit this script, not the notebooks, and run it again. Heavy code lives in the crate
(hits::experiments::table1, hits::baselines, hits::plot::sequence); cells are glue.
"""

from nbcells import code, md, write


# ---------------------------------------------------------------- shared cells

SETUP = code('''
:dep hits = { path = ".." }
// Values kept between cells name their crates, so the notebook names them too (the versions hits pins).
:dep candle-core = "=0.11.1"
:dep ndarray = "=0.17.2"
:efmt {:?}
''')

USES = code('''
use hits::experiments::table1::{self, report::Table1Result, SeqData, Table1Config};
use hits::plot::sequence as seqplot;
use hits::plot::sequence::{AudioPlayers, SideBySide};
use hits::plot::{error_vs_time, Axes, Colormap, Figure, Heatmap, Series};
use hits::sequence::store::{read_npy2, save_sequence, SequenceFiles, SequenceMeta};
use hits::sequence::svd::Reduction;
use ndarray::{Array2, Axis};
use std::path::PathBuf;
use std::time::Instant;
''')


def knobs_md(extra=""):
    return md(f'''
## Adjustables

- `quick` comes from `HITS_QUICK=1` (the notebook runner sets it): the first 100 frames, small
  nets, a few hundred epochs. The plots then show the method working, not the paper's accuracy.
- `cfg`: everything about the models (`Table1Config::paper` holds the paper's settings):
  `cfg.hits.hidden` (hidden widths), `cfg.hits.steps` (step sizes in frames),
  `cfg.hits.train.epochs`, `cfg.baseline.epochs`, `cfg.sizing` (how the baselines are sized),
  `cfg.max_frames` (cut the sequence).
- `data_dir`: where the sequence is read from (made there when missing, as `hits data` does).
- `models_dir`, `out_dir`: checkpoints, and each model's generated sequence with its scores
  (the folders of `hits reproduce table1`).
- `device`: `hits::stepper::device(false)` picks a CUDA GPU when the crate is built with `cuda`.{extra}
''')


def knobs(data_set, extra=""):
    return code(f'''
// Adjustables
let quick = hits::data::quick_mode();
let data_set = SeqData::{data_set};
let cfg = Table1Config::select(data_set, quick);
let data_dir = PathBuf::from(if quick {{ "../data/quick" }} else {{ "../data" }}).join(data_set.name());
// The folders of `hits reproduce table1 [--quick]`: <Name> or <Name>-quick.
let run_name = format!("{{}}{{}}", data_set.name(), if quick {{ "-quick" }} else {{ "" }});
let models_dir = PathBuf::from("../models/table1").join(&run_name);
let out_dir = PathBuf::from("../results/table1").join(&run_name);
let device = hits::stepper::device(true).expect("CPU device");{extra}
println!("quick mode: {{quick}}; {{data_set}}: HiTS hidden {{:?}}, steps {{:?}}, {{}} epochs; data {{}}",
    cfg.hits.hidden, cfg.hits.steps, cfg.hits.train.epochs, data_dir.display());
''')


def load_cell(name):
    return code(f'''
// Read the sequence [D, T], keep the first cfg.max_frames frames, normalise each feature.
let data = table1::run::load_data(&data_dir, &cfg).expect("loading the {name} sequence");
println!("{{}}: {{}} features x {{}} frames{{}}; source: {{}}", data.meta.name, data.dim(), data.n_frames(),
    if data.meta.synthetic {{ " (made here)" }} else {{ "" }}, data.meta.source);
''')


TRAIN_MD = md('''
## The four models

HiTS first: one ResNet stepper per step size, each trained on windows of the normalised sequence
(`n_forward` recurrent steps, Adam, lr 1e-3, the best validation weights kept), coupled into one
multiscale generator. The baselines are then sized to HiTS's parameter count
(`hits::baselines::match_parameters`): an LSTM and a clockwork RNN trained by truncated
back-propagation through time, and an echo-state network whose random reservoir stays fixed
(spectral radius 0.9) while its linear read-out is fitted by ridge regression.

Every model then generates the whole sequence **from its first frame alone**, feeding its own
output back. Results are stored in `out_dir`: running the notebook again (or after
`hits reproduce table1`, or `seq_generations.ipynb` on the same data set) loads them instead of
training. Delete the folder, or change a knob, to train afresh.
''')

RUN_TABLE1 = code('''
// Train (or load) HiTS and the three baselines, generate, score.
let start = Instant::now();
let result = table1::run::run_table1(&data, &cfg, &device, Some(&models_dir), Some(&out_dir), &mut |line| println!("{line}"))
    .expect("training the four models");
println!("done in {:.1} s", start.elapsed().as_secs_f64());
''')


def table_cells():
    return [
        md('''
## Table 1 row, and the error along the sequence

MSE over every frame and feature of the normalised sequence generated from frame 0, beside the
paper's value. Below it, the error of each frame: a generator that drifts shows a rising curve.
'''),
        code('''
println!("{}", table1::report::markdown_table(std::slice::from_ref(&result)));
'''),
        code('''
// plot: MSE of each generated frame (over its features) against the frame index (frame 0 is given, error 0)
let truth_tz = data.truth();
let frame_t: Vec<f64> = (1..data.n_frames()).map(|t| t as f64).collect();
let curves: Vec<(String, Vec<f64>)> = result.rows.iter()
    .map(|r| (r.model.clone(), seqplot::row_mse(truth_tz.view(), r.generated.view()).expect("frame errors")[1..].to_vec()))
    .collect();
Figure::new().size(800, 360).panel(error_vs_time(&frame_t, &curves).expect("error plot").x_label("frame").y_label("MSE of the frame")).show();
'''),
    ]


DENORM = code('''
// Each model's generation in the data's own units: undo the normalisation of its [T, D] sequence.
let generated: Vec<(String, Array2<f64>)> = result.rows.iter()
    .map(|r| (r.model.clone(), data.norm.invert(r.generated.t()).expect("denormalise")))
    .collect();
''')


def mode_error_cells(what):
    return [
        md(f'''
## Error of each SVD coordinate

The MSE over time of every normalised coordinate. The leading modes carry most of the
{what}; an error confined to the trailing modes is barely visible in the frames.
'''),
        code('''
// plot: per-mode MSE over time of each model
{
let per_mode: Vec<(&str, Vec<f64>)> = result.rows.iter()
    .map(|r| (r.model.as_str(), seqplot::row_mse(data.z.view(), r.generated.t()).expect("mode errors")))
    .collect();
Figure::new().size(800, 360).panel(seqplot::mode_error_axes(&per_mode)).show();
}
'''),
    ]


# ---------------------------------------------------------------- make-data cells

MAKE_KS = code('''
// Make the data when it is missing: the library calls behind `hits data ks [--quick]`.
if !data_dir.join("data.npy").exists() {
    let u = hits::sequence::ks::simulate(&ks_cfg).expect("KS simulation");
    let meta = SequenceMeta { name: "KS".into(), shape: [u.nrows(), u.ncols()], synthetic: true,
        source: format!("hits::sequence::ks::simulate({ks_cfg:?})"), quick };
    save_sequence(&data_dir, &SequenceFiles { data: &u, modes: None, meta }).expect("writing the KS data");
}
''')

MAKE_BACH = code('''
// Make the data when it is missing: the library calls behind `hits data bach [--input WAV]`.
if !data_dir.join("data.npy").exists() {
    let b = hits::sequence::bach::bach_sequence(wav_file.as_deref(), &bach_cfg).expect("Bach sequence");
    std::fs::create_dir_all(&data_dir).expect("data folder");
    hits::sequence::wav::write_wav(&data_dir.join("excerpt.wav"), &b.cut, bach_cfg.sample_rate).expect("writing excerpt.wav");
    let meta = SequenceMeta { name: "Bach".into(), shape: [b.embedding.nrows(), b.embedding.ncols()],
        synthetic: b.synthetic, source: b.source.clone(), quick };
    save_sequence(&data_dir, &SequenceFiles { data: &b.embedding, modes: None, meta }).expect("writing the Bach data");
}
''')

MAKE_FLUID = code('''
// Make the data when it is missing: the library calls behind `hits data fluid [--quick]`
// (a lattice-Boltzmann run: seconds in quick mode, ~7 minutes at the paper's size).
if !data_dir.join("data.npy").exists() {
    let run = hits::sequence::cylinder::simulate(&cyl).expect("cylinder simulation");
    let red = Reduction::fit(run.u.view(), 22.min(run.u.ncols())).expect("SVD");
    let meta = SequenceMeta { name: "Fluid".into(), shape: [red.rank(), red.coords.ncols()], synthetic: true,
        source: format!("hits::sequence::cylinder::simulate({cyl:?}), St {:.4}", run.strouhal), quick };
    save_sequence(&data_dir, &SequenceFiles { data: &red.coords, modes: Some((&red.modes, &red.singular_values)), meta })
        .expect("writing the Fluid data");
}
''')

MAKE_FLOWER = code('''
// Make the data when it is missing: the library calls behind `hits data flower [--quick]`.
if !data_dir.join("data.npy").exists() {
    let video = hits::sequence::video::decode_mp4(&video_file, downscale).expect("decoding the flower video");
    let red = Reduction::fit_faer(video.snapshot_matrix(), 64).expect("SVD");
    let (_, h, w) = video.dims();
    let meta = SequenceMeta { name: "Flower".into(), shape: [red.rank(), red.coords.ncols()], synthetic: false,
        source: format!("{} (RGB 0..255, {w} x {h}, downscale {downscale})", video_file.display()), quick };
    save_sequence(&data_dir, &SequenceFiles { data: &red.coords, modes: Some((&red.modes, &red.singular_values)), meta })
        .expect("writing the Flower data");
}
''')


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


# ---------------------------------------------------------------- bach


def bach():
    return [
        md('''
# Bach: waveforms and sound of the truth and of each model (Figure 7, Table 1)

*Multiscale HiTS, Figure 7 (Bach) and Table 1 (Bach row: HiTS 8.6e-7, LSTM 4.6e-5,
ESN 2.7e-4, CW-RNN 4.7e-5).*

The paper cuts 2 s of Bach's C major fugue (BWV 846) at 22050 Hz, keeps every 20th sample
(1102.5 Hz) and delay-embeds the result into 128 rows (`H[i, j] = s[i + j]`, 128 x 2077): each
frame is a window of 128 consecutive samples, and the next frame is the window shifted by one.
A model generating the frames therefore generates the music.

**The recording is not part of this repository.** Unless you give your own `C_major.wav`
(`wav_file` below, or `hits data bach --input`), the data is a SYNTHETIC stand-in: the same
bars synthesised as plucked-string tones (`hits::sequence::bach_synth`). The notebook says which
one it plays.

To listen, the frames are turned back into a signal (the mean of each anti-diagonal of the
embedding, `hits::plot::sequence::signal_from_embedding`) and brought back to 22050 Hz by
band-limited interpolation.
'''),
        SETUP,
        USES,
        knobs_md('''
- `wav_file`: `Some("path/to/C_major.wav".into())` to use the recording (delete `data_dir` after
  changing it); `None` uses the synthetic stand-in.
- `bach_cfg`: where the excerpt is cut and how it is decimated and embedded (the paper's values).'''),
        knobs("Bach", '''
let wav_file: Option<PathBuf> = None;
let bach_cfg = hits::sequence::bach::BachConfig::default();'''),
        md('''
## Data
'''),
        MAKE_BACH,
        load_cell("Bach"),
        code('''
// The decimated signal behind the frames used, and the playback rate.
let rate = bach_cfg.sample_rate as f64 / bach_cfg.stride as f64;
let signal = seqplot::signal_from_embedding(data.raw.view()).expect("signal");
let caption = if data.meta.synthetic {
    "SYNTHETIC stand-in (no recording given): synthesised plucked-string tones, not the recording".to_string()
} else {
    format!("recording: {}", data.meta.source)
};
println!("{} samples at {rate} Hz ({:.2} s); {caption}", signal.len(), signal.len() as f64 / rate);
'''),
        code('''
// plot: the waveform the models learn
let t: Vec<f64> = (0..signal.len()).map(|k| k as f64 / rate).collect();
Figure::new().size(900, 280).panel(Axes::new().title(format!("Bach waveform, {} Hz ({})", rate,
    if data.meta.synthetic { "SYNTHETIC" } else { "recording" })).x_label("t [s]").series(Series::line(&t, &signal))).show();
'''),
        code('''
// Listen: the 2 s cut at 22050 Hz, and the decimated signal the models learn (brought back to 22050 Hz).
fn to_audio(s: &[f64], stride: usize) -> Vec<f64> {
    hits::sequence::wav::resample(s, 1, stride as u32).expect("resampling")
}
let excerpt = hits::sequence::wav::read_wav(&data_dir.join("excerpt.wav")).expect("excerpt.wav");
AudioPlayers::new().caption(caption.clone())
    .clip("excerpt, 22050 Hz", &excerpt.samples, excerpt.sample_rate).expect("clip")
    .clip(format!("what the models learn ({rate} Hz, {} frames)", data.n_frames()), &to_audio(&signal, bach_cfg.stride), bach_cfg.sample_rate).expect("clip")
    .evcxr_display();
'''),
        TRAIN_MD,
        RUN_TABLE1,
        DENORM,
        md('''
## Waveforms

Each generation turned back into a signal, beside the truth. A good generator keeps the notes'
pitch and phase; the recurrent networks in the paper drift off the pitch. (The first 128
samples are the given first frame, so every model starts exact.)
'''),
        code('''
// plot: the truth and each model's waveform
let signals: Vec<(String, Vec<f64>)> = generated.iter()
    .map(|(m, h)| (m.clone(), seqplot::signal_from_embedding(h.view()).expect("signal")))
    .collect();
let panels: Vec<Axes> = signals.iter().map(|(m, s)| {
    seqplot::compare_series(&t, &signal, &[(m.as_str(), s.clone())]).expect("waveform").title(m.as_str()).x_label("t [s]").y_label("amplitude")
}).collect();
Figure::new().grid(panels.len(), 1).size(900, 200 * panels.len() as u32).panels(panels).show();
'''),
        code('''
// Listen to the truth and to each model (values outside [-1, 1] are clipped).
let mut players = AudioPlayers::new().caption(caption.clone())
    .clip("truth", &to_audio(&signal, bach_cfg.stride), bach_cfg.sample_rate).expect("clip");
for (m, s) in &signals {
    players = players.clip(m.as_str(), &to_audio(s, bach_cfg.stride), bach_cfg.sample_rate).expect("clip");
}
players.evcxr_display();
'''),
        *table_cells(),
        md('''
## Try

- Your own recording: `wav_file = Some(...)`, delete `data_dir`, run again.
- Full length (2077 frames) and the paper's nets: unset `HITS_QUICK`.
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


# ---------------------------------------------------------------- flower


def flower():
    return [
        md('''
# Flower: a blooming-flower video, frame by frame (Figure 7)

*Multiscale HiTS, Figure 7 (flower video). Table 1 publishes no numbers for it.*

A video of a flower opening, 175 frames of 960 x 540 RGB pixels, is reduced by a thin SVD of its
frames to 64 coordinates; the models learn the 64 x 175 sequence and the frames are rebuilt from
what they generate (`modes @ coords`, clipped to 0..255). The paper does not publish its nets for
this data set: ours are `[64, 512, 256, 128, 64]` with step sizes 1, 4, 16
(`hits::experiments::table1::Table1Config::paper` says why).

The video is read from `../shared/data/flower.mp4` (decoded in pure Rust); quick mode downscales
it 4 times (240 x 135) before the SVD.
'''),
        SETUP,
        USES,
        knobs_md('''
- `video_file`: the MP4 to read when the data is made here.
- `downscale`: integer box-filter downscale of the frames before the SVD (quick 4, full 1).
- `probe`: a pixel `(column, row)` as fractions of the width and height.'''),
        knobs("Flower", '''
let video_file = PathBuf::from("../../shared/data/flower.mp4");
let downscale: usize = if quick { 4 } else { 1 };
let probe = (0.5, 0.5);'''),
        md('''
## Data
'''),
        MAKE_FLOWER,
        load_cell("Flower"),
        code('''
// The modes, and the frame size they belong to (the video is 960 x 540, integer-downscaled).
let modes = read_npy2(&data_dir.join("modes.npy")).expect("modes.npy");
let f = (1..=16).find(|f| (540 / f) * (960 / f) * 3 == modes.nrows()).expect("modes.npy fits no downscale of 960 x 540");
let (h, w) = (540 / f, 960 / f);
println!("modes {:?}: frames {w} x {h} (downscale {f})", modes.dim());
'''),
        code('''
// plot: three frames of the truth rebuilt from the 64 coordinates
fn rebuild(modes: &Array2<f64>, coords: &Array2<f64>, pick: &[usize], (h, w): (usize, usize)) -> Vec<hits::plot::RgbImage> {
    let snaps = modes.dot(&coords.select(Axis(1), pick));
    let frames = hits::sequence::video::frames_from_snapshots(snaps.view(), h, w).expect("frames");
    hits::plot::sequence::video_frames(&frames).expect("images")
}
let last = data.n_frames() - 1;
Figure::image_grid(rebuild(&modes, &data.raw, &[0, last / 2, last], (h, w)), 3, &["frame 0", "middle frame", "last frame"]).size(1000, 220).show();
'''),
        TRAIN_MD,
        RUN_TABLE1,
        DENORM,
        md('''
## The video, side by side

The truth and every model's frames, rebuilt from the generated coordinates (about 30 frames of
the sequence, evenly spaced).
'''),
        code('''
// plot: truth and each model, frame by frame
let shown: Vec<usize> = (0..data.n_frames()).step_by((data.n_frames() / 30).max(1)).collect();
let mut anim = SideBySide::new().frame_numbers(shown.clone()).delay_ms(200).size(260 * (1 + generated.len()) as u32, 190)
    .column("truth", rebuild(&modes, &data.raw, &shown, (h, w)));
for (m, c) in &generated {
    anim = anim.column(m.as_str(), rebuild(&modes, c, &shown, (h, w)));
}
anim.show();
'''),
        md('''
## A probe pixel

One pixel's red, green and blue values against the frame index, truth and each model.
'''),
        code('''
// plot: the probe pixel's channels over the frames
{
let (pr, pc) = (((h - 1) as f64 * probe.1).round() as usize, ((w - 1) as f64 * probe.0).round() as usize);
let frame_t: Vec<f64> = (0..data.n_frames()).map(|k| k as f64).collect();
let channel = |coords: &Array2<f64>, c: usize| modes.row((pr * w + pc) * 3 + c).dot(coords).to_vec();
let panels: Vec<Axes> = ["red", "green", "blue"].iter().enumerate().map(|(c, name)| {
    let models: Vec<(&str, Vec<f64>)> = generated.iter().map(|(m, co)| (m.as_str(), channel(co, c))).collect();
    seqplot::compare_series(&frame_t, &channel(&data.raw, c), &models).expect("probe").y_label(*name).x_label("frame")
}).collect();
Figure::new().title(format!("pixel (column {pc}, row {pr})")).grid(3, 1).size(900, 600).panels(panels).show();
}
'''),
        *mode_error_cells("picture"),
        *table_cells(),
        md('''
## Try

- Full resolution: unset `HITS_QUICK` (the SVD of 1.5 million pixels x 175 frames takes a while and
  ~2 GB of memory; `downscale = 2` is a good compromise).
- Other nets: `cfg.hits.hidden = vec![256, 128]`, `cfg.hits.steps = vec![1, 2, 4, 8]`.
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
