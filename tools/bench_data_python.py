#!/usr/bin/env python3
"""Time the original data-generation code (scipy solve_ivp per trajectory) for BENCHMARKS.md.

Solves the first N train trajectories of each system exactly as the original notebook does and
extrapolates to the paper's sizes (every trajectory costs about the same); Lorenz runs its
train chain. Single process, as the original.

    tools/.venv/bin/python tools/bench_data_python.py [N]
"""
import sys
import time

import numpy as np
import scipy as sp
from scipy import integrate

import make_data_fixtures as f

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100


def main():
    for system, sizes in f.PAPER.items():
        if system == "Harmonic":
            continue
        dt = 5e-4 if system == "Lorenz" else 0.01
        total = 5120
        t = np.linspace(0, total * dt, total + 1)
        np.random.seed(2)
        start = time.perf_counter()
        if system == "Lorenz":
            rhs = f.lorenz_rhs
            x0 = np.random.uniform(-0.1, 0.1, 3)
            sol = sp.integrate.solve_ivp(lambda _, x: rhs(x), [0, 10000 * dt], x0,
                                         t_eval=np.linspace(0, 10000 * dt, 10001))
            start = time.perf_counter()
            for _ in range(N):
                sol = sp.integrate.solve_ivp(lambda _, x: rhs(x), [0, total * dt], sol.y[:, -1], t_eval=t)
        else:
            rhs = f.RHS[system]
            for _ in range(N):
                x0 = f.x_init(system, "train", f.DIM[system])
                sp.integrate.solve_ivp(lambda _, x: rhs(x), [0, total * dt], x0, t_eval=t)
        per = (time.perf_counter() - start) / N
        print(f"{system}: {per * 1e3:.1f} ms per trajectory -> {per * sum(sizes):.0f} s for "
              f"{sum(sizes)} trajectories (from {N})", flush=True)


if __name__ == "__main__":
    main()
