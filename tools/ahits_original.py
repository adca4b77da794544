#!/usr/bin/env python3
"""AHiTS as its authors' code computes it, re-implemented in PyTorch for fixtures and benchmarks
(never a runtime dependency of hits). Issue 28.

The published code (DanishRaf32/Adaptive-HiTs, `src/aHiTs.py` with `scripts/adaptive_HiTs.ipynb`)
does not run as published: it imports `aHiTs_new`, which exists only as a compiled `.pyc`. This
port follows the two functions of `aHiTs.py` step by step, slips included, so that hits can be
checked against what their code gives:

  - offline (`adaptive_multi_scale_forecast`): from `val[:, 0]`, try the steppers from the largest
    step to the smallest; take the first whose predicted change mean((N(y) - y)^2) (over batch and
    components) is below the tolerance, the smallest when none is; repeat while the steps taken
    are short of the horizon (so the last step may end past it: slip 2);
  - online (`adaptive_multi_scale_online`): the schedule's runs of equal steps are segments. A run
    of `count` steps ending at schedule position i covers `count * steps_used[i - 1] - 1` points
    from its start (slip 1: index i - 1 is the previous run's step when the run has one step, and
    wraps to the schedule's LAST step when that run is the first); the candidates are the steppers
    from that step up to the one closest to the segment's length (numpy argmin: the smaller on a
    tie); the candidate sets models[:len - j], j = 0, 1, ..., are scored by the validation MSE of
    the segment forecast from the TRUE validation state at the segment's start, and the last set
    with an MSE <= the best so far wins; a run of one step uses that stepper alone; the test set is
    forecast segment by segment by `vectorized_multi_scale_forecast` from the PREDICTED state. The
    last run is forecast to the horizon.
  - the notebook's tolerances by system name; its `'Ks'` never equals `'KS'` (slip 3), so KS gets
    no tolerance there.

    ahits_original.py fixture DATA_ROOT OUT_DIR    # tests/fixtures/ahits/: schedules and MSEs
    ahits_original.py bench DATA_ROOT OUT_JSON     # time the online forecast (BENCHMARKS.md)

`fixture` reads `hits generate --quick` data (`DATA_ROOT/quick/<System>/{val,test}_noise<n>.npy`),
`bench` the paper-size data of `hits generate` (`DATA_ROOT/<System>/...`; tools/bench_ahits.sh).
The steppers are the authors' checkpoints in ../shared/data (noise 0: original_models/, noisy:
ahits_models/). `bench` runs on HITS_BENCH_THREADS torch threads (default 2) and times each
online forecast as the best of 3 (the whole online forecast: the segments' selection on the
validation set and the test forecast; and the test forecast alone).
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from original_forecast import vectorized_multi_scale_forecast  # noqa: E402
from original_hits import load_original  # noqa: E402

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
STEP_SIZES = [2**k for k in range(11)]
# The notebook's tolerances (its cell of adjustables), by system name.
TOLERANCES = {"Hyperbolic": 1e-5, "Cubic": 5e-4, "VanDerPol": 8e-2, "Hopf": 5e-3, "Ks": 8e-6}
# (system, noise) pairs of the fixture: noise 0 and noisy levels of the authors' noise study.
CASES = [("Hyperbolic", 0.0), ("Hyperbolic", 0.01), ("Hyperbolic", 0.05), ("Hopf", 0.0), ("Hopf", 0.02), ("Hopf", 0.1)]


def py_float(x):
    return repr(float(x))


def load_models(system, noise):
    sub = "original_models" if noise == 0 else "ahits_models"
    models = []
    for s in STEP_SIZES:
        m = load_original(os.path.join(SHARED, sub, system, f"model_D{s}_noise{py_float(noise)}.pt"))
        m.eval()
        models.append(m)
    return models


def mse(a, b):
    return ((a - b) ** 2).mean().item()


def schedule(val, n_steps, models, tol):
    """The offline schedule: the list of step sizes taken from val[:, 0], and the smallest
    relative distance |change - tol| / tol of any change compared with the tolerance (a decision
    that close to it may go the other way in another float32 implementation)."""
    by_step = sorted(models, key=lambda m: m.step_size, reverse=True)
    smallest = by_step[-1].step_size
    y = torch.tensor(val[:, 0, :]).float()
    taken, reached, margin = [], 0, float("inf")
    with torch.no_grad():
        while reached < n_steps:
            for m in by_step:
                y_next = m(y)
                change = mse(y, y_next)
                margin = min(margin, abs(change - tol) / tol)
                if change < tol or m.step_size == smallest:
                    taken.append(m.step_size)
                    reached += m.step_size
                    y = y_next
                    break
    return taken, margin


# A decision closer than this (relative) to the tolerance is a float32 coin toss.
SAFE_MARGIN = 1e-4


def closest(values, target):
    values = np.asarray(values)
    return int(values[np.abs(values - target).argmin()])


def online(val, test, n_steps, models, taken, timer=None):
    """The online forecast of `test` from test[:, 0] along the schedule `taken`: predictions
    [n_test, T, dim] (index 0 the initial state), the segments (start, points, steps) and the
    network evaluations per trajectory (one stepper applied to one state). `timer["test"]`, when
    given, gains the seconds spent forecasting the test set (the selection excluded)."""
    n_test, n_points, dim = test.shape
    preds = torch.empty(n_test, val.shape[1], dim)
    preds[:, 0, :] = torch.tensor(test[:, 0, :]).float()
    starts, segments = [0], []
    count, reached, seg = 1, 0, 0
    end_idx = None  # the authors' variable outlives each segment
    evaluations = [0]

    def forecast(x0, n, chosen, counting):
        if not counting:
            return vectorized_multi_scale_forecast(x0, n_steps=n, models=chosen)
        evaluations[0] += evaluations_of(n, [m.step_size for m in chosen])
        start = time.perf_counter()
        y = vectorized_multi_scale_forecast(x0, n_steps=n, models=chosen)
        if timer is not None:
            timer["test"] += time.perf_counter() - start
        return y

    def choose(first, n_init, start, truth, n):
        nonlocal end_idx
        lo = STEP_SIZES.index(first)
        hi = STEP_SIZES.index(closest(STEP_SIZES, n_init)) + 1
        candidates = models[lo:hi]
        best = 1e5
        for j in range(len(candidates)):
            y = forecast(torch.tensor(val[:, start, :]).float(), n, candidates[: len(candidates) - j], False)
            score = mse(torch.tensor(truth).float(), y)
            if score <= best:
                end_idx = len(candidates) - j
                best = score
        return candidates

    with torch.no_grad():
        for i in range(len(taken) - 1):
            x = taken[i]
            if taken[i + 1] == x:
                count += 1
            else:
                n_init = count * taken[i - 1] - 1
                reached += n_init
                starts.append(reached)
                ic = starts[seg] + 1
                candidates = choose(taken[i - 1], n_init, starts[seg], val[:, ic : n_init + ic, :], n_init)
                chosen = [models[STEP_SIZES.index(x)]] if count == 1 else candidates[:end_idx]
                y = forecast(preds[:, starts[seg], :], n_init, chosen, True)
                preds[:, ic : n_init + ic, :] = y
                segments.append({"start": starts[seg], "points": n_init, "steps": [m.step_size for m in chosen]})
                seg += 1
                count = 1
            if i + 1 == len(taken) - 1:
                n_init = count * taken[i] - 1
                ic = starts[seg] + 1
                n = n_steps + 1 - ic
                candidates = choose(taken[i], n_init, starts[seg], val[:, ic:, :], n)
                chosen = candidates[:end_idx]
                y = forecast(preds[:, starts[seg], :], n, chosen, True)
                preds[:, ic:, :] = y
                segments.append({"start": starts[seg], "points": n, "steps": [m.step_size for m in chosen]})
                break
    return preds, segments, evaluations[0]


def evaluations_of(n_steps, steps):
    """Stepper applications per trajectory of `vectorized_multi_scale_forecast(n_steps, steps)`:
    each stepper (largest first) is applied n_forward times to every point reached so far; then
    the smallest one steps from the last point reached to the horizon."""
    steps = sorted(steps, reverse=True)
    points, total, span, last = 1, 0, n_steps, 0
    for s in steps:
        n_forward = span // s
        total += points * n_forward
        points *= n_forward + 1
        last += n_forward * s
        span = s - 1
    while last < n_steps:
        last += steps[-1]
        total += 1
    return total


def slips(taken, n_steps):
    runs = []
    for s in taken:
        if runs and runs[-1][0] == s:
            runs[-1][1] += 1
        else:
            runs.append([s, 1])
    return {
        "step_read_at_i_minus_1": any(c == 1 for _, c in runs[:-1]),
        "first_run_wraps": len(runs) > 1 and runs[0][1] == 1,
        "last_step_past_horizon": sum(taken) > n_steps,
    }


def run_case(data_root, system, noise, repeat=1):
    d = os.path.join(data_root, system)
    val = np.load(os.path.join(d, f"val_noise{py_float(noise)}.npy"))
    test = np.load(os.path.join(d, f"test_noise{py_float(noise)}.npy"))
    models = load_models(system, noise)
    n_steps = test.shape[1] - 1
    # The notebook's tolerance, unless one of the schedule's decisions lies within SAFE_MARGIN of
    # it on these data; then the nearest tolerance in steps of 1 % (up, then down) that has none.
    paper_tol = TOLERANCES[system]
    for k in [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5]:
        tol = paper_tol * 1.01**k
        taken, margin = schedule(val, n_steps, models, tol)
        if margin > SAFE_MARGIN:
            break
    else:
        sys.exit(f"{system} noise {noise}: no tolerance near {paper_tol} keeps its decisions {SAFE_MARGIN} away")
    seconds, test_seconds = float("inf"), float("inf")
    for _ in range(repeat):
        timer = {"test": 0.0}
        start = time.perf_counter()
        preds, segments, evaluations = online(val, test, n_steps, models, taken, timer)
        seconds = min(seconds, time.perf_counter() - start)
        test_seconds = min(test_seconds, timer["test"])
    per_step = ((torch.tensor(test[:, 1:, :]).float() - preds[:, 1 : n_steps + 1, :]) ** 2).mean(-1).mean(0)
    return {
        "system": system,
        "noise": noise,
        "tol": tol,
        "paper_tol": paper_tol,
        "margin": margin,
        "n_val": int(val.shape[0]),
        "n_test": int(test.shape[0]),
        "n_steps": n_steps,
        "steps_used": taken,
        "segments": segments,
        "slips": slips(taken, n_steps),
        "test_mse": per_step.mean().item(),
        "mse_per_step_every_512": [per_step[i].item() for i in range(0, n_steps, 512)],
        "evaluations": evaluations,
        "seconds": seconds,
        "test_seconds": test_seconds,
    }


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("fixture", "bench"):
        sys.exit(__doc__)
    mode, data_root, out = sys.argv[1:]
    if mode == "fixture":
        torch.set_num_threads(1)
        results = [run_case(os.path.join(data_root, "quick"), system, noise) for system, noise in CASES]
    else:
        torch.set_num_threads(int(os.environ.get("HITS_BENCH_THREADS", "2")))
        results = []
        for system, noise in CASES:
            r = run_case(data_root, system, noise, repeat=3)
            print(f"{system} noise {noise}: tol {r['tol']:.4g}, online {r['seconds']:.3f} s (test forecast {r['test_seconds']:.3f} s), test MSE {r['test_mse']:.4e}, {r['evaluations']} evaluations", flush=True)
            results.append(r)
    if mode == "fixture":
        os.makedirs(out, exist_ok=True)
        for r in results:
            r.pop("seconds")
            r.pop("test_seconds")
            name = f"{r['system']}_noise{py_float(r['noise'])}.json"
            with open(os.path.join(out, name), "w") as f:
                json.dump(r, f, indent=1)
            print(f"{name}: schedule {len(r['steps_used'])} steps, {len(r['segments'])} segments, test MSE {r['test_mse']:.4e}, slips {r['slips']}")
    else:
        with open(out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
