#!/usr/bin/env python3
"""Check in a real headless browser that the executed notebook pages show their figures.

    tools/check_html_render.py                  index.html and one notebook page of notebooks/.executed/
    tools/check_html_render.py --page fluid.html  that page instead of the first one with a figure
    tools/check_html_render.py --dir DIR PAGE.html ...   any pages (used by the self-test)

For each page, Debian's chromium takes two screenshots of the same layout: the page as it is,
and the page with each image's content moved out of its box and the box filled magenta (every
box stays where it was). The pixels that differ are the pixels the images painted, white plot
backgrounds included. A page passes when they cover at least --min-pixels pixels in a region
at least --min-size pixels wide and high: a missing or broken image paints only a small icon
box and fails. Screenshots are kept in
DIR/screenshots/ for a reader. This compares rendered pixels, never bytes of the HTML.
The last line is `browser check: N passed, M failed`; exit 1 when any failed, 2 when no
browser is found (./setup.sh --browser installs chromium).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = ROOT / "notebooks" / ".executed"
VENV_PY = ROOT / ".venv" / "bin" / "python"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Images of the executed pages (nbconvert output images, the index thumbnails): content out of
# the box, the box magenta; inline SVGs hidden.
HIDE_IMAGES = (
    "<style>img { object-position: -100000px -100000px !important; background: #ff00ff !important; }"
    " svg { visibility: hidden !important; }</style>"
)
# The flags that work on these machines (closed network, root, no GPU).
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=15000",
]

try:
    from PIL import Image, ImageChops
except ImportError:
    if VENV_PY.exists() and Path(sys.prefix).resolve() != VENV_PY.parent.parent.resolve():
        os.execv(str(VENV_PY), [str(VENV_PY), __file__, *sys.argv[1:]])
    sys.exit("check_html_render: Pillow is missing: run ./setup.sh first")


def find_browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(browser: str, page: Path, png: Path, width: int, height: int, profile: Path) -> None:
    cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
           f"--screenshot={png}", page.resolve().as_uri()]
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    if run.returncode != 0 or not png.is_file():
        tail = "\n".join(run.stdout.strip().splitlines()[-5:])
        raise RuntimeError(f"{Path(browser).name} exited {run.returncode} without a screenshot of {page}: {tail}")


def image_pixels(shown: Path, hidden: Path):
    """(pixels that differ, (width, height) of the region they span) between two screenshots."""
    a = Image.open(shown).convert("RGB")
    b = Image.open(hidden).convert("RGB")
    if a.size != b.size:
        raise RuntimeError(f"screenshots differ in size: {a.size} vs {b.size}")
    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 24 else 0)
    count = diff.histogram()[255]
    box = diff.getbbox()
    span = (0, 0) if box is None else (box[2] - box[0], box[3] - box[1])
    return count, span


def check_page(browser: str, page: Path, shots: Path, args) -> list:
    """Problems with how `page` renders (empty when its images show)."""
    with tempfile.TemporaryDirectory(prefix="hits-render-") as tmp:
        tmp = Path(tmp)
        text = page.read_text(encoding="utf-8")
        if "</head>" not in text:
            return [f"{page.name}: no </head> (not an HTML page?)"]
        # The hidden variant sits beside the original so relative links resolve the same way.
        hidden_page = page.with_name(f".{page.stem}.hidden.html")
        hidden_page.write_text(text.replace("</head>", HIDE_IMAGES + "</head>", 1), encoding="utf-8")
        try:
            shown_png = shots / f"{page.stem}.png"
            hidden_png = tmp / "hidden.png"
            screenshot(browser, page, shown_png, args.width, args.height, tmp / "profile-a")
            screenshot(browser, hidden_page, hidden_png, args.width, args.height, tmp / "profile-b")
        finally:
            hidden_page.unlink(missing_ok=True)
        count, (w, h) = image_pixels(shown_png, hidden_png)
    msg = f"{page.name}: images painted {count} pixels over {w}x{h} (screenshot {shown_png})"
    if count < args.min_pixels or w < args.min_size or h < args.min_size:
        return [f"{msg}: fewer than {args.min_pixels} pixels or smaller than {args.min_size}x{args.min_size}"]
    print(f"ok   {msg}")
    return []


def default_pages(executed: Path, page: str):
    if page:
        return [executed / "index.html", executed / page]
    try:
        status = json.loads((executed / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        sys.exit(f"check_html_render: no {executed / 'status.json'}: run tools/run_notebooks.py first")
    with_figure = [r["page"] for r in status.values() if r.get("thumbnail") and r.get("passed")]
    if not with_figure:
        sys.exit(f"check_html_render: no passed notebook with a figure in {executed / 'status.json'}")
    return [executed / "index.html", executed / with_figure[0]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pages", nargs="*", help="page file names inside --dir (default: index.html + one notebook)")
    ap.add_argument("--dir", type=Path, default=EXECUTED, help="folder of the pages (default notebooks/.executed)")
    ap.add_argument("--page", default="", help="the notebook page to check beside index.html")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=6000, help="window height: the part of each page checked")
    ap.add_argument("--min-pixels", type=int, default=20000)
    ap.add_argument("--min-size", type=int, default=100)
    args = ap.parse_args()

    browser = find_browser()
    if browser is None:
        print("check_html_render: no chromium found (./setup.sh --browser installs Debian's chromium)", file=sys.stderr)
        return 2
    pages = [args.dir / p for p in args.pages] if args.pages else default_pages(args.dir, args.page)
    shots = args.dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    passed = failed = 0
    for page in pages:
        if not page.is_file():
            problems = [f"{page}: no such page"]
        else:
            try:
                problems = check_page(browser, page, shots, args)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                problems = [f"{page.name}: {e}"]
        if problems:
            failed += 1
            for p in problems:
                print(f"FAIL {p}")
        else:
            passed += 1
    print(f"browser check: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
