#!/usr/bin/python3
"""The layer rule of server/ (DEVELOPING.md): a file includes only its own
folder or a lower one, with the folder's name ("core/addr.h",
"common/wire.h"); the top layers (lifeboatd, lifeboatctl) never include
each other; and the include graph has no cycle.

usage: layer-check.py SERVER_DIR LOWEST [HIGHER ...]
The layers are given lowest first; the last two (the programs) are peers.
common/ (the wire format shared with the agent) is below them all.
Prints each violation as `lifeboat: layer-check: FILE: ...` and exits 1."""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def self_test():
    """The check fails on what it is for: an upward include, a sideways
    one between the programs, one without its folder, and a cycle."""
    import subprocess
    import tempfile
    cases = {
        "upward": {"core/a.c": '#include "store/b.h"\n', "store/b.h": ""},
        "sideways": {"lifeboatd/a.c": '#include "lifeboatctl/b.h"\n', "lifeboatctl/b.h": ""},
        "no folder": {"core/a.c": '#include "b.h"\n', "core/b.h": ""},
        "cycle": {"core/a.h": '#include "core/b.h"\n', "core/b.h": '#include "core/a.h"\n'},
        "clean": {"store/a.c": '#include "core/b.h"\n#include "common/wire.h"\n', "core/b.h": ""},
    }
    for name, files in cases.items():
        with tempfile.TemporaryDirectory() as root:
            for path, text in files.items():
                os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
                with open(os.path.join(root, path), "w") as f:
                    f.write(text)
            rc = subprocess.run([sys.executable, __file__, root, "core", "store", "lifeboatd", "lifeboatctl"],
                                capture_output=True).returncode
            if rc != (0 if name == "clean" else 1):
                print("lifeboat: layer-check: the self-test '%s' exited %d" % (name, rc), file=sys.stderr)
                return 1
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root, layers = sys.argv[1], sys.argv[2:]
    rank = {"common": -1}
    for i, name in enumerate(layers):
        rank[name] = i
    top = set(layers[-2:])
    problems, graph = [], {}
    for layer in [d for d in sorted(os.listdir(root)) if os.path.isdir(os.path.join(root, d))]:
        if layer not in rank:
            if layer not in ("tests", "dist"):
                problems.append("%s/%s: a folder that is not a layer (add it to SERVER_LAYERS)" % (root, layer))
            continue
        for name in sorted(os.listdir(os.path.join(root, layer))):
            if not name.endswith((".c", ".h")):
                continue
            path = "%s/%s" % (layer, name)
            with open(os.path.join(root, path), encoding="utf-8") as f:
                text = f.read()
            graph[path] = []
            for inc in INCLUDE.findall(text):
                where = inc.split("/")[0] if "/" in inc else None
                if where is None:
                    problems.append('%s/%s: #include "%s" without its folder' % (root, path, inc))
                    continue
                if where not in rank:
                    problems.append('%s/%s: #include "%s": no such layer' % (root, path, inc))
                    continue
                if rank[where] > rank[layer] or (where != layer and where in top and layer in top):
                    problems.append('%s/%s: #include "%s": %s is not below %s' % (root, path, inc, where, layer))
                if where != "common":
                    graph[path].append(inc)
    problems += cycles(graph, root)
    for p in problems:
        print("lifeboat: layer-check: " + p, file=sys.stderr)
    if problems:
        return 1
    print("  LAYERS  %s: %d files, %s, no upward include, no cycle" % (root, len(graph), " < ".join(["common"] + layers[:-2]) + " < {" + ", ".join(layers[-2:]) + "}"))
    return 0


def cycles(graph, root):
    """Cycles between translation units: a.c/a.h count as one node, so
    a.c including b.h and b.c including a.h is a cycle."""
    unit = lambda p: p.rsplit(".", 1)[0]
    edges = {}
    for f, incs in graph.items():
        for inc in incs:
            if unit(inc) != unit(f):
                edges.setdefault(unit(f), set()).add(unit(inc))
    found, state = [], {}

    def visit(n, stack):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                found.append("%s: include cycle: %s" % (root, " -> ".join(stack[stack.index(m):] + [m])))
            elif m not in state:
                visit(m, stack)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n, [])
    return found


if __name__ == "__main__":
    sys.exit(main())
