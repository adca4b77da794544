//! The [`Stepper`] trait: anything that advances a batch of states by a fixed multiple of `dt`.
//!
//! A stepper of step size `s` maps x(t) to an approximation of x(t + s dt). The coupling
//! functions ([`crate::forecast::multiscale_forecast`] and friends) only need this trait, so they
//! run the same with the neural steppers of the paper ([`crate::stepper::ResNetStepper`]), with
//! exact flow maps ([`FlowMapStepper`]) and with a classic integrator ([`Rk4Stepper`]); the last two
//! give known answers for tests.
//!
//! States are `[batch, dim]` `f32` tensors on any candle device; steppers must treat rows
//! independently (row `i` of the output depends on row `i` of the input only), which is what lets
//! the coupling batch thousands of start points into one call.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use candle_core::{Device, Tensor};
//! use hits::forecast::{FlowMapStepper, Stepper};
//! // x' = y, y' = -x with dt = 0.01: the exact flow over 4 dt is a rotation by 0.04 rad.
//! let flow = FlowMapStepper::harmonic(0.01, 4);
//! let x = Tensor::new(&[[0.0f32, 1.0]], &Device::Cpu)?;
//! let y = flow.step(&x)?.to_vec2::<f32>()?;
//! assert!((y[0][0] - 0.04f32.sin()).abs() < 1e-7 && (y[0][1] - 0.04f32.cos()).abs() < 1e-7);
//! # Ok(())
//! # }
//! ```

use candle_core::{DType, Device, Tensor};

use crate::{Error, Result, System};

/// Advances a batch of states by `step_size() * dt`.
pub trait Stepper: Sync {
    /// The step in units of the data's sampling interval `dt` (1, 2, 4, ...).
    fn step_size(&self) -> usize;
    /// The state dimension.
    fn dim(&self) -> usize;
    /// Advance every row of `x` (`[batch, dim]`, `f32`) by one step; same shape, same device.
    fn step(&self, x: &Tensor) -> Result<Tensor>;
    /// The device the stepper takes its states on (the CPU unless it says otherwise): the
    /// forecasts build their state tensors there.
    fn device(&self) -> Device {
        Device::Cpu
    }
    /// Apply the stepper `n_calls` times to every row of `x` (`[batch, dim]`): returns
    /// `[n_calls, batch, dim]`, entry k being the states after k + 1 steps. The default calls
    /// [`Stepper::step`] in a loop; [`crate::forecast::CpuResNet`] overrides it so that each
    /// thread keeps its own rows for the whole rollout (no hand-off per step).
    fn step_repeated(&self, x: &Tensor, n_calls: usize) -> Result<Tensor> {
        let mut states = Vec::with_capacity(n_calls);
        let mut cur = x.clone();
        for _ in 0..n_calls {
            cur = self.step(&cur)?;
            states.push(cur.clone());
        }
        if states.is_empty() {
            let (n, d) = x.dims2()?;
            return Ok(Tensor::zeros((0, n, d), x.dtype(), x.device())?);
        }
        Ok(Tensor::stack(&states, 0)?)
    }
}

impl<S: Stepper + ?Sized> Stepper for &S {
    fn step_size(&self) -> usize {
        (**self).step_size()
    }
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn step(&self, x: &Tensor) -> Result<Tensor> {
        (**self).step(x)
    }
    fn device(&self) -> Device {
        (**self).device()
    }
    fn step_repeated(&self, x: &Tensor, n_calls: usize) -> Result<Tensor> {
        (**self).step_repeated(x, n_calls)
    }
}

impl Stepper for crate::stepper::ResNetStepper {
    fn step_size(&self) -> usize {
        crate::stepper::ResNetStepper::step_size(self)
    }
    fn dim(&self) -> usize {
        crate::stepper::ResNetStepper::dim(self)
    }
    fn step(&self, x: &Tensor) -> Result<Tensor> {
        Ok(candle_core::Module::forward(self, x)?)
    }
    fn device(&self) -> Device {
        crate::stepper::ResNetStepper::device(self).clone()
    }
}

