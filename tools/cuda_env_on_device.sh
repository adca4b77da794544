#!/usr/bin/env bash
# Source this ON the lent GPU machine before running a `--features cuda` binary built here
# (tools/gpu_check.sh does; see tools/gpu_run.md). A copy of ../shared/gpu/cuda_env_on_device.sh,
# kept in the project because ../shared does not travel to the GPU machine.
# Seen on an H200 there (2026-11): libcublas/libcublasLt/libcurand (CUDA 13.0) in
# /usr/local/cuda/targets/x86_64-linux/lib, the driver's libcuda.so.1 in /usr/local/nvidia/lib.
for d in /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda/lib64 /usr/local/nvidia/lib /usr/local/nvidia/lib64; do
  [ -d "$d" ] && LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
export LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader 2>/dev/null || echo "no GPU visible"
