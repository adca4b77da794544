#!/usr/bin/env bash
# The program the `rust` Jupyter kernelspec starts (./setup.sh copies this file into the
# kernelspec folder as `evcxr-kernel`, next to kernel.json):
#
#   evcxr-kernel /path/to/evcxr_jupyter --control_file {connection_file}
#
# Why: evcxr deletes its build folder when a kernel exits, so a kernel started without
# EVCXR_TMPDIR recompiles candle and hits (minutes) at every start; and one fixed folder shared
# by two kernels at once breaks both (one cargo lock, one src/lib.rs). This wrapper gives every
# running kernel its own PERSISTENT build folder, with nothing set by hand, from JupyterLab,
# VS Code, nbclient or `jupyter execute` alike:
#
#   - a pool of folders $XDG_CACHE_HOME/evcxr-kernels/slot-N (default ~/.cache/...; N < 6,
#     HITS_EVCXR_SLOTS changes the count, HITS_EVCXR_POOL the place);
#   - a kernel takes the first free slot in this order: the slot this notebook used last
#     (JPY_SESSION_NAME, set by JupyterLab and tools/run_notebooks.py), one last used from the
#     same folder (same `:dep` paths, so hits is compiled there already), any other used slot,
#     least recently used first (candle is compiled there; cargo keeps every path's build of
#     hits side by side, so the other folder's build stays warm too), then a slot never used:
#     a second start of a notebook is warm, and a fresh clone (CI) compiles only hits;
#   - "free" means its lock is not held: the kernel holds `slot-N/lock` (flock) for its whole
#     life; the kernel process keeps the descriptor, so the lock goes when the kernel dies, even
#     by SIGKILL. Two kernels at once always get two slots.
#   - when every slot is busy the kernel runs in evcxr's own temporary folder (cold, as before)
#     and says so on stderr (the Jupyter server log);
#   - a slot that grew past HITS_EVCXR_SLOT_MAX_MB (default 8000) is emptied at the start (cargo
#     never deletes old artifacts: each clone path of hits adds its own build).
# EVCXR_TMPDIR set by the user wins: then this wrapper only fixes PATH and starts evcxr.
# Editors and desktop launchers start kernels without the login shell's PATH, so the wrapper
# puts the folder of evcxr_jupyter and $CARGO_HOME/bin (cargo, rustc) first on it.
# It also puts rustc's target libdir (libstd-*.so) on LD_LIBRARY_PATH: evcxr's cells are dylibs
# linked with -Cprefer-dynamic, and rustc writes them a RUNPATH relative to the deps/ folder;
# cargo's copy one folder up, which evcxr loads, then points one level too high. That misses
# libstd whenever the build folder and ~/.rustup share a top folder (any build folder under
# $HOME: "dlopen failed" and the kernel dies at start); /tmp only worked because `..` of / is /.
set -u

if [ "$#" -lt 1 ] || [ ! -x "$1" ]; then
    echo "evcxr-kernel: first argument must be the evcxr_jupyter program (got '${1:-}'); re-run ./setup.sh" >&2
    exit 2
fi
evcxr="$1"
shift
PATH="$(dirname "$evcxr"):${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export PATH
command -v cargo >/dev/null || echo "evcxr-kernel: cargo is not on PATH ($PATH): evcxr cannot build cells" >&2
if libdir="$(rustc --print target-libdir 2>/dev/null)" && [ -d "$libdir" ]; then
    export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
    echo "evcxr-kernel: rustc --print target-libdir failed: cells built under \$HOME may not load" >&2
fi

if [ -n "${EVCXR_TMPDIR:-}" ]; then
    exec "$evcxr" "$@"
fi

pool="${HITS_EVCXR_POOL:-${XDG_CACHE_HOME:-$HOME/.cache}/evcxr-kernels}"
slots="${HITS_EVCXR_SLOTS:-6}"
case "$slots" in
    '' | *[!0-9]*) slots=6 ;;
esac
notebook="${JPY_SESSION_NAME:-}"
folder="$(pwd -P)"

if ! command -v flock >/dev/null || ! mkdir -p "$pool" 2>/dev/null; then
    echo "evcxr-kernel: no flock or cannot create $pool: using a temporary build folder (cold start)" >&2
    exec "$evcxr" "$@"
fi

# Candidate order: same notebook, same folder, other used slots (least recently used first), unused.
marker() { [ -f "$1/$2" ] && cat "$1/$2" 2>/dev/null; }
same_nb=() same_dir=() unused=() rest=()
for ((i = 0; i < slots; i++)); do
    s="$pool/slot-$i"
    if [ ! -d "$s/build" ]; then
        unused+=("$s")
    elif [ -n "$notebook" ] && [ "$(marker "$s" notebook)" = "$notebook" ]; then
        same_nb+=("$s")
    elif [ "$(marker "$s" folder)" = "$folder" ]; then
        same_dir+=("$s")
    else
        rest+=("$s")
    fi
done
# least recently used first (the `used` file's mtime); names are plain slot-N paths
if [ "${#rest[@]}" -gt 1 ]; then
    mapfile -t rest < <(for s in "${rest[@]}"; do
        echo "$(stat -c %Y "$s/used" 2>/dev/null || echo 0) $s"
    done | sort -n | cut -d' ' -f2-)
fi

for s in "${same_nb[@]}" "${same_dir[@]}" "${rest[@]}" "${unused[@]}"; do
    mkdir -p "$s" || continue
    exec 9>>"$s/lock" || continue
    if flock -n 9; then
        mkdir -p "$s/build"
        size_mb=$(($(du -sk "$s/build" 2>/dev/null | cut -f1) / 1024))
        if [ "$size_mb" -gt "${HITS_EVCXR_SLOT_MAX_MB:-8000}" ]; then
            echo "evcxr-kernel: $s/build holds $size_mb MB (over ${HITS_EVCXR_SLOT_MAX_MB:-8000}): emptied, this start is cold" >&2
            rm -rf "$s/build" && mkdir -p "$s/build"
        fi
        printf '%s\n' "$notebook" >"$s/notebook"
        printf '%s\n' "$folder" >"$s/folder"
        touch "$s/used"
        echo "evcxr-kernel: build folder $s/build (held while this kernel runs)" >&2
        export EVCXR_TMPDIR="$s/build"
        exec "$evcxr" "$@" # fd 9 (the lock) stays open in the kernel process
    fi
    exec 9>&-
done

echo "evcxr-kernel: all $slots build folders in $pool are in use: this kernel builds in a temporary folder (cold start; HITS_EVCXR_SLOTS=$((slots + 2)) allows more)" >&2
exec "$evcxr" "$@"
