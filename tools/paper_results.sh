#!/usr/bin/env bash
# Copy what a full-size sweep wrote that is small into the tracked results/paper/ (issue 29): every
# table (markdown, CSV), summary (JSON, markdown) and figure (PNG) under SRC, the .npy arrays and
# SVGs left out (tens of MB). SRC is a sweep's results folder (its `settings.out`), DST a
# folder under results/paper/. Refuses to replace a non-empty DST unless --overwrite.
#
#   tools/paper_results.sh /work/paper-run/results results/paper/ode
#   tools/paper_results.sh /work/paper-run/results-lorenz results/paper/lorenz
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 SRC DST [--overwrite]" >&2; exit 2; }
src="$1" dst="$2" overwrite="${3:-}"
[ -d "$src" ] || { echo "$0: $src is not a folder" >&2; exit 1; }
if [ -d "$dst" ] && [ -n "$(ls -A "$dst")" ] && [ "$overwrite" != --overwrite ]; then
    echo "$0: $dst is not empty; pass --overwrite to replace it" >&2
    exit 1
fi
tmp="$dst.partial.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
(cd "$src" && find . -type f \( -name '*.md' -o -name '*.csv' -o -name '*.json' -o -name '*.png' \) \
    -not -path '*/quick/*' -print0) |
    while IFS= read -r -d '' f; do
        mkdir -p "$tmp/$(dirname "$f")"
        cp "$src/$f" "$tmp/$f"
    done
rm -rf "$dst"
mv "$tmp" "$dst"
echo "$dst: $(find "$dst" -type f | wc -l) files, $(du -sh "$dst" | cut -f1)"
