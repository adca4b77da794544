"""Time the original train_net (tools/original_hits.py) per epoch on the CPU with
HITS_TORCH_THREADS threads (default 2):
arch [2,128,128,128,2], batch 320, n_forward 5, 1600 training / 320 validation windows."""
import sys
import time
import os

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import original_hits as oh  # noqa: E402

threads = int(os.environ.get('HITS_TORCH_THREADS', '2'))
torch.set_num_threads(threads)
torch.manual_seed(0)
quick = os.environ.get('HITS_QUICK', '') not in ('', '0')
epochs = 20 if quick else 200


class Windows:
    def __init__(self, n_train, n_val, seed):
        rng = np.random.RandomState(seed)
        self.train_x = torch.tensor(rng.uniform(-1, 1, (n_train, 2))).float()
        self.train_ys = torch.tensor(rng.uniform(-1, 1, (n_train, 5, 2))).float()
        self.val_x = torch.tensor(rng.uniform(-1, 1, (n_val, 2))).float()
        self.val_ys = torch.tensor(rng.uniform(-1, 1, (n_val, 5, 2))).float()
        self.n_train = n_train


data = Windows(1600, 320, 0)
model = oh.ResNet([2, 128, 128, 128, 2], 0.01, 1)
model.train_net(data, 5, 320, verbose=False)  # warm-up
start = time.perf_counter()
model.train_net(data, epochs, 320, verbose=False)
per = (time.perf_counter() - start) / epochs
print('original one stepper: {:.3f} ms/epoch ({} epochs, torch {}, {} threads)'.format(per * 1e3, epochs, torch.__version__, threads))
print('original 11 steppers separate: {:.3f} ms/epoch (11 x one)'.format(11 * per * 1e3))