/// Rows per call when a batch is very large: bounds the memory of the hidden activations
/// (`rows * width * 4` bytes per layer) without making the matrix products small.
pub const MAX_ROWS_PER_CALL: usize = 1 << 15;

/// [`Stepper::step_repeated`] on a possibly huge batch, in chunks of at most
/// [`MAX_ROWS_PER_CALL`] rows: `[n_calls, rows, dim]`.
pub(crate) fn repeat_rows(stepper: &dyn Stepper, x: &Tensor, n_calls: usize) -> Result<Tensor> {
    let rows = x.dim(0)?;
    if rows <= MAX_ROWS_PER_CALL {
        return stepper.step_repeated(x, n_calls);
    }
    let mut parts = Vec::with_capacity(rows.div_ceil(MAX_ROWS_PER_CALL));
    let mut start = 0;
    while start < rows {
        let len = MAX_ROWS_PER_CALL.min(rows - start);
        parts.push(stepper.step_repeated(&x.narrow(0, start, len)?, n_calls)?);
        start += len;
    }
    Ok(Tensor::cat(&parts, 1)?)
}

/// Check that `x` is a `[batch, dim]` tensor; returns `batch`.
pub(crate) fn check_states(what: &str, x: &Tensor, dim: usize) -> Result<usize> {
    match x.dims() {
        [n, d] if *d == dim => Ok(*n),
        other => Err(Error::shape(
            what,
            format!("[n, {dim}]"),
            format!("{other:?}"),
        )),
    }
}

/// An exact linear flow map x -> A x: the solution operator of x' = M x over `step_size * dt`
/// is A = exp(M step_size dt).
///
/// CPU-only (a reference for tests): `A` lives on the CPU and [`Stepper::device`] is the CPU,
/// so forecasts with it build their states there.
#[derive(Debug, Clone)]
pub struct FlowMapStepper {
    /// A^T, `[dim, dim]` f32 on the CPU (moved to the input's device on use).
    a_t: Tensor,
    dim: usize,
    step_size: usize,
}

impl FlowMapStepper {
    /// The map x -> A x with `matrix` = A given row by row (`dim * dim` numbers).
    pub fn linear(matrix: &[f64], dim: usize, step_size: usize) -> Result<Self> {
        if matrix.len() != dim * dim || dim == 0 {
            return Err(Error::shape(
                "flow-map matrix",
                format!("{dim} x {dim} = {} numbers", dim * dim),
                matrix.len().to_string(),
            ));
        }
        if step_size == 0 {
            return Err(Error::invalid("step_size", "must be at least 1"));
        }
        let mut a_t = vec![0f32; dim * dim];
        for r in 0..dim {
            for c in 0..dim {
                a_t[c * dim + r] = matrix[r * dim + c] as f32;
            }
        }
        Ok(FlowMapStepper {
            a_t: Tensor::from_vec(a_t, (dim, dim), &Device::Cpu)?,
            dim,
            step_size,
        })
    }

    /// The harmonic oscillator x' = y, y' = -x ([`crate::problem::builtin::Harmonic`]): a clockwise
    /// rotation by `step_size * dt` radians.
    pub fn harmonic(dt: f64, step_size: usize) -> Self {
        let (s, c) = (step_size as f64 * dt).sin_cos();
        // Infallible: a 2 x 2 matrix and step_size >= 1 (0 is raised to 1).
        FlowMapStepper::linear(&[c, s, -s, c], 2, step_size.max(1)).expect("2 x 2 matrix")
    }
}

