"""A faithful PyTorch re-implementation of the original HiTS `ResNet` module and `train_net`.

Used for fixtures, for loading the original whole-module pickles, and as the benchmark peer.
The classes mirror the original `ResNet.py` (Liu, Kutz & Brunton): same module names
(`increment.Linear_{i}`), same loss, same training loop (one random minibatch per "epoch",
validation loss with gradients every epoch, checks every 1000 epochs).

`register()` installs this file as the module `ResNet` so that
`torch.load(path, weights_only=False)` resolves the pickled classes `ResNet.ResNet` and
`ResNet.NNBlock`.
"""
import sys

import numpy as np
import torch


class NNBlock(torch.nn.Module):
    def __init__(self, arch, activation=torch.nn.ReLU()):
        super().__init__()
        self.n_layers = len(arch) - 1
        self.activation = activation
        for i in range(self.n_layers):
            self.add_module('Linear_{}'.format(i), torch.nn.Linear(arch[i], arch[i + 1]))

    def forward(self, x):
        for i in range(self.n_layers - 1):
            x = self.activation(self._modules['Linear_{}'.format(i)](x))
        return self._modules['Linear_{}'.format(self.n_layers - 1)](x)


class ResNet(torch.nn.Module):
    def __init__(self, arch, dt, step_size, activation=torch.nn.ReLU()):
        super().__init__()
        self.n_dim = arch[0]
        self.dt = dt
        self.step_size = step_size
        self.increment = NNBlock(arch, activation=activation)

    def forward(self, x_init):
        return x_init + self.increment(x_init)

    def calculate_loss(self, x, ys, w=1.0):
        y_prev = x
        preds = []
        for t in range(ys.shape[1]):
            y_next = self.forward(y_prev)
            preds.append(y_next)
            y_prev = y_next
        y_preds = torch.stack(preds, 1)
        crit = torch.nn.MSELoss(reduction='none')
        return w * crit(y_preds, ys).mean() + (1 - w) * crit(y_preds, ys).max()

    def train_net(self, dataset, max_epoch, batch_size, w=1.0, lr=1e-3, model_path=None, verbose=True):
        optimizer = torch.optim.Adam(self.parameters(), lr=lr)
        epoch = 0
        best_loss = 1e+5
        while epoch < max_epoch:
            epoch += 1
            new_idxs = torch.randperm(dataset.n_train)
            batch_x = dataset.train_x[new_idxs[:batch_size]]
            batch_ys = dataset.train_ys[new_idxs[:batch_size]]
            train_loss = self.calculate_loss(batch_x, batch_ys, w=w)
            val_loss = self.calculate_loss(dataset.val_x, dataset.val_ys, w=w)
            if best_loss <= 1e-8:
                print('--> model has reached an accuracy of 1e-8! Finished training!')
                break
            optimizer.zero_grad()
            train_loss.backward()
            optimizer.step()
            if epoch % 1000 == 0:
                if verbose:
                    print('epoch {}, training loss {}, validation loss {}'.format(epoch, train_loss.item(), val_loss.item()))
                if val_loss.item() < best_loss:
                    best_loss = val_loss.item()
                    if model_path is not None:
                        torch.save(self, model_path)
        if val_loss.item() < best_loss and model_path is not None:
            torch.save(self, model_path)


class DataSet:
    """The original windows: x = X[:, 0], ys = X[:, step:(n_forward*step+1):step] (float32)."""

    def __init__(self, train_data, val_data, test_data, dt, step_size, n_forward):
        self.dt = dt
        self.step_size = step_size
        self.n_forward = n_forward
        sl = slice(step_size, n_forward * step_size + 1, step_size)
        self.train_x = torch.tensor(train_data[:, 0, :]).float()
        self.train_ys = torch.tensor(train_data[:, sl, :]).float()
        self.val_x = torch.tensor(val_data[:, 0, :]).float()
        self.val_ys = torch.tensor(val_data[:, sl, :]).float()
        self.test_x = torch.tensor(test_data[:, 0, :]).float()
        self.test_ys = torch.tensor(test_data[:, sl, :]).float()
        self.n_train = self.train_x.shape[0]


def numpy_init(model, seed):
    """Overwrite the weights with hits' initialisation (src/stepper/init.rs): numpy's legacy
    stream, per layer weight (row-major) then bias, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    rng = np.random.RandomState(seed)
    with torch.no_grad():
        for i in range(model.increment.n_layers):
            lin = model.increment._modules['Linear_{}'.format(i)]
            fan_out, fan_in = lin.weight.shape
            b = 1.0 / np.sqrt(fan_in)
            lin.weight.copy_(torch.tensor(rng.uniform(-b, b, size=fan_out * fan_in).astype(np.float32).reshape(fan_out, fan_in)))
            lin.bias.copy_(torch.tensor(rng.uniform(-b, b, size=fan_out).astype(np.float32)))
    return model


def register():
    """Make `torch.load` find the pickled classes `ResNet.ResNet` and `ResNet.NNBlock`."""
    sys.modules['ResNet'] = sys.modules[__name__]


def load_original(path):
    register()
    return torch.load(path, weights_only=False, map_location='cpu')
