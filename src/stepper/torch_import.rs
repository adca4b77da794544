//! Import of the original HiTS models: whole-module PyTorch pickles (`torch.save(model)`).
//!
//! A `.pt` file is a zip holding `<name>/data.pkl` (the pickled `ResNet` object) and one raw
//! little-endian storage per tensor (`<name>/data/<key>`). `candle_core::pickle::read_all`
//! expects a top-level state dict and finds nothing here, so we unpickle the object tree
//! ourselves and walk it:
//!
//! ```text
//! ResNet.__dict__ { n_dim, dt, step_size, _modules: { increment: NNBlock.__dict__ {
//!     _modules: { Linear_0: Linear.__dict__ { _parameters: { weight, bias } }, Linear_1, ... } } } }
//! ```
//!
//! The pickle is read by a bounded unpickler of our own ([`pickle`]: no code is run, nesting
//! and size are limited). Tensors are read as PyTorch defines them
//! (`torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride)`): the offset and
//! the strides count elements of the storage's dtype, and exactly the elements of the view are
//! read, so a view at any offset or with any strides (a slice, a transpose) gives torch's
//! values. Every size, stride and offset is checked (a view that leaves its storage, or sizes
//! whose product overflows, is an error naming the file and the tensor), f32 and f64 storages
//! are read (f64 rounded to f32), and a weight that is not finite (NaN, inf) is refused.

use std::io::Read;
use std::path::Path;

use candle_core::{Device, Tensor};

use super::resnet::{memory_limit, ResNetStepper};
use crate::{Error, Result};

mod pickle;

use pickle::{unpickle, Obj};

/// The largest `data.pkl` read (a HiTS module pickle is a few kB).
const MAX_PICKLE_BYTES: u64 = 64 << 20;

/// The content of an original model file.
#[derive(Debug)]
pub struct TorchModel {
    /// `(weight [out, in], bias [out])` of `increment.Linear_0, Linear_1, ...` (f32, CPU).
    pub layers: Vec<(Tensor, Tensor)>,
    /// The `step_size` attribute, if present.
    pub step_size: Option<usize>,
    /// The `dt` attribute, if present.
    pub dt: Option<f64>,
    /// The `n_dim` attribute, if present.
    pub n_dim: Option<usize>,
}

fn bad(path: &Path, msg: impl Into<String>) -> Error {
    Error::bad_file(path, msg)
}

/// The attribute dictionary of a pickled object (`obj.__dict__`), or a plain dict.
fn attrs(obj: &Obj) -> Option<&[(Obj, Obj)]> {
    match obj {
        Obj::Dict(d) => Some(d),
        Obj::Build(_, state) => match state.as_ref() {
            Obj::Dict(d) => Some(d),
            _ => None,
        },
        _ => None,
    }
}

fn get<'a>(dict: &'a [(Obj, Obj)], key: &str) -> Option<&'a Obj> {
    dict.iter()
        .find(|(k, _)| matches!(k, Obj::Str(s) if s == key))
        .map(|(_, v)| v)
}

