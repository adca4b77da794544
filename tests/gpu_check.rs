//! `tools/gpu_check.sh --dry-run --tiny`: the prepared GPU check runs here, on the CPU only, and
//! writes its JSON with every CPU figure filled and every CUDA figure null with the reason (so
//! the script and its program are tested before a GPU machine is lent).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn dry_run(out: &Path) -> (std::process::Output, Value) {
    let _ = std::fs::remove_dir_all(out);
    let o = Command::new("bash")
        .arg(repo().join("tools/gpu_check.sh"))
        .args(["--dry-run", "--tiny", "--out"])
        .arg(out)
        .arg("--bin")
        .arg(env!("CARGO_BIN_EXE_hits-gpu-check"))
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .expect("bash runs");
    let text = std::fs::read_to_string(out.join("gpu_check.json")).unwrap_or_else(|e| {
        panic!(
            "no gpu_check.json ({e}); stderr:\n{}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o, serde_json::from_str(&text).expect("valid JSON"))
}

#[test]
fn the_dry_run_fills_every_cpu_figure_and_says_why_cuda_is_missing() {
    let out = std::env::temp_dir().join(format!("hits-gpu-check-{}", std::process::id()));
    let (o, j) = dry_run(&out);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{log}");
    assert_eq!(j["dry_run"], true);
    assert_eq!(j["cuda"]["used"], false);
    assert!(
        j["cuda"]["reason_if_not"]
            .as_str()
            .is_some_and(|r| r.contains("dry run")),
        "{j}"
    );
    assert_eq!(j["failures"], serde_json::json!([]), "{j}");
    // agreements: CPU only, so no verdict; the fused CPU forward agrees with candle's
    for k in ["forward_step", "training", "multiscale_forecast"] {
        let a = &j["agreement"][k]["cpu_vs_cuda"];
        assert!(a["pass"].is_null() && a["rel_diff"].is_null(), "{k}: {a}");
        assert!(a["tolerance_rel"].as_f64().is_some_and(|t| t > 0.0), "{k}");
    }
    let fused = &j["agreement"]["forward_step"]["candle_cpu_vs_fused_cpu"];
    assert_eq!(fused["pass"], true, "{fused}");
    // the loss curves: one per stepper, a finite (epoch, train, val) every check
    let curves = j["agreement"]["training"]["cpu"]
        .as_array()
        .expect("curves");
    let sizes = &j["sizes"];
    assert_eq!(curves.len(), sizes["steps"].as_array().unwrap().len());
    let checks = sizes["agree_epochs"].as_u64().unwrap() / sizes["agree_every"].as_u64().unwrap();
    for c in curves {
        let h = c["history"].as_array().unwrap();
        assert_eq!(h.len() as u64, checks, "{c}");
        assert!(h.iter().all(|p| p[1].as_f64().is_some_and(f64::is_finite)
            && p[2].as_f64().is_some_and(f64::is_finite)));
    }
    // four timings, each with a positive CPU figure and a null CUDA one
    let times = j["timing"].as_array().expect("timings");
    assert_eq!(times.len(), 4, "{j}");
    for t in times {
        assert!(t["cpu"].as_f64().is_some_and(|v| v > 0.0), "{t}");
        assert!(t["cuda"].is_null() && t["cpu_over_cuda"].is_null(), "{t}");
    }
    assert!(out.join("gpu_check.log").exists());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_script_refuses_missing_arguments() {
    let o = Command::new("bash")
        .arg(repo().join("tools/gpu_check.sh"))
        .arg("--dry-run")
        .output()
        .expect("bash runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out DIR is required"));
}
