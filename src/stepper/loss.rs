//! The training loss, in one place: what the [`super::train::Trainer`] minimises and what its
//! validation reports, through the same [`Loss`] object.
//!
//! A loss maps the predictions of K stacked nets and their targets to one loss per net. The
//! prediction `p_t` is the state after `t` recurrent steps of a net from the window's start
//! (`t = 1..n_forward`), the target `ys_t` the true state there.
//!
//! - [`Loss::paper`]`(w)`: the original `ResNet.calculate_loss`, per net k,
//!   `e = (p - ys)^2`, `L_k = w * mean(e_k) + (1 - w) * max(e_k)` over the batch, steps and
//!   components. The default is `w = 1`, the paper's (the max term is skipped, as the original
//!   multiplies it by zero): [`Loss::mse`].
//! - [`Loss::custom`]: a named closure over candle tensors,
//!   `Fn(&Tensor /* predictions [K, B, n_forward, dim] */, &Tensor /* targets, same shape */)
//!   -> candle_core::Result<Tensor /* [K] */>`.
//!
//! ## Training
//!
//! Training needs the gradient of `sum_k L_k` with respect to the weights. The rollout of the
//! nets runs forward keeping its layer inputs; [`Loss::values_and_grads`] gives the losses and
//! their gradient with respect to each prediction; the hand-written backward of
//! [`super::backward`] carries that gradient through the rollout to the weights (the same code
//! for every loss). The paper loss with `w = 1` has its gradient written by hand
//! (`dL_k/dp_t = 2 (p_t - ys_t) / (B n_forward dim)`, the fast path); every other loss (the
//! paper loss with `w < 1`, any custom loss) is differentiated by candle's autograd, from the
//! same [`Loss::values`] that validation calls. `tests/stepper_loss.rs` checks both against
//! candle autograd through the whole rollout and against finite differences.
//!
//! ## K nets together
//!
//! Net k's weights reach only row k of the predictions, so each net gets exactly the gradient
//! it would get alone as long as `L_k` depends on row k only: a custom loss must reduce over
//! dimensions `1..` (e.g. `.mean((1, 2, 3))`), never over dimension 0. The trainer checks this
//! on a probe before training (a net's loss must not change when another net's predictions
//! do, nor with the number of nets) and refuses a loss that fails.
//!
//! ## Storing
//!
//! A `Loss` serialises as its identity, `"paper"` (w = 1), `"paper(w=<w>)"` or
//! `"custom:<name>"`, so a checkpoint's `train_config` records which loss trained the stepper.
//! Files written before the weight moved into the loss keep it as `loss_weight` beside
//! `"loss": "paper"`; [`super::train_config::TrainConfig`] reads them as the same loss. A closure cannot be stored: a custom
//! loss reads back as a named placeholder that compares equal to the loss of that name but
//! refuses to train or evaluate, saying so. Two custom losses with the same name are equal:
//! the name is the identity, so give each loss its own name.

use std::sync::Arc;

use candle_core::{DType, Tensor, Var};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::windows::target_steps;
use crate::{Error, Result};

/// The closure of a custom loss: predictions and targets `[K, B, n_forward, dim]` to the loss
/// of each net `[K]` (see the module docs).
pub type LossFn = dyn Fn(&Tensor, &Tensor) -> candle_core::Result<Tensor> + Send + Sync;

/// The loss a stepper trains on and is validated with (see the module docs).
#[derive(Clone)]
pub struct Loss(Kind);

/// The paper's loss, [`Loss::mse`].
impl Default for Loss {
    fn default() -> Self {
        Loss::mse()
    }
}

#[derive(Clone)]
enum Kind {
    /// The paper loss with the weight `w` of its mean.
    Paper {
        w: f64,
    },
    Custom {
        name: String,
        f: Arc<LossFn>,
    },
    /// A custom loss read back from a file: the name without its closure.
    Stored {
        name: String,
    },
}

/// Identity prefix of a custom loss in files.
const CUSTOM: &str = "custom:";
/// Identity of the paper loss with a weight other than 1 in files: `paper(w=0.5)`.
const PAPER_W: &str = "paper(w=";
const PAPER_W_END: &str = ")";

