//! The ResNet time-stepper: `x_{k+1} = x_k + MLP(x_k)`.
//!
//! The MLP has layer widths `arch = [dim, h_1, ..., h_m, dim]`, ReLU between layers and a
//! linear last layer:
//!
//! ```text
//! z_0 = x,   z_{i+1} = relu(z_i W_i^T + b_i) (i < n-1),   MLP(x) = z_{n-1} W_{n-1}^T + b_{n-1}
//! ```
//!
//! with `W_i: [arch[i+1], arch[i]]`, `b_i: [arch[i+1]]`. One application advances the state by
//! `step_size * dt` in time. Parameters live in a [`candle_nn::VarMap`] under the names of the
//! original PyTorch module (`increment.Linear_0.weight`, `increment.Linear_0.bias`, ...), f32.
//!
//! ```
//! use candle_core::{Device, Module, Tensor};
//! let stepper = hits::stepper::ResNetStepper::new(&[2, 16, 16, 2], 4, 0.01, 0, &Device::Cpu)?;
//! let x = Tensor::zeros((5, 2), candle_core::DType::F32, &Device::Cpu)?;
//! assert_eq!(stepper.forward(&x)?.dims(), &[5, 2]);
//! # Ok::<(), hits::Error>(())
//! ```

use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::VarMap;

use super::init::mlp_init;
use crate::{Error, Result};

/// A neural time-stepper `x + MLP(x)` with a fixed step size (in units of `dt`).
pub struct ResNetStepper {
    varmap: VarMap,
    /// `(weight [out, in], bias [out])` per layer; these share storage with the `VarMap`.
    layers: Vec<(Tensor, Tensor)>,
    arch: Vec<usize>,
    step_size: usize,
    dt: f64,
}

impl std::fmt::Debug for ResNetStepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResNetStepper")
            .field("arch", &self.arch)
            .field("step_size", &self.step_size)
            .field("dt", &self.dt)
            .finish()
    }
}

/// The parameter name of layer `i` (`"weight"` or `"bias"`), as in the original module.
pub fn param_name(layer: usize, kind: &str) -> String {
    format!("increment.Linear_{layer}.{kind}")
}

/// Check that `arch` describes a residual MLP: at least two widths, none zero, in == out.
pub fn check_arch(arch: &[usize]) -> Result<()> {
    if arch.len() < 2 || arch.contains(&0) {
        return Err(Error::invalid(
            "arch",
            format!(
                "need at least two positive layer widths, e.g. [2, 128, 128, 128, 2]; got {arch:?}"
            ),
        ));
    }
    if arch[0] != arch[arch.len() - 1] {
        return Err(Error::invalid(
            "arch",
            format!("a residual stepper needs equal input and output widths; got {arch:?}"),
        ));
    }
    Ok(())
}

/// A memory budget in bytes, and where the number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLimit {
    /// The budget in bytes.
    pub bytes: u64,
    /// How it was found, e.g. "a quarter of the 24.0 GiB of /proc/meminfo".
    pub source: &'static str,
}

/// The memory `hits` lets one stepper (or one imported tensor) take: a quarter of the
/// machine's physical memory (`MemTotal` of `/proc/meminfo`), leaving room for the data, the
/// activations and the other steppers of a hierarchy; 8 GiB where `/proc/meminfo` cannot be
/// read.
pub fn memory_limit() -> MemoryLimit {
    static LIMIT: std::sync::OnceLock<MemoryLimit> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
            let line = t.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            kib.checked_mul(1024)
        });
        match total {
            Some(total) if total > 0 => MemoryLimit {
                bytes: total / 4,
                source: "a quarter of the physical memory (MemTotal in /proc/meminfo)",
            },
            _ => MemoryLimit {
                bytes: 8 << 30,
                source: "8 GiB: /proc/meminfo cannot be read",
            },
        }
    })
}

/// The number of parameters of a residual MLP with layer widths `arch` (`None` on overflow).
pub fn parameter_count(arch: &[usize]) -> Option<u64> {
    arch.windows(2).try_fold(0u64, |acc, w| {
        let (i, o) = (u64::try_from(w[0]).ok()?, u64::try_from(w[1]).ok()?);
        acc.checked_add(i.checked_mul(o)?.checked_add(o)?)
    })
}

/// The bytes training a stepper of `arch` takes at least: 4 bytes for each parameter, 4 times
/// (the weights, their gradients and Adam's two moments); `None` on overflow.
pub fn training_memory_estimate(arch: &[usize]) -> Option<u64> {
    parameter_count(arch)?.checked_mul(16)
}

