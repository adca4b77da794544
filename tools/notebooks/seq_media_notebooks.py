"""The Bach and Flower notebooks (media: audio players, video frames); see seq_notebooks.py."""

from nbcells import code, md
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
    MAKE_BACH,
    MAKE_FLOWER,
)


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
