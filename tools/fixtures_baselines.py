"""Fixtures for tests/baselines.rs (run: tools/.venv/bin/python tools/fixtures_baselines.py).

1. lstm_*: torch.nn.LSTM(3, 5) + torch.nn.Linear(5, 3) in float64 with random weights: a
   teacher-forced pass over 12 frames (hidden states and predictions) and a free-running
   generation of 20 frames from the first frame (each output fed back as the next input).
2. esn_*: the ESN reservoir of hits::baselines::esn drawn with numpy's legacy stream
   (seed 3, h 60, d 2, input scale 0.5, density 0.1), its spectral radius from LAPACK
   (numpy.linalg.eigvals) before and after rescaling to 0.9, and the rescaled matrix.
"""
import os

import numpy as np
import torch

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, 'tests', 'fixtures', 'baselines')
os.makedirs(out, exist_ok=True)
torch.set_num_threads(1)

# 1. LSTM parity
torch.manual_seed(7)
d, h, T, G = 3, 5, 12, 20
lstm = torch.nn.LSTM(d, h).double()
lin = torch.nn.Linear(h, d).double()
with torch.no_grad():
    for p in list(lstm.parameters()) + list(lin.parameters()):
        p.uniform_(-0.6, 0.6)
x = torch.rand(T, 1, d, dtype=torch.float64) * 2 - 1
with torch.no_grad():
    hs, _ = lstm(x)
    pred = lin(hs)
    frames = [x[0]]
    state = None
    for _ in range(G - 1):
        o, state = lstm(frames[-1].unsqueeze(0), state)
        frames.append(lin(o[0]))
    gen = torch.cat(frames, 0)
for name, p in lstm.state_dict().items():
    np.save(os.path.join(out, 'lstm_' + name + '.npy'), p.numpy())
np.save(os.path.join(out, 'lstm_readout.weight.npy'), lin.weight.detach().numpy())
np.save(os.path.join(out, 'lstm_readout.bias.npy'), lin.bias.detach().numpy())
np.save(os.path.join(out, 'lstm_x.npy'), x[:, 0].numpy())
np.save(os.path.join(out, 'lstm_hidden.npy'), hs[:, 0].numpy())
np.save(os.path.join(out, 'lstm_pred.npy'), pred[:, 0].numpy())
np.save(os.path.join(out, 'lstm_generate.npy'), gen.numpy())

# 2. ESN reservoir
seed, h, d, scale, density = 3, 60, 2, 0.5, 0.1
np.random.seed(seed)
W_in = np.random.uniform(-scale, scale, (h, d))
mask = np.random.random_sample((h, h)) < density
W = np.zeros((h, h))
W[mask] = np.random.uniform(-1, 1, mask.sum())
rho = np.abs(np.linalg.eigvals(W)).max()
W9 = W * (0.9 / rho)
rho9 = np.abs(np.linalg.eigvals(W9)).max()
np.save(os.path.join(out, 'esn_w_in.npy'), W_in)
np.save(os.path.join(out, 'esn_w.npy'), W9)
np.save(os.path.join(out, 'esn_radius.npy'), np.array([rho, rho9]))
print('lstm gen', gen[-1].numpy(), 'esn radius raw', rho, 'rescaled', rho9, 'nnz', mask.sum())
