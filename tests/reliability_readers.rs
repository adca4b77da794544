//! Readers that cannot be made to panic, hang or exhaust memory (issue 26).
//!
//! One test per kind of hostile input (a FIFO named like a data file, a `.npy` header whose
//! shape overflows or that two parsers read differently, a checkpoint with a NaN weight, an
//! architecture too big for the machine), and a randomized test: thousands of mutated real
//! files (a `.npy` written by the crate, a checkpoint and its JSON, the committed `.pt`
//! fixtures, a `dataset.json` written by `DataSet::save`, a sweep plan written by
//! `Plan::save`) fed to every reader of each, under a seeded generator (reproducible), each
//! case in `catch_unwind`: no panic, no hang (a watchdog aborts naming the case), no
//! allocation over 1 GiB (the test's allocator refuses it naming the case), and every failure
//! an error whose text names the file.

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use candle_core::Device;
use hits::data::npy::{
    read_array3, read_array3_hashed, read_float_array3, read_shape, write_array_atomic,
};
use hits::data::{DataSet, DataSetMeta};
use hits::stepper::{load_hierarchy, ResNetStepper, StepperMeta};
use hits::sweep::build::all_ode;
use hits::sweep::{Plan, Settings};
use hits::SystemKind;
use ndarray::Array3;

// ---------------------------------------------------------------------------------------
// An allocator that refuses any single allocation over 1 GiB, naming the running case.

const MAX_ALLOC: usize = 1 << 30;
static CASE: AtomicU64 = AtomicU64::new(u64::MAX);
static CASE_START_MS: AtomicU64 = AtomicU64::new(0);

struct Capped;

fn refuse(size: usize) {
    use std::io::Write;
    let mut buf = [0u8; 160];
    let mut w = &mut buf[..];
    let case = CASE.load(Ordering::Relaxed);
    let _ = write!(
        w,
        "\nreliability_readers: an allocation of {size} bytes (case {case}); refused\n"
    );
    let n = 160 - w.len();
    let _ = std::io::stderr().write_all(&buf[..n]);
}