/// Read an original model file (no use of Python). Only a regular file is opened; every
/// error names the file (and the tensor, where one is at fault).
pub fn read_torch_model(path: &Path) -> Result<TorchModel> {
    let file = crate::io::open_data_file(path)?;
    // torch.save writes the archive from the file's first byte: a known offset 0 (the zip
    // crate's offset detection rejects some of the AHiTS authors' checkpoints that Python's
    // zipfile and torch read)
    let config = zip::read::Config {
        archive_offset: zip::read::ArchiveOffset::Known(0),
    };
    let mut zip = zip::ZipArchive::with_config(config, std::io::BufReader::new(file))
        .map_err(|e| bad(path, format!("not a PyTorch zip file: {e}")))?;
    let pkl = zip
        .file_names()
        .filter_map(|n| n.ok())
        .find(|n| n.ends_with("data.pkl"))
        .map(|n| n.into_owned())
        .ok_or_else(|| {
            bad(
                path,
                "no data.pkl inside: not a PyTorch checkpoint (saved with torch.save >= 1.6?)",
            )
        })?;
    let dir = pkl.strip_suffix(".pkl").unwrap_or(&pkl).to_owned();
    let obj = {
        let entry = zip
            .by_name(&pkl)
            .map_err(|e| bad(path, format!("{pkl}: {e}")))?;
        if entry.size() > MAX_PICKLE_BYTES {
            return Err(bad(
                path,
                format!(
                    "{pkl} holds {} bytes (more than {MAX_PICKLE_BYTES}): not a model pickle",
                    entry.size()
                ),
            ));
        }
        let mut reader = std::io::BufReader::new(entry.take(MAX_PICKLE_BYTES));
        unpickle(&mut reader).map_err(|m| bad(path, format!("cannot unpickle {pkl}: {m}")))?
    };
    let top = attrs(&obj).ok_or_else(|| bad(path, "the pickle is not a module object"))?;
    let int = |k: &str| match get(top, k) {
        Some(Obj::Int(i)) if *i > 0 => usize::try_from(*i).ok(),
        _ => None,
    };
    let dt = match get(top, "dt") {
        Some(Obj::Float(f)) => Some(*f),
        Some(Obj::Int(i)) => Some(*i as f64),
        _ => None,
    };
    let increment = get(top, "_modules")
        .and_then(attrs)
        .and_then(|m| get(m, "increment"))
        .and_then(attrs)
        .and_then(|m| get(m, "_modules"))
        .and_then(attrs)
        .ok_or_else(|| {
            bad(
                path,
                "no `increment` submodule with `_modules`: not an original HiTS ResNet",
            )
        })?;
    let mut layers = Vec::new();
    for i in 0..increment.len() {
        let Some(linear) = get(increment, &format!("Linear_{i}")).and_then(attrs) else {
            break;
        };
        let params = get(linear, "_parameters")
            .and_then(attrs)
            .ok_or_else(|| bad(path, format!("Linear_{i} has no _parameters")))?;
        let mut read = |kind: &str| -> Result<Tensor> {
            let name = format!("increment.Linear_{i}.{kind}");
            let value =
                get(params, kind).ok_or_else(|| bad(path, format!("Linear_{i} has no {kind}")))?;
            let view = tensor_view(value).map_err(|m| bad(path, format!("{name}: {m}")))?;
            read_view(&mut zip, path, &dir, &name, &view)
        };
        layers.push((read("weight")?, read("bias")?));
    }
    if layers.is_empty() {
        return Err(bad(path, "no increment.Linear_0 layer found"));
    }
    Ok(TorchModel {
        layers,
        step_size: int("step_size"),
        dt,
        n_dim: int("n_dim"),
    })
}

/// A tensor of the pickle: a view `(offset, size, stride)` of a storage, in elements.
#[derive(Debug, Clone, PartialEq)]
struct TensorView {
    /// The storage's entry name in the zip (`<dir>/<key>`).
    key: String,
    /// Bytes per element: 4 (f32) or 8 (f64).
    item: u64,
    /// Elements in the storage, as its persistent id says.
    storage_len: u64,
    offset: u64,
    size: Vec<u64>,
    stride: Vec<u64>,
}

fn non_negative(obj: &Obj, what: &str) -> std::result::Result<u64, String> {
    match obj {
        Obj::Int(i) => u64::try_from(*i).map_err(|_| format!("negative {what} {i}")),
        _ => Err(format!("{what} is not an integer")),
    }
}

fn int_tuple(obj: &Obj, what: &str) -> std::result::Result<Vec<u64>, String> {
    match obj {
        Obj::Tuple(v) => v.iter().map(|o| non_negative(o, what)).collect(),
        _ => Err(format!("{what} is not a tuple")),
    }
}

