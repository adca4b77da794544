//! The gradients of training, for the paper loss (hand-written at `w = 1`) and custom losses
//! (candle autograd of the loss): equal to candle's autograd through the whole rollout, to
//! finite differences, and, in training, to each other and to Adam's first step.

mod common;

use candle_core::{DType, Device, Tensor, Var};
use common::losses::{l1, weighted_mse};
use common::{data, l1_and_mse_by_hand, max_diff, rotation_trajectories, small_cfg, steps, vec1};
use hits::stepper::backward::loss_and_grads;
use hits::stepper::stack::{recurrent_loss, stack_layers};
use hits::stepper::{Loss, ResNetStepper, TrainConfig, Trainer};

const K: usize = 2;
const B: usize = 6;
const NF: usize = 3;

/// The mean squared error as a closure: the paper loss with `w = 1`, through autograd.
fn mse_closure() -> Loss {
    Loss::custom("mse", |p, y| (p - y)?.sqr()?.mean((1, 2, 3)))
}

/// K stacked nets [2, 5, 5, 2] as f64 parameters `W_0, b_0, W_1, ...`, starts `[K, B, 2]` and
/// targets `[K, B, NF, 2]` (other trajectories for each net).
fn tiny_case() -> (Vec<Tensor>, Tensor, Tensor) {
    case_with(K, B)
}

/// [`tiny_case`] with `k` nets and `b` rows per net.
fn case_with(k: usize, b: usize) -> (Vec<Tensor>, Tensor, Tensor) {
    let dev = Device::Cpu;
    let layers: Vec<Vec<(Tensor, Tensor)>> = (0..k as u32)
        .map(|k| {
            ResNetStepper::new(&[2, 5, 5, 2], 1, 0.1, 3 + k, &dev)
                .unwrap()
                .layers()
                .to_vec()
        })
        .collect();
    let (ws, bs) = stack_layers(&layers).unwrap();
    let params = ws
        .iter()
        .zip(&bs)
        .flat_map(|(w, b)| [w, b])
        .map(|t| t.to_dtype(DType::F64).unwrap())
        .collect();
    let traj = rotation_trajectories(k * b, NF + 1, 0.3, 4);
    let flat = |s: ndarray::ArrayView3<f64>| s.iter().cloned().collect::<Vec<_>>();
    let x = Tensor::from_vec(flat(traj.slice(ndarray::s![.., 0..1, ..])), (k, b, 2), &dev);
    let ys = Tensor::from_vec(
        flat(traj.slice(ndarray::s![.., 1.., ..])),
        (k, b, NF, 2),
        &dev,
    );
    (params, x.unwrap(), ys.unwrap())
}

fn split(ps: &[Tensor]) -> (Vec<Tensor>, Vec<Tensor>) {
    (
        ps.iter().step_by(2).cloned().collect(),
        ps.iter().skip(1).step_by(2).cloned().collect(),
    )
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs())))
}

/// A CPU minibatch of one net with at least `SPLIT_ROWS` rows is rolled out and differentiated
/// in row blocks (here of 151 and 150 rows) whose gradients are summed: still candle's autograd
/// through the whole rollout of the whole batch, also where the paper loss's max couples the
/// rows (w = 0.7).
#[test]
fn split_minibatch_gradients_equal_autograd() {
    use hits::stepper::backward::{ROW_BLOCKS, SPLIT_ROWS};
    let rows = SPLIT_ROWS + 45;
    assert!(rows.div_ceil(ROW_BLOCKS) < rows, "the batch is split");
    let (params, x, ys) = case_with(1, rows);
    let targets = steps(&ys);
    for (what, loss) in [
        ("paper w = 1", Loss::mse()),
        ("paper w = 0.7", Loss::paper(0.7)),
        ("l1", l1()),
    ] {
        training_equals_autograd(what, &params, &x, &ys, &targets, &loss);
    }
}

