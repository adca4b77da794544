#!/usr/bin/env bash
# The prepared CPU/CUDA check: agreement of one forward step, of 100 training epochs and of a
# multiscale forecast; ms/epoch of one stepper [2,128,128,128,2], of the batched 11-stepper
# hierarchy and of Table 1's KS HiTS; the 320 x 5120 forecast with 11 steppers; each figure beside
# the same run's CPU figure, in ONE JSON file: DIR/gpu_check.json (and the log DIR/gpu_check.log).
#
#   tools/gpu_check.sh [--dry-run] [--tiny] --out DIR [--bin PATH]
#
#   --dry-run  the CPU only (CUDA figures null, with the reason): runs on any machine, with the
#              default build's binary (target/release/hits-gpu-check)
#   --tiny     small sizes (seconds): the test of this script (test.sh phase gpu-check-dry)
#   --bin      the hits-gpu-check binary to run; default: target/gpu-carry/hits-gpu-check (the
#              carried CUDA build, tools/gpu_run.md), else target/release/hits-gpu-check;
#              with --dry-run always target/release/hits-gpu-check
#
# On the lent GPU machine (no Rust there) this runs from a carried folder; how to build and carry
# it: tools/gpu_run.md. Without --dry-run, exit status 1 when no CUDA device is usable or an
# agreement is outside its tolerance (the JSON is written either way). Under 5 minutes on an H200.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="" dry=() tiny=() bin=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) dry=(--dry-run) ;;
        --tiny) tiny=(--tiny) ;;
        --out) out=${2:?--out needs a folder}; shift ;;
        --bin) bin=${2:?--bin needs a path}; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "gpu_check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$out" ] || { echo "gpu_check.sh: --out DIR is required (see --help)" >&2; exit 2; }
if [ -z "$bin" ]; then
    cands=("$here/../target/gpu-carry/hits-gpu-check" "$here/../target/release/hits-gpu-check")
    [ ${#dry[@]} = 0 ] || cands=("${cands[1]}")   # a dry run: the default (CPU) build
    for b in "${cands[@]}"; do
        [ -x "$b" ] && { bin=$b; break; }
    done
fi
[ -x "${bin:-}" ] || {
    echo "gpu_check.sh: no hits-gpu-check binary (build it: cargo build --release --bin hits-gpu-check," \
         "or --features cuda for the GPU; or pass --bin)" >&2
    exit 2
}
# On the GPU machine: the CUDA libraries and the driver's libcuda.so.1 (see tools/gpu_run.md)
if [ ${#dry[@]} = 0 ]; then
    for env in "$(dirname "$bin")/cuda_env_on_device.sh" "$here/cuda_env_on_device.sh"; do
        # shellcheck disable=SC1090
        [ -f "$env" ] && { source "$env"; break; }
    done
fi
mkdir -p "$out"
echo "gpu_check.sh: $bin ${dry[*]} ${tiny[*]} -> $out/gpu_check.json" >&2
status=0
"$bin" "${dry[@]}" "${tiny[@]}" --out "$out/gpu_check.json" 2>&1 | tee "$out/gpu_check.log" || status=$?
[ -s "$out/gpu_check.json" ] || { echo "gpu_check.sh: FAILED: no $out/gpu_check.json" >&2; exit 1; }
exit "$status"
