"""Fixtures for tests/stepper_torch.rs and tests/reliability_readers.rs.

Run: tools/setup_python.sh (makes tools/.venv with numpy, scipy and torch), then
`tools/.venv/bin/python tools/make_torch_fixtures.py [forward] [train] [views]` (all three
parts when none is named).

1. forward: outputs of a few original models (../shared/data/original_models) on fixed inputs,
   computed by PyTorch after `torch.load` of the whole-module pickle.
2. train: a short full-batch training run of a tiny ResNet in PyTorch (Adam, lr 1e-3, w = 0.5
   so the max term counts), starting from hits' initialisation, with its losses and final
   weights.
3. views: a whole-module pickle like the originals (classes `ResNet.ResNet`, `ResNet.NNBlock`)
   whose parameters are views of shared storages: `Linear_0.weight` at storage offset 4 and
   its bias at offset 30 of the same storage, `Linear_1.weight` a transpose (strides (1, 8))
   at offset 3, `Linear_1.bias` a slice of stride 2; `offset_view.pt` with torch's values of
   every weight (`offset_view_w{i}.npy`, `_b{i}.npy`), its forward outputs on fixed inputs and
   its views (`offset_view.json`); `nan_hidden.pt`, the same model with a NaN in the hidden
   layer's weight, and `nan_plain.pt`, a model of plain contiguous weights with one (both must
   be refused).
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
parts = sys.argv[1:] or ['forward', 'train', 'views']
unknown = set(parts) - {'forward', 'train', 'views'}
if unknown:
    sys.exit('unknown parts {} (forward, train, views)'.format(sorted(unknown)))

if 'forward' in parts:
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


if 'train' in parts:
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

# 3. a module whose parameters are views of shared storages at non-zero offsets
def views_model():
    torch.manual_seed(26)
    model = oh.ResNet([2, 8, 8, 2], 0.01, 4)
    big0 = torch.randn(60)
    big1 = torch.randn(80)
    lin = [model.increment._modules['Linear_{}'.format(i)] for i in range(3)]
    lin[0].weight = torch.nn.Parameter(big0[4:4 + 16].view(8, 2))
    lin[0].bias = torch.nn.Parameter(big0[30:38])
    lin[1].weight = torch.nn.Parameter(big1[3:3 + 64].view(8, 8).t())
    lin[1].bias = torch.nn.Parameter(big1[0:16:2])
    assert lin[0].weight.storage_offset() == 4 and lin[1].weight.stride() == (1, 8)
    return model, lin


def save_like_the_originals(model, path):
    # the originals pickle the classes as ResNet.ResNet and ResNet.NNBlock
    oh.register()
    saved = (oh.ResNet.__module__, oh.NNBlock.__module__)
    oh.ResNet.__module__ = oh.NNBlock.__module__ = 'ResNet'
    try:
        torch.save(model, path)
    finally:
        oh.ResNet.__module__, oh.NNBlock.__module__ = saved


def describe(t):
    return {'shape': list(t.shape), 'stride': list(t.stride()), 'storage_offset': t.storage_offset()}


if 'views' in parts:
    model, lin = views_model()
    path = os.path.join(out, 'offset_view.pt')
    save_like_the_originals(model, path)
    loaded = oh.load_original(path)
    llin = [loaded.increment._modules['Linear_{}'.format(i)] for i in range(3)]
    assert llin[0].weight.storage_offset() == 4, 'torch.save kept the view at offset 4'
    assert llin[1].weight.stride() == (1, 8) and llin[1].bias.stride() == (2,)
    views = {}
    for i, l in enumerate(llin):
        np.save(os.path.join(out, 'offset_view_w{}.npy'.format(i)), l.weight.detach().contiguous().numpy())
        np.save(os.path.join(out, 'offset_view_b{}.npy'.format(i)), l.bias.detach().contiguous().numpy())
        views['increment.Linear_{}.weight'.format(i)] = describe(l.weight)
        views['increment.Linear_{}.bias'.format(i)] = describe(l.bias)
    x = np.random.RandomState(26).uniform(-1.5, 1.5, size=(16, 2)).astype(np.float32)
    with torch.no_grad():
        y1 = loaded(torch.tensor(x))
    np.save(os.path.join(out, 'offset_view_x.npy'), x)
    np.save(os.path.join(out, 'offset_view_y1.npy'), y1.numpy())
    with open(os.path.join(out, 'offset_view.json'), 'w') as f:
        json.dump({'arch': [2, 8, 8, 2], 'dt': 0.01, 'step_size': 4, 'torch': torch.__version__,
                   'views': views}, f, indent=1)
    # the same model with a NaN in the hidden layer's weight
    model, lin = views_model()
    with torch.no_grad():
        lin[1].weight[2, 5] = float('nan')
    save_like_the_originals(model, os.path.join(out, 'nan_hidden.pt'))
    # and a plain model (contiguous weights, like the originals) with a NaN in the hidden layer
    torch.manual_seed(27)
    plain = oh.ResNet([2, 8, 8, 2], 0.01, 4)
    with torch.no_grad():
        plain.increment._modules['Linear_1'].weight[2, 5] = float('nan')
    save_like_the_originals(plain, os.path.join(out, 'nan_plain.pt'))

print('fixtures written to', out)
