//! `--device`: `cuda` is strict (exit status 1 before any work when CUDA is not usable), `auto`
//! falls back to the CPU with a notice and trains exactly as `cpu`. Run against the default
//! (CPU-only) build; a `cuda` build needs the GPU machine's driver even to start.

mod cli_common;

use cli_common::*;

/// The message and exit status of a strict `--device cuda` on this build.
fn assert_refused(o: &std::process::Output, what: &str) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(1), "{what}: {t}");
    assert!(
        t.contains("--device cuda") && t.contains("--device auto"),
        "{what}: the message names the flag and the lenient choice: {t}"
    );
    #[cfg(not(feature = "cuda"))]
    assert!(
        t.contains("built without the `cuda` feature") && t.contains("--features cuda"),
        "{what}: {t}"
    );
}

#[test]
fn device_cuda_is_refused_before_any_work_on_a_cpu_build() {
    if hits::stepper::device::cuda_built() {
        hits::testing::skip(
            "device_cuda_is_refused_before_any_work_on_a_cpu_build",
            "this is a `cuda` build; the strict refusal is tested on the CPU build",
        );
        return;
    }
    let root = scratch("device-strict");
    tiny_data(&root.join("data"), 21);
    let o = hits(
        &root,
        &strs(&with(&tiny_train(20, 10), &["--device", "cuda"])),
    );
    assert_refused(&o, "train");
    assert!(!root.join("models").exists(), "train wrote nothing");

    let o = hits(
        &root,
        &["reproduce", "fig2", "--quick", "--cuda", "--out", "res"],
    );
    assert_refused(&o, "reproduce --cuda");
    assert!(!root.join("res").exists(), "reproduce wrote nothing");
    let o = hits(
        &root,
        &[
            "reproduce",
            "fig2",
            "--quick",
            "--device",
            "cuda",
            "--out",
            "res",
        ],
    );
    assert_refused(&o, "reproduce --device cuda");

    let o = hits(
        &root,
        &[
            "forecast",
            "--system",
            "hyperbolic",
            "--device",
            "cuda",
            "--out",
            "fc",
        ],
    );
    assert_refused(&o, "forecast");
    assert!(!root.join("fc").exists(), "forecast wrote nothing");
}

#[test]
fn device_auto_falls_back_to_the_cpu_and_trains_as_cpu_does() {
    if hits::stepper::device::cuda_built() {
        hits::testing::skip(
            "device_auto_falls_back_to_the_cpu_and_trains_as_cpu_does",
            "this is a `cuda` build; `auto` may pick the GPU here",
        );
        return;
    }
    let (a, c) = (scratch("device-auto"), scratch("device-cpu"));
    for root in [&a, &c] {
        tiny_data(&root.join("data"), 21);
    }
    let o = hits(&a, &strs(&with(&tiny_train(20, 10), &["--device", "auto"])));
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("built without the `cuda` feature") && t.contains("running on the CPU"),
        "auto says that it falls back: {t}"
    );
    let o = hits(&c, &strs(&with(&tiny_train(20, 10), &["--device", "cpu"])));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        !text(&o).contains("running on the CPU"),
        "cpu is not a fallback"
    );
    for k in [1, 2] {
        assert_eq!(
            weights(&a.join("models/Hyperbolic"), k),
            weights(&c.join("models/Hyperbolic"), k),
            "step {k}: auto trained on the CPU exactly as cpu"
        );
    }
}

#[test]
fn help_documents_the_three_choices() {
    let root = scratch("device-help");
    for cmd in ["train", "reproduce", "forecast"] {
        let o = hits(&root, &[cmd, "--help"]);
        let t = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(o.status.success(), "{cmd}: {t}");
        assert!(
            t.contains("--device") && t.contains("auto") && t.contains("exit status 1"),
            "{cmd} --help: {t}"
        );
    }
}
