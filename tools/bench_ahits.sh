#!/usr/bin/env bash
# AHiTS's online forecast benchmark (issue 28): the authors' functions (our faithful PyTorch port,
# tools/ahits_original.py bench) and hits (`cargo bench --bench ahits`, release, CPU) on the SAME
# checkpoints (the authors', ../shared/data), the SAME paper-size seed-2 data (made here by
# `hits generate`) and the SAME tolerances (the port picks them; hits reads them). Both sides on
# 2 threads. Measure on an otherwise idle machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="$root/target/bench_ahits"
mkdir -p "$out"
py="$here/.venv/bin/python"
[ -x "$py" ] || bash "$here/setup_python.sh"
cd "$root"
cargo build --release --quiet --bin hits
./target/release/hits generate --system hyperbolic --noise 0.0,0.01,0.05 --out "$out/data" >/dev/null
./target/release/hits generate --system hopf --noise 0.0,0.02,0.1 --out "$out/data" >/dev/null
"$here/cpu_header.sh"
echo "== load before: $(uptime)"
echo "== the authors' functions (PyTorch $("$py" -c 'import torch; print(torch.__version__)'), 2 threads)"
HITS_BENCH_THREADS=2 OMP_NUM_THREADS=2 "$py" -W ignore "$here/ahits_original.py" bench "$out/data" "$out/python_ahits.json"
echo "== hits (release, CPU, 2 threads)"
echo "== load: $(uptime)"
RAYON_NUM_THREADS=2 HITS_BENCH_DIR="$out" cargo bench --bench ahits
echo "== load after: $(uptime)"
