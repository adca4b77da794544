#!/usr/bin/env bash
# Prints which CPU a benchmark ran on, for the header of every tools/bench_*.sh run: the model,
# the logical CPUs, the vector extensions that decide which matmul and SIMD kernels run (gemm
# picks AVX-512 at run time where avx512f is present, else AVX2+FMA), and the load average.
# BENCHMARKS.md keeps one table per CPU model: copy these lines above each table.
set -euo pipefail
model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2-) "
ext=()
for f in sse4_2 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_bf16 avx512_fp16 amx_tile; do
    [[ "$flags" == *" $f "* ]] && ext+=("$f")
done
echo "== cpu: ${model:-unknown} ($(nproc) logical CPUs, $(grep -c '^processor' /proc/cpuinfo) online)"
echo "== vector extensions: ${ext[*]:-none found}"
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo '?')"
