"""Executed notebooks as self-contained HTML pages, and an index page (used by run_notebooks.py).

    export_page(nb, html_path)      one executed notebook -> one HTML page, images inline
    write_index(executed_dir, run)  notebooks/.executed/index.html: every page with its status,
                                    time, first output and first figure (inline thumbnail)

The pages load nothing from the network: nbconvert's `lab` template without its require.js,
MathJax and Mermaid script tags (the notebooks use none of them), PNG and SVG outputs inline as
nbconvert writes them, and GIF outputs (which nbconvert drops: not in its display priority)
turned into inline `<img src="data:image/gif;base64,...">`. A reader opens index.html in any
browser and sees every figure of the run without a kernel.
"""

import copy
import html
import json
import time
from pathlib import Path

IMAGE_TYPES = ("image/png", "image/svg+xml", "image/gif")
STATUS_FILE = "status.json"

# nbconvert's lab page minus its three script tags that load from a CDN.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def gifs_as_html(nb):
    """A copy of `nb` whose image/gif outputs are inline <img> HTML (nbconvert drops GIFs)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/gif" in data and not any(t in data for t in ("text/html", "image/png", "image/svg+xml")):
                b64 = _joined(data.pop("image/gif")).replace("\n", "")
                data["text/html"] = f'<img class="hits-gif" alt="animation" src="data:image/gif;base64,{b64}"/>'
    return nb


def export_page(nb, html_path: Path, title: str) -> None:
    """Write the executed notebook `nb` as one self-contained HTML page."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"hits_offline.html.j2": OFFLINE_TEMPLATE})],
        template_file="hits_offline.html.j2",
    )
    nb = gifs_as_html(nb)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    tmp = html_path.with_suffix(".html.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(html_path)


def first_image(nb):
    """(mime type, base64 or SVG text) of the notebook's first image output, or None."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for mime in IMAGE_TYPES:
                if mime in data:
                    return mime, _joined(data[mime])
    return None


def thumbnail_src(image) -> str:
    mime, payload = image
    if mime == "image/svg+xml":
        import base64

        payload = base64.b64encode(payload.encode("utf-8")).decode("ascii")
    return f"data:{mime};base64,{payload.replace(chr(10), '')}"


def record(name: str, html_name: str, passed: bool, seconds: float, first_output_s, problems, nb) -> dict:
    """One notebook's entry in status.json and the index."""
    image = first_image(nb) if nb is not None else None
    return {
        "notebook": name,
        "page": html_name,
        "passed": passed,
        "seconds": round(seconds, 1),
        "first_output_s": None if first_output_s is None else round(first_output_s, 1),
        "problems": list(problems)[:20],
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "thumbnail": thumbnail_src(image) if image else None,
    }


def load_status(executed: Path) -> dict:
    try:
        return json.loads((executed / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_index(executed: Path, records: list) -> Path:
    """Merge this run's records into status.json (a notebook run again replaces its entry;
    entries whose page is gone are dropped) and write index.html. Two runners at once take
    turns (a lock file), so neither loses the other's entries."""
    import fcntl

    with open(executed / ".index.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _write_index_locked(executed, records)


def _write_index_locked(executed: Path, records: list) -> Path:
    status = load_status(executed)
    for r in records:
        status[r["notebook"]] = r
    status = {k: v for k, v in sorted(status.items()) if (executed / v["page"]).is_file()}
    tmp = executed / (STATUS_FILE + ".tmp")
    tmp.write_text(json.dumps(status, indent=1), encoding="utf-8")
    tmp.replace(executed / STATUS_FILE)

    rows = []
    for r in status.values():
        state = "passed" if r["passed"] else "FAILED"
        first = "-" if r["first_output_s"] is None else f'{r["first_output_s"]:.1f} s'
        thumb = (
            f'<a href="{html.escape(r["page"])}"><img class="thumb" alt="first figure" src="{r["thumbnail"]}"/></a>'
            if r["thumbnail"]
            else "<span class=none>no figure</span>"
        )
        problems = "".join(f"<li>{html.escape(p)}</li>" for p in r["problems"])
        rows.append(
            f'<tr class="{state.lower()}"><td><a href="{html.escape(r["page"])}">{html.escape(r["notebook"])}</a>'
            f'<ul class=problems>{problems}</ul></td><td class=state>{state}</td>'
            f'<td>{r["seconds"]:.1f} s</td><td>{first}</td><td>{html.escape(r["finished"])}</td><td>{thumb}</td></tr>'
        )
    passed = sum(r["passed"] for r in status.values())
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><title>hits: executed notebooks</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 6px 10px; vertical-align: top; text-align: left; }}
tr.failed td.state {{ color: #b00; font-weight: bold; }}
tr.passed td.state {{ color: #070; }}
img.thumb {{ width: 360px; border: 1px solid #ddd; background: white; }}
ul.problems {{ color: #b00; font-size: 90%; margin: 4px 0; padding-left: 1.2em; }}
</style></head><body>
<h1>Executed notebooks</h1>
<p>{passed} passed, {len(status) - passed} failed. Written by <code>tools/run_notebooks.py</code>;
each page is self-contained (figures inline), the first figure of each is shown here.</p>
<table><tr><th>notebook</th><th>status</th><th>time</th><th>first output</th><th>finished</th><th>first figure</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
    out = executed / "index.html"
    tmp = executed / "index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out