/// The loss values and gradients of training (`loss_and_grads`) for `params` against candle's
/// autograd through the rollout and the loss, as validation computes them; returns them.
fn training_equals_autograd(
    what: &str,
    params: &[Tensor],
    x: &Tensor,
    ys: &Tensor,
    targets: &[Tensor],
    loss: &Loss,
) -> (Tensor, Vec<Tensor>) {
    let (wv, bv) = split(params);
    let (values, grads) = loss_and_grads(&wv, &bv, x, targets, loss).unwrap();
    let vars: Vec<Var> = params
        .iter()
        .map(|p| Var::from_tensor(p).unwrap())
        .collect();
    let tracked: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let (tw, tb) = split(&tracked);
    let want = recurrent_loss(&tw, &tb, x, ys, loss).unwrap();
    assert!(
        close(&vec1(&values), &vec1(&want), 1e-13),
        "{what}: loss values"
    );
    let store = want.sum_all().unwrap().backward().unwrap();
    assert_eq!(grads.len(), vars.len(), "{what}");
    for (i, v) in vars.iter().enumerate() {
        let auto = vec1(store.get(v.as_tensor()).unwrap());
        assert!(
            close(&vec1(&grads[i]), &auto, 1e-12),
            "{what}: param {i} vs autograd"
        );
    }
    (values, grads)
}

/// The gradients training uses (hand-written through the rollout, the loss's own gradient
/// with respect to the predictions) equal candle's autograd through the whole rollout of the
/// validation loss, and central finite differences; each of the K nets gets the gradient it
/// gets alone.
#[test]
fn training_gradients_equal_autograd_and_finite_differences() {
    let (params, x, ys) = tiny_case();
    let targets = steps(&ys);
    let cases = [
        ("paper w = 1 (hand-written)", Loss::mse()),
        ("paper w = 0.7", Loss::paper(0.7)),
        ("weighted mse", weighted_mse()),
        ("l1", l1()),
    ];
    let mut checked = 0;
    for (what, loss) in &cases {
        let (values, grads) = training_equals_autograd(what, &params, &x, &ys, &targets, loss);

        // Finite differences of sum_k L_k.
        let total = |ps: &[Tensor]| -> f64 {
            let (pw, pb) = split(ps);
            let v = recurrent_loss(&pw, &pb, &x, &ys, loss).unwrap();
            v.sum_all().unwrap().to_scalar::<f64>().unwrap()
        };
        let h = 1e-6;
        for (pi, p) in params.iter().enumerate() {
            let g = vec1(&grads[pi]);
            let base = vec1(p);
            for j in 0..base.len() {
                let eval = |delta: f64| {
                    let mut q = base.clone();
                    q[j] += delta;
                    let mut ps = params.clone();
                    ps[pi] = Tensor::from_vec(q, p.dims(), p.device()).unwrap();
                    total(&ps)
                };
                let fd = (eval(h) - eval(-h)) / (2.0 * h);
                assert!(
                    (fd - g[j]).abs() <= 1e-6 + 1e-4 * fd.abs(),
                    "{what}: param {pi}[{j}]: gradient {} vs finite difference {fd}",
                    g[j]
                );
                checked += 1;
            }
        }

        // Net k alone: the same loss and gradients as row k of the stack.
        for k in 0..K {
            let row = |t: &Tensor| t.narrow(0, k, 1).unwrap();
            let (aw, ab) = split(&params.iter().map(row).collect::<Vec<_>>());
            let t_k: Vec<Tensor> = targets.iter().map(row).collect();
            let (v_k, g_k) = loss_and_grads(&aw, &ab, &row(&x), &t_k, loss).unwrap();
            assert!(
                close(&vec1(&v_k), &vec1(&row(&values)), 1e-14),
                "{what}: net {k}"
            );
            for (a, b) in g_k.iter().zip(&grads) {
                assert!(
                    close(&vec1(a), &vec1(&row(b)), 1e-14),
                    "{what}: net {k} grads"
                );
            }
        }
    }
    let per_case = K * ((2 * 5 + 5) + (5 * 5 + 5) + (5 * 2 + 2));
    assert_eq!(checked, cases.len() * per_case);
}

