#!/usr/bin/env bash
# A GPU-less CUDA 13.0 build environment for `cargo build --features cuda` (candle 0.11.1,
# cudarc 0.19.10 with dynamic linking), prepared once and cached; the project's version of
# ../shared/gpu/setup_cuda_build_env.sh (verified there: a binary built this way ran on an H200).
#
#   source tools/cuda_env.sh      prepare (first time only) and export the build variables
#   tools/cuda_env.sh             prepare only, then print the variables as `export` lines
#
# What it makes, in $HITS_CUDA_CACHE (default ~/.cache/hits-cuda):
#   cuda-13.0/   usable as CUDA_HOME: nvcc 13.0.88 (+cicc, ptxas), headers, link names lib/lib*.so
#                and lib/stubs/libcuda.so (a generated stub, link-time only: never ship or load it)
#   cuda-13.0/.hits-ready   the marker, written LAST: with it (and the same recipe) a second run is
#                instant; without it the folder is rebuilt from the cached wheels (wheels/)
#   HITS_CUDA_LITE=1 (default): cuBLAS/cuRAND/NVRTC are generated link stubs with the real SONAMEs
#                and symbol-version nodes (~105 MB download; the binary's NEEDED entries are those of
#                the real libraries). HITS_CUDA_LITE=0: the real libraries too (~675 MB).
# Exports: CUDA_HOME, PATH (nvcc first), CUDA_COMPUTE_CAP=90 (sm_90a PTX: H100/H200 only),
# CUDARC_CUDA_VERSION=13000, LIBRARY_PATH (lib and lib/stubs: the link step finds libcuda.so there).
# 13.0.x on purpose: the lent GPU machine's driver is 580 (CUDA 13.0), and PTX from a newer nvcc
# is refused there (CUDA_ERROR_UNSUPPORTED_PTX_VERSION).
# Needs python3 with pip, gcc, flock, network on the first run, and the crate's dependencies
# fetched (`cargo fetch --locked`, done here: the stubs are generated from cudarc's sources).
# Concurrent runs (two worktrees) are serialised by a lock file in the cache folder.

# The work runs in a child bash with `set -euo pipefail`, so sourcing does not change the
# caller's shell options; only the exports below reach the caller.
_hits_cuda_prepare() {
    bash -euo pipefail -s "$1" <<'PREPARE'
ROOT=$1
LITE=${HITS_CUDA_LITE:-1}
CU=$ROOT/cuda-13.0
RECIPE="hits-cuda recipe 1: nvcc 13.0.88 cudarc 0.19.10 lite=$LITE"
PKGS=(nvidia-cuda-nvcc==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-crt==13.0.88
      nvidia-cuda-runtime==13.0.96 nvidia-cuda-cccl==13.0.85)
[ "$LITE" = 0 ] && PKGS+=(nvidia-cublas==13.0.2.14 nvidia-curand==10.4.0.35 nvidia-cuda-nvrtc==13.0.88)

ready() { [ "$(cat "$CU/.hits-ready" 2>/dev/null)" = "$RECIPE" ] && [ -x "$CU/bin/nvcc" ] &&
          [ -e "$CU/lib/stubs/libcuda.so" ]; }
ready && exit 0
mkdir -p "$ROOT/wheels"
exec 9>"$ROOT/.lock"
flock 9
ready && exit 0   # another run finished it while this one waited
echo "cuda_env.sh: preparing $CU ($RECIPE)" >&2

# cudarc's sources (the stub symbol lists): the crate's locked dependencies, fetched
CRATE=$HITS_CRATE_DIR
(cd "$CRATE" && cargo fetch --locked -q)
CUDARC=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-0.19.10 2>/dev/null | head -1)
[ -d "$CUDARC/src" ] || { echo "cuda_env.sh: cudarc-0.19.10 sources not found after cargo fetch in $CRATE" >&2; exit 1; }