impl Loss {
    /// The paper's `w * mean + (1 - w) * max` of the squared errors (`0 <= w <= 1`, checked
    /// by [`Loss::check_trainable`]; the paper trains with `w = 1`, [`Loss::mse`]).
    pub fn paper(w: f64) -> Self {
        Loss(Kind::Paper { w })
    }

    /// The paper loss at the paper's weight, `w = 1`: the mean squared error over the batch,
    /// the recurrent steps and the components. The default loss.
    pub fn mse() -> Self {
        Loss::paper(1.0)
    }

    /// The weight `w` of the mean in the paper loss; `None` for a custom loss.
    pub fn paper_weight(&self) -> Option<f64> {
        match self.0 {
            Kind::Paper { w } => Some(w),
            _ => None,
        }
    }

    /// A custom loss `f(predictions, targets)`, both `[K, B, n_forward, dim]`, giving the loss
    /// of each net `[K]` (row k from row k only). `name` identifies it in checkpoints.
    pub fn custom<F>(name: impl Into<String>, f: F) -> Self
    where
        F: Fn(&Tensor, &Tensor) -> candle_core::Result<Tensor> + Send + Sync + 'static,
    {
        Loss(Kind::Custom {
            name: name.into(),
            f: Arc::new(f),
        })
    }

    /// `"paper"` or the custom loss's name.
    pub fn name(&self) -> &str {
        match &self.0 {
            Kind::Paper { .. } => "paper",
            Kind::Custom { name, .. } | Kind::Stored { name } => name,
        }
    }

    /// True for the paper loss.
    pub fn is_paper(&self) -> bool {
        matches!(self.0, Kind::Paper { .. })
    }

    /// The identity written to files: `"paper"` (w = 1), `"paper(w=<w>)"` or
    /// `"custom:<name>"`. Two losses train alike exactly when their identities are equal.
    pub fn id(&self) -> String {
        match &self.0 {
            Kind::Paper { w } if *w == 1.0 => "paper".into(),
            Kind::Paper { w } => format!("{PAPER_W}{w}{PAPER_W_END}"),
            Kind::Custom { name, .. } | Kind::Stored { name } => format!("{CUSTOM}{name}"),
        }
    }

    /// Error unless this loss can train: the paper loss needs `0 <= w <= 1`; a custom loss
    /// needs a name and its closure (a loss read back from a file has none).
    pub fn check_trainable(&self) -> Result<()> {
        let param = || format!("loss '{}'", self.id());
        match &self.0 {
            Kind::Paper { w } if (0.0..=1.0).contains(w) => Ok(()),
            Kind::Paper { w } => Err(Error::invalid(
                "loss",
                format!("the paper loss needs 0 <= w <= 1 (the weight of its mean); got {w}"),
            )),
            Kind::Custom { name, .. } if name.trim().is_empty() => Err(Error::invalid(
                param(),
                "a custom loss needs a name (it identifies the loss in checkpoints)",
            )),
            Kind::Custom { .. } => Ok(()),
            Kind::Stored { name } => Err(Error::invalid(param(), self.stored_msg(name))),
        }
    }

    fn stored_msg(&self, name: &str) -> String {
        format!(
            "read back from a file: a custom loss is a closure and is not stored; pass it \
             again with Loss::custom(\"{name}\", ...)"
        )
    }

