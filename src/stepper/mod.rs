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
//! | [`stack`] | K steppers stacked for batched training; the recurrent rollout |
//! | [`loss`] | the training and validation loss: the paper's, or a custom closure ([`Loss`]) |
//! | [`backward`] | hand-written gradients through the rollout |
//! | [`adam`] | Adam with PyTorch's update and exposed state |
//! | [`sampler`] | reproducible minibatches |
//! | [`minibatch`] | the minibatches of a block of epochs, gathered on the device |
//! | [`train`] | `train_net` of the original: [`TrainConfig`], [`Trainer`], [`TrainReport`] |
//! | [`checkpoint`] | safetensors + JSON checkpoints, [`load_hierarchy`] |
//! | [`meta`] | checkpoint metadata, training phases, the checks on load and resume |
//! | [`resume`] | saving and resuming training state (one whole file per stepper) |
//! | [`state_file`] | that file's layout, reading it, repairing model files from it |
//! | [`existing`] | what an output folder already holds, and the rules for it |
//! | [`torch_import`] | reading the original PyTorch whole-module pickles |
//! | [`windows`] | training windows `x = X[:, 0]`, `ys = X[:, s, ..., n_forward s]` |
//! | [`device`] | the CPU/CUDA choice |
//!
//! ## Changing the training loss
//!
//! The loss is [`TrainConfig::loss`], one [`Loss`] object that training minimises and
//! validation reports (the best weights are those of the lowest validation loss, and
//! `target_loss` is compared with it). The default is the paper's recurrent loss
//! [`Loss::paper`]`(w)`, `w * mean + (1 - w) * max` of the squared errors of `n_forward`
//! predicted steps, at `w = 1` as in the paper ([`Loss::mse`]: a pure mean squared error, whose
//! gradient is written by hand for speed). Any other loss is a named closure over candle tensors,
//! predictions and targets `[K, B, n_forward, dim]` to one loss per net `[K]`, trained through
//! candle's autograd:
//!
//! ```
//! use hits::stepper::{Loss, TrainConfig};
//! let cfg = TrainConfig {
//!     // mean absolute error of each net (reduce over dimensions 1.., never over 0)
//!     loss: Loss::custom("l1", |p, y| (p - y)?.abs()?.mean((1, 2, 3))),
//!     ..TrainConfig::default()
//! };
//! assert_eq!(cfg.loss.id(), "custom:l1");
//! // Checkpoints record the loss by name; a closure read back from a file cannot train.
//! let json = serde_json::to_string(&cfg)?;
//! let back: TrainConfig = serde_json::from_str(&json)?;
//! assert_eq!(back, cfg);
//! assert!(back.validate().unwrap_err().to_string().contains("Loss::custom(\"l1\""));
//! # Ok::<(), hits::Error>(())
//! ```
//!
//! Every caller that trains takes a `TrainConfig` (the experiments' configs hold one), so the
//! loss set there reaches the trainer unchanged. See [`loss`] for the contract (row k of the
//! predictions is net k's) and how the gradients are computed.

pub mod adam;
pub mod backward;
pub mod checkpoint;
pub mod device;
pub mod existing;
pub mod init;
pub mod loss;
mod member;
pub mod meta;
pub mod minibatch;
pub mod resnet;
pub mod resume;
pub mod sampler;
pub mod spec;
pub mod stack;
pub mod state_file;
pub mod torch_import;
pub mod train;
pub mod train_config;
pub mod windows;

pub use adam::{Adam, AdamConfig};
pub use checkpoint::{checkpoint_stem, load_hierarchy, load_hierarchy_expecting};
pub use loss::Loss;
pub use meta::{ExpectedStepper, StepperMeta, TrainPhase};
pub use resnet::ResNetStepper;
pub use resume::RunInfo;
pub use sampler::MinibatchSampler;
pub use spec::{HierarchySpec, TrainRun};
pub use torch_import::{import_torch, read_torch_model, TorchModel};
pub use train::{train_stepper, Progress, TrainConfig, TrainReport, Trainer};
pub use windows::{windows_of, StepperData, TrainWindows};
