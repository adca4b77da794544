#!/usr/bin/env python3
"""Fixtures for `hits::data::generate`: the original data-generation notebook, scaled down.

For every system this runs the code of the original `data_generation.ipynb` (Hyperbolic, Cubic,
Van der Pol, Hopf, Lorenz) and `motivating_example.ipynb` (Harmonic), with np.random.seed(2),
the full number of points but only 3/2/2 train/val/test trajectories, and writes

  tests/fixtures/data/<System>/{train,val,test}_noise<noise>.npy   every 16th point ([:, ::16])
  tests/fixtures/data/<System>/paper_ics.npy                        initial conditions at the
      paper's sizes: first 3 and last 3 of each split, [3, 6, dim]; Lorenz: the three warm-up
      starts, [3, 1, 3]; Harmonic: (r, phi) pairs

Noise 0.0 for all, plus 0.01 for Hyperbolic and Lorenz. tests/data_sets.rs regenerates the same
sizes in Rust and compares.

    tools/.venv/bin/python tools/make_data_fixtures.py
"""
import os

import numpy as np
import scipy as sp
from scipy import integrate

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "data")
SUB = 16
MINI = (3, 2, 2)
PAPER = {
    "Hyperbolic": (1600, 320, 320),
    "Cubic": (3200, 320, 320),
    "VanDerPol": (3200, 320, 320),
    "Hopf": (3200, 320, 320),
    "Lorenz": (6400, 640, 640),
    "Harmonic": (500, 100, 100),
}
NOISY = {"Hyperbolic": [0.0, 0.01], "Lorenz": [0.0, 0.01]}

# --- right-hand sides, verbatim from the original notebook --------------------------------
mu, lam = -0.05, -1.0


def hyperbolic_rhs(x):
    return np.array([mu * x[0], lam * (x[1] - x[0] ** 2)])


def cubic_rhs(x):
    return np.array([-0.1 * x[0] ** 3 + 2 * x[1] ** 3, -2 * x[0] ** 3 - 0.1 * x[1] ** 3])


def van_der_pol_rhs(x):
    mu = 2.0
    return np.array([x[1], mu * (1 - x[0] ** 2) * x[1] - x[0]])


def hopf_rhs(x):
    return np.array([0, x[0] * x[1] + x[2] - x[1] * (x[1] ** 2 + x[2] ** 2),
                     -x[1] + x[0] * x[2] - x[2] * (x[1] ** 2 + x[2] ** 2)])


sigma, rho, beta = 10, 28, 8 / 3


def lorenz_rhs(x):
    return np.array([sigma * (x[1] - x[0]), x[0] * (rho - x[2]) - x[1], x[0] * x[1] - beta * x[2]])


RHS = {"Hyperbolic": hyperbolic_rhs, "Cubic": cubic_rhs, "VanDerPol": van_der_pol_rhs, "Hopf": hopf_rhs}
DIM = {"Hyperbolic": 2, "Cubic": 2, "VanDerPol": 2, "Hopf": 3, "Lorenz": 3, "Harmonic": 2}


def x_init(system, split, n):
    """One initial condition, drawn as the notebook does."""
    if system in ("Hyperbolic", "Cubic"):
        return np.random.uniform(-1.0, 1.0, n)
    if system == "VanDerPol":
        if split == "train":
            return [np.random.uniform(-2.0, 2.0), np.random.uniform(-4.0, 4.0)]
        return [np.random.uniform(-2.0, 2.0), np.random.uniform(-2.0, 2.0)]
    if system == "Hopf":
        return [np.random.uniform(-0.2, 0.6), np.random.uniform(-1, 2), np.random.uniform(-1, 1)]
    raise ValueError(system)


def add_noise(data, noise):
    for d in data:  # train, val, test, in place as the notebook's `+=`
        d += noise * d.std(1).mean(0) * np.random.randn(*d.shape)


def ode_system(system, sizes, noise):
    dt, n, total_steps = 0.01, DIM[system], 1024 * 5
    t = np.linspace(0, (total_steps) * dt, total_steps + 1)
    rhs = RHS[system]
    np.random.seed(2)
    data = []
    for split, count in zip(["train", "val", "test"], sizes):
        arr = np.zeros((count, total_steps + 1, n))
        for i in range(count):
            x0 = x_init(system, split, n)
            sol = sp.integrate.solve_ivp(lambda _, x: rhs(x), [0, total_steps * dt], x0, t_eval=t)
            arr[i, :, :] = sol.y.T
        data.append(arr)
    add_noise(data, noise)
    return data


def lorenz(sizes, noise):
    dt, n, total_steps, warmup = 5e-4, 3, 1024 * 5, 10000
    t = np.linspace(0, (total_steps) * dt, total_steps + 1)
    pre_t = np.linspace(0, warmup * dt, warmup + 1)
    np.random.seed(2)
    data = []
    for count in sizes:
        arr = np.zeros((count, total_steps + 1, n))
        x0 = np.random.uniform(-0.1, 0.1, n)
        sol = sp.integrate.solve_ivp(lambda _, x: lorenz_rhs(x), [0, warmup * dt], x0, t_eval=pre_t)
        for i in range(count):
            x0 = sol.y[:, -1].T
            sol = sp.integrate.solve_ivp(lambda _, x: lorenz_rhs(x), [0, total_steps * dt], x0, t_eval=t)
            arr[i, :, :] = sol.y.T
        data.append(arr)
    add_noise(data, noise)
    return data


def harmonic(sizes, noise):
    """motivating_example.ipynb; the original adds no noise (noise 0 only here)."""
    assert noise == 0.0
    dt, steps = 0.001, 2000
    np.random.seed(2)
    data = []
    for count in sizes:
        arr = np.zeros((count, steps, 2))
        t = np.linspace(0, (steps - 1) * dt, steps)
        for i in range(count):
            r0 = np.random.uniform(0, 2)
            phi0 = np.random.uniform(-np.pi, np.pi)
            arr[i, :, :] = np.array([r0 * np.sin(t + phi0), r0 * np.cos(t + phi0)]).T
        data.append(arr)
    return data


def paper_ics(system):
    """Initial conditions at the paper's sizes: first 3 and last 3 of each split."""
    np.random.seed(2)
    if system == "Lorenz":
        return np.array([[np.random.uniform(-0.1, 0.1, 3)] for _ in range(3)])
    out = []
    for split, count in zip(["train", "val", "test"], PAPER[system]):
        if system == "Harmonic":
            ics = [[np.random.uniform(0, 2), np.random.uniform(-np.pi, np.pi)] for _ in range(count)]
        else:
            ics = [np.asarray(x_init(system, split, DIM[system]), dtype=float) for _ in range(count)]
        ics = np.array(ics)
        out.append(np.concatenate([ics[:3], ics[-3:]]))
    return np.array(out)


def main():
    for system in PAPER:
        folder = os.path.join(OUT, system)
        os.makedirs(folder, exist_ok=True)
        np.save(os.path.join(folder, "paper_ics.npy"), paper_ics(system))
        for noise in NOISY.get(system, [0.0]):
            if system == "Lorenz":
                data = lorenz(MINI, noise)
            elif system == "Harmonic":
                data = harmonic(MINI, noise)
            else:
                data = ode_system(system, MINI, noise)
            for split, arr in zip(["train", "val", "test"], data):
                path = os.path.join(folder, "{}_noise{}.npy".format(split, noise))
                np.save(path, np.ascontiguousarray(arr[:, ::SUB]))
        print(system, "done")
    print("numpy", np.__version__, "scipy", sp.__version__, "->", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
