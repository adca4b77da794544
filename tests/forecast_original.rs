//! Parity with the original PyTorch forecasting functions on the same random nets.
//!
//! Fixture: `tools/.venv/bin/python tools/original_forecast.py fixture tests/fixtures/forecast`
//! (four ResNets [2, 8, 8, 2] with step sizes 1, 2, 4, 8 dt drawn by `torch.manual_seed(0)`, 5
//! initial states, and the original's outputs).

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use hits::forecast::{multiscale_forecast, uni_scale_forecast, Stepper};
use hits::stepper::ResNetStepper;
use hits::Result;
use ndarray::{Array1, Array2, Array3};
use ndarray_npy::read_npy;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/forecast")
        .join(name)
}

fn net(step: usize) -> Result<ResNetStepper> {
    let mut layers = Vec::new();
    for i in 0..3 {
        let w: Array2<f32> =
            read_npy(fixture(&format!("D{step}_W{i}.npy"))).expect("fixture weight");
        let b: Array1<f32> = read_npy(fixture(&format!("D{step}_b{i}.npy"))).expect("fixture bias");
        let (o, n) = w.dim();
        let w = Tensor::from_vec(
            w.iter().copied().collect::<Vec<f32>>(),
            (o, n),
            &Device::Cpu,
        )?;
        let b = Tensor::from_vec(b.to_vec(), o, &Device::Cpu)?;
        layers.push((w, b));
    }
    ResNetStepper::from_layers(layers, step, 0.01)
}

fn x0() -> Result<Array2<f64>> {
    let x: Array2<f32> = read_npy(fixture("x0.npy")).expect("fixture x0");
    Ok(x.mapv(f64::from))
}

fn original(name: &str) -> Array3<f64> {
    let a: Array3<f32> = read_npy(fixture(name)).expect("fixture output");
    a.mapv(f64::from)
}

fn max_abs_diff(a: &Array3<f64>, b: &Array3<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    (a - b).mapv(f64::abs).fold(0.0, |m, &v| m.max(v))
}

#[test]
fn multiscale_matches_the_original_vectorized_forecast() -> Result<()> {
    let nets: Vec<ResNetStepper> = [1, 2, 4, 8]
        .iter()
        .map(|&s| net(s))
        .collect::<Result<_>>()?;
    let all: Vec<&dyn Stepper> = nets.iter().map(|n| n as &dyn Stepper).collect();
    let ours = multiscale_forecast(&all, x0()?.view(), 50)?;
    let diff = max_abs_diff(&ours, &original("multiscale_1_2_4_8_n50.npy"));
    assert!(
        diff < 1e-6,
        "steps 1, 2, 4, 8: max |ours - original| = {diff}"
    );

    // n = 47: the original's virtual last interval [40, 48) is filled by the 2-dt net, whose
    // tail step then gives step 48 (not the 8-dt net), and step 47 interpolates towards it.
    let some = [&nets[3] as &dyn Stepper, &nets[1]]; // any order
    let ours = multiscale_forecast(&some, x0()?.view(), 47)?;
    let diff = max_abs_diff(&ours, &original("multiscale_2_8_n47.npy"));
    assert!(diff < 1e-6, "steps 2, 8: max |ours - original| = {diff}");
    Ok(())
}

#[test]
fn uni_scale_matches_the_original_except_its_misplaced_start() -> Result<()> {
    let net4 = net(4)?;
    let ours = uni_scale_forecast(&net4, x0()?.view(), 30)?;
    let theirs = original("uniscale_4_n30.npy");
    // From output index 3 (step 4) on, both interpolate the same rollout.
    let tail = max_abs_diff(
        &ours.slice(ndarray::s![.., 3.., ..]).to_owned(),
        &theirs.slice(ndarray::s![.., 3.., ..]).to_owned(),
    );
    assert!(tail < 1e-6, "max |ours - original| from step 4 = {tail}");
    // Before, the original puts x0 at output index 0 (time dt): its first output IS x0.
    let x0 = x0()?.insert_axis(ndarray::Axis(1));
    for i in 0..5 {
        for d in 0..2 {
            assert!(
                (theirs[[i, 0, d]] - x0[[i, 0, d]]).abs() < 1e-7,
                "the original's first output is x0"
            );
            assert!(
                (ours[[i, 0, d]] - x0[[i, 0, d]]).abs() > 1e-6,
                "ours is a quarter of the way to x(4)"
            );
        }
    }
    Ok(())
}
