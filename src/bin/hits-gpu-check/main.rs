//! `hits-gpu-check`: the prepared CPU/CUDA check of `tools/gpu_check.sh` (see `tools/gpu_run.md`).
//!
//! Writes ONE JSON file with, each figure beside the same run's CPU figure:
//! - agreement of the CPU and CUDA devices: one forward step of a `[2, 128, 128, 128, 2]`
//!   stepper, 100 training epochs of the batched 11-stepper hierarchy (loss curves), and a
//!   multiscale forecast of 11 steppers ([`agree`]), each with its stated tolerance;
//! - times ([`timing`]): ms per epoch of one stepper `[2, 128, 128, 128, 2]`, of the batched
//!   11-stepper hierarchy and of Table 1's KS HiTS; the 320 x 5120 forecast with 11 steppers.
//!
//! `--dry-run`: the CPU only (every CUDA figure `null`, with the reason), for a test of the
//! program and the script on a machine without a GPU. `--tiny`: small sizes (seconds). Without
//! `--dry-run` a missing CUDA device is an error (exit status 1) after the JSON is written, and
//! so is an agreement outside its tolerance. Data are synthetic (rotations, sinusoids): no
//! files are read, so the binary runs alone on the GPU machine.

mod agree;
mod timing;

use std::path::PathBuf;
use std::time::Instant;

use candle_core::Device;
use hits::stepper::device::{one_thread_per_matmul, select_device, DeviceChoice};
use serde_json::{json, Value};

/// Sizes of one run: the real ones, or tiny ones for tests.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub tiny: bool,
    /// The ODE stepper, `[2, 128, 128, 128, 2]`.
    pub arch: Vec<usize>,
    /// Step sizes of the hierarchy, 1 .. 1024.
    pub steps: Vec<usize>,
    pub n_train: usize,
    pub n_val: usize,
    pub batch: usize,
    pub n_forward: usize,
    /// Epochs of the agreement run (100) and its check interval.
    pub agree_epochs: usize,
    pub agree_every: usize,
    /// Timed epochs: one stepper, the hierarchy, each KS stepper.
    pub epochs_one: usize,
    pub epochs_hierarchy: usize,
    pub epochs_ks: usize,
    /// The forecast: trajectories x steps.
    pub forecast_traj: usize,
    pub forecast_steps: usize,
    /// KS: grid points, frames, and how much narrower than the paper's the nets are.
    pub ks_dim: usize,
    pub ks_frames: usize,
    pub ks_width_divisor: usize,
}

impl Sizes {
    fn new(tiny: bool) -> Sizes {
        if tiny {
            Sizes {
                tiny,
                arch: vec![2, 16, 16, 2],
                steps: vec![1, 2, 4, 8],
                n_train: 40,
                n_val: 10,
                batch: 16,
                n_forward: 3,
                agree_epochs: 20,
                agree_every: 5,
                epochs_one: 5,
                epochs_hierarchy: 5,
                epochs_ks: 3,
                forecast_traj: 8,
                forecast_steps: 64,
                ks_dim: 16,
                ks_frames: 120,
                ks_width_divisor: 64,
            }
        } else {
            Sizes {
                tiny,
                arch: vec![2, 128, 128, 128, 2],
                steps: (0..11).map(|k| 1 << k).collect(),
                n_train: 1600,
                n_val: 320,
                batch: 320,
                n_forward: 5,
                agree_epochs: 100,
                agree_every: 10,
                epochs_one: 300,
                epochs_hierarchy: 100,
                epochs_ks: 10,
                forecast_traj: 320,
                forecast_steps: 5120,
                ks_dim: 512,
                ks_frames: 4001,
                ks_width_divisor: 1,
            }
        }
    }

    fn json(&self) -> Value {
        json!({
            "tiny": self.tiny, "arch": self.arch, "steps": self.steps, "n_train": self.n_train,
            "n_val": self.n_val, "batch": self.batch, "n_forward": self.n_forward,
            "agree_epochs": self.agree_epochs, "agree_every": self.agree_every,
            "epochs_one": self.epochs_one, "epochs_hierarchy": self.epochs_hierarchy,
            "epochs_ks": self.epochs_ks, "forecast": [self.forecast_traj, self.forecast_steps],
            "ks": [self.ks_dim, self.ks_frames, self.ks_width_divisor],
        })
    }
}

