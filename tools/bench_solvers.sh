#!/usr/bin/env bash
# Side-by-side benchmark: our RK45 (benches/solvers.rs, release build) vs scipy's solve_ivp on the
# same trajectories. Usage: tools/bench_solvers.sh [--quick]
# Rust per-trajectory timings are single-threaded direct calls; the Lorenz data-set line uses rayon.
set -euo pipefail
cd "$(dirname "$0")/.."
py=tools/.venv/bin/python
[ -x "$py" ] || { echo "missing $py: run bash tools/setup_python.sh" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo bench --bench solvers --no-run >/dev/null 2>&1 || cargo bench --bench solvers --no-run
tools/cpu_header.sh
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench --bench solvers -- "$@" >"$tmp/rust.csv"
"$py" tools/bench_scipy.py "$@" >"$tmp/scipy.csv"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" - "$tmp/rust.csv" "$tmp/scipy.csv" <<'PY'
import sys
rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith("#"):
            print(line.rstrip())
            continue
        who, case, secs, nfev = line.strip().split(",")
        rows.setdefault(case, {})[who] = (float(secs), nfev)
print("| case | nfev (ours / scipy) | ours per trajectory | scipy per trajectory | speed-up |")
print("|---|---|---|---|---|")
for case, r in rows.items():
    ours, sc = r.get("rust"), r.get("scipy")
    if case.startswith("lorenz_dataset") and "lorenz" in rows and "scipy" in rows["lorenz"]:
        sc = rows["lorenz"]["scipy"]
    fmt = lambda v: f"{v[0] * 1e6:.1f} us" if v else "-"
    speed = f"{sc[0] / ours[0]:.0f}x" if ours and sc else "-"
    nf = f"{ours[1] if ours else '-'} / {sc[1] if sc else '-'}"
    print(f"| {case} | {nf} | {fmt(ours)} | {fmt(sc)} | {speed} |")
PY
