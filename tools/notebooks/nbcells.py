"""Cells and file writing shared by the notebook generators in this folder.

Each generator builds a list of cells with `md(...)` / `code(...)` and calls `write(name, cells)`,
which writes `notebooks/<name>` clean: no outputs, no execution counts, stable cell ids.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "notebooks"

METADATA = {
    "kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"},
    "language_info": {
        "codemirror_mode": "rust",
        "file_extension": ".rs",
        "mimetype": "text/rust",
        "name": "Rust",
        "pygment_lexer": "rust",
        "version": "",
    },
}


def md(text):
    return ("markdown", text.strip("\n"))


def code(text):
    return ("code", text.strip("\n"))


def write(name, cells):
    nb_cells = []
    for i, (kind, src) in enumerate(cells):
        cell = {
            "cell_type": kind,
            "id": f"cell-{i:02d}",
            "metadata": {},
            "source": src.splitlines(keepends=True),
        }
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        nb_cells.append(cell)
    nb = {"cells": nb_cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}
    path = OUT / name
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
