#!/usr/bin/env python3
"""Self-test of the notebook tooling, without a Rust kernel (seconds; test.sh runs it):

  - run_notebooks.problems_of fails each kind of broken executed notebook it must fail on
    (error outputs, "panicked at" / "Error:" on stderr, a plot cell without an image, a top-level
    `?` before `:efmt {:?}`) and passes a good one; dirty_cells finds committed outputs;
  - notebook_html writes self-contained pages (PNG, SVG and GIF inline, no CDN script) and an
    index with thumbnails;
  - the kernel wrapper tools/evcxr_kernel.sh (with a stand-in for evcxr_jupyter) gives two
    kernels at once two build folders, the same notebook its folder again, falls back when all
    are busy, and leaves a user's EVCXR_TMPDIR alone;
  - when chromium is installed, check_html_render passes a page whose image shows and fails one
    whose image is broken.

    tools/test_notebook_tools.py        (re-executes itself with .venv/bin/python when needed)
"""

import base64
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_PY = HERE.parent / ".venv" / "bin" / "python"
try:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    from PIL import Image
except ImportError:
    if VENV_PY.exists() and Path(sys.prefix).resolve() != VENV_PY.parent.parent.resolve():
        os.execv(str(VENV_PY), [str(VENV_PY), __file__, *sys.argv[1:]])
    sys.exit("test_notebook_tools: nbformat/Pillow missing: run ./setup.sh first")
sys.path.insert(0, str(HERE))
import check_html_render  # noqa: E402
import notebook_html  # noqa: E402
import run_notebooks  # noqa: E402

WRAPPER = HERE / "evcxr_kernel.sh"


def png_b64(width=400, height=300) -> str:
    """A colourful PNG (a gradient), base64."""
    img = Image.new("RGB", (width, height))
    img.putdata([(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)])
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def gif_b64() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, format="GIF")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def executed(cells):
    """A notebook of (source, outputs) pairs, as the kernel would have left it."""
    nb = new_notebook()
    nb.metadata["language_info"] = {"name": "rust"}
    for n, (source, outputs) in enumerate(cells):
        cell = new_code_cell(source, execution_count=n + 1)
        cell.outputs = outputs
        nb.cells.append(cell)
    return nb


def stderr(text):
    return new_output("stream", name="stderr", text=text)


def image(mime="image/png", payload=None):
    return new_output("display_data", data={mime: payload or png_b64(40, 30)})


class RunnerFailures(unittest.TestCase):
    def test_good_notebook_passes(self):
        nb = executed([("let x = 1;", []), ("// plot\nfig.show()", [image()]), ("println!(\"{x}\");", [new_output("stream", name="stdout", text="1\n")])])
        self.assertEqual(run_notebooks.problems_of(nb), [])

    def test_error_output_fails(self):
        nb = executed([("let x: u32 = \"a\";", [new_output("error", ename="Error", evalue="mismatched types", traceback=[])])])
        self.assertIn("error output", run_notebooks.problems_of(nb)[0])

    def test_panic_on_stderr_fails(self):
        nb = executed([("run()", [stderr("thread '<unnamed>' panicked at src/lib.rs:3:5:\nboom\n")])])
        self.assertIn("panicked at", run_notebooks.problems_of(nb)[0])

    def test_error_marker_on_stderr_fails(self):
        nb = executed([("run()", [stderr("Error: no such file data/x.npy\n")])])
        self.assertIn("stderr", run_notebooks.problems_of(nb)[0])

    def test_plot_cell_without_image_fails(self):
        nb = executed([("// plot the loss\nlet f = loss_figure();", [])])
        self.assertIn("no image", run_notebooks.problems_of(nb)[0])
        nb = executed([("fig.show()", [new_output("stream", name="stdout", text="ok\n")])])
        self.assertIn("no image", run_notebooks.problems_of(nb)[0])
        # a shown table (text/html) is output for a .show() cell, not for a `// plot` cell
        table = new_output("display_data", data={"text/html": "<table></table>", "text/plain": "|a|"})
        self.assertEqual(run_notebooks.problems_of(executed([("table.show()", [table])])), [])
        nb = executed([("// plot\ntable.show()", [table])])
        self.assertIn("no image", run_notebooks.problems_of(nb)[0])

    def test_top_level_question_mark_fails_before_efmt_debug(self):
        nb = executed([("let d = load(\"x?\")?;\nlet e = { f()? };", [])])
        problems = run_notebooks.problems_of(nb)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("line 1", problems[0])
        # after `:efmt {:?}` (an earlier cell, or earlier in the same cell) `?` is how a cell
        # reports an error: hits::Error's Debug prints `Error: ...`, which fails the run
        nb = executed([(":dep hits\n:efmt {:?}", []), ("let d = load()?;", [])])
        self.assertEqual(run_notebooks.problems_of(nb), [])
        nb = executed([("let d = load()?;\n:efmt {:?}\nlet e = f()?;", [])])
        problems = run_notebooks.problems_of(nb)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("line 1", problems[0])
        nb = executed([(":efmt {:?}", []), ("let d = load()?;", [stderr("Error: invalid epochs: must be at least 1\n")])])
        self.assertIn("Error: invalid epochs", run_notebooks.problems_of(nb)[0])

    def test_committed_outputs_are_dirty(self):
        nb = executed([("1", [])])
        self.assertEqual(run_notebooks.dirty_cells(nb), [0])
        run_notebooks.strip(nb)
        self.assertEqual(run_notebooks.dirty_cells(nb), [])