/// Error unless training a stepper of `arch` fits [`memory_limit`].
pub fn check_memory(arch: &[usize]) -> Result<()> {
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    let limit = memory_limit();
    let params = parameter_count(arch);
    match training_memory_estimate(arch) {
        Some(need) if need <= limit.bytes => Ok(()),
        Some(need) => Err(Error::invalid(
            "arch",
            format!(
                "{arch:?} has {} parameters: training it takes about {need} bytes ({:.1} GiB: \
                 weights, gradients and Adam's two moments, 4 bytes each), more than the limit \
                 of {} bytes ({:.1} GiB, {}); choose smaller layers",
                params.unwrap_or(0),
                gib(need),
                limit.bytes,
                gib(limit.bytes),
                limit.source
            ),
        )),
        None => Err(Error::invalid(
            "arch",
            format!(
                "{arch:?}: the number of parameters overflows 64 bits, far beyond the limit of \
                 {} bytes ({})",
                limit.bytes, limit.source
            ),
        )),
    }
}

fn check_step(step_size: usize, dt: f64) -> Result<()> {
    if step_size == 0 {
        return Err(Error::invalid(
            "step_size",
            "must be at least 1 (in units of dt)",
        ));
    }
    if !(dt.is_finite() && dt > 0.0) {
        return Err(Error::invalid(
            "dt",
            format!("must be positive and finite, got {dt}"),
        ));
    }
    Ok(())
}

impl ResNetStepper {
    /// A new stepper with PyTorch-default initial weights drawn from `seed` (see
    /// [`super::init`]). An architecture whose training would take more memory than
    /// [`memory_limit`] allows ([`training_memory_estimate`]) is an error that says both,
    /// before anything is allocated.
    pub fn new(
        arch: &[usize],
        step_size: usize,
        dt: f64,
        seed: u32,
        device: &Device,
    ) -> Result<Self> {
        check_arch(arch)?;
        // before anything is allocated: an architecture too big for this machine is an error
        check_memory(arch)?;
        let layers = mlp_init(arch, seed)
            .into_iter()
            .map(|l| {
                let w = Tensor::from_vec(l.weight, (l.fan_out, l.fan_in), device)?;
                let b = Tensor::from_vec(l.bias, l.fan_out, device)?;
                Ok((w, b))
            })
            .collect::<Result<Vec<_>>>()?;
        Self::from_layers(layers, step_size, dt)
    }

    /// A stepper from given layer tensors `(weight [out, in], bias [out])`, converted to f32.
    /// The architecture is read from the shapes, which must chain.
    pub fn from_layers(layers: Vec<(Tensor, Tensor)>, step_size: usize, dt: f64) -> Result<Self> {
        check_step(step_size, dt)?;
        let mut arch = Vec::with_capacity(layers.len() + 1);
        for (i, (w, b)) in layers.iter().enumerate() {
            let (out, inp) = w.dims2().map_err(|_| {
                Error::shape(
                    param_name(i, "weight"),
                    "[out, in]",
                    format!("{:?}", w.dims()),
                )
            })?;
            if b.dims() != [out] {
                return Err(Error::shape(
                    param_name(i, "bias"),
                    format!("[{out}]"),
                    format!("{:?}", b.dims()),
                ));
            }
            if i == 0 {
                arch.push(inp);
            } else if arch[i] != inp {
                return Err(Error::shape(
                    param_name(i, "weight"),
                    format!("[_, {}] (the previous layer's output)", arch[i]),
                    format!("{:?}", w.dims()),
                ));
            }
            arch.push(out);
        }
        check_arch(&arch)?;
        let varmap = VarMap::new();
        let mut held = Vec::with_capacity(layers.len());
        {
            let mut data = varmap.data().lock().expect("fresh VarMap lock");
            for (i, (w, b)) in layers.into_iter().enumerate() {
                let w = Var::from_tensor(&w.to_dtype(DType::F32)?.contiguous()?)?;
                let b = Var::from_tensor(&b.to_dtype(DType::F32)?.contiguous()?)?;
                held.push((w.as_tensor().clone(), b.as_tensor().clone()));
                data.insert(param_name(i, "weight"), w);
                data.insert(param_name(i, "bias"), b);
            }
        }
        Ok(ResNetStepper {
            varmap,
            layers: held,
            arch,
            step_size,
            dt,
        })
    }

    /// The step size in units of `dt`.
    pub fn step_size(&self) -> usize {
        self.step_size
    }