/// The two devices of a run: the CPU always, CUDA when asked for and usable.
pub struct Devices {
    pub cpu: Device,
    pub cuda: Option<Device>,
    /// Why there is no CUDA device (when there is none).
    pub no_cuda: Option<String>,
}

struct Args {
    out: PathBuf,
    dry_run: bool,
    tiny: bool,
}

fn parse_args() -> Result<Args, String> {
    let usage = "usage: hits-gpu-check [--dry-run] [--tiny] --out FILE.json";
    let (mut out, mut dry_run, mut tiny) = (None, false, false);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dry-run" => dry_run = true,
            "--tiny" => tiny = true,
            "--out" => out = Some(PathBuf::from(it.next().ok_or(usage)?)),
            "-h" | "--help" => return Err(usage.into()),
            other => return Err(format!("unknown argument {other:?}; {usage}")),
        }
    }
    Ok(Args {
        out: out.ok_or(usage)?,
        dry_run,
        tiny,
    })
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("hits-gpu-check: {e}");
            std::process::exit(2);
        }
    };
    match run(&args) {
        Ok(failures) if failures.is_empty() => {}
        Ok(failures) => {
            for f in failures {
                eprintln!("hits-gpu-check: FAILED: {f}");
            }
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("hits-gpu-check: {e}");
            std::process::exit(1);
        }
    }
}

/// Runs every measurement, writes the JSON; returns what failed (missing CUDA outside a dry
/// run, agreements outside their tolerance).
fn run(args: &Args) -> hits::Result<Vec<String>> {
    let start = Instant::now();
    // Small nets train fastest with one thread per matrix product (the `hits` command's
    // choice); the KS timing lifts it for its wide nets (see timing.rs).
    let threads = one_thread_per_matmul();
    let sizes = Sizes::new(args.tiny);
    let devices = if args.dry_run {
        Devices {
            cpu: Device::Cpu,
            cuda: None,
            no_cuda: Some("dry run: the CPU only".into()),
        }
    } else {
        match select_device(DeviceChoice::Cuda) {
            Ok(d) => Devices {
                cpu: Device::Cpu,
                cuda: Some(d),
                no_cuda: None,
            },
            Err(e) => Devices {
                cpu: Device::Cpu,
                cuda: None,
                no_cuda: Some(e.to_string()),
            },
        }
    };
    let mut failures = Vec::new();
    if let Some(why) = devices.no_cuda.as_ref().filter(|_| !args.dry_run) {
        failures.push(format!("no CUDA device: {why}"));
    }
    eprintln!(
        "hits-gpu-check: {} sizes, CPU {} ({} threads), CUDA: {}",
        if args.tiny { "tiny" } else { "full" },
        cpu_model(),
        threads,
        devices.no_cuda.as_deref().unwrap_or("device 0")
    );
    let agreement = agree::all(&sizes, &devices, &mut failures)?;
    let times = timing::all(&sizes, &devices)?;
    let report = json!({
        "tool": "hits-gpu-check",
        "hits_version": env!("CARGO_PKG_VERSION"),
        "dry_run": args.dry_run,
        "cuda_feature": hits::stepper::device::cuda_built(),
        "host": {"cpu": cpu_model(), "rayon_threads": threads},
        "cuda": {"used": devices.cuda.is_some(), "reason_if_not": devices.no_cuda},
        "sizes": sizes.json(),
        "agreement": agreement,
        "timing": times,
        "failures": failures,
        "seconds": start.elapsed().as_secs_f64(),
    });
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| hits::Error::io(dir, e))?;
    }
    let text = serde_json::to_string_pretty(&report)?;
    std::fs::write(&args.out, text + "\n").map_err(|e| hits::Error::io(&args.out, e))?;
    eprintln!(
        "hits-gpu-check: wrote {} in {:.1} s",
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(failures)
}