class Pages(unittest.TestCase):
    def test_page_inlines_every_image_and_loads_nothing(self):
        svg = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="red"/></svg>'
        nb = executed([("a", [image()]), ("b", [image("image/svg+xml", svg)]), ("c", [image("image/gif", gif_b64())])])
        nb.cells.insert(0, new_markdown_cell("# Title"))
        with tempfile.TemporaryDirectory() as tmp:
            page = Path(tmp) / "t.html"
            notebook_html.export_page(nb, page, "t")
            text = page.read_text()
        for needle in ("data:image/png;base64,", "data:image/svg+xml;base64,", "data:image/gif;base64,"):
            self.assertTrue(needle in text, f"{needle} not in the page")
        for needle in ("cdnjs", 'src="http'):
            self.assertFalse(needle in text, f"{needle} in the page")

    def test_index_lists_runs_with_thumbnails(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            for name in ("a", "b"):
                (d / f"{name}.html").write_text("<html></html>")
            recs = [
                notebook_html.record("notebooks/a.ipynb", "a.html", True, 3.0, 1.5, [], executed([("x", [image()])])),
                notebook_html.record("notebooks/b.ipynb", "b.html", False, 4.0, None, ["cell 1: boom"], executed([("x", [])])),
            ]
            index = notebook_html.write_index(d, recs).read_text()
            self.assertIn("1 passed, 1 failed", index)
            self.assertEqual(index.count('class="thumb"'), 1)
            self.assertIn("cell 1: boom", index)
            # a later run of one notebook replaces its entry and keeps the other
            notebook_html.write_index(d, [notebook_html.record("notebooks/b.ipynb", "b.html", True, 2.0, 1.0, [], executed([("x", [image()])]))])
            self.assertIn("2 passed, 0 failed", (d / "index.html").read_text())


class KernelWrapper(unittest.TestCase):
    """tools/evcxr_kernel.sh with a stand-in evcxr that records its build folder and waits."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="hits-wrapper-"))
        self.fake = self.tmp / "evcxr_jupyter"
        self.fake.write_text('#!/bin/sh\necho "${EVCXR_TMPDIR:-none}" > "$OUT"\necho "$LD_LIBRARY_PATH" > "$OUT.lib"\nsleep "${HOLD:-0}"\n')
        self.fake.chmod(0o755)
        self.env = dict(os.environ, HITS_EVCXR_POOL=str(self.tmp / "pool"), HITS_EVCXR_SLOTS="2")
        self.env.pop("EVCXR_TMPDIR", None)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, tag, hold="0", **env):
        out = self.tmp / f"{tag}.out"
        e = dict(self.env, OUT=str(out), HOLD=hold, **env)
        proc = subprocess.Popen([str(WRAPPER), str(self.fake), "--control_file", "x.json"], env=e,
                                cwd=self.tmp, stderr=subprocess.PIPE, text=True)
        return proc, out

    def folder_of(self, out):
        for _ in range(100):
            if out.is_file() and out.read_text().strip():
                return out.read_text().strip()
            time.sleep(0.05)
        self.fail(f"the stand-in kernel wrote no {out}")

    def test_two_at_once_get_two_folders_and_a_restart_gets_its_own_back(self):
        a, out_a = self.start("a", hold="2", JPY_SESSION_NAME="/nb/a.ipynb")
        folder_a = self.folder_of(out_a)
        b, out_b = self.start("b", hold="2", JPY_SESSION_NAME="/nb/b.ipynb")
        folder_b = self.folder_of(out_b)
        c, out_c = self.start("c", hold="0", JPY_SESSION_NAME="/nb/c.ipynb")
        self.assertEqual(c.wait(10), 0)
        self.assertIn("all 2 build folders", c.stderr.read())
        c.stderr.close()
        self.assertEqual(self.folder_of(out_c), "none")  # evcxr's own temporary folder
        for p in (a, b):
            p.wait(10)
            p.stderr.close()
        self.assertNotEqual(folder_a, folder_b)
        self.assertTrue(folder_a.startswith(str(self.tmp / "pool")), folder_a)
        # b ran last; a restart of a still gets a's folder back
        r, out_r = self.start("r", JPY_SESSION_NAME="/nb/a.ipynb")
        r.wait(10)
        r.stderr.close()
        self.assertEqual(self.folder_of(out_r), folder_a)

    def test_a_new_folder_takes_a_used_slot_before_an_unused_one(self):
        p, out = self.start("f1", JPY_SESSION_NAME="/nb/a.ipynb")
        p.wait(10)
        p.stderr.close()
        used = self.folder_of(out)
        other = self.tmp / "elsewhere"
        other.mkdir()
        e = dict(self.env, OUT=str(self.tmp / "f2.out"), HOLD="0", JPY_SESSION_NAME="/other/b.ipynb")
        subprocess.run([str(WRAPPER), str(self.fake)], env=e, cwd=other, capture_output=True, timeout=10)
        self.assertEqual(self.folder_of(self.tmp / "f2.out"), used)

    def test_user_tmpdir_wins(self):
        p, out = self.start("u", EVCXR_TMPDIR="/some/where")
        p.wait(10)
        p.stderr.close()
        self.assertEqual(self.folder_of(out), "/some/where")

    def test_libstd_is_on_the_library_path(self):
        # cells built under $HOME load libstd through it (their RUNPATH points one level too high)
        libdir = subprocess.run(["rustc", "--print", "target-libdir"], capture_output=True, text=True).stdout.strip()
        p, out = self.start("l")
        p.wait(10)
        p.stderr.close()
        self.folder_of(out)
        self.assertEqual(Path(str(out) + ".lib").read_text().split(":")[0].strip(), libdir)

    def test_oversized_slot_is_emptied(self):
        p, out = self.start("s1")
        p.wait(10)
        p.stderr.close()
        folder = Path(self.folder_of(out))
        (folder / "big").write_bytes(b"x" * 4_000_000)
        p, out = self.start("s2", HITS_EVCXR_SLOT_MAX_MB="1")
        p.wait(10)
        self.assertIn("emptied", p.stderr.read())
        p.stderr.close()
        self.assertEqual(Path(self.folder_of(out)), folder)
        self.assertFalse((folder / "big").exists())

    def test_missing_evcxr_is_a_clear_error(self):
        run = subprocess.run([str(WRAPPER), str(self.tmp / "nope")], env=self.env, capture_output=True, text=True)
        self.assertEqual(run.returncode, 2)
        self.assertIn("evcxr_jupyter", run.stderr)


@unittest.skipUnless(check_html_render.find_browser(), "no chromium: ./setup.sh --browser installs it (the render check is then not tested)")
class BrowserCheck(unittest.TestCase):
    def run_check(self, payload):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            (d / "p.html").write_text(f'<html><head></head><body><h1>p</h1><img src="data:image/png;base64,{payload}"/></body></html>')
            run = subprocess.run([sys.executable, str(HERE / "check_html_render.py"), "--dir", str(d), "--height", "800", "p.html"],
                                 capture_output=True, text=True, timeout=300)
            return run.returncode, run.stdout

    def test_shown_image_passes_broken_image_fails(self):
        rc, out = self.run_check(png_b64())
        self.assertEqual(rc, 0, out)
        rc, out = self.run_check("iVBORw0KGgoAAAANSUhEUgAAnot-a-png")
        self.assertEqual(rc, 1, out)
        self.assertIn("1 failed", out)


if __name__ == "__main__":
    unittest.main(verbosity=1)
