//! ResNet neural time-steppers on candle: the network, its training, checkpoints, and import
//! of the original PyTorch models.
//!
//! A stepper maps a state to the state `step_size * dt` later, `x_{k+1} = x_k + MLP(x_k)`
//! ([`ResNetStepper`]). A hierarchy holds one stepper per step size `2^k dt`, `k = 0..10`.
//!
//! | file | what |
//! |---|---|
//! | [`resnet`] | the stepper (`candle_core::Module`) |
//! | [`init`] | PyTorch-default initialisation from a seeded numpy stream |
//! | [`stack`] | K steppers stacked for batched training; the recurrent loss |
//! | [`backward`] | hand-written gradients of the recurrent loss |
//! | [`adam`] | Adam with PyTorch's update and exposed state |
//! | [`sampler`] | reproducible minibatches |
//! | [`train`] | `train_net` of the original: [`TrainConfig`], [`Trainer`], [`TrainReport`] |
//! | [`checkpoint`] | safetensors + JSON checkpoints, [`load_hierarchy`] |
//! | [`resume`] | saving and resuming training state |
//! | [`torch_import`] | reading the original PyTorch whole-module pickles |
//! | [`hierarchy`] | all step sizes of a system in one call, batched or not |
//! | [`windows`] | training windows `x = X[:, 0]`, `ys = X[:, s, ..., n_forward s]` |
//! | [`device`] | the CPU/CUDA choice |

pub mod adam;
pub mod backward;
pub mod checkpoint;
pub mod device;
pub mod hierarchy;
pub mod init;
pub mod resnet;
pub mod resume;
pub mod sampler;
pub mod stack;
pub mod torch_import;
pub mod train;
pub mod windows;

pub use adam::{Adam, AdamConfig};
pub use checkpoint::{checkpoint_stem, load_hierarchy, StepperMeta};
pub use device::device;
pub use hierarchy::{train_hierarchy, HierarchyPlan};
pub use resnet::ResNetStepper;
pub use resume::RunInfo;
pub use sampler::MinibatchSampler;
pub use torch_import::{import_torch, read_torch_model, TorchModel};
pub use train::{train_stepper, Progress, TrainConfig, TrainReport, Trainer};
pub use windows::{windows_of, StepperData, TrainWindows};
