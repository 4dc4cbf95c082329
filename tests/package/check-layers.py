#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads every #include of the C sources and fails on an arrow that points up.

Rules (DESIGN.md draws them):
- backend/: a layer includes only its own headers and those of the layers
  before it in LAYERS (the order of backend/meson.build), never GTK,
  libadwaita or a header of app/ or ui/;
- no circle of includes between any two headers of the tree;
- ui/ never includes a header of app/ (app/ holds the entry points and uses
  the window, not the other way round);
- the command line (app/dm-cli*, app/dm-bench*) includes no GTK, libadwaita
  or ui/ header: it is built with the backend alone, for headless machines.

Prints the layer graph (who includes whom, with the number of includes) and
the counts. Usage: check-layers.py SOURCE_ROOT LAYER...
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]', re.M)
GTK = re.compile(r"^(gtk/|gdk/|adwaita\.h|gsk/)")


def sources(folder):
    for base, _dirs, files in os.walk(folder):
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                yield os.path.join(base, name)


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    # Comments may mention an include; drop them first.
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return INCLUDE.findall(text)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, layers = argv[1], argv[2:]
    rank = {layer: i for i, layer in enumerate(layers)}
    problems = []

    # Where each local header lives: backend/<layer>, app or ui.
    home = {}
    for top in ("backend", "app", "ui"):
        for path in sources(os.path.join(root, top)):
            if path.endswith(".h"):
                rel = os.path.relpath(path, root)
                parts = rel.split(os.sep)
                where = parts[1] if top == "backend" and len(parts) > 2 else top
                name = os.path.basename(path)
                if name in home and home[name][0] != where:
                    problems.append(f"{rel}: header name also used in {home[name][1]}")
                home[name] = (where, rel)

    for layer in os.listdir(os.path.join(root, "backend")):
        if os.path.isdir(os.path.join(root, "backend", layer)) and layer not in rank:
            problems.append(f"backend/{layer}: a folder that is not a layer of backend/meson.build")

    edges = {}
    graph = {}  # header or source rel path -> set of header rel paths
    for top in ("backend", "app", "ui"):
        for path in sources(os.path.join(root, top)):
            rel = os.path.relpath(path, root)
            parts = rel.split(os.sep)
            me = parts[1] if top == "backend" and len(parts) > 2 else top
            graph.setdefault(rel, set())
            for kind, name in includes(path):
                if kind == "<":
                    if GTK.match(name) and (top == "backend" or
                                            (top == "app" and re.match(r"dm-(cli|bench)", parts[-1]))):
                        problems.append(f"{rel}: includes <{name}> (GTK-free code)")
                    continue
                target = home.get(os.path.basename(name))
                if target is None:
                    continue  # config.h, generated or test headers
                where, target_rel = target
                graph[rel].add(target_rel)
                if where != me:
                    edges[(me, where)] = edges.get((me, where), 0) + 1
                if top == "backend":
                    if where in ("app", "ui"):
                        problems.append(f"{rel}: includes {name} of {where}/ (the backend is below every front end)")
                    elif rank[where] > rank[me]:
                        problems.append(f"{rel}: includes {name} of {where}/, a layer above {me}/ (an arrow up)")
                elif top == "ui" and where == "app":
                    problems.append(f"{rel}: includes {name} of app/ (ui/ is below the entry points)")
                elif top == "app" and re.match(r"dm-(cli|bench)", parts[-1]) and where == "ui":
                    problems.append(f"{rel}: the command line includes {name} of ui/")

    # Circles between headers: a depth-first search over the header graph.
    circles = []
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif state.get(nxt) is None:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node, [])
    for c in circles:
        problems.append("include circle: " + " -> ".join(c))

    order = {name: i for i, name in enumerate(layers + ["ui", "app"])}
    print("layer graph (includes across folders):")
    for (a, b), n in sorted(edges.items(), key=lambda e: (order.get(e[0][0], 99), order.get(e[0][1], 99))):
        print(f"  {a:9s} -> {b:9s} {n:4d}")
    up = sum(1 for p in problems if "arrow up" in p or "includes" in p and "of app/" in p)
    print(f"{up} upward arrows, {len(circles)} circles, {len(problems)} problems")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
