#!/usr/bin/env python3
"""Execute the Rust (evcxr) notebooks headless and fail on any error.

    tools/run_notebooks.py                 run every notebooks/*.ipynb in quick mode
    tools/run_notebooks.py NB.ipynb ...    run only these
    tools/run_notebooks.py --full          without HITS_QUICK (the paper's sizes: slow)
    tools/run_notebooks.py --check-clean   only check that notebooks are committed without outputs
    tools/run_notebooks.py --strip         remove outputs in place (before committing)

Uses the venv made by ./setup.sh (re-executes itself with .venv/bin/python when needed).

Each notebook runs with cwd = notebooks/, HITS_QUICK=1 (unless --full) and EVCXR_TMPDIR = .evcxr/
(a persistent evcxr build dir: a warm run skips the ~3.5 min compile of candle; HITS_EVCXR_DIR
chooses another). Notebooks run one after another, never at once, since they share that build dir.

A notebook FAILS when
  - it is not clean (committed notebooks carry no outputs or execution counts),
  - the kernel dies or a cell times out,
  - any cell has an error output (evcxr compile errors),
  - any stderr output contains "panicked at" or "Error:" (evcxr prints panics and top-level `?`
    errors there and still reports success),
  - a cell uses `?` at its top level (outside braces): evcxr prints that error to stderr with
    no marker; notebooks use `.expect("...")` instead,
  - a plot cell shows no image. A plot cell is a code cell with a line starting with `// plot`
    or a call to `.show()`; it must output image/png, image/svg+xml or image/gif.
Executed copies go to notebooks/.executed/ (git-ignored; kept as CI artifacts). The last line is
exactly `notebooks: N passed, M failed`; the exit status is 1 when any notebook failed.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = NOTEBOOKS / ".executed"
VENV_PY = ROOT / ".venv" / "bin" / "python"
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/gif")
STDERR_MARKERS = ("panicked at", "Error:")

try:
    import nbformat
    from nbclient import NotebookClient
except ImportError:
    if VENV_PY.exists() and Path(sys.prefix).resolve() != VENV_PY.parent.parent.resolve():
        os.execv(str(VENV_PY), [str(VENV_PY), __file__, *sys.argv[1:]])
    sys.exit("run_notebooks: nbclient is missing: run ./setup.sh first")


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def is_plot_cell(source: str) -> bool:
    return any(line.strip().startswith("// plot") for line in source.splitlines()) or ".show()" in source


def top_level_try_lines(source: str) -> list:
    """Lines (1-based) with a `?` operator outside every brace block: evcxr prints such an
    error to stderr without any marker, and the notebook would still "pass". Strings, chars and
    comments are skipped; evcxr commands (lines starting with `:`) are ignored."""
    lines = []
    depth = 0
    for n, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith(":"):
            continue
        i = 0
        while i < len(line):
            c = line[i]
            if line.startswith("//", i):
                break
            if c == '"':
                i += 1
                while i < len(line) and line[i] != '"':
                    i += 2 if line[i] == "\\" else 1
            elif c == "'" and i + 2 < len(line) and (line[i + 2] == "'" or line[i + 1] == "\\"):
                i = line.index("'", i + 2) if "'" in line[i + 2:] else len(line)
            elif c in "{":
                depth += 1
            elif c == "}":
                depth = max(depth - 1, 0)
            elif c == "?" and depth == 0 and n not in lines:
                lines.append(n)
            i += 1
    return lines


def dirty_cells(nb) -> list:
    """Indices of code cells that carry outputs or execution counts."""
    return [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]


def strip(nb) -> None:
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = []
            c.execution_count = None
            c.metadata.pop("execution", None)


def text_of(output) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else text


def problems_of(nb) -> list:
    """What is wrong with an executed notebook (empty when it passed)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {i}"
        shown = False
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                msg = " ".join(str(x) for x in (out.get("ename", ""), out.get("evalue", "")))
                problems.append(f"{where}: error output: {msg.strip()[:400]}")
            elif kind == "stream" and out.get("name") == "stderr":
                text = text_of(out)
                for marker in STDERR_MARKERS:
                    if marker in text:
                        line = next(ln for ln in text.splitlines() if marker in ln)
                        problems.append(f"{where}: stderr: {line.strip()[:400]}")
                        break
            elif kind in ("display_data", "execute_result"):
                shown = shown or any(t in out.get("data", {}) for t in IMAGE_TYPES)
        for n in top_level_try_lines(cell.source):
            problems.append(f"{where}, line {n}: top-level `?` (its error would not fail the run): use .expect(\"...\")")
        if is_plot_cell(cell.source) and not shown:
            problems.append(f"{where}: plot cell produced no image output")
    return problems


def run_one(path: Path, timeout: int) -> list:
    nb = nbformat.read(path, as_version=4)
    dirty = dirty_cells(nb)
    if dirty:
        return [f"not clean: code cells {dirty[:8]} carry outputs (run tools/run_notebooks.py --strip)"]
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="rust",
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    problems = []
    try:
        client.execute()
    except Exception as e:  # dead kernel, timeout, missing kernelspec
        problems.append(f"execution stopped: {type(e).__name__}: {str(e).strip()[:600]}")
    EXECUTED.mkdir(parents=True, exist_ok=True)
    out = EXECUTED / path.name
    tmp = out.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(out)
    return problems + problems_of(nb)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--full", action="store_true", help="run without HITS_QUICK")
    ap.add_argument("--check-clean", action="store_true", help="only check that notebooks carry no outputs")
    ap.add_argument("--strip", action="store_true", help="remove outputs in place")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    args = ap.parse_args()

    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"run_notebooks: no such notebook: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2

    if args.strip:
        for p in paths:
            nb = nbformat.read(p, as_version=4)
            if dirty_cells(nb):
                strip(nb)
                nbformat.write(nb, p)
                print(f"stripped {shown(p)}")
        return 0

    if args.check_clean:
        bad = []
        for p in paths:
            dirty = dirty_cells(nbformat.read(p, as_version=4))
            if dirty:
                bad.append(p)
                print(f"NOT CLEAN {shown(p)}: code cells {dirty[:8]} carry outputs")
        print(f"notebooks: {len(paths) - len(bad)} clean, {len(bad)} not clean"
              + (" (run tools/run_notebooks.py --strip)" if bad else ""))
        return 1 if bad else 0

    if args.full:
        os.environ.pop("HITS_QUICK", None)
    else:
        os.environ["HITS_QUICK"] = "1"
    # HITS_EVCXR_DIR picks another build dir (e.g. for two runners at once: each needs its own).
    evcxr_dir = Path(os.environ.get("HITS_EVCXR_DIR", ROOT / ".evcxr")).resolve()
    evcxr_dir.mkdir(parents=True, exist_ok=True)
    os.environ["EVCXR_TMPDIR"] = str(evcxr_dir)
    cargo_bin = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo")) / "bin"
    os.environ["PATH"] = f"{cargo_bin}{os.pathsep}{os.environ.get('PATH', '')}"

    passed = failed = 0
    for p in paths:
        name = shown(p)
        print(f"running {name} ...", flush=True)
        start = time.monotonic()
        problems = run_one(p, args.timeout)
        secs = time.monotonic() - start
        if problems:
            failed += 1
            print(f"FAIL {name} ({secs:.1f} s)")
            for msg in problems:
                print(f"    {msg}")
        else:
            passed += 1
            print(f"ok   {name} ({secs:.1f} s)")
        sys.stdout.flush()
    print(f"notebooks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
