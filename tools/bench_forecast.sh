#!/usr/bin/env bash
# Forecasting benchmark: the original PyTorch functions (tools/original_forecast.py, 2 threads)
# and hits (`cargo bench --bench forecast`, release, CPU) on the SAME weights and inputs: the 11
# original Hyperbolic models and 320 initial states (np.random.seed(2), U(-1, 1)^2), 5120 steps.
# Measure on an otherwise idle machine: a concurrent build makes both sides several times slower.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
models="${1:-$root/../shared/data/original_models/Hyperbolic}"
out="$root/target/bench_forecast"
mkdir -p "$out"
py="$here/.venv/bin/python"
[ -x "$py" ] || bash "$here/setup_python.sh"
"$here/cpu_header.sh"
echo "== load before: $(uptime)"
echo "== original (PyTorch $("$py" -c 'import torch; print(torch.__version__)'), 2 threads)"
OMP_NUM_THREADS=2 "$py" -W ignore "$here/original_forecast.py" bench "$models" "$out"
echo "== hits (candle, release, CPU)"
cd "$root"
echo "== load: $(uptime)"
RAYON_NUM_THREADS=2 HITS_BENCH_DIR="$out" cargo bench --bench forecast
echo "== load after: $(uptime)"
