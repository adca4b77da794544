"""Fixtures for the Kuramoto-Sivashinsky solver (tests/sequence_ks.rs).

An independent numpy port of Kassam & Trefethen's kursiv.m (ETDRK4, contour-integral phi
functions with 16 upper-half-plane points and the real part, no dealiasing), with one change:
real FFTs (np.fft.rfft/irfft) instead of complex ones. With complex FFTs the round-off part of v
that is not Hermitian (an imaginary u) sees only the linear operator, grows like exp(t/4) and
overflows near t = 300 (kursiv.m stops at t = 150, so it never shows).

1. trajectory.npy: the paper's field (N = 512, L = 32 pi, h = 0.025) saved every 4 time units
   for t = 0..60, [512, 16]: the Rust solver must reproduce it to round-off amplification.
2. energy.json: statistics of E(t) = mean_x u(x,t)^2 on the attractor for L = 32 pi from long
   runs with a finer discretisation (N = 256, h = 0.05, 2/3 dealiasing), several initial
   conditions: the mean over t in [200, T] and its spread across runs.

Run: tools/.venv/bin/python tools/make_ks_fixtures.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "ks")


def kursiv_setup(N, L, h, dealias):
    k = np.concatenate([np.arange(0, N // 2), [0]]) * 2 * np.pi / L
    Lin = k**2 - k**4
    E = np.exp(h * Lin)
    E2 = np.exp(h * Lin / 2)
    M = 16
    r = np.exp(1j * np.pi * (np.arange(1, M + 1) - 0.5) / M)
    LR = h * Lin[:, None] + r[None, :]
    Q = h * np.real(np.mean((np.exp(LR / 2) - 1) / LR, axis=1))
    f1 = h * np.real(np.mean((-4 - LR + np.exp(LR) * (4 - 3 * LR + LR**2)) / LR**3, axis=1))
    f2 = h * np.real(np.mean((2 + LR + np.exp(LR) * (-2 + LR)) / LR**3, axis=1))
    f3 = h * np.real(np.mean((-4 - 3 * LR - LR**2 + np.exp(LR) * (4 - LR)) / LR**3, axis=1))
    g = -0.5j * k
    if dealias:
        j = np.arange(0, N // 2 + 1)
        g = np.where(3 * j >= N, 0, g)
    return E, E2, Q, f1, f2, f3, g


def run(u0, L, h, n_steps, save_every_steps, dealias=False):
    N = len(u0)
    E, E2, Q, f1, f2, f3, g = kursiv_setup(N, L, h, dealias)
    v = np.fft.rfft(u0)
    nl = lambda w: g * np.fft.rfft(np.fft.irfft(w, N) ** 2)
    saved = [u0.copy()]
    for n in range(1, n_steps + 1):
        Nv = nl(v)
        a = E2 * v + Q * Nv
        Na = nl(a)
        b = E2 * v + Q * Na
        Nb = nl(b)
        c = E2 * a + Q * (2 * Nb - Nv)
        Nc = nl(c)
        v = E * v + Nv * f1 + 2 * (Na + Nb) * f2 + Nc * f3
        if n % save_every_steps == 0:
            saved.append(np.fft.irfft(v, N))
    return np.array(saved).T


def main():
    os.makedirs(OUT, exist_ok=True)
    L = 32 * np.pi
    N = 512
    x = L * np.arange(1, N + 1) / N
    u0 = np.cos(x / 16) * (1 + np.sin(x / 16))
    h = 0.025
    traj = run(u0, L, h, n_steps=round(60 / h), save_every_steps=round(4 / h))
    np.save(os.path.join(OUT, "trajectory.npy"), traj)
    print("trajectory", traj.shape)

    # Energy statistics on the attractor.
    Ns, hs, T, t0 = 256, 0.05, 4200.0, 200.0
    xs = L * np.arange(1, Ns + 1) / Ns
    rng = np.random.RandomState(0)
    means = []
    for run_id in range(4):
        if run_id == 0:
            init = np.cos(xs / 16) * (1 + np.sin(xs / 16))
        else:
            init = 0.1 * rng.randn(Ns)
            init -= init.mean()
        us = run(init, L, hs, n_steps=round(T / hs), save_every_steps=round(1.0 / hs), dealias=True)
        e = np.mean(us**2, axis=0)[round(t0):]
        means.append(float(e.mean()))
        print("run", run_id, "mean E", means[-1])
    info = {
        "what": "time mean over t in [200, 4200] of mean_x u^2, L = 32 pi, N = 256, h = 0.05, 2/3 dealiased ETDRK4, sampled every 1.0",
        "initial_conditions": "run 0: cos(x/16)(1+sin(x/16)); runs 1-3: 0.1*randn (RandomState(0)), mean removed",
        "run_means": means,
        "mean": float(np.mean(means)),
        "std_across_runs": float(np.std(means, ddof=1)),
    }
    with open(os.path.join(OUT, "energy.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(info)


if __name__ == "__main__":
    main()
