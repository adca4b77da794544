//! The one place that decides how trained steppers forecast: on the CPU their forward runs
//! fused ([`CpuResNet`]: one matrix product per layer into reused buffers, the same numbers as
//! candle's to rounding); on another device candle's own forward runs there.
//!
//! Every experiment and command forecasts through a [`StepperSet`], so no caller chooses.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use candle_core::Device;
//! use hits::forecast::StepperSet;
//! use hits::stepper::ResNetStepper;
//! let nets = vec![
//!     ResNetStepper::new(&[2, 8, 2], 1, 0.01, 0, &Device::Cpu)?,
//!     ResNetStepper::new(&[2, 8, 2], 4, 0.01, 1, &Device::Cpu)?,
//! ];
//! let set = StepperSet::new(&nets, &Device::Cpu)?;
//! assert!(set.is_fused());
//! assert_eq!(set.refs().iter().map(|s| s.step_size()).collect::<Vec<_>>(), [1, 4]);
//! # Ok(())
//! # }
//! ```

use candle_core::Device;

use super::{CpuResNet, Stepper};
use crate::stepper::ResNetStepper;
use crate::Result;

/// Trained steppers ready to forecast (see the module docs), in the order given.
pub struct StepperSet<'a> {
    fused: Vec<CpuResNet>,
    plain: Vec<&'a ResNetStepper>,
}

impl<'a> StepperSet<'a> {
    /// Fused CPU copies of `steppers` on the CPU, the steppers themselves elsewhere.
    pub fn new(
        steppers: impl IntoIterator<Item = &'a ResNetStepper>,
        device: &Device,
    ) -> Result<StepperSet<'a>> {
        let plain: Vec<&'a ResNetStepper> = steppers.into_iter().collect();
        if device.is_cpu() {
            Ok(StepperSet {
                fused: plain
                    .iter()
                    .map(|s| CpuResNet::new(s))
                    .collect::<Result<_>>()?,
                plain: Vec::new(),
            })
        } else {
            Ok(StepperSet {
                fused: Vec::new(),
                plain,
            })
        }
    }

    /// True when the steppers run the fused CPU forward.
    pub fn is_fused(&self) -> bool {
        !self.fused.is_empty()
    }

    /// The steppers as trait objects, for the forecast functions.
    pub fn refs(&self) -> Vec<&dyn Stepper> {
        if self.is_fused() {
            self.fused.iter().map(|s| s as &dyn Stepper).collect()
        } else {
            self.plain.iter().map(|s| *s as &dyn Stepper).collect()
        }
    }

    /// The stepper of index `i`.
    pub fn get(&self, i: usize) -> Option<&dyn Stepper> {
        if self.is_fused() {
            self.fused.get(i).map(|s| s as &dyn Stepper)
        } else {
            self.plain.get(i).map(|s| *s as &dyn Stepper)
        }
    }
}