// SAFETY: every call is forwarded to the system allocator, or refused with a null pointer
// (which the standard library turns into an allocation-failure abort).
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOC {
            refuse(layout.size());
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOC {
            refuse(layout.size());
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ALLOC {
            refuse(new_size);
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Capped = Capped;

// ---------------------------------------------------------------------------------------
// Helpers.

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hits_readers_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch")
}

/// Run `f` on another thread; `None` when it has not returned within `secs` (a hang).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs)).ok()
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A tiny stepper saved as `dir/model_D1_noise0.0.{safetensors,json}`.
fn save_checkpoint(dir: &Path) -> PathBuf {
    let s = ResNetStepper::new(&[2, 8, 2], 1, 0.01, 3, &Device::Cpu).unwrap();
    let meta = StepperMeta::new(&s, Some("Hyperbolic"), 0.0);
    let stem = hits::stepper::checkpoint_stem(dir, 1, 0.0);
    s.save(&stem, &meta).unwrap();
    stem
}

fn trajectories(seed: u64, shape: (usize, usize, usize)) -> Array3<f64> {
    let mut rng = Rng(seed);
    Array3::from_shape_fn(shape, |_| rng.unit() * 2.0 - 1.0)
}

// ---------------------------------------------------------------------------------------
// One test per kind.

/// A FIFO named like a data file or a checkpoint is refused at once, naming it (before:
/// `hits train` waited forever on `train_noise0.0.npy`).
#[cfg(unix)]
#[test]
fn fifos_named_like_data_files_are_refused() {
    let dir = scratch("fifo");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let npy = data.join("train_noise0.0.npy");
    if !mkfifo(&npy) {
        eprintln!("skipping: mkfifo not available");
        return;
    }
    let p = npy.clone();
    let e = within(20, move || {
        read_array3(&p).map(|_| ()).map_err(|e| e.to_string())
    })
    .expect("read_array3 hung on a FIFO")
    .unwrap_err();
    assert!(
        e.contains("train_noise0.0.npy") && e.contains("FIFO"),
        "{e}"
    );
    let p = npy.clone();
    let e = within(20, move || {
        read_shape(&p).map(|_| ()).map_err(|e| e.to_string())
    })
    .expect("read_shape hung on a FIFO")
    .unwrap_err();
    assert!(e.contains("FIFO"), "{e}");
    let d = data.clone();
    let e = within(20, move || {
        DataSet::load(&d, 0.0)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .expect("DataSet::load hung on a FIFO")
    .unwrap_err();
    assert!(e.contains("train_noise0.0.npy"), "{e}");

    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let st = models.join("model_D2_noise0.0.safetensors");
    assert!(mkfifo(&st));
    let p = st.clone();
    let e = within(20, move || {
        ResNetStepper::load(&p, &Device::Cpu)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .expect("a checkpoint load hung on a FIFO")
    .unwrap_err();
    assert!(
        e.contains("model_D2_noise0.0.safetensors") && e.contains("FIFO"),
        "{e}"
    );
    // a FIFO as the JSON sidecar of a checkpoint without a copy inside
    let stem = save_checkpoint(&dir);
    let json = hits::stepper::checkpoint::with_suffix(&stem, ".json");
    std::fs::remove_file(&json).unwrap();
    assert!(mkfifo(&json));
    let p = stem.clone();
    let r = within(20, move || {
        ResNetStepper::load(&p, &Device::Cpu)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .expect("a checkpoint load hung on a FIFO sidecar");
    if let Err(e) = r {
        assert!(e.contains("model_D1_noise0.0"), "{e}");
    }
    // a folder named like a data file
    let folder = dir.join("x.npy");
    std::fs::create_dir_all(&folder).unwrap();
    let e = read_array3(&folder).unwrap_err().to_string();
    assert!(e.contains("x.npy") && e.contains("folder"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `.npy` headers: a shape whose product overflows, a shape bigger than the file, and a header
/// two parsers would read differently (a key given twice) are errors naming the file and the
/// shape, before anything is allocated (before: the duplicate key made the reader allocate
/// what the second shape announced).
#[test]
fn npy_headers_are_checked_before_allocating() {
    let dir = scratch("npy");
    let header = |dict: &str, data: usize| {
        let mut d = dict.to_string();
        while !(10 + d.len() + 1).is_multiple_of(64) {
            d.push(' ');
        }
        d.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(d.len() as u16).to_le_bytes());
        b.extend_from_slice(d.as_bytes());
        b.extend(std::iter::repeat_n(0u8, data));
        b
    };
    let cases = [
        (
            "overflow",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
            8,
            vec!["4294967296"],
        ),
        (
            "bigger",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000, 1000), }",
            64,
            vec!["[1000, 1000, 1000]", "bytes"],
        ),
        (
            "twice",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), 'shape': (100000000000,), }",
            8,
            vec!["'shape' given more than once"],
        ),
        (
            "usize",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551615, 2, 1), }",
            8,
            vec!["18446744073709551615"],
        ),
    ];
    for (tag, dict, data, want) in cases {
        let p = dir.join(format!("{tag}.npy"));
        std::fs::write(&p, header(dict, data)).unwrap();
        for (reader, r) in [
            ("read_array3", read_array3(&p).map(|_| ())),
            ("read_float_array3", read_float_array3(&p).map(|_| ())),
            ("read_shape", read_shape(&p).map(|_| ())),
        ] {
            let e = r.unwrap_err().to_string();
            assert!(
                e.contains(&format!("{tag}.npy")) && want.iter().all(|w| e.contains(w)),
                "{tag} {reader}: {e}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A NaN or inf weight in a safetensors checkpoint is an error naming the tensor and the file
/// (before: the checkpoint loaded, and a NaN in a hidden layer gave a finite, wrong MSE).
#[test]
fn non_finite_weights_in_checkpoints_are_refused() {
    let dir = scratch("nan");
    for (tag, layer, value) in [("nan", 0, f32::NAN), ("inf", 1, f32::INFINITY)] {
        let sub = dir.join(tag);
        let s = ResNetStepper::new(&[2, 8, 2], 1, 0.01, 3, &Device::Cpu).unwrap();
        let mut layers: Vec<_> = s.layers().to_vec();
        let (w, b) = &layers[layer];
        let mut v: Vec<f32> = w.flatten_all().unwrap().to_vec1().unwrap();
        v[3] = value;
        let w = candle_core::Tensor::from_vec(v, w.dims(), &Device::Cpu).unwrap();
        layers[layer] = (w, b.clone());
        let bad = ResNetStepper::from_layers(layers, 1, 0.01).unwrap();
        let meta = StepperMeta::new(&bad, Some("Hyperbolic"), 0.0);
        bad.save(&hits::stepper::checkpoint_stem(&sub, 1, 0.0), &meta)
            .unwrap();
        let e = ResNetStepper::load(&sub.join("model_D1_noise0.0.safetensors"), &Device::Cpu)
            .unwrap_err()
            .to_string();
        let tensor = format!("increment.Linear_{layer}.weight");
        assert!(
            e.contains("model_D1_noise0.0.safetensors")
                && e.contains(&tensor)
                && e.contains("finite"),
            "{tag}: {e}"
        );
        let e = load_hierarchy(&sub, 0.0, &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(e.contains(&tensor), "{tag}: {e}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// An architecture too big for the machine is an error with the estimate and the limit,
/// before anything is allocated (before: `--arch 2,100000000,2` allocated until the machine
/// killed it; here the test's allocator would abort).
#[test]
fn architectures_too_big_for_the_machine_are_refused() {
    use hits::stepper::resnet::{memory_limit, training_memory_estimate};
    let limit = memory_limit();
    for arch in [
        vec![2, 100_000_000, 2],
        vec![2, 1 << 20, 1 << 20, 2],
        vec![2, usize::MAX / 2, 2],
    ] {
        let e = ResNetStepper::new(&arch, 1, 0.01, 0, &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("arch") && e.contains(&limit.bytes.to_string()),
            "{arch:?}: {e}"
        );
        if let Some(need) = training_memory_estimate(&arch) {
            assert!(need > limit.bytes && e.contains(&need.to_string()), "{e}");
        }
    }
    assert_eq!(
        training_memory_estimate(&[2, 100_000_000, 2]),
        Some(8_000_000_032)
    );
    // ordinary sizes are untouched
    ResNetStepper::new(&[3, 128, 128, 128, 3], 1, 0.01, 0, &Device::Cpu).unwrap();
}

// ---------------------------------------------------------------------------------------
// The randomized test.

/// SplitMix64: a small seeded generator (the cases are the same on every run).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const EXTREMES: [&str; 14] = [
    "0",
    "-1",
    "1",
    "255",
    "65536",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "99999999999999999999999",
    "1e308",
    "-1e308",
    "NaN",
    "null",
    "\"\"",
];

/// One random mutation of `b`: bits flipped, bytes set, cut, extended, a piece deleted or
/// repeated, or (in text) a number replaced by an extreme value.
fn mutate(rng: &mut Rng, b: &[u8]) -> Vec<u8> {
    let mut b = b.to_vec();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        let len = b.len();
        match rng.below(9) {
            0 if len > 0 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(len);
                    b[i] ^= 1 << rng.below(8);
                }
            }
            1 if len > 0 => {
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(len);
                    b[i] = *rng.pick(&[0u8, 0xff, 0x7f, 0x80, b'(', b'\n', b'.', b'Q']);
                }
            }
            2 => b.truncate(rng.below(len + 1)),
            3 => {
                let n = 1 + rng.below(200);
                let fill = rng.below(2) == 0;
                for _ in 0..n {
                    b.push(if fill { 0 } else { rng.next() as u8 });
                }
            }
            4 if len > 1 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                b.drain(i..i + n);
            }
            5 if len > 1 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let piece = b[i..i + n].to_vec();
                let at = rng.below(len);
                let times = 1 + rng.below(8);
                for _ in 0..times {
                    b.splice(at..at, piece.iter().cloned());
                }
            }
            _ => {
                // a run of digits replaced by an extreme value
                let runs: Vec<(usize, usize)> = {
                    let mut v = Vec::new();
                    let mut i = 0;
                    while i < b.len() {
                        if b[i].is_ascii_digit() {
                            let s = i;
                            while i < b.len() && b[i].is_ascii_digit() {
                                i += 1;
                            }
                            v.push((s, i));
                        }
                        i += 1;
                    }
                    v
                };
                if let Some(&(s, e)) = (!runs.is_empty()).then(|| rng.pick(&runs)) {
                    let with = rng.pick(&EXTREMES).as_bytes().to_vec();
                    b.splice(s..e, with);
                } else if len > 0 {
                    let i = rng.below(len);
                    b[i] = rng.next() as u8;
                }
            }
        }
    }
    b
}

/// A `.npy` with its header dict rewritten: shapes, descriptors and orders a header may claim.
fn mutate_npy_header(rng: &mut Rng, b: &[u8]) -> Vec<u8> {
    let len = u16::from_le_bytes([b[8], b[9]]) as usize;
    let body = &b[10 + len..];
    let dims = [
        "0",
        "1",
        "2",
        "3",
        "5",
        "7",
        "1000",
        "4294967296",
        "9223372036854775807",
        "18446744073709551615",
        "-1",
        "x",
    ];
    let n = rng.below(5);
    let shape: Vec<&str> = (0..n).map(|_| *rng.pick(&dims)).collect();
    let descr = rng.pick(&[
        "<f8", ">f8", "<f4", ">f4", "|u1", "<i8", "<c16", "f8", "<U8",
    ]);
    let order = rng.pick(&["False", "True", "1", "None"]);
    let mut dict = format!(
        "{{'descr': '{descr}', 'fortran_order': {order}, 'shape': ({}{}), }}",
        shape.join(", "),
        if n == 1 { "," } else { "" }
    );
    if rng.below(4) == 0 {
        dict = String::from_utf8_lossy(&mutate(rng, dict.as_bytes())).into_owned();
    }
    let mut d = dict.into_bytes();
    while !(10 + d.len() + 1).is_multiple_of(64) {
        d.push(b' ');
    }
    d.push(b'\n');
    let mut out = b[..8].to_vec();
    let claimed = if rng.below(8) == 0 {
        rng.next() as u16
    } else {
        d.len() as u16
    };
    out.extend_from_slice(&claimed.to_le_bytes());
    out.extend_from_slice(&d);
    let keep = if rng.below(3) == 0 {
        rng.below(body.len() + 1)
    } else {
        body.len()
    };
    out.extend_from_slice(&body[..keep]);
    out
}

/// A safetensors file with its JSON header mutated (length rewritten to match, or not).
fn mutate_safetensors_header(rng: &mut Rng, b: &[u8]) -> Vec<u8> {
    let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
    let header = &b[8..8 + n];
    let body = &b[8 + n..];
    let h = mutate(rng, header);
    let claimed = match rng.below(6) {
        0 => rng.next(),
        1 => h.len() as u64 + 1,
        _ => h.len() as u64,
    };
    let mut out = claimed.to_le_bytes().to_vec();
    out.extend_from_slice(&h);
    out.extend_from_slice(body);
    out
}

/// A zip's entries, one of them (the pickle mostly) mutated, written again as a valid zip.
fn mutate_zip_entry(rng: &mut Rng, zip_bytes: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let names: Vec<String> = (0..zin.len())
        .map(|i| zin.by_index(i).unwrap().name().unwrap().into_owned())
        .collect();
    let target = if rng.below(3) > 0 {
        names.iter().position(|n| n.ends_with("data.pkl")).unwrap()
    } else {
        rng.below(names.len())
    };
    let mut zout = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (i, name) in names.iter().enumerate() {
        let mut bytes = Vec::new();
        zin.by_index(i).unwrap().read_to_end(&mut bytes).unwrap();
        if i == target {
            bytes = if name.ends_with("data.pkl") && rng.below(2) == 0 {
                mutate_pickle(rng, &bytes)
            } else {
                mutate(rng, &bytes)
            };
        }
        zout.start_file(name.as_str(), opts).unwrap();
        zout.write_all(&bytes).unwrap();
    }
    zout.finish().unwrap().into_inner()
}

/// A pickle with integer arguments (`BININT1 n`) made extreme (`LONG1`), or nesting added.
fn mutate_pickle(rng: &mut Rng, b: &[u8]) -> Vec<u8> {
    let mut out = b.to_vec();
    let ks: Vec<usize> = (0..b.len().saturating_sub(1))
        .filter(|&i| b[i] == b'K')
        .collect();
    match rng.below(3) {
        0 | 1 if !ks.is_empty() => {
            let i = *rng.pick(&ks);
            let v: i64 = *rng.pick(&[
                1 << 60,
                i64::MAX,
                -1,
                i64::MIN,
                1 << 32,
                (1 << 31) - 1,
                61,
                64,
                0,
            ]);
            let mut rep = vec![0x8a, 8];
            rep.extend_from_slice(&v.to_le_bytes());
            out.splice(i..i + 2, rep);
        }
        _ => {
            let at = rng.below(out.len());
            let n = 1 + rng.below(20_000);
            let op = *rng.pick(&[b'(', 0x85u8, b']', b'}', b'h']);
            out.splice(at..at, std::iter::repeat_n(op, n));
        }
    }
    out
}

/// What a case read, and how its errors must name the file.
struct Input {
    /// Folder copied into each case's folder.
    base: PathBuf,
    /// The file (inside `base`) that each case mutates.
    file: &'static str,
    /// A mutation of that file's bytes.
    mutate: fn(&mut Rng, &[u8]) -> Vec<u8>,
    /// The readers, each given the case's copy of `base`.
    readers: Vec<Reader>,
    /// Cases of this input.
    cases: usize,
    /// Whether every error must name the mutated file itself (readers given that file); the
    /// others must name a file or the folder of the case.
    names_file: bool,
}

type Reader = (&'static str, fn(&Path) -> hits::Result<()>);

fn any_mutation(rng: &mut Rng, b: &[u8]) -> Vec<u8> {
    mutate(rng, b)
}

fn npy_mutation(rng: &mut Rng, b: &[u8]) -> Vec<u8> {
    if rng.below(2) == 0 {
        mutate_npy_header(rng, b)
    } else {
        mutate(rng, b)
    }
}

fn st_mutation(rng: &mut Rng, b: &[u8]) -> Vec<u8> {
    if rng.below(2) == 0 {
        mutate_safetensors_header(rng, b)
    } else {
        mutate(rng, b)
    }
}

fn pt_mutation(rng: &mut Rng, b: &[u8]) -> Vec<u8> {
    if rng.below(4) == 0 {
        mutate(rng, b)
    } else {
        mutate_zip_entry(rng, b)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn inputs(root: &Path) -> Vec<Input> {
    // a .npy of f64 and one of f32, written by the crate
    let npy = root.join("npy");
    write_array_atomic(&npy.join("a.npy"), &trajectories(1, (2, 5, 3))).unwrap();
    let npy32 = root.join("npy32");
    write_array_atomic(
        &npy32.join("a.npy"),
        &trajectories(2, (3, 4, 2)).mapv(|v| v as f32),
    )
    .unwrap();
    let npy_readers: Vec<Reader> = vec![
        ("read_array3", |d| read_array3(&d.join("a.npy")).map(|_| ())),
        ("read_array3_hashed", |d| {
            read_array3_hashed(&d.join("a.npy")).map(|_| ())
        }),
        ("read_float_array3", |d| {
            read_float_array3(&d.join("a.npy")).map(|_| ())
        }),
        ("read_shape", |d| read_shape(&d.join("a.npy")).map(|_| ())),
    ];
    // a checkpoint and its JSON
    let ckpt = root.join("ckpt");
    std::fs::create_dir_all(&ckpt).unwrap();
    save_checkpoint(&ckpt);
    let ckpt_readers: Vec<Reader> = vec![
        ("ResNetStepper::load", |d| {
            ResNetStepper::load(&d.join("model_D1_noise0.0.safetensors"), &Device::Cpu).map(|_| ())
        }),
        ("load_hierarchy", |d| {
            load_hierarchy(d, 0.0, &Device::Cpu).map(|_| ())
        }),
    ];
    // the committed .pt fixtures
    let pt = root.join("pt");
    std::fs::create_dir_all(&pt).unwrap();
    std::fs::copy(
        fixtures().join("offset_view.pt"),
        pt.join("model_D4_noise0.0.pt"),
    )
    .unwrap();
    let pt_nan = root.join("pt_nan");
    std::fs::create_dir_all(&pt_nan).unwrap();
    std::fs::copy(
        fixtures().join("nan_hidden.pt"),
        pt_nan.join("model_D4_noise0.0.pt"),
    )
    .unwrap();
    let pt_readers: Vec<Reader> = vec![
        ("import_torch", |d| {
            hits::stepper::import_torch(&d.join("model_D4_noise0.0.pt"), 0.01).map(|_| ())
        }),
        ("read_torch_model", |d| {
            hits::stepper::read_torch_model(&d.join("model_D4_noise0.0.pt")).map(|_| ())
        }),
    ];
    // a data set written by DataSet::save
    let data = root.join("data");
    let ds = DataSet::new(
        trajectories(3, (3, 6, 2)),
        trajectories(4, (2, 6, 2)),
        trajectories(5, (2, 6, 2)),
    )
    .unwrap();
    ds.save(
        &data,
        0.0,
        &DataSetMeta::new("Hyperbolic", 0.01, "reliability test"),
    )
    .unwrap();
    let data_readers: Vec<Reader> = vec![
        ("DataSetMeta::read", |d| DataSetMeta::read(d).map(|_| ())),
        ("DataSet::load", |d| DataSet::load(d, 0.0).map(|_| ())),
    ];
    // a sweep plan written by Plan::save
    let sweep = root.join("sweep");
    // from JSON, so that fields added with a default keep this test compiling
    let settings: Settings = serde_json::from_value(serde_json::json!({
        "data_dir": sweep.join("data"),
        "models": sweep.join("models"),
        "out": sweep.join("results"),
        "sweep_dir": sweep.join("sweep"),
        "epochs": 10,
        "baseline_epochs": null,
    }))
    .unwrap();
    let (plan, _) = all_ode(
        &[SystemKind::Hyperbolic],
        &[0.0],
        true,
        sweep.clone(),
        settings,
    )
    .unwrap();
    plan.save(&sweep.join("plan.json")).unwrap();
    let plan_readers: Vec<Reader> = vec![("Plan::load", |d| {
        Plan::load(&d.join("plan.json")).map(|_| ())
    })];

    vec![
        Input {
            base: npy,
            file: "a.npy",
            mutate: npy_mutation,
            readers: npy_readers.clone(),
            cases: 4000,
            names_file: true,
        },
        Input {
            base: npy32,
            file: "a.npy",
            mutate: npy_mutation,
            readers: npy_readers,
            cases: 1500,
            names_file: true,
        },
        Input {
            base: ckpt.clone(),
            file: "model_D1_noise0.0.safetensors",
            mutate: st_mutation,
            readers: ckpt_readers.clone(),
            cases: 2500,
            names_file: false,
        },
        Input {
            base: ckpt,
            file: "model_D1_noise0.0.json",
            mutate: any_mutation,
            readers: ckpt_readers,
            cases: 1200,
            names_file: false,
        },
        Input {
            base: pt,
            file: "model_D4_noise0.0.pt",
            mutate: pt_mutation,
            readers: pt_readers.clone(),
            cases: 4000,
            names_file: true,
        },
        Input {
            base: pt_nan,
            file: "model_D4_noise0.0.pt",
            mutate: pt_mutation,
            readers: pt_readers,
            cases: 1000,
            names_file: true,
        },
        Input {
            base: data.clone(),
            file: "dataset.json",
            mutate: any_mutation,
            readers: data_readers.clone(),
            cases: 1500,
            names_file: false,
        },
        Input {
            base: data,
            file: "train_noise0.0.npy",
            mutate: npy_mutation,
            readers: data_readers,
            cases: 1000,
            names_file: false,
        },
        Input {
            base: sweep,
            file: "plan.json",
            mutate: any_mutation,
            readers: plan_readers,
            cases: 2000,
            names_file: true,
        },
    ]
}

/// Thousands of mutated real files fed to every reader of each: no panic, no hang, no huge
/// allocation, and every error names the file (the case's folder, where the reader was given
/// a folder, and the mutated file's name where it was given the file).
#[test]
fn mutated_files_never_panic_and_errors_name_the_file() {
    let start = Instant::now();
    let root = scratch("fuzz");
    let inputs = inputs(&root.join("base"));
    let cases_dir = root.join("cases");
    // the watchdog: a case running for more than 30 s is a hang
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(500));
        let t0 = CASE_START_MS.load(Ordering::Relaxed);
        let now = start.elapsed().as_millis() as u64;
        if t0 > 0 && now.saturating_sub(t0) > 30_000 {
            eprintln!(
                "reliability_readers: case {} hung for 30 s",
                CASE.load(Ordering::Relaxed)
            );
            std::process::abort();
        }
    });
    let mut rng = Rng(0x5eed_2026);
    let mut failures = Vec::new();
    let (mut n_cases, mut n_reads, mut n_errors) = (0u64, 0u64, 0u64);
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for input in &inputs {
        let original = std::fs::read(input.base.join(input.file)).unwrap();
        for _ in 0..input.cases {
            let case = n_cases;
            n_cases += 1;
            let dir = cases_dir.join(format!("case_{case:05}"));
            copy_dir(&input.base, &dir);
            let bytes = (input.mutate)(&mut rng, &original);
            std::fs::write(dir.join(input.file), &bytes).unwrap();
            for (name, reader) in &input.readers {
                CASE.store(case, Ordering::Relaxed);
                CASE_START_MS.store(start.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
                let r = catch_unwind(AssertUnwindSafe(|| reader(&dir)));
                CASE_START_MS.store(0, Ordering::Relaxed);
                CASE.store(u64::MAX, Ordering::Relaxed);
                n_reads += 1;
                let what = format!(
                    "case {case} ({} of {}, {name})",
                    input.file,
                    input.base.display()
                );
                match r {
                    Err(p) => {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        failures.push(format!("{what}: panicked: {msg}"));
                    }
                    Ok(Err(e)) => {
                        n_errors += 1;
                        let text = e.to_string();
                        let folder = format!("case_{case:05}");
                        if !text.contains(&folder)
                            || (input.names_file && !text.contains(input.file))
                        {
                            failures.push(format!("{what}: the error names no file: {text}"));
                        }
                    }
                    Ok(Ok(())) => {}
                }
            }
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    std::panic::set_hook(quiet);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "reliability_readers: {n_cases} mutated files, {n_reads} reads ({n_errors} errors, \
         {} accepted) in {secs:.1} s",
        n_reads - n_errors - failures.len() as u64
    );
    eprintln!("reliability_readers: {n_cases} mutated files, {n_reads} reads in {secs:.1} s");
    std::fs::remove_dir_all(&root).ok();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(n_cases >= 10_000);
}
