#!/usr/bin/env bash
# Time what a new user meets, on a fresh clone with empty build caches (README "Set-up times").
#
#   tools/measure_first_hour.sh                     every phase (about an hour of both cores)
#   tools/measure_first_hour.sh --dry-run           print the phases and commands, run nothing
#   tools/measure_first_hour.sh --phases "clone setup first-notebook second-start" --reuse-evcxr
#                                                   a cheaper subset (no evcxr install)
#   options: --work DIR (default: a new /tmp/hits-first-hour.XXXXXX), --notebook NAME.ipynb
#            (default motivating_example.ipynb), --keep (leave DIR; default: remove the clone's
#            build outputs, keep the logs)
#
# Fresh means: a `git clone` of this checkout's HEAD, its own empty target/ (CARGO_TARGET_DIR is
# unset), evcxr_jupyter installed into DIR/cargo-root (CARGO_INSTALL_ROOT), the kernelspec into
# DIR/xdg-data and the kernels' build folders into DIR/xdg-cache (XDG_* variables), so nothing of
# this machine's installs or caches is used but cargo's registry ($CARGO_HOME, downloads only).
# ../shared beside the clone is a link to the real one, as in CI. The user's own installs are
# not touched. --reuse-evcxr copies the installed evcxr_jupyter into DIR/cargo-root instead of
# building it.
#
# Phases, in the order a user meets them:
#   clone          git clone
#   setup          ./setup.sh (evcxr_jupyter install, venv, kernelspec)   [notebook route]
#   first-notebook tools/run_notebooks.py NOTEBOOK: a cold kernel (candle and hits compiled in it)
#   second-start   the same notebook again: a warm kernel (its build folder kept)
#   main-build     cargo build --release                                   [README main job]
#   main-run       cargo run --release -- reproduce fig2
#   test           ./test.sh (its phases and each notebook reported separately)
# Each phase gets wall time and CPU time (user+sys, of all its processes: comparable on a loaded
# machine where wall time is not). Results: DIR/times.tsv and a Markdown table on stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

phases="clone setup first-notebook second-start main-build main-run test"
work=""
notebook="motivating_example.ipynb"
dry=0
reuse=0
keep=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        --phases) phases="$2"; shift ;;
        --work) work="$2"; shift ;;
        --notebook) notebook="$2"; shift ;;
        --dry-run) dry=1 ;;
        --reuse-evcxr) reuse=1 ;;
        --keep) keep=1 ;;
        -h | --help) sed -n '2,32p' "$0"; exit 0 ;;
        *) echo "measure_first_hour: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
for p in $phases; do
    case " clone setup first-notebook second-start main-build main-run test " in
        *" $p "*) ;;
        *) echo "measure_first_hour: unknown phase '$p'" >&2; exit 2 ;;
    esac
done
[ -f "$here/notebooks/$notebook" ] || { echo "measure_first_hour: no notebooks/$notebook" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "measure_first_hour: needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 2; }

if [ "$dry" = 1 ]; then
    work="${work:-/tmp/hits-first-hour.XXXXXX}"
else
    work="${work:-$(mktemp -d /tmp/hits-first-hour.XXXXXX)}"
    mkdir -p "$work"
    work="$(cd "$work" && pwd)"
fi
clone="$work/hits"
logs="$work/logs"
tsv="$work/times.tsv"
commit="$(git -C "$here" rev-parse --short HEAD)"

export CARGO_INSTALL_ROOT="$work/cargo-root"
export XDG_DATA_HOME="$work/xdg-data"
export XDG_CACHE_HOME="$work/xdg-cache"
export PATH="$CARGO_INSTALL_ROOT/bin:$PATH"
unset CARGO_TARGET_DIR EVCXR_TMPDIR HITS_EVCXR_DIR JUPYTER_PATH JUPYTER_DATA_DIR HITS_QUICK 2>/dev/null || true

command_of() {
    case "$1" in
        clone) echo "git clone --quiet $here $clone && ln -s $(cd "$here/.." && pwd)/shared $work/shared" ;;
        setup) echo "./setup.sh" ;;
        first-notebook | second-start) echo "tools/run_notebooks.py notebooks/$notebook" ;;
        main-build) echo "cargo build --release" ;;
        main-run) echo "cargo run --release -- reproduce fig2" ;;
        test) echo "./test.sh" ;;
    esac
}

