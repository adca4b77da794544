#!/usr/bin/env bash
# Training benchmark: hits (candle, CPU) vs the original PyTorch train_net, same shapes.
# Run on an otherwise idle machine: tools/bench_train.sh   (HITS_QUICK=1 for a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-2}"
tools/cpu_header.sh
cargo bench --bench train
# the original at 1 and at 2 threads (which is faster varies with the machine and its load)
HITS_TORCH_THREADS=1 tools/.venv/bin/python tools/bench_train.py
HITS_TORCH_THREADS=2 tools/.venv/bin/python tools/bench_train.py