/// The paper loss (w = 1, hand-written gradient) and the same mean squared error written as
/// a closure (candle autograd) train to the same losses and weights.
#[test]
fn paper_loss_trains_the_same_by_hand_and_by_autograd() {
    let s = ResNetStepper::new(&[2, 16, 16, 2], 2, 0.05, 7, &Device::Cpu).unwrap();
    let run = |loss: Loss| {
        let cfg = TrainConfig {
            loss,
            ..small_cfg(100)
        };
        let mut t = Trainer::new(&[&s], vec![data(2, 3)], cfg).unwrap();
        t.run(usize::MAX, &mut |_| {}).unwrap();
        let last = t.current().unwrap().pop().unwrap();
        (t.finish().unwrap().pop().unwrap().1, last)
    };
    let (by_hand, w_hand) = run(Loss::mse());
    let (by_autograd, w_auto) = run(mse_closure());
    assert_eq!(by_hand.history.len(), 10);
    for (a, b) in by_hand.history.iter().zip(&by_autograd.history) {
        assert_eq!(a.0, b.0);
        assert!(
            (a.1 - b.1).abs() <= 1e-5 * a.1 && (a.2 - b.2).abs() <= 1e-5 * a.2,
            "{a:?} vs {b:?}"
        );
    }
    let d = max_diff(w_hand.layers(), w_auto.layers());
    assert!(d < 1e-5, "weights differ by {d:e}");
    assert!(
        max_diff(w_hand.layers(), s.layers()) > 1e-3,
        "the weights moved"
    );
}

/// One full-batch epoch on a custom loss: the reported training loss is that loss of the
/// initial weights, and the step is Adam's first step along that loss's gradient (a step of
/// `lr * g / (|g| + eps)`), not along the paper loss's.
#[test]
fn training_steps_on_the_custom_loss() {
    let s = ResNetStepper::new(&[2, 16, 16, 2], 2, 0.05, 11, &Device::Cpu).unwrap();
    let d = data(2, 3);
    let cfg = TrainConfig {
        loss: l1(),
        batch_size: 1000,
        eval_every: 1,
        ..small_cfg(1)
    };
    let mut t = Trainer::new(&[&s], vec![d.clone()], cfg.clone()).unwrap();
    t.run(usize::MAX, &mut |_| {}).unwrap();
    let (_, r) = t.finish().unwrap().pop().unwrap();
    let (l1_train, _) = l1_and_mse_by_hand(&s, &d.train);
    let train = r.history[0].1;
    assert!(
        (train - l1_train).abs() <= 1e-5 * l1_train,
        "train loss {train} vs L1 {l1_train}"
    );

    let after = t.current().unwrap().pop().unwrap();
    let (ws, bs) = stack_layers(&[s.layers().to_vec()]).unwrap();
    let x = d.train.x.unsqueeze(0).unwrap();
    let targets = steps(&d.train.ys.unsqueeze(0).unwrap());
    let first_step = |loss: &Loss| -> Vec<f64> {
        let (_, grads) = loss_and_grads(&ws, &bs, &x, &targets, loss).unwrap();
        let (w0, b0) = (&ws[0], &bs[0]);
        [(w0, &grads[0]), (b0, &grads[1])]
            .iter()
            .flat_map(|(p, g)| {
                let (p, g) = (
                    vec1(&p.to_dtype(DType::F64).unwrap()),
                    vec1(&g.to_dtype(DType::F64).unwrap()),
                );
                p.iter()
                    .zip(g)
                    .map(|(p, g)| p - cfg.lr * g / (g.abs() + 1e-8))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (wa, ba) = &after.layers()[0];
    let got: Vec<f64> = [wa.t().unwrap(), ba.clone()]
        .iter()
        .flat_map(|t| vec1(&t.to_dtype(DType::F64).unwrap()))
        .collect();
    let dist = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    };
    let on_l1 = dist(&got, &first_step(&l1()));
    let on_paper = dist(&got, &first_step(&Loss::mse()));
    assert!(
        on_l1 < 1e-6,
        "first layer {on_l1:e} from Adam's step on the L1 gradient"
    );
    assert!(
        on_paper > 1e-4,
        "the paper loss's step is another ({on_paper:e})"
    );
}
