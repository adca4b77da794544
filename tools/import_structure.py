#!/usr/bin/env python3
"""The crate's import structure, as issue 27 counts it (no dependencies; reads src/ only).

  tools/import_structure.py [SRC]        # default: src

Prints
  * the top-level module graph: `a -> b` when a file under src/a names `crate::b` (in a `use`
    or inline); an arrow "runs back up" when it lies on a cycle of that graph (the graph of a
    layered crate is acyclic, so the count is 0);
  * file circles: inside one folder, sets of two or more sibling files that reach each other
    through `super::x`, `crate::folder::x` or `self::x` paths (mod.rs is the folder itself, not
    a sibling, and is left out).
Comments and string literals are stripped first; `#[cfg(test)] mod tests` blocks are skipped
(a test names what it tests).
"""
import os
import re
import sys
from collections import defaultdict

SRC = sys.argv[1] if len(sys.argv) > 1 else "src"


def strip(text):
    """the code without comments, string and char literals, and #[cfg(test)] mod blocks"""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c in "rb" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and re.match(r'(br|r)#*"', text[i:]):
            m = re.match(r'(br|r)(#*)"', text[i:])
            close = '"' + m.group(2)
            j = text.find(close, i + m.end())
            i = n if j < 0 else j + len(close)
            out.append('""')
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", text[i:]):
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            i += m.end()
            out.append("' '")
        else:
            out.append(c)
            i += 1
    text = "".join(out)
    # drop #[cfg(test)] mod NAME { ... } (brace matched)
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def expand_uses(text):
    """every path of every `use` (braces expanded) and every inline `a::b::c` path"""
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        paths += expand(m.group(1).replace("\n", " ").replace(" ", ""))
    paths += re.findall(r"\b(?:crate|super|self)(?:::\w+)+", text)
    return paths


def expand(tree):
    if "{" not in tree:
        return [p for p in tree.split(",") if p]
    i = tree.index("{")
    prefix = tree[:i]
    depth, j = 0, i
    for j in range(i, len(tree)):
        depth += {"{": 1, "}": -1}.get(tree[j], 0)
        if depth == 0:
            break
    inner, rest = tree[i + 1:j], tree[j + 1:].lstrip(",")
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        if p:
            out += [prefix + q for q in expand(p)]
    if rest:
        out += expand(rest)
    return out


def module_path(rel):
    """src-relative file -> module path list: stepper/train.rs -> [stepper, train]"""
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    if parts in (["lib"], ["main"]):
        return []
    return parts


def absolute(path, here):
    """a `crate::`/`self::`/`super::` path named in module `here`, as a path from the crate root"""
    segs = path.split("::")
    if segs[0] == "crate":
        return segs[1:]
    base = list(here)
    while segs and segs[0] in ("self", "super"):
        if segs[0] == "super":
            base = base[:-1]
        segs = segs[1:]
    return base + segs


def main():
    files = {}
    for root, _, names in os.walk(SRC):
        for n in names:
            if n.endswith(".rs"):
                full = os.path.join(root, n)
                rel = os.path.relpath(full, SRC)
                files[rel] = strip(open(full, encoding="utf-8").read())
    top = {module_path(r)[0] for r in files if module_path(r)}
    mods = {tuple(module_path(r)): r for r in files}
    # names re-exported by a module from one of its child files: (module, name) -> file
    reexports = {}
    for rel, text in files.items():
        here = tuple(module_path(rel))
        for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", text):
            for p in expand(m.group(1).replace("\n", " ").replace(" ", "")):
                segs = p.split("::")
                if segs[0] == "self":
                    segs = segs[1:]
                if len(segs) == 2 and here + (segs[0],) in mods:
                    name = segs[1].split(" as ")[0]
                    reexports[(here, name)] = mods[here + (segs[0],)]
    top_edges = defaultdict(set)
    file_edges = defaultdict(set)
    for rel, text in files.items():
        here = module_path(rel)
        for p in expand_uses(text):
            if not re.match(r"(crate|super|self)\b", p):
                continue
            target = absolute(p, here)
            if here and target and target[0] in top and target[0] != here[0]:
                top_edges[here[0]].add(target[0])
            # the longest module prefix of target that is a file of ours; a name a folder's
            # mod.rs re-exports (`pub use file::Name`) counts as that file's
            for k in range(len(target), 0, -1):
                t = tuple(target[:k])
                if t in mods:
                    other = mods[t]
                    if k < len(target) and (t, target[k]) in reexports:
                        other = reexports[(t, target[k])]
                    if other != rel:
                        file_edges[rel].add(other)
                    break
    # top-level cycles
    def sccs(nodes, edges):
        index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

        def visit(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in edges.get(v, ()):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))

        sys.setrecursionlimit(10000)
        for v in sorted(nodes):
            if v not in index:
                visit(v)
        return out

    comps = sccs(top, top_edges)
    comp_of = {v: i for i, c in enumerate(comps) for v in c}
    back = sorted((a, b) for a in top_edges for b in top_edges[a] if comp_of.get(a) == comp_of.get(b))
    print("top-level modules:", len(top))
    print("arrows on a cycle between top-level modules (running back up):", len(back))
    for a, b in back:
        print(f"  {a} -> {b}")
    # file circles within a folder: siblings only, mod.rs left out
    circles = []
    by_dir = defaultdict(list)
    for rel in files:
        if not rel.endswith("mod.rs"):
            by_dir[os.path.dirname(rel)].append(rel)
    for d, sib in by_dir.items():
        sset = set(sib)
        edges = {f: {g for g in file_edges[f] if g in sset} for f in sib}
        for c in sccs(sib, edges):
            if len(c) > 1:
                circles.append(c)
    print("file circles inside a folder:", len(circles))
    for c in sorted(circles):
        d = os.path.dirname(c[0])
        print(f"  {d}/{{{','.join(os.path.basename(x)[:-3] for x in c)}}}")


if __name__ == "__main__":
    main()
