#!/usr/bin/env bash
# Set up what the Rust notebooks need. Idempotent: quick (and quiet with -q) when all is there.
#
#   ./setup.sh          evcxr_jupyter 0.22.0 + its `rust` kernelspec + .venv with nbclient
#   ./setup.sh --lab    the same plus JupyterLab in .venv, for interactive use
#   ./setup.sh -q       print only what changed and errors (used by test.sh)
#
# Installs:
#   - evcxr_jupyter 0.22.0 (`cargo install --locked`, 12-18 min once per machine; a release build
#     on purpose: a --debug build runs notebooks ~6x slower, see ../shared/TOOLCHAIN.md)
#   - the `rust` Jupyter kernelspec (`evcxr_jupyter --install`, into ~/.local/share/jupyter)
#   - .venv/ with nbclient (headless execution, used by tools/run_notebooks.py)
#   - .evcxr/: a persistent evcxr build dir (EVCXR_TMPDIR). evcxr deletes its build dir when a
#     kernel exits, so without it every notebook run recompiles candle (~3.5 min).
set -euo pipefail
cd "$(dirname "$0")"
root="$(pwd)"

EVCXR_VERSION="0.22.0"
lab=0
quiet=0
for arg in "$@"; do
    case "$arg" in
        --lab) lab=1 ;;
        -q | --quiet) quiet=1 ;;
        -h | --help)
            sed -n '2,14p' "$0"
            exit 0
            ;;
        *)
            echo "setup.sh: unknown argument '$arg' (expected --lab, -q)" >&2
            exit 2
            ;;
    esac
done

say() { [ "$quiet" = 1 ] || echo "setup: $*"; }
act() { echo "setup: $*"; }
die() {
    echo "setup: ERROR: $*" >&2
    exit 1
}

# --- tools that must already exist ------------------------------------------------------------
command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs) and retry"
command -v python3 >/dev/null || die "python3 not found: install Python >= 3.9 (with venv) and retry"
python3 -c "import venv, ensurepip" 2>/dev/null ||
    die "python3 has no working venv module: install python3-venv and retry"

# --- evcxr_jupyter ------------------------------------------------------------------------------
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$cargo_bin:$PATH"
# evcxr_jupyter has no --version: ask cargo what it installed.
evcxr_installed() {
    command -v evcxr_jupyter >/dev/null &&
        cargo install --list 2>/dev/null | grep -q "^evcxr_jupyter v$EVCXR_VERSION:"
}
if evcxr_installed; then
    say "evcxr_jupyter $EVCXR_VERSION present"
else
    act "installing evcxr_jupyter $EVCXR_VERSION (cargo install --locked; ~12 min on 2 cores) ..."
    # Own target dir: never lock or fill the project's shared target/ for this.
    build_dir="$(mktemp -d "${TMPDIR:-/tmp}/evcxr-install.XXXXXX")"
    CARGO_TARGET_DIR="$build_dir" cargo install evcxr_jupyter --locked --version "$EVCXR_VERSION" ||
        die "cargo install evcxr_jupyter failed (network? see the cargo output above)"
    rm -rf "$build_dir"
    evcxr_installed || die "evcxr_jupyter was installed but is not found in $cargo_bin"
fi

# --- Python venv for headless execution (and JupyterLab with --lab) -----------------------------
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
    act "creating $venv"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import nbclient, nbformat, jupyter_client" 2>/dev/null; then
    act "installing nbclient into .venv"
    "$venv/bin/pip" install --quiet "nbclient==0.10.*" "nbformat==5.*" "jupyter_client==8.*" ||
        die "pip install nbclient failed (network?)"
fi
if [ "$lab" = 1 ] && ! "$venv/bin/python" -c "import jupyterlab" 2>/dev/null; then
    act "installing JupyterLab into .venv"
    "$venv/bin/pip" install --quiet "jupyterlab==4.*" || die "pip install jupyterlab failed (network?)"
fi

# --- the `rust` kernelspec ----------------------------------------------------------------------
kernel_json="$("$venv/bin/python" -c 'import jupyter_core.paths as p; print(p.jupyter_data_dir())')/kernels/rust/kernel.json"
if [ -f "$kernel_json" ] && grep -q "$(command -v evcxr_jupyter)" "$kernel_json"; then
    say "rust kernelspec present ($kernel_json)"
else
    act "installing the rust kernelspec (evcxr_jupyter --install)"
    evcxr_jupyter --install >/dev/null || die "evcxr_jupyter --install failed"
    [ -f "$kernel_json" ] || die "evcxr_jupyter --install wrote no $kernel_json"
fi

# --- persistent evcxr build dir ----------------------------------------------------------------
mkdir -p "$root/.evcxr"
say "evcxr build dir: $root/.evcxr (git-ignored; use it from one kernel at a time)"

say "ready. Run the notebooks headless:  tools/run_notebooks.py"
if [ "$lab" = 1 ]; then
    say "interactive:  EVCXR_TMPDIR=$root/.evcxr .venv/bin/jupyter lab notebooks/"
else
    say "interactive:  ./setup.sh --lab, then  EVCXR_TMPDIR=$root/.evcxr .venv/bin/jupyter lab notebooks/"
fi
