//! AHiTS's online forecast, side by side with the authors' functions (our faithful PyTorch port
//! of their `src/aHiTs.py`, `tools/ahits_original.py bench`) on the SAME checkpoints, data and
//! tolerances. Run `bash tools/bench_ahits.sh`: it generates the paper-size seed-2 data, runs the
//! port (which picks each case's tolerance and times it) and then this with
//! `cargo bench --bench ahits`, which reads the port's `python_ahits.json`.
//!
//! For every case (Hyperbolic at 0, 1, 5 % noise, Hopf at 0, 2, 10 %; the authors' checkpoints
//! in `../shared/data`), with the port's tolerance: the schedule must be the port's (else the
//! case is reported as not comparable and not timed); then the online forecast
//! ([`Hierarchy::adaptive_forecast`]: each segment's steppers chosen on the validation set, the
//! test set forecast segment by segment) is timed as the best of 3, whole and its test forecast
//! alone, as the port times it. Prints a markdown table with the port's times, the speed-up, and
//! both test MSEs and evaluation counts (which must agree).

use std::path::PathBuf;
use std::time::Instant;

use candle_core::Device;
use hits::data::DataSet;
use hits::forecast::mse;
use hits::hierarchy::Hierarchy;
use hits::SystemKind;
use ndarray::s;
use serde_json::Value;

fn main() -> hits::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bench_dir = std::env::var_os("HITS_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/bench_ahits"));
    let data_root = bench_dir.join("data");
    let python = bench_dir.join("python_ahits.json");
    let text = std::fs::read_to_string(&python).map_err(|e| hits::Error::io(&python, e))?;
    let cases: Vec<Value> = serde_json::from_str(&text)
        .map_err(|e| hits::Error::bad_file(&python, e.to_string()))?;
    let shared = root.join("../shared/data");
    println!(
        "| case | trajectories (val / test) | schedule steps / segments | PyTorch port: online [s] (test forecast) | hits: online [s] (test forecast) | speed-up online (test) | test MSE port / hits | evaluations port / hits |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for case in &cases {
        let field = |k: &str| {
            case.get(k).cloned().ok_or_else(|| {
                hits::Error::bad_file(&python, format!("a case without `{k}`: {case}"))
            })
        };
        let system = field("system")?.as_str().unwrap_or_default().to_string();
        let noise = field("noise")?.as_f64().unwrap_or(f64::NAN);
        let tol = field("tol")?.as_f64().unwrap_or(f64::NAN);
        let kind = SystemKind::from_name(&system)?;
        let problem = kind.problem();
        let data = DataSet::load(&data_root.join(&system), noise)?;
        let models = if noise == 0.0 {
            shared.join("original_models").join(&system)
        } else {
            shared.join("ahits_models").join(&system)
        };
        let hierarchy = Hierarchy::import_original(&models, noise, problem.dt, &Device::Cpu)?;
        let horizon = data.test.dim().1 - 1;
        let schedule = hierarchy.adaptive_schedule(data.val.view(), horizon, tol)?;
        let theirs: Vec<usize> = field("steps_used")?
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_u64()).map(|v| v as usize).collect())
            .unwrap_or_default();
        let name = format!("{system} {} %", noise * 100.0);
        if schedule.steps != theirs {
            println!("| {name} | schedule differs from the port's: not comparable | | | | | | |");
            continue;
        }
        let x0 = data.test.slice(s![.., 0, ..]).to_owned();
        let (mut best, mut best_test, mut out) = (f64::INFINITY, f64::INFINITY, None);
        for _ in 0..3 {
            let t0 = Instant::now();
            let o = hierarchy.adaptive_forecast(&schedule, data.val.view(), x0.view())?;
            best = best.min(t0.elapsed().as_secs_f64());
            best_test = best_test.min(o.seconds);
            out = Some(o);
        }
        let out = out.expect("three runs");
        let ours_mse = mse(out.forecast.view(), data.test.slice(s![.., 1.., ..]))?;
        let (p_online, p_test) = (
            field("seconds")?.as_f64().unwrap_or(f64::NAN),
            field("test_seconds")?.as_f64().unwrap_or(f64::NAN),
        );
        println!(
            "| {name} | {} / {} | {} / {} | {p_online:.3} ({p_test:.3}) | {best:.4} ({best_test:.4}) | {:.1}x ({:.1}x) | {:.4e} / {ours_mse:.4e} | {} / {} |",
            data.val.dim().0,
            data.test.dim().0,
            schedule.steps.len(),
            out.segments.len(),
            p_online / best,
            p_test / best_test,
            field("test_mse")?.as_f64().unwrap_or(f64::NAN),
            field("evaluations")?,
            out.evaluations,
        );
    }
    Ok(())
}
