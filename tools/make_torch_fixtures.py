"""Fixtures for tests/stepper_torch.rs (run: tools/.venv/bin/python tools/make_torch_fixtures.py).

1. Forward outputs of a few original models (../shared/data/original_models) on fixed inputs,
   computed by PyTorch after `torch.load` of the whole-module pickle.
2. A short full-batch training run of a tiny ResNet in PyTorch (Adam, lr 1e-3, w = 0.5 so the
   max term counts), starting from hits' initialisation, with its losses and final weights.
"""
import json
import os
import sys

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import original_hits as oh  # noqa: E402

root = os.path.dirname(here)
out = os.path.join(root, 'tests', 'fixtures', 'torch')
models = os.path.join(root, '..', 'shared', 'data', 'original_models')
os.makedirs(out, exist_ok=True)
torch.set_num_threads(1)

# 1. forward outputs of original models
picks = [('Hyperbolic', 1), ('Cubic', 1024), ('VanDerPol', 16), ('Hopf', 4), ('Hopf', 256)]
index = []
for system, step in picks:
    path = os.path.join(models, system, 'model_D{}_noise0.0.pt'.format(step))
    model = oh.load_original(path)
    rng = np.random.RandomState(step)
    x = rng.uniform(-1.5, 1.5, size=(16, model.n_dim)).astype(np.float32)
    with torch.no_grad():
        y1 = model(torch.tensor(x))
        y = y1
        for _ in range(4):
            y = model(y)
    name = '{}_D{}'.format(system, step)
    np.save(os.path.join(out, name + '_x.npy'), x)
    np.save(os.path.join(out, name + '_y1.npy'), y1.numpy())
    np.save(os.path.join(out, name + '_y5.npy'), y.numpy())
    index.append({'name': name, 'system': system, 'step_size': int(model.step_size), 'dt': float(model.dt),
                  'arch': [model.n_dim] + [model.increment._modules['Linear_{}'.format(i)].out_features
                                           for i in range(model.increment.n_layers)]})
with open(os.path.join(out, 'forward_index.json'), 'w') as f:
    json.dump(index, f, indent=1)

# 2. tiny training runs in PyTorch from hits' initial weights: with the max term (w = 0.5,
#    candle autograd in hits) and without (w = 1, hits' hand-written gradients)
for tag, w in [('train', 0.5), ('train_w1', 1.0)]:
    arch, seed, n, nf, epochs = [2, 16, 16, 2], 11, 24, 3, 25
    model = oh.numpy_init(oh.ResNet(arch, 0.1, 1), seed)
    rng = np.random.RandomState(5)
    traj = rng.uniform(-1, 1, size=(n, nf + 1, 2)).astype(np.float32)
    x, ys = torch.tensor(traj[:, 0]), torch.tensor(traj[:, 1:])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for epoch in range(epochs):
        loss = model.calculate_loss(x, ys, w=w)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    np.save(os.path.join(out, tag + '_traj.npy'), traj)
    np.save(os.path.join(out, tag + '_losses.npy'), np.array(losses, dtype=np.float64))
    for i in range(len(arch) - 1):
        lin = model.increment._modules['Linear_{}'.format(i)]
        np.save(os.path.join(out, tag + '_final_w{}.npy'.format(i)), lin.weight.detach().numpy())
        np.save(os.path.join(out, tag + '_final_b{}.npy'.format(i)), lin.bias.detach().numpy())
    with open(os.path.join(out, tag + '_setup.json'), 'w') as f:
        json.dump({'arch': arch, 'seed': seed, 'n': n, 'n_forward': nf, 'epochs': epochs, 'w': w, 'lr': 1e-3}, f, indent=1)
print('fixtures written to', out)
