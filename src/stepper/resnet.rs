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
    /// [`super::init`]).
    pub fn new(
        arch: &[usize],
        step_size: usize,
        dt: f64,
        seed: u32,
        device: &Device,
    ) -> Result<Self> {
        check_arch(arch)?;
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
