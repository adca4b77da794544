#!/usr/bin/env bash
# Python peers for fixtures and benchmarks only (never a runtime dependency of hits).
# Creates tools/.venv with numpy, scipy and torch. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import numpy, scipy, torch" 2>/dev/null; then
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "numpy==2.*" "scipy==1.*"
    # torch: the CPU-only build from PyTorch's own index where it can be reached (a few hundred
    # MB), else the default index's build (it brings the CUDA libraries: a few GB)
    if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
        "$venv/bin/pip" install --quiet --timeout 20 --retries 1 "torch==2.*" \
            --index-url https://download.pytorch.org/whl/cpu ||
            "$venv/bin/pip" install --quiet "torch==2.*"
    fi
fi
"$venv/bin/python" -c "import numpy, scipy, torch; print('python peers: numpy', numpy.__version__, 'scipy', scipy.__version__, 'torch', torch.__version__)"
