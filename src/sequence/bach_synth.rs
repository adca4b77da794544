//! A SYNTHETIC stand-in for the recording `C_major.wav` of the Bach experiment.
//!
//! The paper's recording is not redistributable, so without the user's file `hits` renders the
//! opening of the Fugue in C major, BWV 846 (Well-Tempered Clavier I), from the score:
//!
//! * bars 1-3, 4/4, tempo quarter = 66 (a bar lasts 3.64 s): the alto states the subject
//!   (eighth rest, C D E F. G/F E A | D G~ ...) from bar 1; the soprano answers on G from the
//!   last eighth-beat of bar 2 and continues into bar 3. The notes are [`NOTES`].
//! * each note is a sum of 8 partials `k = 1..8` at `k f0 sqrt(1 + B k^2)` (string
//!   inharmonicity `B = 2e-4`), amplitude `k^-1.2`, each decaying as `exp(-t k / 1.2 s)`;
//!   a 4 ms linear attack and, at the note's end, a damper release `exp(-t / 40 ms)`
//!   (cut after 0.3 s). Equal temperament, A4 = 440 Hz, zero initial phases.
//! * the mix is scaled to a peak of 0.5.
//!
//! The paper's cut (2 s from sample 33750 at 22050 Hz, i.e. 1.531 s .. 3.531 s) then covers
//! the subject's D E F G F E A in the alto: real notes of the piece, but a synthetic timbre,
//! no room, no performer's timing. Results on it are labelled synthetic.

use std::f64::consts::PI;

/// One-line description stored with the data (`meta.json`) and printed by the CLI.
pub const DESCRIPTION: &str =
    "BWV 846 fugue bars 1-3 (alto subject, soprano answer) rendered from \
the score at quarter = 66 with 8 inharmonic decaying partials per note; not a recording";

/// Tempo in quarter notes per minute.
pub const TEMPO_QPM: f64 = 66.0;

/// A note: start and duration in 32nd notes from the start of bar 1, MIDI pitch (60 = C4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Note {
    /// Onset, in 32nd notes.
    pub start: u32,
    /// Duration, in 32nd notes.
    pub len: u32,
    /// MIDI note number.
    pub pitch: u8,
}

const fn n(start: u32, len: u32, pitch: u8) -> Note {
    Note { start, len, pitch }
}

/// Bars 1-3 of the fugue (32 units per bar). Alto: bar 1 from unit 4 (after an eighth rest);
/// soprano: from unit 52 (bar 2, last three eighths).
pub const NOTES: &[Note] = &[
    // alto, bar 1: (r8) C8 D8 E8 F8. G32 F32 E8 A8
    n(4, 4, 60),
    n(8, 4, 62),
    n(12, 4, 64),
    n(16, 6, 65),
    n(22, 1, 67),
    n(23, 1, 65),
    n(24, 4, 64),
    n(28, 4, 69),
    // alto, bar 2: D8 G8~G16 A16 G F E F E D C D C B3
    n(32, 4, 62),
    n(36, 6, 67),
    n(42, 2, 69),
    n(44, 2, 67),
    n(46, 2, 65),
    n(48, 2, 64),
    n(50, 2, 65),
    n(52, 2, 64),
    n(54, 2, 62),
    n(56, 2, 60),
    n(58, 2, 62),
    n(60, 2, 60),
    n(62, 2, 59),
    // alto, bar 3: A3 8 F#4 8 G4 4~8 F#16 E16 F#8 D8
    n(64, 4, 57),
    n(68, 4, 66),
    n(72, 12, 67),
    n(84, 2, 66),
    n(86, 2, 64),
    n(88, 4, 66),
    n(92, 4, 62),
    // soprano, bar 2: (r2 r8) G4 A4 B4
    n(52, 4, 67),
    n(56, 4, 69),
    n(60, 4, 71),
    // soprano, bar 3: C5 8. D32 C32 B8 E8 A4 8 D5 8~16 E16 D16 C16
    n(64, 6, 72),
    n(70, 1, 74),
    n(71, 1, 72),
    n(72, 4, 71),
    n(76, 4, 76),
    n(80, 4, 69),
    n(84, 6, 74),
    n(90, 2, 76),
    n(92, 2, 74),
    n(94, 2, 72),
];

const N_PARTIALS: usize = 8;
const INHARMONICITY: f64 = 2e-4;
const DECAY_S: f64 = 1.2;
const ATTACK_S: f64 = 0.004;
const RELEASE_S: f64 = 0.040;
const RELEASE_CUT_S: f64 = 0.3;

/// Seconds per 32nd note at [`TEMPO_QPM`].
pub fn unit_seconds() -> f64 {
    60.0 / TEMPO_QPM / 8.0
}

/// Render [`NOTES`] at `sample_rate` Hz (about 11.2 s), peak 0.5.
pub fn synthesize(sample_rate: u32) -> Vec<f64> {
    let sr = f64::from(sample_rate);
    let unit = unit_seconds();
    let end_units = NOTES.iter().map(|n| n.start + n.len).max().unwrap_or(0);
    let total = ((f64::from(end_units) * unit + RELEASE_CUT_S) * sr).ceil() as usize;
    let mut out = vec![0.0; total];
    for note in NOTES {
        let f0 = 440.0 * 2f64.powf((f64::from(note.pitch) - 69.0) / 12.0);
        let onset = f64::from(note.start) * unit;
        let dur = f64::from(note.len) * unit;
        let first = (onset * sr).round() as usize;
        let last = (((onset + dur + RELEASE_CUT_S) * sr).round() as usize).min(total);
        for (i, sample) in out.iter_mut().enumerate().take(last).skip(first) {
            let t = i as f64 / sr - onset;
            let attack = (t / ATTACK_S).min(1.0);
            let release = if t > dur {
                (-(t - dur) / RELEASE_S).exp()
            } else {
                1.0
            };
            let tone: f64 = (1..=N_PARTIALS)
                .map(|k| {
                    let k = k as f64;
                    let fk = k * f0 * (1.0 + INHARMONICITY * k * k).sqrt();
                    k.powf(-1.2) * (-t * k / DECAY_S).exp() * (2.0 * PI * fk * t).sin()
                })
                .sum();
            *sample += attack * release * tone;
        }
    }
    let peak = out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if peak > 0.0 {
        out.iter_mut().for_each(|v| *v *= 0.5 / peak);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bar_adds_up_to_four_quarters() {
        // alto: bars 1-3 are filled after the opening eighth rest
        let alto: u32 = NOTES[..28].iter().map(|n| n.len).sum();
        assert_eq!(alto + 4, 3 * 32);
        // notes of one voice follow each other without gaps or overlaps
        for voice in [&NOTES[..28], &NOTES[28..]] {
            for w in voice.windows(2) {
                assert_eq!(w[0].start + w[0].len, w[1].start, "{:?}", w);
            }
        }
        let soprano_end = NOTES[28..].last().map(|n| n.start + n.len);
        assert_eq!(soprano_end, Some(96));
    }

    #[test]
    fn the_paper_cut_falls_on_sounding_notes() {
        let sr = 22050;
        let audio = synthesize(sr);
        assert!(audio.len() > 33750 + 44100);
        let cut = &audio[33750..33750 + 44100];
        let rms = (cut.iter().map(|v| v * v).sum::<f64>() / cut.len() as f64).sqrt();
        assert!(rms > 0.05, "rms {rms}");
        let peak = audio.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!((peak - 0.5).abs() < 1e-12);
    }
}
