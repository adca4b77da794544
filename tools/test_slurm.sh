#!/usr/bin/env bash
# The `slurm` phase of test.sh: a quick plan through a real Slurm, checked against the
# one-process run.
#
# 1. tools/local_slurm.sh start: a one-node Slurm on 127.0.0.1 (installed when missing). Where
#    it may not or cannot run (not root on Debian, no apt-get, no network), this test says so
#    and is SKIPPED (exit 77, which test.sh reports as a skip, and a loud line); it never pretends.
# 2. One process: `hits reproduce all-ode --quick --system hyperbolic --skip noisy`.
# 3. The same as a sweep: `hits sweep plan` (16 tasks: data, 11 steppers, 4 evaluations),
#    `hits sweep slurm --max-parallel 2 --submit` (three job arrays, each after the last),
#    wait until Slurm has run them all, check every job COMPLETED, `hits sweep collect`.
# 4. The sweep's checkpoints must equal the one-process run's byte for byte, and its results
#    (every number of the Table 5 and hybrid summaries but wall times) too.
# 5. A failing task: a plan whose model folder cannot be written. Its training tasks must exit
#    non-zero (Slurm: FAILED), the evaluations be cancelled, and `collect` exit non-zero naming
#    the failed task, its exit code and its log.
# 6. tools/local_slurm.sh stop.
#
#   tools/test_slurm.sh            (HITS_SLURM_KEEP=1 keeps the work folder)
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
say() { echo "test_slurm: $*"; }
fail() {
    say "FAILED: $*" >&2
    exit 1
}

tools/local_slurm.sh start
rc=$?
if [ "$rc" = 3 ]; then
    say "SKIPPED: no Slurm can be started on this machine (reason above); nothing was tested"
    exit 77
elif [ "$rc" != 0 ]; then
    fail "tools/local_slurm.sh start exited $rc"
fi
trap '"$repo"/tools/local_slurm.sh stop' EXIT

nice cargo build --release --bin hits -q || fail "building hits"
hits=$repo/target/release/hits
work=$(mktemp -d /tmp/hits-slurm-test.XXXXXX)
[ "${HITS_SLURM_KEEP:-0}" = 1 ] || trap '"$repo"/tools/local_slurm.sh stop; rm -rf "$work"' EXIT
say "work folder $work"

# wait_jobs ID...: until Slurm has none of them queued or running (10 minutes at most)
wait_jobs() {
    local ids
    ids=$(
        IFS=,
        echo "$*"
    )
    for _ in $(seq 600); do
        [ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] && return 0
        sleep 1
    done
    squeue -j "$ids"
    fail "jobs $ids still queued or running after 10 minutes"
}
# job_states ID: the states of a job's array tasks, one per line
job_states() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }

mkdir -p "$work/one" "$work/sweep" "$work/fail"
start=$SECONDS
(cd "$work/one" && "$hits" reproduce all-ode --quick --system hyperbolic --skip noisy >log.txt 2>&1) ||
    fail "the one-process run (log $work/one/log.txt)"
say "one-process quick run: $((SECONDS - start)) s"

cd "$work/sweep"
"$hits" sweep plan --quick --systems hyperbolic --noise 0 --out plan.json || fail "hits sweep plan"
start=$SECONDS
out=$("$hits" sweep slurm plan.json --max-parallel 2 --submit) || fail "hits sweep slurm --submit: $out"
echo "$out"
ids=$(echo "$out" | sed -n 's/^job ids: //p' | tr ' ' '\n' | cut -d= -f2)
[ "$(echo "$ids" | wc -w)" = 3 ] || fail "expected three job ids (data, train, eval), got: $ids"
# shellcheck disable=SC2086
wait_jobs $ids
say "Slurm ran the 16 tasks in $((SECONDS - start)) s"
for id in $ids; do
    states=$(job_states "$id" | sort | uniq -c | tr -s ' ')
    [ "$(job_states "$id" | grep -vc COMPLETED)" = 0 ] || fail "job $id: $states (logs in sweep/quick/all-ode/logs)"
    say "job $id: $states"
done
"$hits" sweep collect plan.json || fail "hits sweep collect"
[ -f results/quick/REPORT.md ] || fail "collect wrote no results/quick/REPORT.md"

one=$work/one/models/quick/Hyperbolic
n=0
for f in "$one"/model_D*; do
    cmp -s "$f" "models/quick/Hyperbolic/$(basename "$f")" || fail "$(basename "$f") differs from the one-process run's"
    n=$((n + 1))
done
[ "$n" = 33 ] || fail "expected 33 checkpoint files (11 steppers), found $n"
say "all $n checkpoint files equal the one-process run's, byte for byte"
python3 - "$work/one/results/quick" results/quick <<'PY' || fail "results differ from the one-process run's"
import json, sys
one, sweep = sys.argv[1:]
for rel in ["multiscale_hits/Hyperbolic/summary.json", "hybrid/Hyperbolic/summary.json"]:
    a, b = (json.load(open(f"{d}/{rel}")) for d in (one, sweep))
    def numbers(x):  # every value but wall times
        if isinstance(x, dict):
            return {k: numbers(v) for k, v in x.items() if "seconds" not in k}
        return x
    if numbers(a) != numbers(b):
        diff = [k for k in a if numbers(a.get(k)) != numbers(b.get(k))]
        sys.exit(f"{rel}: {diff} differ")
    print(f"test_slurm: {rel}: equal to the one-process run's (but wall times)")
PY

# A failing task: the shared model folder is a file, so publishing fails after training.
cd "$work/fail"
mkdir -p models/quick && echo "not a folder" >models/quick/Hyperbolic
"$hits" sweep plan --quick --systems hyperbolic --noise 0 --out plan.json >/dev/null || fail "plan (failing)"
out=$("$hits" sweep slurm plan.json --max-parallel 4 --submit) || fail "submit (failing): $out"
ids=$(echo "$out" | sed -n 's/^job ids: //p' | tr ' ' '\n' | cut -d= -f2)
# shellcheck disable=SC2086
wait_jobs $ids
train=$(echo "$ids" | sed -n 2p)
evals=$(echo "$ids" | sed -n 3p)
job_states "$train" | grep -q FAILED || fail "the training array $train did not fail: $(job_states "$train")"
job_states "$evals" | grep -q COMPLETED && fail "evaluations ran after failed training"
if collected=$("$hits" sweep collect plan.json 2>&1); then
    fail "collect exited 0 with failed tasks: $collected"
fi
echo "$collected" | tail -4
line=$(echo "$collected" | grep -m1 '^FAILED: task 1 ')
[[ "$line" == *"exit code 1"* && "$line" == *"log "*"/train-1.out"* ]] ||
    fail "collect does not name task 1's exit code and log: $line"
log=${line##*log }
grep -q "Error:" "$log" || fail "$log holds no error message"
say "a failed task: Slurm FAILED, evaluations not run, collect names it: $line"
say "passed"
