//! Helpers of the reliability tests: scratch folders, tiny data sets, running the `hits`
//! binary, comparing folders byte for byte.
//!
//! `HITS_TEST_BIN=/path/to/hits` runs the CLI tests against another build (e.g. an older
//! commit, to see which of them fail there).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hits::data::{DataSet, DataSetMeta};
use hits::stepper::{ResNetStepper, StepperMeta};
use ndarray::Array3;

/// The `hits` binary under test.
pub fn hits_bin() -> PathBuf {
    std::env::var_os("HITS_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_hits")))
}

/// A fresh, empty folder under the system temp dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hits-rel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `hits <args>` in `cwd`, with a fixed umask of 022 and one rayon thread per core of a
/// 2-core machine (so runs are comparable), output captured.
pub fn hits(cwd: &Path, args: &[&str]) -> Output {
    command(cwd, args).output().expect("hits runs")
}

/// The command of [`hits`], not started.
pub fn command(cwd: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(hits_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("HITS_QUICK")
        .env("RAYON_NUM_THREADS", "2")
        .stdin(Stdio::null());
    c
}

/// The arguments of [`generate`] before its extra ones.
pub const GENERATE: [&str; 6] = [
    "generate",
    "--system",
    "hyperbolic",
    "--quick",
    "--out",
    "data",
];

/// `hits generate --system hyperbolic --quick --out data <extra>` in `root`.
pub fn generate(root: &Path, extra: &[&str]) -> Output {
    let mut args = GENERATE.to_vec();
    args.extend_from_slice(extra);
    hits(root, &args)
}

/// stdout + stderr of a run, for messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Trajectories of a rotation `[n, points, 2]` (finite, smooth), from a small LCG.
pub fn rotations(n: usize, points: usize, seed: u64) -> Array3<f64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut u = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut a = Array3::zeros((n, points, 2));
    for i in 0..n {
        let (r, phi) = (0.5 + u(), 6.0 * u());
        for k in 0..points {
            let t = 0.05 * k as f64 + phi;
            a[[i, k, 0]] = r * t.sin();
            a[[i, k, 1]] = r * t.cos();
        }
    }
    a
}

/// A small Hyperbolic-named data set (dt 0.01, dim 2) of `points` points per trajectory at
/// noise 0.0 under `<root>/Hyperbolic/`, with `dataset.json`; returns its folder.
pub fn tiny_data(root: &Path, points: usize) -> PathBuf {
    let dir = root.join("Hyperbolic");
    let data = DataSet::new(
        rotations(24, points, 1),
        rotations(8, points, 2),
        rotations(8, points, 3),
    )
    .unwrap();
    data.save(
        &dir,
        0.0,
        &DataSetMeta::new("Hyperbolic", 0.01, "test rotations"),
    )
    .unwrap();
    dir
}

/// The arguments of a tiny `hits train` run on [`tiny_data`] under `root`: steps 1 and 2,
/// net [2, 8, 2], `epochs` epochs with a check every `every`.
pub fn tiny_train(epochs: usize, every: usize) -> Vec<String> {
    [
        "train",
        "--system",
        "hyperbolic",
        "--data",
        "data",
        "--out",
        "models",
        "--step-sizes",
        "1,2",
        "--arch",
        "2,8,2",
        "--batch",
        "8",
        "--n-forward",
        "3",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        "--epochs".to_string(),
        epochs.to_string(),
        "--eval-every".to_string(),
        every.to_string(),
    ])
    .collect()
}

/// `args` as `&str`s.
pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Every file under `dir` (recursive, hidden ones included) with its bytes, except the
/// folder locks `.hits.lock` (empty files that exist once a command has written the folder).
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.file_name().is_some_and(|n| n == ".hits.lock") {
                continue;
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Assert `dir` holds exactly the files of `before` with the same bytes; names what differs.
pub fn assert_unchanged(before: &BTreeMap<String, Vec<u8>>, dir: &Path, what: &str) {
    let now = tree(dir);
    let changed: Vec<&String> = before
        .keys()
        .chain(now.keys())
        .filter(|k| before.get(*k) != now.get(*k))
        .collect();
    assert!(
        changed.is_empty(),
        "{what}: changed in {}: {changed:?}",
        dir.display()
    );
}

/// Assert two folders hold the same files with the same bytes; names the first difference.
pub fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let (na, nb): (Vec<&String>, Vec<&String>) = (ta.keys().collect(), tb.keys().collect());
    assert_eq!(
        na,
        nb,
        "file lists differ: {} vs {}",
        a.display(),
        b.display()
    );
    for (k, v) in &ta {
        assert!(
            *v == tb[k],
            "{k} differs between {} and {} ({} vs {} bytes)",
            a.display(),
            b.display(),
            v.len(),
            tb[k].len()
        );
    }
}

/// A tiny deterministic random stream for kill moments.
pub struct Lcg(pub u64);

impl Lcg {
    /// Uniform in `[0, 1)`.
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Files whose names look like temporary files (hidden, `.tmp` or `hits-tmp` in them).
pub fn temp_files(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_keys()
        .filter(|k| {
            let name = k.rsplit('/').next().unwrap_or(k);
            name.starts_with('.') && (name.contains(".tmp") || name.contains("hits-tmp"))
        })
        .collect()
}

/// Models of a tiny finished run (20 epochs, checks every 10) under `root/models/Hyperbolic`.
pub fn trained(root: &Path) -> std::path::PathBuf {
    tiny_data(&root.join("data"), 21);
    let o = hits(root, &strs(&tiny_train(20, 10)));
    assert!(o.status.success(), "{}", text(&o));
    root.join("models/Hyperbolic")
}

pub fn meta(dir: &Path, k: usize) -> StepperMeta {
    let text = std::fs::read_to_string(dir.join(format!("model_D{k}_noise0.0.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn weights(dir: &Path, k: usize) -> Vec<Vec<f32>> {
    let s = ResNetStepper::load(
        &dir.join(format!("model_D{k}_noise0.0.safetensors")),
        &candle_core::Device::Cpu,
    )
    .unwrap();
    s.layers()
        .iter()
        .flat_map(|(w, b)| {
            [
                w.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                b.to_vec1::<f32>().unwrap(),
            ]
        })
        .collect()
}

/// `args` with `extra` flags: a flag already there gets the new value, others are appended.
pub fn with(args: &[String], extra: &[&str]) -> Vec<String> {
    let mut out = args.to_vec();
    let mut i = 0;
    while i < extra.len() {
        let flag = extra[i];
        let value = extra.get(i + 1).filter(|v| !v.starts_with("--"));
        match (out.iter().position(|a| a == flag), value) {
            (Some(at), Some(v)) => out[at + 1] = v.to_string(),
            (Some(_), None) => {}
            (None, v) => {
                out.push(flag.to_string());
                out.extend(v.map(|v| v.to_string()));
            }
        }
        i += 1 + value.is_some() as usize;
    }
    out
}
