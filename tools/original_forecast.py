#!/usr/bin/env python3
"""The original HiTS forecasting functions, re-implemented faithfully in PyTorch (benchmarks and
fixtures only; never a runtime dependency of hits).

Reproduces `ResNet.uni_scale_forecast` (including its off-by-one: x0 labelled as step 0 of the
output, i.e. time dt), `vectorized_multi_scale_forecast`, and a batched numpy RK4 for the hybrid
comparison. The classes are registered as module `ResNet` so that the original whole-module
pickles (`torch.save(model)`) load unchanged.

    original_forecast.py fixture OUT_DIR          # tiny random nets -> tests/fixtures/forecast/
    original_forecast.py bench MODEL_DIR OUT_DIR  # time the original on the 11 Hyperbolic models

`bench` writes, under OUT_DIR: x0.npy (the 320 initial states), D{s}_W{i}.npy / D{s}_b{i}.npy
(every layer of every model, for the Rust side to load the SAME weights), the predictions
(uni1.npy, multiscale.npy, hybrid.npy, rk4.npy) and python_times.json.
"""
import json
import os
import sys
import time

import numpy as np
import scipy.interpolate
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


from original_hits import ResNet, register


def uni_scale_forecast(self, x_init, n_steps):
    """The original `ResNet.uni_scale_forecast` (attached to the shared `ResNet` class below)."""
    steps, preds = [], []
    sample_steps = range(n_steps)
    x_prev = x_init
    cur_step = self.step_size - 1
    while cur_step < n_steps + self.step_size:
        x_next = self.forward(x_prev)
        steps.append(cur_step)
        preds.append(x_next)
        cur_step += self.step_size
        x_prev = x_next
    # the original's off-by-one: x_init is labelled 0 as well (time dt, not 0)
    steps.insert(0, 0)
    preds.insert(0, torch.tensor(x_init).float())
    preds = torch.stack(preds, 2).detach().numpy()
    cs = scipy.interpolate.interp1d(steps, preds, kind='linear')
    return torch.tensor(cs(sample_steps)).transpose(1, 2).float()


# One definition of the original classes (tools/original_hits.py), plus the forecasting method;
# the original pickles reference `ResNet.ResNet` and `ResNet.NNBlock`.
ResNet.uni_scale_forecast = uni_scale_forecast
register()


def vectorized_multi_scale_forecast(x_init, n_steps, models):
    step_sizes = [model.step_size for model in models]
    models = [m for _, m in sorted(zip(step_sizes, models), key=lambda p: p[0], reverse=True)]
    n_test, n_dim = x_init.shape
    indices = []
    extended_n_steps = n_steps + models[0].step_size
    preds = torch.zeros(n_test, extended_n_steps + 1, n_dim).float()
    indices.append(0)
    preds[:, 0, :] = x_init
    total_step_sizes = n_steps
    for model in models:
        n_forward = int(total_step_sizes / model.step_size)
        y_prev = preds[:, indices, :].reshape(-1, n_dim)
        indices_lists = [indices]
        for t in range(n_forward):
            y_next = model(y_prev)
            shifted_indices = [x + (t + 1) * model.step_size for x in indices]
            indices_lists.append(shifted_indices)
            preds[:, shifted_indices, :] = y_next.reshape(n_test, -1, n_dim)
            y_prev = y_next
        indices = [val for tup in zip(*indices_lists) for val in tup]
        total_step_sizes = model.step_size - 1
    last_idx = indices[-1]
    y_prev = preds[:, last_idx, :]
    while last_idx < n_steps:
        last_idx += models[-1].step_size
        y_next = models[-1](y_prev)
        preds[:, last_idx, :] = y_next
        indices.append(last_idx)
        y_prev = y_next
    sample_steps = range(1, n_steps + 1)
    valid_preds = preds[:, indices, :].detach().numpy()
    cs = scipy.interpolate.interp1d(indices, valid_preds, kind='linear', axis=1)
    return torch.tensor(cs(sample_steps)).float()


def hyperbolic_rhs(y):
    """x' = -0.05 x, y' = -(y - x^2) on a batch [n, 2]."""
    return np.stack([-0.05 * y[:, 0], -(y[:, 1] - y[:, 0] ** 2)], axis=1)


def rk4(f, y0, h, n_steps):
    """Classic RK4 on a batch, numpy: [n, n_steps + 1, dim]."""
    out = np.zeros((y0.shape[0], n_steps + 1, y0.shape[1]))
    y = y0.copy()
    out[:, 0] = y
    for i in range(n_steps):
        k1 = f(y)
        k2 = f(y + 0.5 * h * k1)
        k3 = f(y + 0.5 * h * k2)
        k4 = f(y + h * k3)
        y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        out[:, i + 1] = y
    return out


