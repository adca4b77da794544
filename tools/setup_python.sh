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
    "$venv/bin/pip" install --quiet "numpy==2.*" "scipy==1.*" "torch==2.*"
fi
"$venv/bin/python" -c "import numpy, scipy, torch; print('python peers: numpy', numpy.__version__, 'scipy', scipy.__version__, 'torch', torch.__version__)"
