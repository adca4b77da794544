//! Import of the original HiTS models: whole-module PyTorch pickles (`torch.save(model)`).
//!
//! A `.pt` file is a zip holding `<name>/data.pkl` (the pickled `ResNet` object) and one raw
//! little-endian storage per tensor (`<name>/data/<key>`). `candle_core::pickle::read_all`
//! expects a top-level state dict and finds nothing here, so we run the unpickler
//! ([`candle_core::pickle::Stack`]) and walk the object tree ourselves:
//!
//! ```text
//! ResNet.__dict__ { n_dim, dt, step_size, _modules: { increment: NNBlock.__dict__ {
//!     _modules: { Linear_0: Linear.__dict__ { _parameters: { weight, bias } }, Linear_1, ... } } } }
//! ```
//!
//! Only tensors of contiguous (or column-major) layout in f32/f64 are supported, which is what
//! `torch.save` writes for these models.

use std::io::Read;
use std::path::Path;

use candle_core::pickle::{Object, Stack};
use candle_core::{DType, Device, Tensor};

use super::resnet::ResNetStepper;
use crate::{Error, Result};

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
fn attrs(obj: &Object) -> Option<&[(Object, Object)]> {
    match obj {
        Object::Dict(d) => Some(d),
        Object::Build { args, .. } => match args.as_ref() {
            Object::Dict(d) => Some(d),
            _ => None,
        },
        _ => None,
    }
}

fn get<'a>(dict: &'a [(Object, Object)], key: &str) -> Option<&'a Object> {
    dict.iter()
        .find(|(k, _)| matches!(k, Object::Unicode(s) if s == key))
        .map(|(_, v)| v)
}

/// Read an original model file (no use of Python).
pub fn read_torch_model(path: &Path) -> Result<TorchModel> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
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
        let reader = zip.by_name(&pkl).map_err(|e| bad(path, e.to_string()))?;
        let mut reader = std::io::BufReader::new(reader);
        let mut stack = Stack::empty();
        stack
            .read_loop(&mut reader)
            .map_err(|e| bad(path, format!("cannot unpickle {pkl}: {e}")))?;
        stack
            .finalize()
            .map_err(|e| bad(path, format!("cannot unpickle {pkl}: {e}")))?
    };
    let top = attrs(&obj).ok_or_else(|| bad(path, "the pickle is not a module object"))?;
    let int = |k: &str| match get(top, k) {
        Some(Object::Int(i)) if *i > 0 => Some(*i as usize),
        Some(Object::Long(i)) if *i > 0 => Some(*i as usize),
        _ => None,
    };
    let dt = match get(top, "dt") {
        Some(Object::Float(f)) => Some(*f),
        Some(Object::Int(i)) => Some(*i as f64),
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
    for i in 0.. {
        let Some(linear) = get(increment, &format!("Linear_{i}")).and_then(attrs) else {
            break;
        };
        let params = get(linear, "_parameters")
            .and_then(attrs)
            .ok_or_else(|| bad(path, format!("Linear_{i} has no _parameters")))?;
        let mut read = |kind: &str| -> Result<Tensor> {
            let value =
                get(params, kind).ok_or_else(|| bad(path, format!("Linear_{i} has no {kind}")))?;
            let name = Object::Unicode(format!("increment.Linear_{i}.{kind}"));
            let info = value
                .clone()
                .into_tensor_info(name, Path::new(&dir))
                .map_err(|e| bad(path, format!("Linear_{i}.{kind}: {e}")))?
                .ok_or_else(|| bad(path, format!("Linear_{i}.{kind} is not a tensor")))?;
            read_tensor(&mut zip, path, &info)
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

fn read_tensor<R: std::io::Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    path: &Path,
    info: &candle_core::pickle::TensorInfo,
) -> Result<Tensor> {
    let layout = &info.layout;
    let dims = layout.shape().dims().to_vec();
    let fortran = layout.is_fortran_contiguous() && dims.len() > 1;
    if !layout.is_contiguous() && !fortran {
        return Err(bad(
            path,
            format!("{}: strided tensors are not supported", info.name),
        ));
    }
    let size = match info.dtype {
        DType::F32 => 4,
        DType::F64 => 8,
        other => {
            return Err(bad(
                path,
                format!(
                    "{}: dtype {other:?} not supported (f32/f64 only)",
                    info.name
                ),
            ))
        }
    };
    let count: usize = dims.iter().product();
    let mut entry = zip
        .by_name(&info.path)
        .map_err(|e| bad(path, format!("{}: storage {}: {e}", info.name, info.path)))?;
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    let start = layout.start_offset() * size;
    let end = start + count * size;
    if bytes.len() < end {
        return Err(bad(
            path,
            format!(
                "{}: storage {} too short ({} bytes, need {end})",
                info.name,
                info.path,
                bytes.len()
            ),
        ));
    }
    let raw = &bytes[start..end];
    let values: Vec<f32> = if size == 4 {
        raw.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    } else {
        raw.chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect()
    };
    if fortran {
        let rev: Vec<usize> = dims.iter().rev().cloned().collect();
        let perm: Vec<usize> = (0..dims.len()).rev().collect();
        Ok(Tensor::from_vec(values, rev, &Device::Cpu)?
            .permute(perm)?
            .contiguous()?)
    } else {
        Ok(Tensor::from_vec(values, dims, &Device::Cpu)?)
    }
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