/// The view a pickled tensor or parameter describes.
fn tensor_view(obj: &Obj) -> std::result::Result<TensorView, String> {
    let is = |o: &Obj, m: &str, n: &str| matches!(o, Obj::Global(a, b) if a == m && b == n);
    let mut obj = obj;
    // at most a parameter around a typed tensor around a tensor
    for _ in 0..3 {
        let Obj::Call(f, args) = obj else { break };
        let Obj::Tuple(args) = args.as_ref() else {
            return Err("its rebuild arguments are not a tuple".into());
        };
        if is(f, "torch._utils", "_rebuild_tensor_v2") {
            return rebuild_tensor_v2(args);
        }
        if is(f, "torch._utils", "_rebuild_parameter")
            || is(f, "torch._utils", "_rebuild_parameter_with_state")
        {
            obj = args.first().ok_or("a parameter without its tensor")?;
            continue;
        }
        if is(f, "torch._tensor", "_rebuild_from_type_v2") {
            // (func, type, args, state)
            match (args.first(), args.get(2)) {
                (Some(func), Some(Obj::Tuple(inner)))
                    if is(func, "torch._utils", "_rebuild_tensor_v2") =>
                {
                    return rebuild_tensor_v2(inner)
                }
                _ => return Err("a tensor subclass this reader does not know".into()),
            }
        }
        break;
    }
    Err("not a tensor (expected torch._utils._rebuild_tensor_v2)".into())
}

/// `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`; the storage is the
/// persistent id `('storage', <dtype>Storage, key, location, numel)`.
fn rebuild_tensor_v2(args: &[Obj]) -> std::result::Result<TensorView, String> {
    let [storage, offset, size, stride, ..] = args else {
        return Err(format!(
            "{} rebuild arguments, expected (storage, offset, size, stride, ...)",
            args.len()
        ));
    };
    let Obj::Persistent(id) = storage else {
        return Err("its storage is not a persistent id".into());
    };
    let Obj::Tuple(id) = id.as_ref() else {
        return Err("its storage id is not a tuple".into());
    };
    let [_, Obj::Global(_, class), Obj::Str(key), _, numel, ..] = id.as_slice() else {
        return Err("its storage id is not ('storage', type, key, location, numel)".into());
    };
    let item = match class.as_str() {
        "FloatStorage" => 4,
        "DoubleStorage" => 8,
        other => return Err(format!("storage {other} not supported (f32/f64 only)")),
    };
    let (size, stride) = (int_tuple(size, "size")?, int_tuple(stride, "stride")?);
    if size.len() != stride.len() {
        return Err(format!(
            "size {size:?} and stride {stride:?} have different lengths"
        ));
    }
    Ok(TensorView {
        key: key.clone(),
        item,
        storage_len: non_negative(numel, "storage size")?,
        offset: non_negative(offset, "storage offset")?,
        size,
        stride,
    })
}