impl Stepper for FlowMapStepper {
    fn step_size(&self) -> usize {
        self.step_size
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn step(&self, x: &Tensor) -> Result<Tensor> {
        check_states("flow-map input", x, self.dim)?;
        let a_t = self.a_t.to_device(x.device())?;
        Ok(x.matmul(&a_t)?)
    }
}

/// Classic fixed-step RK4 of a [`System`] as a stepper: `substeps` steps of
/// h = step_size dt / substeps per call, in `f64` on the CPU (rows in parallel).
///
/// CPU-only by design (the solver is plain Rust on `f64`): a state tensor on another device
/// is copied to the host and the result copied back to that device, once per call.
pub struct Rk4Stepper {
    system: Box<dyn System>,
    dt: f64,
    step_size: usize,
    substeps: usize,
}

impl Rk4Stepper {
    /// RK4 of `system` advancing by `step_size * dt` in `substeps` steps.
    pub fn new(
        system: Box<dyn System>,
        dt: f64,
        step_size: usize,
        substeps: usize,
    ) -> Result<Self> {
        if !(dt > 0.0 && dt.is_finite()) {
            return Err(Error::invalid(
                "dt",
                format!("must be positive and finite, got {dt}"),
            ));
        }
        if step_size == 0 || substeps == 0 {
            return Err(Error::invalid(
                "step_size/substeps",
                "must both be at least 1",
            ));
        }
        Ok(Rk4Stepper {
            system,
            dt,
            step_size,
            substeps,
        })
    }
}

impl Stepper for Rk4Stepper {
    fn step_size(&self) -> usize {
        self.step_size
    }
    fn dim(&self) -> usize {
        self.system.dim()
    }
    fn step(&self, x: &Tensor) -> Result<Tensor> {
        let dim = self.system.dim();
        let n = check_states("RK4-stepper input", x, dim)?;
        let mut y: Vec<f64> = x.to_dtype(DType::F64)?.flatten_all()?.to_vec1()?;
        let h = self.step_size as f64 * self.dt / self.substeps as f64;
        rk4_rows(self.system.as_ref(), &mut y, h, self.substeps);
        let y = Tensor::from_vec(y, (n, dim), &Device::Cpu)?;
        Ok(y.to_dtype(DType::F32)?.to_device(x.device())?)
    }
}

/// Advance every row of `y` (`[n, dim]` row-major) by `n_steps` classic RK4 steps of size `h`
/// (autonomous use: t starts at 0 for every row): vectorised batches of rows
/// ([`crate::solvers::Rk4Lanes`]) in parallel.
pub(crate) fn rk4_rows<S: System + ?Sized>(system: &S, y: &mut [f64], h: f64, n_steps: usize) {
    use rayon::prelude::*;
    let dim = system.dim();
    if dim == 0 || y.is_empty() {
        return;
    }
    let lanes = crate::solvers::lanes_per_batch(y.len() / dim);
    y.par_chunks_mut(dim * lanes).for_each(|rows| {
        let mut rk = crate::solvers::Rk4Lanes::new(dim, rows.len() / dim);
        rk.load_rows(rows);
        rk.run(system, 0.0, h, n_steps, |_, _, _| {});
        rk.store_rows(rows);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::builtin::Harmonic;

    #[test]
    fn rk4_stepper_matches_the_harmonic_flow() -> Result<()> {
        let rk = Rk4Stepper::new(Box::new(Harmonic), 0.01, 8, 8)?;
        let flow = FlowMapStepper::harmonic(0.01, 8);
        let x = Tensor::new(&[[0.3f32, -1.2], [1.0, 0.5]], &Device::Cpu)?;
        let a = rk.step(&x)?.to_vec2::<f32>()?;
        let b = flow.step(&x)?.to_vec2::<f32>()?;
        for (ra, rb) in a.iter().zip(&b) {
            for (u, v) in ra.iter().zip(rb) {
                assert!((u - v).abs() < 1e-6, "{u} vs {v}");
            }
        }
        Ok(())
    }

    #[test]
    fn wrong_width_is_a_shape_error() {
        let flow = FlowMapStepper::harmonic(0.01, 1);
        let x = Tensor::zeros((4, 3), DType::F32, &Device::Cpu).unwrap();
        let err = flow.step(&x).unwrap_err().to_string();
        assert!(err.contains("[n, 2]") && err.contains("[4, 3]"), "{err}");
    }
}