    /// The loss of every net, `[K]`, for predictions `preds[t]` and targets `targets[t]`
    /// (each `[K, B, dim]`, step `t + 1` of the rollout). This is the definition that training
    /// and validation share.
    pub fn values(&self, preds: &[Tensor], targets: &[Tensor]) -> Result<Tensor> {
        let k = check_steps(preds, targets)?;
        match &self.0 {
            Kind::Paper { w } => {
                let diffs = differences(preds, targets)?;
                paper_from_differences(*w, &diffs)
            }
            Kind::Custom { name, f } => {
                let p = Tensor::stack(preds, 2)?;
                let y = Tensor::stack(targets, 2)?;
                let v = f(&p, &y)
                    .map_err(|e| Error::invalid(format!("loss '{CUSTOM}{name}'"), e.to_string()))?;
                if v.dims() != [k] || v.dtype() != p.dtype() {
                    return Err(Error::shape(
                        format!("values of loss '{CUSTOM}{name}'"),
                        format!("[{k}] {:?} (one loss per net)", p.dtype()),
                        format!("{:?} {:?}", v.dims(), v.dtype()),
                    ));
                }
                Ok(v)
            }
            Kind::Stored { name } => Err(Error::invalid(
                format!("loss '{CUSTOM}{name}'"),
                self.stored_msg(name),
            )),
        }
    }