/// Read the elements of `view` from its storage in `zip`, as f32, refusing non-finite values.
fn read_view<R: std::io::Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    path: &Path,
    dir: &str,
    name: &str,
    view: &TensorView,
) -> Result<Tensor> {
    let err = |msg: String| bad(path, format!("{name}: {msg}"));
    let shape = || {
        format!(
            "size {:?}, stride {:?}, storage offset {}",
            view.size, view.stride, view.offset
        )
    };
    let overflow = || err(format!("{}: sizes overflow", shape()));
    let count = view
        .size
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(overflow)?;
    let dims = view
        .size
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| overflow()))
        .collect::<Result<Vec<usize>>>()?;
    if count == 0 {
        return Ok(Tensor::from_vec(Vec::<f32>::new(), dims, &Device::Cpu)?);
    }
    // the last element of the view, in elements of the storage
    let last = view
        .size
        .iter()
        .zip(&view.stride)
        .try_fold(view.offset, |acc, (&n, &s)| {
            acc.checked_add((n - 1).checked_mul(s)?)
        })
        .ok_or_else(overflow)?;
    if last >= view.storage_len {
        return Err(err(format!(
            "{} reaches element {last} of a storage of {} elements",
            shape(),
            view.storage_len
        )));
    }
    let need = last
        .checked_add(1)
        .and_then(|n| n.checked_mul(view.item))
        .ok_or_else(overflow)?;
    let limit = memory_limit();
    let out_bytes = count.checked_mul(4).ok_or_else(overflow)?;
    if need > limit.bytes || out_bytes > limit.bytes {
        return Err(err(format!(
            "{} needs {} bytes, more than the limit of {} ({})",
            shape(),
            need.max(out_bytes),
            limit.bytes,
            limit.source
        )));
    }
    let entry = format!("{dir}/{}", view.key);
    let mut raw = Vec::new();
    {
        let file = zip
            .by_name(&entry)
            .map_err(|e| err(format!("storage {entry}: {e}")))?;
        file.take(need)
            .read_to_end(&mut raw)
            .map_err(|e| err(format!("storage {entry}: {e}")))?;
    }
    if (raw.len() as u64) < need {
        return Err(err(format!(
            "storage {entry} too short ({} bytes, the view needs {need}: {})",
            raw.len(),
            shape()
        )));
    }
    let at = |pos: u64| -> f32 {
        // pos <= last, so the bytes are there
        let i = (pos * view.item) as usize;
        if view.item == 4 {
            f32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]])
        } else {
            let mut b = [0u8; 8];
            b.copy_from_slice(&raw[i..i + 8]);
            f64::from_le_bytes(b) as f32
        }
    };
    let mut values = Vec::with_capacity(count as usize);
    let mut index = vec![0u64; view.size.len()];
    for _ in 0..count {
        let pos = index
            .iter()
            .zip(&view.stride)
            .fold(view.offset, |acc, (&i, &s)| acc + i * s);
        values.push(at(pos));
        for d in (0..index.len()).rev() {
            index[d] += 1;
            if index[d] < view.size[d] {
                break;
            }
            index[d] = 0;
        }
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(err(format!(
            "value {} at element {i} (shape {dims:?}) is not finite; refused",
            values[i]
        )));
    }
    Ok(Tensor::from_vec(values, dims, &Device::Cpu)?)
}

/// The step size from a file name `model_D{k}_...`.
fn step_from_name(path: &Path) -> Option<usize> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let rest = name.strip_prefix("model_D")?;
    rest[..rest.find(|c: char| !c.is_ascii_digit())?]
        .parse()
        .ok()
}

/// Import an original model file as a stepper on the CPU. `dt` is the data's sampling
/// interval; when the file records its own `dt`, the two must agree. The step size comes from
/// the `step_size` attribute, else from the file name (`model_D{k}_noise...pt`).
pub fn import_torch(pt_path: &Path, dt: f64) -> Result<ResNetStepper> {
    let model = read_torch_model(pt_path)?;
    if let Some(file_dt) = model.dt {
        if (file_dt - dt).abs() > 1e-9 * dt.abs().max(file_dt.abs()) {
            return Err(bad(
                pt_path,
                format!("the model was trained with dt = {file_dt}, not {dt}; pass the system whose dt is {file_dt}"),
            ));
        }
    }
    let step = model
        .step_size
        .or_else(|| step_from_name(pt_path))
        .ok_or_else(|| {
            bad(
                pt_path,
                "no step_size attribute and no model_D{k}_ file name to read it from",
            )
        })?;
    let stepper = ResNetStepper::from_layers(model.layers, step, dt)
        .map_err(|e| bad(pt_path, e.to_string()))?;
    if let Some(n) = model.n_dim {
        if n != stepper.dim() {
            return Err(bad(
                pt_path,
                format!(
                    "n_dim attribute {n} disagrees with the weights (dim {})",
                    stepper.dim()
                ),
            ));
        }
    }
    Ok(stepper)
}
