"""Fixtures for tests/solvers.rs: scipy solve_ivp(method='RK45') on the paper's systems.

Run from the crate root:  tools/.venv/bin/python tools/make_solver_fixtures.py
Writes tests/fixtures/solvers/:
  cases.txt               one line per case: name system t0 tf n_points stride rtol atol
                          (floats as Python repr, so Rust's f64 parser reads them exactly)
  <case>_y0.npy           [k, dim] initial states
  <case>_t.npy            [n_saved] the saved times t_eval[::stride] (t_eval = np.linspace(t0, tf, n_points))
  <case>_y.npy            [k, n_saved, dim] scipy's solution at the saved times
  <case>_stats.npy        [k, 3] int64: nfev, accepted steps, rejected steps

The solve always uses the FULL t_eval grid (the paper's: dt 0.01 x 5120 steps, Lorenz dt 0.0005,
harmonic oscillator dt 0.001 x 2000 points); only every `stride`-th point is saved. The script
also checks the claim that t_eval does not influence the steps (same nfev and same end state
without t_eval), and prints the OpenBLAS summation-order experiment that src/solvers/order.rs
relies on (np.dot versus exactly rounded candidates).

The right-hand sides below mirror src/systems.rs operation by operation (x*x*x, not x**3), so
the comparison tests the solver alone.
"""
import os
import sys
from fractions import Fraction

import numpy as np
import scipy
from scipy.integrate import solve_ivp
from scipy.integrate._ivp.rk import RK45

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "solvers")


def hyperbolic(t, y):
    mu, lam = -0.05, -1.0
    return np.array([mu * y[0], lam * (y[1] - y[0] * y[0])])


def cubic(t, y):
    x3 = y[0] * y[0] * y[0]
    y3 = y[1] * y[1] * y[1]
    return np.array([-0.1 * x3 + 2.0 * y3, -2.0 * x3 - 0.1 * y3])


def vanderpol(t, y):
    mu = 2.0
    return np.array([y[1], mu * (1.0 - y[0] * y[0]) * y[1] - y[0]])


def hopf(t, y):
    mu, x, z = y[0], y[1], y[2]
    r2 = x * x + z * z
    return np.array([0.0, mu * x + z - x * r2, -x + mu * z - z * r2])


def lorenz(t, y):
    sigma, rho, beta = 10.0, 28.0, 8.0 / 3.0
    return np.array([sigma * (y[1] - y[0]), y[0] * (rho - y[2]) - y[1], y[0] * y[1] - beta * y[2]])


def harmonic(t, y):
    return np.array([y[1], -y[0]])


RHS = {"Hyperbolic": hyperbolic, "Cubic": cubic, "VanDerPol": vanderpol, "Hopf": hopf,
       "Lorenz": lorenz, "Harmonic": harmonic}


def initial_states(system, k, rng):
    """k initial states in the paper's sampling ranges."""
    if system in ("Hyperbolic", "Cubic"):
        return rng.uniform(-1, 1, (k, 2))
    if system == "VanDerPol":
        return np.stack([rng.uniform(-2, 2, k), rng.uniform(-4, 4, k)], axis=1)
    if system == "Hopf":
        return np.stack([rng.uniform(-0.2, 0.6, k), rng.uniform(-1, 2, k), rng.uniform(-1, 1, k)], axis=1)
    if system == "Lorenz":
        return np.stack([rng.uniform(-15, 15, k), rng.uniform(-15, 15, k), rng.uniform(5, 40, k)], axis=1)
    if system == "Harmonic":
        r, phi = rng.uniform(0, 2, k), rng.uniform(-np.pi, np.pi, k)
        return np.stack([r * np.sin(phi), r * np.cos(phi)], axis=1)
    raise ValueError(system)


def count_steps(fun, t0, tf, y0, rtol, atol):
    """Accepted steps of the same RK45, stepped by hand."""
    s = RK45(fun, t0, y0, tf, rtol=rtol, atol=atol)
    accepted = 0
    while s.status == "running":
        s.step()
        if s.status == "failed":
            raise RuntimeError("solver failed")
        accepted += 1
    return accepted, s.nfev, s.y