def hybrid(coarse, f, dt, h_in_dt, x_init, n_steps):
    """Coarse NN points, RK4 from each of them over its interval (batched), interpolation."""
    big = coarse.step_size
    k = -(-n_steps // big)
    pts = [x_init]
    with torch.no_grad():
        for _ in range(k):
            pts.append(coarse(pts[-1]))
    pts = torch.stack(pts, 1).double().numpy()  # [n, k + 1, dim]
    n_sub = int(round(big / h_in_dt))
    n, _, dim = pts.shape
    starts = pts[:, :k].transpose(1, 0, 2).reshape(-1, dim)
    fine = rk4(f, starts, h_in_dt * dt, n_sub)  # [k n, n_sub + 1, dim]
    fine = fine[:, :n_sub].reshape(k, n, n_sub, dim).transpose(1, 0, 2, 3).reshape(n, k * n_sub, dim)
    vals = np.concatenate([fine, pts[:, k:k + 1]], axis=1)
    steps = np.concatenate([np.arange(k * n_sub) * h_in_dt, [k * big]])
    return scipy.interpolate.interp1d(steps, vals, kind='linear', axis=1)(np.arange(1, n_steps + 1))


def best_of(fn, repeat):
    best, out = float('inf'), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def save_layers(model, prefix, out_dir):
    block = model._modules['increment']
    for i in range(block.n_layers):
        lin = block._modules['Linear_{}'.format(i)]
        np.save(os.path.join(out_dir, '{}_W{}.npy'.format(prefix, i)), lin.weight.detach().numpy().astype(np.float32))
        np.save(os.path.join(out_dir, '{}_b{}.npy'.format(prefix, i)), lin.bias.detach().numpy().astype(np.float32))


def fixture(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    sizes = [1, 2, 4, 8]
    models = [ResNet([2, 8, 8, 2], 0.01, s) for s in sizes]
    for m in models:
        save_layers(m, 'D{}'.format(m.step_size), out_dir)
    x0 = (torch.rand(5, 2) * 2 - 1) * 0.5
    np.save(os.path.join(out_dir, 'x0.npy'), x0.numpy())
    with torch.no_grad():
        np.save(os.path.join(out_dir, 'multiscale_1_2_4_8_n50.npy'), vectorized_multi_scale_forecast(x0, 50, models).numpy())
        np.save(os.path.join(out_dir, 'multiscale_2_8_n47.npy'), vectorized_multi_scale_forecast(x0, 47, [models[1], models[3]]).numpy())
        np.save(os.path.join(out_dir, 'uniscale_4_n30.npy'), models[2].uni_scale_forecast(x0, 30).numpy())


def bench(model_dir, out_dir):
    torch.set_num_threads(2)
    os.makedirs(out_dir, exist_ok=True)
    sizes = [2 ** k for k in range(11)]
    models = []
    for s in sizes:
        m = torch.load(os.path.join(model_dir, 'model_D{}_noise0.0.pt'.format(s)), weights_only=False, map_location='cpu')
        m.eval()
        save_layers(m, 'D{}'.format(s), out_dir)
        models.append(m)
    x0_path = os.path.join(out_dir, 'x0.npy')
    if not os.path.exists(x0_path):
        np.random.seed(2)
        np.save(x0_path, np.random.uniform(-1, 1, (320, 2)))
    x0_np = np.load(x0_path)
    x0 = torch.tensor(x0_np).float()
    n_steps = 5120
    times = {}
    with torch.no_grad():
        times['uni1'], uni1 = best_of(lambda: models[0].uni_scale_forecast(x0, n_steps), 3)
        times['multiscale'], ms = best_of(lambda: vectorized_multi_scale_forecast(x0, n_steps, models), 3)
        times['rk4'], rk = best_of(lambda: rk4(hyperbolic_rhs, x0_np, 0.01, n_steps), 3)
        times['hybrid'], hy = best_of(lambda: hybrid(models[-1], hyperbolic_rhs, 0.01, 1.0, x0, n_steps), 3)
        x1 = x0[:1]
        times['step_batch1'], _ = best_of(lambda: [models[0](x1) for _ in range(1000)], 3)
        times['step_batch1'] /= 1000
        times['step_batch320'], _ = best_of(lambda: [models[0](x0) for _ in range(100)], 3)
        times['step_batch320'] /= 100
        times['multiscale_batch1'], _ = best_of(lambda: vectorized_multi_scale_forecast(x1, n_steps, models), 3)
        # Rows advanced by the networks in each forecast (untimed run with a counting hook): the
        # FLOP count of the original's forecasts, including its points beyond the horizon.
        # (uni_scale_forecast calls self.forward directly, which hooks do not see: wrap forward.)
        rows = [0]
        def counting(forward):
            def wrapped(x):
                rows[0] += x.shape[0]
                return forward(x)
            return wrapped
        for m in models:
            m.forward = counting(m.forward)
        models[0].uni_scale_forecast(x0, n_steps)
        times['uni1_rows'], rows[0] = rows[0], 0
        vectorized_multi_scale_forecast(x0, n_steps, models)
        times['multiscale_rows'], rows[0] = rows[0], 0
        for m in models:
            del m.forward
        a = torch.randn(2048, 2048)
        t, _ = best_of(lambda: a @ a, 5)
        times['matmul2048_gflops'] = 2 * 2048 ** 3 / t / 1e9
    np.save(os.path.join(out_dir, 'uni1.npy'), uni1.numpy())
    np.save(os.path.join(out_dir, 'multiscale.npy'), ms.numpy())
    np.save(os.path.join(out_dir, 'rk4.npy'), rk[:, 1:])
    np.save(os.path.join(out_dir, 'hybrid.npy'), hy)
    times['torch'] = torch.__version__
    times['threads'] = torch.get_num_threads()
    with open(os.path.join(out_dir, 'python_times.json'), 'w') as f:
        json.dump(times, f, indent=1)
    print(json.dumps(times, indent=1))


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'fixture':
        fixture(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == 'bench':
        bench(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
