"""Fixtures for the whole-sequence baseline training of tests/baselines.rs
(run: tools/.venv/bin/python tools/fixtures_baseline_training.py).

The training loop of the original seq_generations.ipynb for its LSTM and CW-RNN: every epoch one
Adam step on the teacher-forced one-step MSE over the whole sequence, model(data[:-1]) against
data[1:], float32. The loss is looked at every EVAL epochs; the weights kept are those of the
lowest loss so far among the looks (the weights the loss was computed with, i.e. before that
epoch's step; hits keeps these, the original saves the weights one step later).

1. whole_lstm_*: torch.nn.LSTM(3, 6, batch_first=True) + torch.nn.Linear(6, 3) (PyTorch's
   initial weights, seed 11), 30 frames of three harmonics, 40 epochs, Adam lr 1e-2, looks
   every 10 epochs.
2. whole_cwrnn_*: a clockwork RNN of 3 modules of 2 units (periods 1, 4, 16) written from the
   equations of the original src/cwrnn.py: an nn.RNNCell(2, 6) whose block rows i update only
   when t % 4^i == 0, reading the hidden units of modules >= i; nn.Linear(6, 2) read-out
   (seed 12), 25 frames so that the period-16 module fires twice, same training.

Saved: the initial weights (<prefix>init_<name>.npy, hits' tensor names), the sequence, the
loss of every epoch, the kept epoch and the kept weights (<prefix>kept_<name>.npy), float64
copies of the float32 values.
"""
import os

import numpy as np
import torch

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, 'tests', 'fixtures', 'baselines')
os.makedirs(out, exist_ok=True)
torch.set_num_threads(1)

EPOCHS, LR, EVAL = 40, 1e-2, 10


def sequence(n, d):
    t = np.arange(n)[:, None]
    j = np.arange(d)[None, :]
    return (0.6 * np.sin(2 * np.pi * t / 12.0 + j) + 0.3 * np.cos(2 * np.pi * t / 5.0 + 0.5 * j)).astype(np.float32)


def save(prefix, tensors):
    for name, t in tensors.items():
        np.save(os.path.join(out, prefix + name + '.npy'), t.detach().double().numpy())


def train(model, params, data, prefix):
    """The original's loop; returns nothing, saves losses and the kept weights."""
    x = torch.tensor(data[np.newaxis, :-1, :])
    y = torch.tensor(data[np.newaxis, 1:, :])
    opt = torch.optim.Adam(list(params().values()), lr=LR)
    crit = torch.nn.MSELoss()
    losses, best, kept, kept_epoch = [], np.inf, None, 0
    for epoch in range(1, EPOCHS + 1):
        loss = crit(model(x), y)
        losses.append(loss.item())
        if epoch % EVAL == 0 or epoch == EPOCHS:
            if loss.item() < best:
                best, kept_epoch = loss.item(), epoch
                kept = {k: v.detach().clone() for k, v in params().items()}
        opt.zero_grad()
        loss.backward()
        opt.step()
    np.save(os.path.join(out, prefix + 'losses.npy'), np.array(losses, dtype=np.float64))
    np.save(os.path.join(out, prefix + 'kept_epoch.npy'), np.array([kept_epoch], dtype=np.int64))
    save(prefix + 'kept_', kept)
    return losses, kept_epoch


# 1. LSTM
torch.manual_seed(11)
d, h = 3, 6
data = sequence(30, d)
lstm = torch.nn.LSTM(d, h, batch_first=True)
fc = torch.nn.Linear(h, d)


def lstm_forward(x):
    hs, _ = lstm(x)
    return fc(hs)


def lstm_params():
    p = dict(lstm.state_dict(keep_vars=True))
    p['readout.weight'] = fc.weight
    p['readout.bias'] = fc.bias
    return p


np.save(os.path.join(out, 'whole_lstm_sequence.npy'), data.astype(np.float64))
save('whole_lstm_init_', lstm_params())
losses, e = train(lstm_forward, lstm_params, data, 'whole_lstm_')
print('LSTM losses', losses[0], '->', losses[-1], 'kept epoch', e)


# 2. CW-RNN
class ClockworkRNN(torch.nn.Module):
    def __init__(self, d, h, g):
        super().__init__()
        self.cell = torch.nn.RNNCell(d, h)
        self.fc = torch.nn.Linear(h, d)
        self.m, self.g = h // g, g

    def forward(self, x):
        b, steps, _ = x.shape
        hid = torch.zeros(b, self.cell.hidden_size)
        outs = []
        for t in range(steps):
            new = []
            for i in range(self.g):
                rows = slice(i * self.m, (i + 1) * self.m)
                if t % 4 ** i == 0:
                    a = x[:, t] @ self.cell.weight_ih[rows].T + self.cell.bias_ih[rows]
                    a = a + hid[:, i * self.m:] @ self.cell.weight_hh[rows, i * self.m:].T + self.cell.bias_hh[rows]
                    new.append(torch.tanh(a))
                else:
                    new.append(hid[:, rows])
            hid = torch.cat(new, 1)
            outs.append(self.fc(hid))
        return torch.stack(outs, 1)


torch.manual_seed(12)
d, h, g = 2, 6, 3
data = sequence(25, d)
cw = ClockworkRNN(d, h, g)


def cw_params():
    return {
        'input.weight': cw.cell.weight_ih,
        'recurrent.weight': cw.cell.weight_hh,
        'input.bias': cw.cell.bias_ih,
        'recurrent.bias': cw.cell.bias_hh,
        'readout.weight': cw.fc.weight,
        'readout.bias': cw.fc.bias,
    }


np.save(os.path.join(out, 'whole_cwrnn_sequence.npy'), data.astype(np.float64))
save('whole_cwrnn_init_', cw_params())
losses, e = train(cw, cw_params, data, 'whole_cwrnn_')
print('CW-RNN losses', losses[0], '->', losses[-1], 'kept epoch', e)
