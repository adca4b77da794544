#!/usr/bin/env python3
"""Fixtures for problems of one's own (`hits::problem`, tests/problems.rs): a system the crate
does not know, generated the way the original `data_generation.ipynb` generates its systems,
and the same trajectories as a user's own `.npy` files.

FitzHugh-Nagumo, v' = v - v^3/3 - w + I, w' = eps (v + a - b w) with a = 0.7, b = 0.8,
eps = 0.08, I = 0.5; np.random.seed(5); per trajectory v ~ U(-2, 2) then w ~ U(-1, 1.5), all
train, then val, then test (12 / 6 / 6); scipy's default RK45 (rtol 1e-3, atol 1e-6) on
np.linspace(0, 12.8, 129). Writes into tests/fixtures/problems/:

  fhn/{train,val,test}_noise0.0.npy   float64, the reference for generation in Rust
  fhn_f32/{train,val,test}_noise0.0.npy  the same as float32: a user's data folder
  fhn_all_f32.npy                        all 24 trajectories in one float32 file
  permutation_seed7_n24.npy              np.random.RandomState(7).permutation(24)
  permutation_seed123_n1000.npy          np.random.RandomState(123).permutation(1000)

    tools/.venv/bin/python tools/make_problem_fixtures.py
"""
import os

import numpy as np
from scipy import integrate

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "problems")
A, B, EPS, I = 0.7, 0.8, 0.08, 0.5
SIZES = (12, 6, 6)
N_POINTS, DT = 129, 0.1


def fhn(t, y):
    v, w = y
    return [v - v**3 / 3 - w + I, EPS * (v + A - B * w)]


def main():
    np.random.seed(5)
    ics = []
    for n in SIZES:
        ics.append([[np.random.uniform(-2, 2), np.random.uniform(-1, 1.5)] for _ in range(n)])
    t = np.linspace(0, (N_POINTS - 1) * DT, N_POINTS)
    splits = []
    for split in ics:
        trajs = [integrate.solve_ivp(fhn, [0, t[-1]], y0, t_eval=t).y.T for y0 in split]
        splits.append(np.array(trajs))
    for name, dtype in [("fhn", np.float64), ("fhn_f32", np.float32)]:
        os.makedirs(os.path.join(OUT, name), exist_ok=True)
        for split, arr in zip(["train", "val", "test"], splits):
            np.save(os.path.join(OUT, name, f"{split}_noise0.0.npy"), arr.astype(dtype))
    np.save(os.path.join(OUT, "fhn_all_f32.npy"), np.concatenate(splits).astype(np.float32))
    np.save(os.path.join(OUT, "permutation_seed7_n24.npy"), np.random.RandomState(7).permutation(24))
    np.save(os.path.join(OUT, "permutation_seed123_n1000.npy"), np.random.RandomState(123).permutation(1000))
    print("wrote", OUT, [s.shape for s in splits])


if __name__ == "__main__":
    main()
