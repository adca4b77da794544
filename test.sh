#!/usr/bin/env bash
# The project's test command (README; .ci/run calls it on a fresh clone):
#   1. ./setup.sh -q          evcxr_jupyter, kernelspec, .venv (quiet when already there)
#   2. cargo test             library, binary, integration and doc tests (benches are not run:
#                             they are timing programs, see benches/)
#   3. tools/run_notebooks.py every notebook, executed headless in quick mode (HITS_QUICK=1)
# Exits non-zero when any step fails; the notebooks still run when cargo test fails, so one
# run reports everything. Extra arguments go to cargo test (e.g. ./test.sh --release).
set -uo pipefail
cd "$(dirname "$0")"

./setup.sh -q || {
    echo "test.sh: setup failed" >&2
    exit 1
}

status=0
echo "== cargo test"
cargo test "$@" || status=1

echo "== notebooks"
tools/run_notebooks.py || status=1

if [ "$status" = 0 ]; then
    echo "test.sh: all passed"
else
    echo "test.sh: FAILED (see above)" >&2
fi
exit "$status"
