//! Whole-sequence baseline training keeps its state on disk (`BaselineTrainConfig::state_file`)
//! and continues from it exactly: a run stopped and continued twice ends with the same weights,
//! bit for bit, and the same history as one uninterrupted run; a state of another model, other
//! settings or other data is refused with the file named.

use std::collections::HashMap;
use std::path::PathBuf;

use candle_core::{Device, Tensor};
use hits::baselines::state::saved_epoch;
use hits::baselines::{BaselineTrainConfig, CwRnn, CwRnnConfig, Lstm, LstmConfig, TrainHistory};
use ndarray::Array2;

#[allow(dead_code)] // `fixture` is for the files that read fixtures
mod baseline_fixtures;
use baseline_fixtures::circle;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hits-resume-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `epochs` epochs looked at every 20, a high learning rate (the CW-RNN's loss rises between
/// two looks).
fn settings(epochs: usize, state: Option<PathBuf>) -> BaselineTrainConfig {
    BaselineTrainConfig {
        epochs,
        lr: 1.0,
        eval_every: 20,
        state_file: state,
        ..BaselineTrainConfig::paper()
    }
}

fn bits(t: &HashMap<String, Tensor>) -> Vec<(String, Vec<u32>)> {
    let mut v: Vec<(String, Vec<u32>)> = t
        .iter()
        .map(|(k, t)| {
            let x: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
            (k.clone(), x.iter().map(|f| f.to_bits()).collect())
        })
        .collect();
    v.sort();
    v
}

fn without_time(h: &TrainHistory) -> TrainHistory {
    TrainHistory {
        seconds: 0.0,
        ..h.clone()
    }
}

/// Train to 120 epochs in one go, and in three runs (caps 30, 70, 120) sharing one state file:
/// the first two stop between looks, so each continuation replays from the last saved look.
fn check_continued<M>(name: &str, train: impl Fn(&BaselineTrainConfig) -> (M, TrainHistory))
where
    M: Weights,
{
    let (one, h_one) = train(&settings(120, None));
    let dir = scratch(name);
    let state = dir.join("model.state.safetensors");
    for cap in [30, 70] {
        train(&settings(cap, Some(state.clone())));
        // the state is that of the last look before the cap, not of the cap itself
        assert_eq!(saved_epoch(&state).unwrap(), Some(cap / 20 * 20));
    }
    let (three, h_three) = train(&settings(120, Some(state.clone())));
    eprintln!(
        "{name}: looks {:?}: {:?}, kept epoch {:?}",
        h_one.epochs, h_one.loss, h_one.best_epoch
    );
    assert_eq!(without_time(&h_three), without_time(&h_one));
    assert_eq!(bits(&three.weights()), bits(&one.weights()));
    assert_eq!(saved_epoch(&state).unwrap(), Some(120));
    let _ = std::fs::remove_dir_all(&dir);
}

trait Weights {
    fn weights(&self) -> HashMap<String, Tensor>;
}
impl Weights for Lstm {
    fn weights(&self) -> HashMap<String, Tensor> {
        self.tensors()
    }
}
impl Weights for CwRnn {
    fn weights(&self) -> HashMap<String, Tensor> {
        self.tensors()
    }
}

fn lstm(
    seq: &Array2<f64>,
    hidden: usize,
    cfg: &BaselineTrainConfig,
) -> hits::Result<(Lstm, TrainHistory)> {
    Lstm::train(
        seq.view(),
        &LstmConfig { hidden },
        cfg,
        &Device::Cpu,
        &mut |_, _| {},
    )
}

#[test]
fn lstm_training_stopped_twice_and_continued_ends_as_one_uninterrupted_run() {
    let seq = circle(60);
    check_continued("lstm", |cfg| lstm(&seq, 8, cfg).unwrap());
}

#[test]
fn cwrnn_training_stopped_twice_and_continued_ends_as_one_uninterrupted_run() {
    let seq = circle(60);
    let c = CwRnnConfig {
        hidden: 12,
        n_modules: 3,
    };
    check_continued("cwrnn", |cfg| {
        CwRnn::train(seq.view(), &c, cfg, &Device::Cpu, &mut |_, _| {}).unwrap()
    });
}

#[test]
fn a_state_of_other_settings_a_model_or_data_is_refused_naming_the_file() {
    let seq = circle(60);
    let dir = scratch("refuse");
    let state = dir.join("lstm.state.safetensors");
    lstm(&seq, 8, &settings(40, Some(state.clone()))).unwrap();
    assert_eq!(saved_epoch(&state).unwrap(), Some(40));
    let before = std::fs::read(&state).unwrap();

    let other_lr = BaselineTrainConfig {
        lr: 0.01,
        ..settings(80, Some(state.clone()))
    };
    let other_seq = circle(61);
    for (what, err) in [
        ("settings", lstm(&seq, 8, &other_lr).unwrap_err()),
        (
            "a model",
            lstm(&seq, 9, &settings(80, Some(state.clone()))).unwrap_err(),
        ),
        (
            "a sequence",
            lstm(&other_seq, 8, &settings(80, Some(state.clone()))).unwrap_err(),
        ),
        (
            "epoch 40",
            lstm(&seq, 8, &settings(30, Some(state.clone()))).unwrap_err(),
        ),
    ] {
        let msg = err.to_string();
        eprintln!("{msg}");
        assert!(msg.contains(&state.display().to_string()), "{msg}");
        assert!(msg.contains(what), "{what}: {msg}");
    }
    // a refused state is left as it was
    assert_eq!(std::fs::read(&state).unwrap(), before);
    // the cap it was saved at continues to nothing new: the same model again
    let (a, _) = lstm(&seq, 8, &settings(40, Some(state.clone()))).unwrap();
    let (b, _) = lstm(&seq, 8, &settings(40, None)).unwrap();
    assert_eq!(bits(&a.tensors()), bits(&b.tensors()));
    let _ = std::fs::remove_dir_all(&dir);
}
