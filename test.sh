#!/usr/bin/env bash
# The project's test command (README; .ci/run calls it on a fresh clone). Phases, each timed:
#   setup          ./setup.sh -q: evcxr_jupyter, the rust kernelspec (per-kernel build folders), .venv
#   browser-setup  ./setup.sh -q --browser: Debian's chromium for the `pages` phase
#   tools          tools/test_notebook_tools.py: the notebook runner's failure rules, the HTML pages,
#                  the kernel wrapper, the browser check (seconds, no kernel)
#   build          cargo test --release --no-run: the RELEASE profile, the one the main job
#                  (`cargo run --release`) builds, so dependencies are compiled once for both
#   cargo-test     cargo test --release: library, binary, integration and doc tests (benches are
#                  not run: they are timing programs, see benches/); among them
#                  tests/gpu_check.rs, the prepared GPU check's dry run (tools/gpu_check.sh)
#   cuda-build     cargo build --release --features cuda --lib --bins --test T for each test T
#                  with a `feature = "cuda"` of its own (tests/cli_device.rs), in the
#                  environment of tools/cuda_env.sh (nvcc 13.0 and link stubs, no GPU needed;
#                  prepared once in ~/.cache/hits-cuda, ~10 s cold, instant warm); the same target
#                  folder, so only candle, cudarc and hits build again. The library and the
#                  binaries hold every `cfg(feature = "cuda")` of the crate; the other test
#                  programs have none of their own and are not built a second time (they took
#                  ~130 CPU-s of cargo's --timings report, about a minute). Nothing CUDA-built runs
#                  here (a cuda binary needs the GPU machine's driver); it proves the CUDA path
#                  compiles.
#                  Measured 2026-12-02, idle 2 cores, after the `build` phase: 675 s with all test
#                  programs, of which 435 s are candle-kernels' nvcc (PTX and its static MoE/GGUF
#                  kernels, which candle always builds), 140 s candle-core, 105 s hits.
#   notebooks      tools/run_notebooks.py: every notebook headless in quick mode (HITS_QUICK=1),
#                  executed copies and HTML pages in notebooks/.executed/ (index.html)
#   pages          tools/check_html_render.py: chromium shows the figures of index.html and of one
#                  notebook page (screenshots in notebooks/.executed/screenshots/)
#   slurm          tools/test_slurm.sh: a one-node Slurm on 127.0.0.1 (tools/local_slurm.sh,
#                  installed when missing), a quick `hits sweep` plan submitted through it and
#                  checked against the one-process run, and a failing task named by `collect`;
#                  SKIPPED, saying why, where no Slurm may be started (not root on Debian)
# Every phase runs even when an earlier one failed (one run reports everything), except those
# that need what a failed phase makes. Each phase prints `== phase NAME: ok|FAILED|SKIPPED in
# N s`; a table of all phases closes the run, with a phase that could not run here (exit 77:
# the Slurm phase without root), one whose prerequisite failed, and one that HITS_TEST_PHASES
# leaves out each shown as SKIPPED with the reason. A test that returns early
# (`hits::testing::skip`: ../shared/data or a CPU feature missing) is listed after the
# `cargo-test` phase, whose line says how many were skipped. Exit status 1 when any phase
# failed; 2 when HITS_TEST_PHASES names a phase that does not exist.
#
#   ./test.sh                          everything
#   ./test.sh --test stepper_train     extra arguments go to both cargo phases
#   HITS_TEST_PHASES="build cargo-test" ./test.sh    only these phases
#
# New phases (a local Slurm test, ...) go in the list below with `phase`.
set -uo pipefail
cd "$(dirname "$0")"

only=" ${HITS_TEST_PHASES:-} "
status=0
passed=0
failed=0
skipped=0
summary=()
declare -A result
PHASES=(setup browser-setup tools build cargo-test cuda-build notebooks pages slurm)
for name in ${HITS_TEST_PHASES:-}; do
    if [[ " ${PHASES[*]} " != *" $name "* ]]; then
        echo "test.sh: HITS_TEST_PHASES names '$name', which is not a phase; the phases are: ${PHASES[*]}" >&2
        exit 2
    fi
done
export HITS_SKIP_LOG="$PWD/target/test-skips.log"
mkdir -p target && : >"$HITS_SKIP_LOG"

phase() { # phase NAME COMMAND...: run one timed phase (unless HITS_TEST_PHASES leaves it out)
    local name="$1" start=$SECONDS outcome
    shift
    if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then
        skipped=$((skipped + 1))
        summary+=("$(printf '  %-14s %-7s %6s   (not in HITS_TEST_PHASES)' "$name" SKIPPED -)")
        return 0
    fi
    echo "== phase $name: $*"
    "$@"
    local rc=$? note=""
    if [ "$rc" = 0 ]; then
        outcome=ok
        passed=$((passed + 1))
    elif [ "$rc" = 77 ]; then
        outcome=SKIPPED
        skipped=$((skipped + 1))
        note="   (could not run here: see its output)"
    else
        outcome=FAILED
        failed=$((failed + 1))
        status=1
    fi
    if [ "$name" = cargo-test ] && [ -s "$HITS_SKIP_LOG" ]; then
        note="   ($(wc -l <"$HITS_SKIP_LOG") tests SKIPPED, listed above)"
        echo "== tests SKIPPED in phase $name:"
        sed 's/^/  /' "$HITS_SKIP_LOG"
    fi
    result[$name]=$outcome
    echo "== phase $name: $outcome in $((SECONDS - start)) s$note"
    summary+=("$(printf '  %-14s %-7s %6d s%s' "$name" "$outcome" "$((SECONDS - start))" "$note")")
}
needs() { # needs PHASE: exit 77 (a skip) when PHASE ran and did not pass
    [ "${result[$1]:-ok}" = ok ] || {
        echo "test.sh: SKIPPED: phase $1 did not pass (${result[$1]})" >&2
        return 77
    }
}

cargo_args=("$@")
tool_tests() { needs setup && tools/test_notebook_tools.py; }
cargo_build() { cargo test --release --no-run "${cargo_args[@]}"; }
cargo_tests() { needs build && cargo test --release "${cargo_args[@]}"; }
cuda_build() {
    # the test programs with code of their own under the feature (tests/cli_device.rs today)
    local t cuda_tests=()
    for t in $(grep -l 'feature = "cuda"' tests/*.rs); do
        cuda_tests+=(--test "$(basename "$t" .rs)")
    done
    # a subshell: the CUDA variables stay out of the other phases
    (source tools/cuda_env.sh &&
        cargo build --release --features cuda --lib --bins "${cuda_tests[@]}")
}
notebooks() { needs setup && tools/run_notebooks.py; }
pages() { needs notebooks && needs browser-setup && tools/check_html_render.py; }
slurm_test() { needs build && tools/test_slurm.sh; }

phase setup ./setup.sh -q
phase browser-setup ./setup.sh -q --browser
phase tools tool_tests
phase build cargo_build
phase cargo-test cargo_tests
phase cuda-build cuda_build
phase notebooks notebooks
phase pages pages
phase slurm slurm_test

echo "== phases"
printf '%s\n' "${summary[@]}"
if [ "$status" = 0 ]; then
    echo "test.sh: all passed"
else
    echo "test.sh: FAILED (see above)" >&2
fi
echo "phases: $passed passed, $failed failed, $skipped skipped"
exit "$status"
