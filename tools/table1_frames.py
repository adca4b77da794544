#!/usr/bin/env python3
"""Per-frame errors of a Table 1 run: how long each model's generated sequence stays on the truth.

Reads the data set as `hits data` wrote it (`<data>/data.npy`, features x frames, and
`normalization.json`: x -> (x - mean) / range per feature) and the generated sequences that
`hits reproduce table1` stored (`<results>/<model>.npy`, frames x features, normalised), and
prints, per model, the MSE over every frame (the table's number), the largest per-frame MSE, the
first frames whose MSE passes 10 % and 50 % of the normalised field's variance, and the mean
per-frame MSE of the last 500 frames as a multiple of that variance. Analysis only (numpy), never
a runtime dependency of hits.

    tools/.venv/bin/python tools/table1_frames.py data/KS results/table1_v2/table1/KS
"""

import json
import sys
from pathlib import Path

import numpy as np

MODELS = ["hits", "lstm", "esn", "cwrnn"]


def main(data_dir: Path, results_dir: Path) -> None:
    norm = json.loads((data_dir / "normalization.json").read_text())
    mean, scale = np.asarray(norm["mean"]), np.asarray(norm["range"])
    raw = np.load(data_dir / "data.npy")
    if raw.shape[0] == mean.size and raw.shape[1] != mean.size:
        raw = raw.T  # stored features x frames
    truth = (raw - mean) / scale
    var = truth.var()
    print(f"{data_dir}: {truth.shape[0]} frames x {truth.shape[1]} features, "
          f"variance of the normalised field {var:.4g}")
    print("| model | MSE | largest per-frame MSE | first frame > 10 % var | > 50 % var "
          "| last 500 frames / var |")
    print("|---|---|---|---|---|---|")
    for name in MODELS:
        path = results_dir / f"{name}.npy"
        if not path.exists():
            print(f"| {name} | missing: {path} | | | | |")
            continue
        generated = np.load(path)
        if generated.shape != truth.shape:
            sys.exit(f"{path}: shape {generated.shape}, the data set has {truth.shape}")
        per_frame = ((generated - truth) ** 2).mean(axis=1)
        if not np.isfinite(per_frame).all():
            sys.exit(f"{path}: non-finite values")

        def first_above(level: float) -> str:
            hits = np.nonzero(per_frame > level * var)[0]
            return str(hits[0]) if hits.size else "never"

        print(f"| {name} | {per_frame.mean():.4g} | {per_frame.max():.4g} | {first_above(0.1)} "
              f"| {first_above(0.5)} | {per_frame[-500:].mean() / var:.3g} |")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
