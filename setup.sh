#!/usr/bin/env bash
# Set up what the Rust notebooks need. Idempotent: quick (and quiet with -q) when all is there.
#
#   ./setup.sh            evcxr_jupyter 0.22.0 + the `rust` kernelspec + .venv (nbclient, nbconvert)
#   ./setup.sh --lab      the same plus JupyterLab in .venv, for interactive use
#   ./setup.sh --browser  the same plus Debian's chromium (test.sh's check of the executed pages)
#   ./setup.sh -q         print only what changed and errors (used by test.sh)
#
# Installs:
#   - evcxr_jupyter 0.22.0 (`cargo install --locked`, once per machine, into $CARGO_INSTALL_ROOT
#     or $CARGO_HOME/bin). A release build on purpose: a --debug build runs notebooks ~6x slower
#     (../shared/TOOLCHAIN.md); lower opt-levels for parts of it were measured and not kept
#     (README "Set-up times").
#   - the `rust` Jupyter kernelspec: evcxr's (`evcxr_jupyter --install`), whose kernel.json then
#     starts tools/evcxr_kernel.sh (copied beside it as `evcxr-kernel`): each running kernel gets
#     its own persistent build folder under ~/.cache/evcxr-kernels/, so a kernel started from
#     JupyterLab, VS Code or the runner compiles candle once, not at every start, and two
#     notebooks open at once never share one. No variable to set by hand.
#   - .venv/ with nbclient, nbconvert and Pillow (headless execution, HTML pages, their check)
set -euo pipefail
cd "$(dirname "$0")"
root="$(pwd)"

EVCXR_VERSION="0.22.0"
lab=0
quiet=0
browser=0
for arg in "$@"; do
    case "$arg" in
        --lab) lab=1 ;;
        --browser) browser=1 ;;
        -q | --quiet) quiet=1 ;;
        -h | --help)
            sed -n '2,19p' "$0"
            exit 0
            ;;
        *)
            echo "setup.sh: unknown argument '$arg' (expected --lab, --browser, -q)" >&2
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
timed() { # timed WHAT CMD...: run CMD, then say how long it took
    local what="$1" start=$SECONDS
    shift
    "$@" || return
    act "$what took $((SECONDS - start)) s"
}

# --- tools that must already exist ------------------------------------------------------------
command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs) and retry"
command -v python3 >/dev/null || die "python3 not found: install Python >= 3.9 (with venv) and retry"
python3 -c "import venv, ensurepip" 2>/dev/null ||
    die "python3 has no working venv module: install python3-venv and retry"

# --- evcxr_jupyter ------------------------------------------------------------------------------
cargo_bin="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"
export PATH="$cargo_bin:$PATH"
# evcxr_jupyter has no --version: ask cargo what it installed.
evcxr_installed() {
    [ -x "$cargo_bin/evcxr_jupyter" ] &&
        cargo install --list 2>/dev/null | grep -q "^evcxr_jupyter v$EVCXR_VERSION:"
}
install_evcxr() {
    # Own target dir: never lock or fill the project's target/ for this.
    local build_dir
    build_dir="$(mktemp -d "${TMPDIR:-/tmp}/evcxr-install.XXXXXX")"
    CARGO_TARGET_DIR="$build_dir" cargo install evcxr_jupyter --locked --version "$EVCXR_VERSION" ||
        die "cargo install evcxr_jupyter failed (network? see the cargo output above)"
    rm -rf "$build_dir"
}
if evcxr_installed; then
    say "evcxr_jupyter $EVCXR_VERSION present ($cargo_bin)"
else
    act "installing evcxr_jupyter $EVCXR_VERSION (cargo install --locked; ~12 min on 2 cores) ..."
    timed "installing evcxr_jupyter" install_evcxr
    evcxr_installed || die "evcxr_jupyter was installed but is not found in $cargo_bin"
fi
evcxr="$cargo_bin/evcxr_jupyter"