    /// [`Loss::values`] and the gradient of their sum with respect to each prediction
    /// (`[K, B, dim]` per step): written by hand for the paper loss with `w = 1`, from
    /// candle's autograd through [`Loss::values`] otherwise.
    pub fn values_and_grads(
        &self,
        preds: &[Tensor],
        targets: &[Tensor],
    ) -> Result<(Tensor, Vec<Tensor>)> {
        check_steps(preds, targets)?;
        if matches!(self.0, Kind::Paper { w } if w == 1.0) {
            let diffs = differences(preds, targets)?;
            let values = paper_from_differences(1.0, &diffs)?;
            let scale = 2.0 / count(&diffs)?;
            let grads = diffs
                .iter()
                .map(|d| d * scale)
                .collect::<candle_core::Result<Vec<_>>>()?;
            return Ok((values, grads));
        }
        let vars = preds
            .iter()
            .map(|p| Var::from_tensor(&p.detach()))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let tracked: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let values = self.values(&tracked, targets)?;
        let store = values.sum_all()?.backward()?;
        let grads = vars
            .iter()
            .map(|v| match store.get(v.as_tensor()) {
                Some(g) => g.contiguous(),
                None => v.as_tensor().zeros_like(),
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok((values.detach(), grads))
    }

    /// For a custom loss, error unless net k's loss depends on row k only: on predictions
    /// near the targets of a few windows `ys: [n, n_forward, dim]` (e.g. validation windows),
    /// one net's loss must be the same alone and beside another net (first or second) with
    /// other predictions.
    pub fn check_per_net(&self, ys: &Tensor) -> Result<()> {
        let Kind::Custom { .. } = &self.0 else {
            return Ok(());
        };
        let (n, _, _) = ys.dims3().map_err(|_| {
            Error::shape(
                "probe windows",
                "[n, n_forward, dim]",
                format!("{:?}", ys.dims()),
            )
        })?;
        let targets = target_steps(&ys.narrow(0, 0, n.min(4))?)?
            .iter()
            .map(|t| t.unsqueeze(0))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let targets = &targets[..];
        let near = targets
            .iter()
            .map(|t| t + 0.1)
            .collect::<candle_core::Result<Vec<_>>>()?;
        let far = targets
            .iter()
            .map(|t| (t * 2.0)? - 0.3)
            .collect::<candle_core::Result<Vec<_>>>()?;
        let eval = |rows: &[&[Tensor]]| -> Result<Vec<f64>> {
            let cat = |steps: Vec<&[Tensor]>| -> candle_core::Result<Vec<Tensor>> {
                (0..targets.len())
                    .map(|t| Tensor::cat(&steps.iter().map(|s| &s[t]).collect::<Vec<_>>(), 0))
                    .collect()
            };
            let preds = cat(rows.to_vec())?;
            let same_targets = cat(rows.iter().map(|_| targets).collect())?;
            let v = self.values(&preds, &same_targets)?;
            Ok(v.to_dtype(DType::F64)?.to_vec1::<f64>()?)
        };
        let alone = eval(&[&near])?[0];
        let first = eval(&[&near, &far])?[0];
        let second = eval(&[&far, &near])?[1];
        let same = |a: f64, b: f64| {
            a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-6 * a.abs().max(b.abs())
        };
        if same(alone, first) && same(alone, second) {
            return Ok(());
        }
        Err(Error::invalid(
            format!("loss '{}'", self.id()),
            format!(
                "the loss of net k must depend on row k of the predictions and targets only \
                 (K nets train together and each must get the updates it would get alone); \
                 on a probe one net's loss is {alone:e} alone but {first:e} and {second:e} \
                 beside another net: reduce over dimensions 1.. (e.g. `.mean((1, 2, 3))`), \
                 never over dimension 0"
            ),
        ))
    }
}

/// The number of nets K, after checking that `preds` and `targets` are as many `[K, B, dim]`
/// steps (at least one).
fn check_steps(preds: &[Tensor], targets: &[Tensor]) -> Result<usize> {
    let dims = |ts: &[Tensor]| ts.iter().map(|t| t.dims().to_vec()).collect::<Vec<_>>();
    let first = preds.first().map(|p| p.dims().to_vec()).unwrap_or_default();
    let ok = first.len() == 3
        && preds.len() == targets.len()
        && preds.iter().chain(targets).all(|t| t.dims() == first);
    if !ok {
        return Err(Error::shape(
            "loss predictions and targets",
            "as many [K, B, dim] tensors (n_forward >= 1), all the same shape",
            format!("predictions {:?}, targets {:?}", dims(preds), dims(targets)),
        ));
    }
    Ok(first[0])
}

fn differences(preds: &[Tensor], targets: &[Tensor]) -> candle_core::Result<Vec<Tensor>> {
    preds.iter().zip(targets).map(|(p, y)| p - y).collect()
}

/// `C = B n_forward dim`, the count of the mean.
fn count(diffs: &[Tensor]) -> Result<f64> {
    let (_, b, d) = diffs[0].dims3()?;
    Ok((b * diffs.len() * d) as f64)
}

/// The paper loss from the differences `p_t - ys_t` (see the module docs). Sums the squared
/// errors step by step (no stacked copy of the predictions).
fn paper_from_differences(w: f64, diffs: &[Tensor]) -> Result<Tensor> {
    let (k, b, d) = diffs[0].dims3()?;
    let (mut sum, mut maxes) = (None::<Tensor>, Vec::new());
    for diff in diffs {
        let se = diff.sqr()?;
        let s = se.sum((1, 2))?;
        sum = Some(match sum {
            Some(acc) => (acc + s)?,
            None => s,
        });
        if w != 1.0 {
            maxes.push(se.reshape((k, b * d))?.max_keepdim(1)?);
        }
    }
    let mean = (sum.expect("at least one step (checked)") / count(diffs)?)?;
    if w == 1.0 {
        return Ok(mean);
    }
    let max = Tensor::cat(&maxes, 1)?.max(1)?;
    Ok(((mean * w)? + (max * (1.0 - w))?)?)
}

impl std::fmt::Debug for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stored = if matches!(self.0, Kind::Stored { .. }) {
            " (read back, no closure)"
        } else {
            ""
        };
        write!(f, "Loss({}{stored})", self.id())
    }
}

/// Equal when the identities are ([`Loss::id`]): a custom loss read back from a file equals
/// the loss of that name.
impl PartialEq for Loss {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Serialize for Loss {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.id())
    }
}

impl<'de> Deserialize<'de> for Loss {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        if id == "paper" {
            return Ok(Loss::mse());
        }
        if let Some(w) = id
            .strip_prefix(PAPER_W)
            .and_then(|rest| rest.strip_suffix(PAPER_W_END))
        {
            return match w.parse::<f64>() {
                Ok(w) if w.is_finite() => Ok(Loss::paper(w)),
                _ => Err(serde::de::Error::custom(format!(
                    "unknown loss {id:?}: the weight of \"paper(w=<w>)\" must be a number"
                ))),
            };
        }
        match id.strip_prefix(CUSTOM) {
            Some(name) if !name.trim().is_empty() => Ok(Loss(Kind::Stored {
                name: name.to_string(),
            })),
            _ => Err(serde::de::Error::custom(format!(
                "unknown loss {id:?}: expected \"paper\", \"paper(w=<w>)\" or \"custom:<name>\""
            ))),
        }
    }
}