if [ "$dry" = 1 ]; then
    echo "work folder: $work (clone of $commit in $clone)"
    echo "env: CARGO_INSTALL_ROOT=$CARGO_INSTALL_ROOT XDG_DATA_HOME=$XDG_DATA_HOME XDG_CACHE_HOME=$XDG_CACHE_HOME"
    [ "$reuse" = 1 ] && echo "reuse: copy the installed evcxr_jupyter into $CARGO_INSTALL_ROOT"
    for p in $phases; do printf '%-15s %s\n' "$p" "$(command_of "$p")"; done
    exit 0
fi

mkdir -p "$logs"
printf 'phase\twall_s\tcpu_s\tnote\n' >"$tsv"
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$tsv"; }

if [ "$reuse" = 1 ]; then
    src="${CARGO_HOME:-$HOME/.cargo}"
    [ -x "$src/bin/evcxr_jupyter" ] || { echo "measure_first_hour: --reuse-evcxr: no $src/bin/evcxr_jupyter" >&2; exit 2; }
    mkdir -p "$CARGO_INSTALL_ROOT/bin"
    cp "$src/bin/evcxr_jupyter" "$CARGO_INSTALL_ROOT/bin/"
    cp "$src/.crates.toml" "$src/.crates2.json" "$CARGO_INSTALL_ROOT/" 2>/dev/null || true
fi

run_phase() { # run_phase NAME: time its command in the clone (the clone phase: in $work)
    local name="$1" cmd dir log
    cmd="$(command_of "$name")"
    dir="$clone"
    [ "$name" = clone ] && dir="$work"
    log="$logs/$name.log"
    echo "== $name: $cmd  (log: $log)"
    local rc=0
    (cd "$dir" && /usr/bin/time -f "%e %U %S" -o "$logs/$name.time" bash -c "$cmd") >"$log" 2>&1 || rc=$?
    local wall user sys
    read -r wall user sys <"$logs/$name.time" || { wall=0 user=0 sys=0; }
    local cpu
    cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')"
    local note="rc $rc"
    case "$name" in
        first-notebook | second-start)
            note="$(grep -Eo 'first output after [0-9.]+ s' "$log" | head -1 || true); rc $rc" ;;
    esac
    row "$name" "$wall" "$cpu" "$note"
    echo "   $name: ${wall} s wall, ${cpu} s CPU ($note)"
    if [ "$name" = test ]; then # test.sh's own phases and each notebook
        sed -nE 's/^== phase ([a-z-]+): (ok|FAILED) in ([0-9]+) s$/\1 \2 \3/p' "$log" |
            while read -r p outcome secs; do row "test/$p" "$secs" "" "$outcome"; done
        sed -nE 's/^(ok  |FAIL) notebooks\/([a-z_]+)\.ipynb \(([0-9.]+) s(; first output after ([0-9.]+) s)?\)$/\2 \1 \3 \5/p' "$log" |
            while read -r nb outcome secs first; do row "test/notebooks/$nb" "$secs" "" "$outcome${first:+, first output after $first s}"; done
    fi
    return "$rc"
}

failed=0
for p in $phases; do
    run_phase "$p" || failed=1
    [ "$p" = clone ] && [ "$failed" = 1 ] && break
done

echo
echo "Fresh clone of $commit, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| phase | wall | CPU (user+sys) | note |"
echo "|---|---|---|---|"
tail -n +2 "$tsv" | while IFS=$'\t' read -r p wall cpu note; do
    w="$(awk -v s="$wall" 'BEGIN { if (s >= 120) printf "%.1f min", s / 60; else printf "%.0f s", s }')"
    c="-"
    [ -n "$cpu" ] && c="$(awk -v s="$cpu" 'BEGIN { if (s >= 120) printf "%.1f min", s / 60; else printf "%.0f s", s }')"
    echo "| $p | $w | $c | $note |"
done
if [ "$keep" = 0 ] && [ -d "$clone" ]; then
    rm -rf "$clone/target" "$XDG_CACHE_HOME" "$CARGO_INSTALL_ROOT"
fi
echo
echo "times: $tsv, logs: $logs"
exit "$failed"