# --- Python venv for headless execution, HTML pages (and JupyterLab with --lab) ------------------
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
    act "creating $venv"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import nbclient, nbformat, jupyter_client, nbconvert, PIL" 2>/dev/null; then
    act "installing nbclient, nbconvert and Pillow into .venv"
    "$venv/bin/pip" install --quiet "nbclient==0.10.*" "nbformat==5.*" "jupyter_client==8.*" \
        "nbconvert==7.*" "pillow==11.*" || die "pip install into .venv failed (network?)"
fi
if [ "$lab" = 1 ] && ! "$venv/bin/python" -c "import jupyterlab" 2>/dev/null; then
    act "installing JupyterLab into .venv"
    "$venv/bin/pip" install --quiet "jupyterlab==4.*" || die "pip install jupyterlab failed (network?)"
fi

# --- the `rust` kernelspec, started through the build-folder wrapper ---------------------------
data_dir="$("$venv/bin/python" -c 'import jupyter_core.paths as p; print(p.jupyter_data_dir())')"
kernel_dir="$data_dir/kernels/rust"
wrapper="$kernel_dir/evcxr-kernel"
kernel_ok() {
    [ -f "$kernel_dir/kernel.json" ] && [ -f "$kernel_dir/version.txt" ] &&
        cmp -s "$root/tools/evcxr_kernel.sh" "$wrapper" &&
        "$venv/bin/python" - "$kernel_dir/kernel.json" "$wrapper" "$evcxr" <<'EOF'
import json, sys
argv = json.load(open(sys.argv[1])).get("argv", [])
sys.exit(0 if argv[:2] == sys.argv[2:4] else 1)
EOF
}
if kernel_ok; then
    say "rust kernelspec present ($kernel_dir, build folders per kernel)"
else
    act "installing the rust kernelspec into $kernel_dir (evcxr_jupyter --install + build-folder wrapper)"
    # evcxr writes to $JUPYTER_PATH/kernels/rust, or the XDG data dir as jupyter does.
    JUPYTER_PATH="$data_dir" "$evcxr" --install >/dev/null || die "evcxr_jupyter --install failed"
    [ -f "$kernel_dir/kernel.json" ] || die "evcxr_jupyter --install wrote no $kernel_dir/kernel.json"
    install -m 755 "$root/tools/evcxr_kernel.sh" "$wrapper"
    "$venv/bin/python" - "$kernel_dir/kernel.json" "$wrapper" "$evcxr" <<'EOF'
import json, sys
path, wrapper, evcxr = sys.argv[1:4]
spec = json.load(open(path))
spec["argv"] = [wrapper, evcxr, "--control_file", "{connection_file}"]
json.dump(spec, open(path, "w"), indent=2)
EOF
    kernel_ok || die "the rust kernelspec in $kernel_dir does not start the wrapper"
fi

# --- chromium, for the browser check of the executed pages (--browser) ------------------------
find_browser() { command -v chromium || command -v chromium-browser || command -v google-chrome; }
if [ "$browser" = 1 ]; then
    if find_browser >/dev/null; then
        say "browser present ($(find_browser))"
    elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        act "installing Debian's chromium (apt-get) ..."
        export DEBIAN_FRONTEND=noninteractive
        timed "installing chromium" sh -c 'apt-get install -y -qq chromium >/dev/null 2>&1 ||
            { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }' ||
            die "apt-get install chromium failed"
    else
        die "no chromium: install it (Debian: sudo apt-get install chromium) and retry"
    fi
fi

say "ready. Run the notebooks headless:  tools/run_notebooks.py   (pages: notebooks/.executed/index.html)"
if [ "$lab" = 1 ]; then
    say "interactive:  .venv/bin/jupyter lab notebooks/"
else
    say "interactive:  ./setup.sh --lab, then  .venv/bin/jupyter lab notebooks/"
fi
