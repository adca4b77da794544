#!/usr/bin/env python3
"""Copy finished hierarchies of a training run into models/released/ (issue 29).

    tools/release_checkpoints.py FROM [--to models/released] [--steps 11]

FROM is a model root as `hits sweep` / `hits reproduce` write it: FROM/<System>/
model_D<k>_noise<n>.{safetensors,json,state.safetensors}. A (system, noise level) is released
when every one of its `--steps` steppers is finished: its JSON says it trained all the epochs
its settings asked for (`epochs >= train_config.epochs`) or reached the target loss. Released
are the weights and their JSON only (no optimizer state), copied to TO/<System>/ through a
temporary name and renamed, so a level appears whole or not at all. A level already in TO is
left alone when its files are identical and refused (exit status 1) when they differ: finished
work is never overwritten. Prints one line per level: released, unchanged, incomplete.
"""

import argparse
import filecmp
import json
import math
import os
import re
import shutil
import sys
from pathlib import Path

NAME = re.compile(r"^model_D(\d+)_noise([0-9.e-]+)\.json$")


def finished(meta: dict) -> bool:
    cfg = meta.get("train_config") or {}
    best = meta.get("best_val_loss")
    if not isinstance(best, (int, float)) or not math.isfinite(best):
        return False
    return meta.get("epochs", 0) >= cfg.get("epochs", math.inf) or best <= cfg.get("target_loss", -math.inf)


def levels(system_dir: Path) -> dict:
    """noise text -> {step: json path} of the checkpoints in one system's folder."""
    out: dict = {}
    for p in sorted(system_dir.iterdir()):
        m = NAME.match(p.name)
        if m and (p.with_suffix(".safetensors")).exists():
            out.setdefault(m.group(2), {})[int(m.group(1))] = p
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("--to", type=Path, default=Path("models/released"))
    ap.add_argument("--steps", type=int, default=11, help="steppers per hierarchy (default 11)")
    args = ap.parse_args()
    status = 0
    for system_dir in sorted(d for d in args.source.iterdir() if d.is_dir() and not d.name.startswith(".")):
        if system_dir.name == "quick":
            continue
        for noise, steps in levels(system_dir).items():
            what = f"{system_dir.name} noise {noise}"
            metas = {k: json.loads(p.read_text()) for k, p in steps.items()}
            done = [k for k, m in metas.items() if finished(m)]
            if len(steps) < args.steps or len(done) < len(steps):
                print(f"{what}: incomplete ({len(done)} of {args.steps} finished)")
                continue
            dest = args.to / system_dir.name
            files = [p for k in sorted(steps) for p in (steps[k].with_suffix(".safetensors"), steps[k])]
            same = [dest / f.name for f in files if (dest / f.name).exists()]
            if same:
                differ = [f.name for f in files if (dest / f.name).exists() and not filecmp.cmp(f, dest / f.name, shallow=False)]
                if differ:
                    print(f"{what}: REFUSED, {dest} holds other files of this level: {', '.join(differ)}", file=sys.stderr)
                    status = 1
                elif len(same) == len(files):
                    print(f"{what}: unchanged")
                else:
                    print(f"{what}: REFUSED, {dest} holds part of this level", file=sys.stderr)
                    status = 1
                continue
            dest.mkdir(parents=True, exist_ok=True)
            staged = []
            for f in files:
                tmp = dest / f".tmp-{os.getpid()}-{f.name}"
                shutil.copyfile(f, tmp)
                staged.append((tmp, dest / f.name))
            for tmp, final in staged:
                os.replace(tmp, final)
            epochs = sorted({m["epochs"] for m in metas.values()})
            print(f"{what}: released {len(steps)} steppers to {dest} (epochs {epochs})")
    return status


if __name__ == "__main__":
    sys.exit(main())