    /// The sampling interval of the data the stepper was trained on.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The state dimension (`arch[0]`).
    pub fn dim(&self) -> usize {
        self.arch[0]
    }

    /// The layer widths `[dim, h_1, ..., dim]`.
    pub fn arch(&self) -> &[usize] {
        &self.arch
    }

    /// The device holding the parameters.
    pub fn device(&self) -> &Device {
        self.layers[0].0.device()
    }

    /// `(weight [out, in], bias [out])` of every layer, in order.
    pub fn layers(&self) -> &[(Tensor, Tensor)] {
        &self.layers
    }

    /// The parameters by name (`increment.Linear_{i}.weight|bias`).
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// A copy of this stepper on another device.
    pub fn to_device(&self, device: &Device) -> Result<Self> {
        let layers = self
            .layers
            .iter()
            .map(|(w, b)| Ok((w.to_device(device)?, b.to_device(device)?)))
            .collect::<Result<Vec<_>>>()?;
        Self::from_layers(layers, self.step_size, self.dt)
    }

    /// An independent copy (fresh storage).
    pub fn deep_clone(&self) -> Result<Self> {
        let layers = self
            .layers
            .iter()
            .map(|(w, b)| Ok((w.copy()?, b.copy()?)))
            .collect::<Result<Vec<_>>>()?;
        Self::from_layers(layers, self.step_size, self.dt)
    }

    /// Overwrite the parameters in place with `(weight, bias)` per layer (same shapes).
    pub fn set_layers(&self, layers: &[(Tensor, Tensor)]) -> Result<()> {
        if layers.len() != self.layers.len() {
            return Err(Error::shape(
                "layers",
                self.layers.len().to_string(),
                layers.len().to_string(),
            ));
        }
        let data = self.varmap.data().lock().expect("VarMap lock");
        for (i, (w, b)) in layers.iter().enumerate() {
            for (name, t) in [(param_name(i, "weight"), w), (param_name(i, "bias"), b)] {
                let var = &data[&name];
                if var.dims() != t.dims() {
                    return Err(Error::shape(
                        name,
                        format!("{:?}", var.dims()),
                        format!("{:?}", t.dims()),
                    ));
                }
                var.set(&t.to_dtype(DType::F32)?.to_device(var.device())?)?;
            }
        }
        Ok(())
    }

    /// The increment `MLP(x)` alone (`x`: `[batch, dim]`).
    pub fn increment(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let n = self.layers.len();
        let mut h = x.clone();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            h = h.matmul(&w.t()?)?.broadcast_add(b)?;
            if i + 1 < n {
                h = h.relu()?;
            }
        }
        Ok(h)
    }
}

impl Module for ResNetStepper {
    /// One step: `x + MLP(x)` for `x` of shape `[batch, dim]` (f32).
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x + self.increment(x)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_is_residual_mlp() -> Result<()> {
        let dev = Device::Cpu;
        // 1 -> 2 -> 1 with hand-picked weights: x + (w2 relu(w1 x + b1) + b2).
        let w1 = Tensor::new(&[[1.0f32], [-1.0]], &dev)?;
        let b1 = Tensor::new(&[0.5f32, 0.0], &dev)?;
        let w2 = Tensor::new(&[[2.0f32, 3.0]], &dev)?;
        let b2 = Tensor::new(&[0.25f32], &dev)?;
        let s = ResNetStepper::from_layers(vec![(w1, b1), (w2, b2)], 2, 0.1)?;
        assert_eq!(s.arch(), &[1, 2, 1]);
        let x = Tensor::new(&[[1.0f32], [-2.0]], &dev)?;
        let y: Vec<f32> = s.forward(&x)?.flatten_all()?.to_vec1()?;
        // x=1: relu(1.5)=1.5, relu(-1)=0 -> 3 + 0.25 -> 1 + 3.25; x=-2: relu(-1.5)=0, relu(2)=2 -> 6.25 - 2
        assert_eq!(y, vec![4.25, 4.25]);
        Ok(())
    }

    #[test]
    fn rejects_bad_architectures() {
        let dev = Device::Cpu;
        let e = ResNetStepper::new(&[2, 8, 3], 1, 0.01, 0, &dev)
            .unwrap_err()
            .to_string();
        assert!(e.contains("equal input and output"), "{e}");
        let e = ResNetStepper::new(&[2], 1, 0.01, 0, &dev)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least two"), "{e}");
        let e = ResNetStepper::new(&[2, 4, 2], 0, 0.01, 0, &dev)
            .unwrap_err()
            .to_string();
        assert!(e.contains("step_size"), "{e}");
    }
}