def make_case(name, system, t0, tf, n_points, stride, rtol, atol, k, seed, lines):
    fun = RHS[system]
    rng = np.random.default_rng(seed)
    y0s = initial_states(system, k, rng)
    t_eval = np.linspace(t0, tf, n_points)
    ys, stats = [], []
    for y0 in y0s:
        sol = solve_ivp(fun, (t0, tf), y0, method="RK45", t_eval=t_eval, rtol=rtol, atol=atol)
        assert sol.success, sol.message
        accepted, nfev, y_end = count_steps(fun, t0, tf, y0, rtol, atol)
        # t_eval does not influence stepping: same work and the same end state without it.
        free = solve_ivp(fun, (t0, tf), y0, method="RK45", rtol=rtol, atol=atol)
        assert free.nfev == sol.nfev == nfev, (free.nfev, sol.nfev, nfev)
        assert np.array_equal(free.y[:, -1], y_end)
        attempts = (nfev - 2) // 6
        ys.append(sol.y.T[::stride])
        stats.append([nfev, accepted, attempts - accepted])
    np.save(os.path.join(OUT, f"{name}_y0.npy"), y0s)
    np.save(os.path.join(OUT, f"{name}_t.npy"), t_eval[::stride])
    np.save(os.path.join(OUT, f"{name}_y.npy"), np.array(ys))
    np.save(os.path.join(OUT, f"{name}_stats.npy"), np.array(stats, dtype=np.int64))
    lines.append(f"{name} {system} {t0!r} {tf!r} {n_points} {stride} {rtol!r} {atol!r}")
    print(f"{name:24s} nfev {[s[0] for s in stats]} accepted {[s[1] for s in stats]} rejected {[s[2] for s in stats]}")


def fma(a, b, c):
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def blas_order_experiment(trials=200):
    """Which summation order np.dot uses for scipy's RK45 products (see src/solvers/order.rs)."""
    rng = np.random.default_rng(0)

    def gemv_pairs(m, w):
        acc, i = 0.0, 0
        while i + 4 <= len(w):
            acc = acc + fma(m[i], w[i], m[i + 1] * w[i + 1])
            acc = acc + fma(m[i + 2], w[i + 2], m[i + 3] * w[i + 3])
            i += 4
        for j in range(i, len(w)):
            acc = fma(m[j], w[j], acc)
        return acc

    def chain(m, w):
        acc = 0.0
        for a, b in zip(m, w):
            acc = fma(a, b, acc)
        return acc

    ok = {"gemv K[:s].T a": 0, "gemm K.T P": 0, "gemm Q p (m>1)": 0, "gemv_t Q p (m=1)": 0, "norm": 0}
    total = 0
    P = RK45.P
    for _ in range(trials):
        for n in (2, 3):
            total += 1
            K = rng.standard_normal((7, n)) * rng.uniform(0.1, 10)
            s = int(rng.integers(1, 8))
            a = rng.standard_normal(s)
            r = np.dot(K[:s].T, a)
            ok["gemv K[:s].T a"] += all(r[j] == gemv_pairs(K[:s, j], a) for j in range(n))
            Q = K.T.dot(P)
            ok["gemm K.T P"] += all(Q[j, c] == chain(K[:, j], P[:, c]) for j in range(n) for c in range(4))
            x = rng.uniform(0, 1, 5)
            p = np.cumprod(np.tile(x, (4, 1)), axis=0)
            r = np.dot(Q, p)
            ok["gemm Q p (m>1)"] += all(r[j, i] == chain(Q[j], p[:, i]) for j in range(n) for i in range(5))
            p1 = p[:, :1]
            r1 = np.dot(Q, p1)
            ok["gemv_t Q p (m=1)"] += all(
                r1[j, 0] == (Q[j, 0] * p1[0, 0] + Q[j, 2] * p1[2, 0]) + (Q[j, 1] * p1[1, 0] + Q[j, 3] * p1[3, 0])
                for j in range(n))
            v = K[0]
            ok["norm"] += np.linalg.norm(v) == np.sqrt(chain(v, v))
    for key, v in ok.items():
        print(f"  order experiment {key:18s}: {v}/{total} exact")
    return all(v == total for v in ok.values())


def main():
    print("numpy", np.__version__, "scipy", scipy.__version__)
    if not blas_order_experiment():
        print("WARNING: this numpy/OpenBLAS sums in another order than src/solvers/order.rs assumes;"
              " fixtures will agree to rounding only", file=sys.stderr)
    os.makedirs(OUT, exist_ok=True)
    lines = []
    d = 1e-3, 1e-6
    for seed, system in enumerate(["Hyperbolic", "Cubic", "VanDerPol", "Hopf"]):
        make_case(system.lower(), system, 0.0, 5120 * 0.01, 5121, 8, *d, 3, seed, lines)
    make_case("lorenz", "Lorenz", 0.0, 5120 * 0.0005, 5121, 8, *d, 3, 4, lines)
    make_case("harmonic", "Harmonic", 0.0, 1999 * 0.001, 2000, 8, *d, 3, 5, lines)
    # tight tolerances: many steps hold one or no t_eval point (the single-point dense path)
    make_case("vanderpol_tight", "VanDerPol", 0.0, 5120 * 0.01, 5121, 8, 1e-10, 1e-12, 2, 6, lines)
    make_case("lorenz_tight", "Lorenz", 0.0, 5120 * 0.0005, 5121, 8, 1e-10, 1e-12, 2, 7, lines)
    # backwards in time, t_eval decreasing
    make_case("harmonic_backward", "Harmonic", 10.0, 0.0, 1001, 4, *d, 2, 8, lines)
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
