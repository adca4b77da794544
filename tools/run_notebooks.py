#!/usr/bin/env python3
"""Execute the Rust (evcxr) notebooks headless and fail on any error.

    tools/run_notebooks.py                 run every notebooks/*.ipynb in quick mode
    tools/run_notebooks.py NB.ipynb ...    run only these
    tools/run_notebooks.py --full          without HITS_QUICK (the paper's sizes: slow)
    tools/run_notebooks.py --check-clean   only check that notebooks are committed without outputs
    tools/run_notebooks.py --strip         remove outputs in place (before committing)

Uses the venv made by ./setup.sh (re-executes itself with .venv/bin/python when needed).

Each notebook runs with cwd = notebooks/, HITS_QUICK=1 (unless --full) and JPY_SESSION_NAME = its
path, in the `rust` kernel that ./setup.sh installs: its wrapper (tools/evcxr_kernel.sh) gives each
running kernel its own persistent evcxr build folder, preferring the one this notebook used last,
so a second run skips the compile of candle and hits, and two runners at once do not collide.
HITS_EVCXR_DIR=DIR forces one build folder instead (EVCXR_TMPDIR; never share it between runs at
once). Notebooks of one run go one after another (several write the same data/quick/ files).

A notebook FAILS when
  - it is not clean (committed notebooks carry no outputs or execution counts),
  - the kernel dies or a cell times out,
  - any cell has an error output (evcxr compile errors),
  - any stderr output contains "panicked at" or "Error:" (evcxr prints panics and top-level `?`
    errors there and still reports success),
  - a cell uses `?` at its top level (outside braces) before the notebook set `:efmt {:?}`:
    evcxr prints such an error to stderr in the format `:efmt` sets (Display by default, which
    carries no marker). With `:efmt {:?}` (the first cell of every notebook, beside `:dep`) a
    `hits::Error` prints as `Error: <message>` (its Debug), which fails the run as above; so
    cells report errors with `?`, the way a Rust function does,
  - a plot cell shows no image, or a showing cell shows nothing. A plot cell is a code cell with
    a line starting with `// plot`; it must output image/png, image/svg+xml or image/gif. A
    showing cell calls `.show()`; it must output an image or text/html (a rendered table or a
    hits::plot::CellOutput).
Executed copies go to notebooks/.executed/ (git-ignored; kept as CI artifacts): NAME.ipynb, NAME.html
(a self-contained page, figures inline) and index.html (every page with status, time, time to the
first output and its first figure; tools/check_html_render.py checks it in a real browser). Each
notebook's line gives its time and the time to its first output (kernel start and `:dep` compile
included). The last line is exactly `notebooks: N passed, M failed`; the exit status is 1 when any
notebook failed or its page could not be written.
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
SHOWN_TYPES = IMAGE_TYPES + ("text/html",)
STDERR_MARKERS = ("panicked at", "Error:")
# The evcxr command that makes `?` in a cell print the error's Debug (`Error: ...` for hits::Error).
EFMT_DEBUG = ":efmt {:?}"

try:
    import nbformat
    from nbclient import NotebookClient

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import notebook_html
except ImportError:
    if VENV_PY.exists() and Path(sys.prefix).resolve() != VENV_PY.parent.parent.resolve():
        os.execv(str(VENV_PY), [str(VENV_PY), __file__, *sys.argv[1:]])
    sys.exit("run_notebooks: nbclient is missing: run ./setup.sh first")


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def is_plot_cell(source: str) -> bool:
    return any(line.strip().startswith("// plot") for line in source.splitlines())


def is_showing_cell(source: str) -> bool:
    return ".show()" in source


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
    efmt_debug = False
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {i}"
        shown = False
        showed = False
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
                showed = showed or any(t in out.get("data", {}) for t in SHOWN_TYPES)
        efmt_line = next((n for n, ln in enumerate(cell.source.splitlines(), 1) if ln.strip() == EFMT_DEBUG), None)
        for n in top_level_try_lines(cell.source):
            if not (efmt_debug or (efmt_line is not None and efmt_line < n)):
                problems.append(f"{where}, line {n}: top-level `?` before `{EFMT_DEBUG}` (its error would print without the `Error:` marker and not fail the run): set `{EFMT_DEBUG}` in the first cell")
        efmt_debug = efmt_debug or efmt_line is not None
        if is_plot_cell(cell.source) and not shown:
            problems.append(f"{where}: plot cell produced no image output")
        elif is_showing_cell(cell.source) and not showed:
            problems.append(f"{where}: .show() cell produced no image or HTML output")
    return problems


class TimedClient(NotebookClient):
    """NotebookClient that notes when the first output of any cell arrived."""

    first_output_at = None

    def output(self, outs, msg, display_id, cell_index):
        if self.first_output_at is None and msg["msg_type"] in ("stream", "display_data", "execute_result", "error"):
            self.first_output_at = time.monotonic()
        return super().output(outs, msg, display_id, cell_index)


def run_one(path: Path, timeout: int):
    """Execute one notebook; (problems, executed notebook or None, seconds to first output or None)."""
    start = time.monotonic()
    nb = nbformat.read(path, as_version=4)
    dirty = dirty_cells(nb)
    if dirty:
        return [f"not clean: code cells {dirty[:8]} carry outputs (run tools/run_notebooks.py --strip)"], None, None
    client = TimedClient(
        nb,
        timeout=timeout,
        kernel_name="rust",
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    # The kernel wrapper picks this notebook's own persistent build folder by this name.
    os.environ["JPY_SESSION_NAME"] = str(path)
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
    first = None if client.first_output_at is None else client.first_output_at - start
    return problems + problems_of(nb), nb, first


def write_page(path: Path, nb) -> list:
    """The executed notebook as NAME.html beside NAME.ipynb; problems when it cannot be written."""
    try:
        notebook_html.export_page(nb, EXECUTED / (path.stem + ".html"), path.stem)
        return []
    except Exception as e:  # nbconvert missing or a template error: the run must say so
        return [f"HTML page not written: {type(e).__name__}: {str(e).strip()[:400]} (run ./setup.sh)"]


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
    # By default the kernel wrapper chooses the build folder; HITS_EVCXR_DIR forces one.
    if os.environ.get("HITS_EVCXR_DIR"):
        evcxr_dir = Path(os.environ["HITS_EVCXR_DIR"]).resolve()
        evcxr_dir.mkdir(parents=True, exist_ok=True)
        os.environ["EVCXR_TMPDIR"] = str(evcxr_dir)
    cargo_bin = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo")) / "bin"
    os.environ["PATH"] = f"{cargo_bin}{os.pathsep}{os.environ.get('PATH', '')}"

    passed = failed = 0
    records = []
    for p in paths:
        name = shown(p)
        print(f"running {name} ...", flush=True)
        start = time.monotonic()
        problems, nb, first = run_one(p, args.timeout)
        secs = time.monotonic() - start
        if nb is not None:
            problems += write_page(p, nb)
            records.append(notebook_html.record(name, p.stem + ".html", not problems, secs, first, problems, nb))
        first_note = "" if first is None else f"; first output after {first:.1f} s"
        if problems:
            failed += 1
            print(f"FAIL {name} ({secs:.1f} s{first_note})")
            for msg in problems:
                print(f"    {msg}")
        else:
            passed += 1
            print(f"ok   {name} ({secs:.1f} s{first_note})")
        sys.stdout.flush()
    if records:
        index = notebook_html.write_index(EXECUTED, records)
        print(f"executed pages: {shown(index)}")
    print(f"notebooks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
