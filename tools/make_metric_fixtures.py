#!/usr/bin/env python3
"""Fixtures for the scores the paper's tables print and for the ESN's read-out (issue 29):

  - `forecast::mse_per_step` / `forecast::mse` on a prediction and a truth of shape [3, 7, 2]
    (no two axes the same length, so dividing by the wrong one changes the value), computed by
    numpy as ((pred - truth) ** 2).mean(axis=(0, 2)) and .mean();
  - Table 1's `sequence_mse` on two [11, 4] sequences, numpy's ((pred - truth) ** 2).mean();
  - the ESN (`baselines::Esn::fit`, reservoir 20, density 0.3, spectral radius 0.9, input scale
    0.5, ridge 1e-2, washout 3, seed 7) on a 60-frame 2-D sequence: the draws of
    src/baselines/esn.rs's docs in numpy's legacy stream, the rescaled reservoir, the
    teacher-forced states and the read-out by numpy's solve of the ridge normal equations
    (A^T A + ridge I) W^T = A^T Y, A = [states, 1].

Writes tests/fixtures/metrics/*.npy (float64); tests/metric_fixtures.rs reads them.

    tools/.venv/bin/python tools/make_metric_fixtures.py
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "metrics")


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), np.asarray(a, dtype=np.float64))


def metrics():
    rng = np.random.RandomState(29)
    truth = rng.normal(size=(3, 7, 2))
    pred = truth + rng.normal(scale=0.3, size=truth.shape) * np.linspace(0.1, 2.0, 7)[None, :, None]
    save("forecast_pred", pred)
    save("forecast_truth", truth)
    save("forecast_mse_per_step", ((pred - truth) ** 2).mean(axis=(0, 2)))
    save("forecast_mse", [((pred - truth) ** 2).mean()])
    seq_truth = rng.normal(size=(11, 4))
    seq_pred = seq_truth + rng.normal(scale=0.5, size=seq_truth.shape)
    save("sequence_pred", seq_pred)
    save("sequence_truth", seq_truth)
    save("sequence_mse", [((seq_pred - seq_truth) ** 2).mean()])


def esn():
    h, d, density, radius, scale, ridge, washout, seed = 20, 2, 0.3, 0.9, 0.5, 1e-2, 3, 7
    t = np.arange(60) * 0.2
    seq = np.stack([np.sin(t), 0.5 * np.cos(1.3 * t)], axis=1)
    np.random.seed(seed)
    w_in = np.random.uniform(-scale, scale, (h, d))
    mask = np.random.random_sample((h, h)) < density
    w = np.zeros((h, h))
    w[mask] = np.random.uniform(-1, 1, mask.sum())
    w *= radius / np.abs(np.linalg.eigvals(w)).max()
    n = seq.shape[0]
    states = np.zeros((n - 1, h))
    r = np.zeros(h)
    for k in range(n - 1):
        r = np.tanh(w @ r + w_in @ seq[k])
        states[k] = r
    a = np.hstack([states[washout:], np.ones((n - 1 - washout, 1))])
    y = seq[washout + 1 :]
    w_out = np.linalg.solve(a.T @ a + ridge * np.eye(h + 1), a.T @ y).T
    save("esn_sequence", seq)
    save("esn_input_weight", w_in)
    save("esn_reservoir", w)
    save("esn_readout", w_out)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    metrics()
    esn()
    print("wrote", sorted(os.listdir(OUT)))
