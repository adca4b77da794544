#!/usr/bin/env python3
"""Fixtures for `hits::rng::RandomState`: numpy's legacy stream after `np.random.seed(seed)`.

Writes tests/fixtures/rng/seed<S>_<what>.npy (float64, 1-D) for seeds 0, 2, 12345 and 2**32-1.
tests/rng.rs replays the same calls in Rust and demands bit-for-bit equality.

    tools/.venv/bin/python tools/make_rng_fixtures.py
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "rng")
SEEDS = [0, 2, 12345, 2**32 - 1]


def interleaved():
    """The call sequence of tests/rng.rs `interleavings_match_numpy` (keep them in step)."""
    parts = [
        np.random.uniform(-1.0, 1.0, 3),
        np.random.randn(5),  # odd: leaves a cached gauss ...
        [np.random.uniform(2.0, 7.0)],  # ... which a uniform draw does not consume
        np.random.randn(1),  # the cached value
        np.random.random_sample(2),
        np.random.randn(3),
        [np.random.uniform(-0.2, 0.6), np.random.uniform(-1, 2), np.random.uniform(-1, 1)],
        np.random.randn(2),
    ]
    return np.concatenate([np.asarray(p, dtype=np.float64) for p in parts])


def main():
    os.makedirs(OUT, exist_ok=True)
    for seed in SEEDS:
        cases = {}
        np.random.seed(seed)
        cases["random_sample"] = np.random.random_sample(1500)  # crosses two twists of 624 words
        np.random.seed(seed)
        cases["uniform_m1_1"] = np.random.uniform(-1.0, 1.0, 101)
        np.random.seed(seed)
        cases["uniform_m4_4"] = np.random.uniform(-4.0, 4.0, 101)
        np.random.seed(seed)
        cases["uniform_pi"] = np.random.uniform(-np.pi, np.pi, 101)
        np.random.seed(seed)
        cases["randn"] = np.random.randn(1001)  # odd count: the last pair is half used
        np.random.seed(seed)
        cases["interleaved"] = interleaved()
        for name, arr in cases.items():
            np.save(os.path.join(OUT, f"seed{seed}_{name}.npy"), np.ascontiguousarray(arr, dtype=np.float64))
    print("numpy", np.__version__, "->", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