# wheels: downloaded once, kept (a rebuild of the folder needs no network)
cd "$ROOT/wheels"
missing=()
for p in "${PKGS[@]}"; do
    n=${p%%==*}; v=${p##*==}
    compgen -G "${n//-/_}-$v-*.whl" >/dev/null || missing+=("$p")
done
[ ${#missing[@]} = 0 ] || python3 -m pip download -q --no-deps -d . "${missing[@]}"

# the folder is built beside its final place and moved in whole
NEW=$ROOT/.new-cuda-13.0
rm -rf "$NEW" "$ROOT/.wh"; mkdir -p "$ROOT/.wh"
for p in "${PKGS[@]}"; do
    n=${p%%==*}; v=${p##*==}
    python3 -m zipfile -e "$(compgen -G "${n//-/_}-$v-*.whl" | head -1)" "$ROOT/.wh/"
done
mv "$ROOT/.wh/nvidia/cu13" "$NEW"; rm -rf "$ROOT/.wh"
chmod +x "$NEW"/bin/* "$NEW"/nvvm/bin/*

STUB=$ROOT/.stub; rm -rf "$STUB"; mkdir -p "$STUB"
stub() {  # stub MODULE SONAME OUTFILE [VERSION_NODE]: every fn cudarc binds, returning CUDA_ERROR_NO_DEVICE
    local c="$STUB/$1.c" vs=()
    grep -oE '^pub unsafe fn [A-Za-z0-9_]+' "$CUDARC/src/$1/sys/mod.rs" | awk '{print $4}' | sort -u |
        awk '{print "int "$1"(void){return 100;}"}' > "$c"
    [ -s "$c" ] || { echo "cuda_env.sh: no functions found in $CUDARC/src/$1/sys/mod.rs" >&2; exit 1; }
    if [ -n "${4:-}" ]; then
        echo "$4 { global: *; };" > "$STUB/$1.map"
        vs=(-Wl,--version-script="$STUB/$1.map")
    fi
    gcc -O2 -shared -fPIC -Wl,-soname,"$2" "${vs[@]}" -o "$3" "$c"
}
cd "$NEW/lib"; mkdir -p stubs
ln -sf libcudart.so.13 libcudart.so
if [ "$LITE" = 0 ]; then
    for f in libcublas libcublasLt libnvrtc libcurand; do ln -sf "$(ls $f.so.* | head -1)" "$f.so"; done
else
    stub cublas   libcublas.so.13   libcublas.so   libcublas.so.13
    stub cublaslt libcublasLt.so.13 libcublasLt.so libcublasLt.so.13
    stub curand   libcurand.so.10   libcurand.so   libcurand.so.10
    stub nvrtc    libnvrtc.so.13    libnvrtc.so    libnvrtc.so.13
fi
stub driver libcuda.so.1 stubs/libcuda.so
rm -rf "$STUB"
"$NEW/bin/nvcc" --version | tail -1 >&2
rm -rf "$CU"; mv "$NEW" "$CU"
echo "$RECIPE" > "$CU/.hits-ready"
echo "cuda_env.sh: ready: $CU" >&2
PREPARE
}

_hits_cuda_root=${HITS_CUDA_CACHE:-$HOME/.cache/hits-cuda}
if HITS_CRATE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) \
    _hits_cuda_prepare "$_hits_cuda_root"; then
    _hits_cu=$_hits_cuda_root/cuda-13.0
    export CUDA_HOME=$_hits_cu
    case ":$PATH:" in *":$_hits_cu/bin:"*) ;; *) export PATH=$_hits_cu/bin:$PATH ;; esac
    export CUDA_COMPUTE_CAP=90 CUDARC_CUDA_VERSION=13000
    case ":${LIBRARY_PATH:-}:" in *":$_hits_cu/lib/stubs:"*) ;;
        *) export LIBRARY_PATH=$_hits_cu/lib:$_hits_cu/lib/stubs${LIBRARY_PATH:+:$LIBRARY_PATH} ;; esac
    unset _hits_cu _hits_cuda_root
    if [ "${BASH_SOURCE[0]}" = "$0" ]; then   # executed, not sourced: say what to export
        printf 'export CUDA_HOME=%q PATH=%q CUDA_COMPUTE_CAP=90 CUDARC_CUDA_VERSION=13000 LIBRARY_PATH=%q\n' \
            "$CUDA_HOME" "$PATH" "$LIBRARY_PATH"
    fi
else
    echo "cuda_env.sh: FAILED to prepare the CUDA build environment in $_hits_cuda_root" >&2
    unset _hits_cuda_root
    # shellcheck disable=SC2317  # `return` when sourced, `exit` when executed
    return 1 2>/dev/null || exit 1
fi
