"""Cells shared by the sequence-generation notebooks (see seq_notebooks.py)."""

from nbcells import code, md

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
