"""scipy side of the solver benchmark (see tools/bench_solvers.sh).

Times scipy.integrate.solve_ivp(method='RK45', rtol=1e-3, atol=1e-6) per trajectory on the same
initial states and grids as benches/solvers.rs (tests/fixtures/solvers/<system>_y0.npy, the paper's
t_eval), printing `scipy,<case>,<seconds per trajectory>,<nfev per trajectory>` lines.
The right-hand sides are those of tools/make_solver_fixtures.py (numpy scalars, as scipy users write).
"""
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from make_solver_fixtures import RHS  # noqa: E402

FIX = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "solvers")
GRIDS = {"Hyperbolic": (5120 * 0.01, 5121), "Cubic": (5120 * 0.01, 5121), "VanDerPol": (5120 * 0.01, 5121),
         "Hopf": (5120 * 0.01, 5121), "Lorenz": (5120 * 0.0005, 5121), "Harmonic": (1999 * 0.001, 2000)}


def main():
    repeats = 1 if "--quick" in sys.argv else 3
    for system, (t_end, n) in GRIDS.items():
        y0s = np.load(os.path.join(FIX, f"{system.lower()}_y0.npy"))
        t_eval = np.linspace(0.0, t_end, n)
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            nfev = 0
            for y0 in y0s:
                sol = solve_ivp(RHS[system], (0.0, t_end), y0, method="RK45", t_eval=t_eval, rtol=1e-3, atol=1e-6)
                nfev += sol.nfev
            best = min(best, (time.perf_counter() - start) / len(y0s))
        print(f"scipy,{system.lower()},{best:.6e},{nfev / len(y0s):.0f}", flush=True)


if __name__ == "__main__":
    main()
