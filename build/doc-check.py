#!/usr/bin/python3
"""make doc-check: the manual pages name everything a user can write, and
every documentation citation resolves.

Fails (exit 1), naming each problem as
  lifeboat: doc-check: <what is missing> from <page>
when
- a config key of the table in server/core/conf.c (or server/conf.c) is
  missing from man/lifeboatd.conf.5;
- a lifeboatctl command of its table, or an option (every "--word" string
  literal of lifeboatctl's sources), is missing from man/lifeboatctl.8;
- a kernel argument of the agent's table (agent/*.c) is missing from
  man/lifeboat.7;
- a manifest line type of initramfs/manifest.c is missing from
  man/lifeboat-image.1;
- a file (*.c *.h *.sh *.mk *.py *.md, Makefile; not out/) cites
  docs/NAME.md#ANCHOR, DEVELOPING.md#ANCHOR or README.md#ANCHOR and the file
  or the anchor (GitHub's slug of a heading) does not exist;
- a relative markdown link between the documentation pages does not
  resolve.
Standard library only; run from anywhere: paths are from the tree's top.
"""
import glob
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
problems = []


def rel(path):
    return os.path.relpath(path, TOP)


def missing(what, page):
    problems.append(f"lifeboat: doc-check: {what} from {page}")


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def sources(*patterns):
    """Files of the tree matching any glob pattern (from TOP), sorted, once."""
    found = set()
    for p in patterns:
        found.update(glob.glob(os.path.join(TOP, p), recursive=True))
    return sorted(f for f in found if os.path.isfile(f))


def strip_comments(c):
    c = re.sub(r"/\*.*?\*/", " ", c, flags=re.S)
    return re.sub(r"//[^\n]*", " ", c)


def table_rows(text, struct_pattern):
    """The initialiser of the first array whose declaration matches
    struct_pattern: the text between its '= {' and the matching '};'."""
    m = re.search(struct_pattern + r"[^;{]*?\[\s*\]\s*=\s*\{", text, flags=re.S)
    if m is None:
        return None
    depth, i = 1, m.end()
    while i < len(text) and depth > 0:
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
        i += 1
    return text[m.end():i - 1]


def roff_text(path):
    """A manual page's text, searchable: font escapes stripped, \\- as -,
    and the words of .B/.BR/.I... macros joined as they render."""
    t = read(path)
    t = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", t)   # \fB \fI \fR \fP \f(CW \f[B]
    t = t.replace("\\-", "-").replace("\\(aq", "'").replace("\\(dq", '"').replace("\\e", "\\")
    t = t.replace("\\&", "").replace("\\%", "")
    out = []
    for line in t.split("\n"):
        m = re.match(r"\.(B|I|BR|RB|BI|IB|IR|RI)\s+(.*)$", line)
        if m:
            words = re.findall(r'"[^"]*"|\S+', m.group(2))
            line = "".join(w.strip('"') for w in words)
        out.append(line)
    return "\n".join(out)


def mentions(text, word):
    """word appears in text, not as part of a longer name (a word ending in
    '=' is followed by its value)."""
    after = "" if word.endswith("=") else r"(?![A-Za-z0-9_])"
    return re.search(r"(?<![A-Za-z0-9_.-])" + re.escape(word) + after, text) is not None


def man(name):
    path = os.path.join(TOP, "man", name)
    if not os.path.isfile(path):
        missing(f"the page itself (man/{name})", f"man/{name}")
        return None
    return roff_text(path)


# ---- config keys: server/core/conf.c keys[] --------------------------------
def check_conf():
    files = sources("server/core/conf.c", "server/conf.c")
    keys = []
    for f in files:
        rows = table_rows(strip_comments(read(f)), r"static\s+const\s+struct\s*\{[^}]*conf_fn[^}]*\}\s*keys")
        if rows is not None:
            keys = re.findall(r'\{\s*(?:\.\w+\s*=\s*)?"([a-z0-9_]+)"\s*,\s*(?:\.\w+\s*=\s*)?set_\w+\s*\}', rows)
            break
    if not keys:
        missing("the config key table (keys[] of server/core/conf.c: not found)", "man/lifeboatd.conf.5")
        return
    page = man("lifeboatd.conf.5")
    if page is None:
        return
    for k in keys:
        # a key is documented as a tagged paragraph "key = value"
        if not re.search(r"^\.(TP|TQ)[^\n]*\n" + re.escape(k) + r"\s*=", page, flags=re.M):
            missing(f"config key '{k}'", "man/lifeboatd.conf.5")


# ---- lifeboatctl: the command table and every "--option" --------------------
def check_ctl():
    files = sources("server/lifeboatctl*.c", "server/lifeboatctl/*.c", "server/ctl_remote.c",
                    "server/lifeboatctl/*.h")
    if not files:
        missing("lifeboatctl's sources (server/lifeboatctl/*.c: not found)", "man/lifeboatctl.8")
        return
    commands, options = [], set()
    for f in files:
        text = strip_comments(read(f))
        rows = table_rows(text, r"static\s+const\s+struct\s+cmd\s+\w+")
        if rows is not None:
            commands += re.findall(r'\{\s*(?:\.name\s*=\s*)?"([a-z][a-z0-9-]*)"\s*,', rows)
        options.update(re.findall(r'"(--[a-z][a-z0-9-]*)"', text))
    if not commands:
        missing("lifeboatctl's command table (struct cmd ...[]: not found)", "man/lifeboatctl.8")
    page = man("lifeboatctl.8")
    if page is None:
        return
    for c in commands:
        # a command is documented as a tagged paragraph starting with it
        if not re.search(r"^\.(TP|TQ|IP)[^\n]*\n" + re.escape(c) + r"(?![\w-])", page, flags=re.M):
            missing(f"lifeboatctl command '{c}'", "man/lifeboatctl.8")
    for o in sorted(options):
        if not mentions(page, o):
            missing(f"lifeboatctl option '{o}'", "man/lifeboatctl.8")


# ---- kernel arguments: the agent's option table -----------------------------
def check_kargs():
    macros = {}
    for f in sources("common/*.h", "agent/*.h"):
        for name, val in re.findall(r'#define\s+(LB_KARG_\w+)\s+"([^"]+)"', read(f)):
            macros[name] = val
    args = []
    for f in sources("agent/cmdline.c", "agent/*.c"):
        rows = table_rows(strip_comments(read(f)), r"static\s+const\s+struct\s+option_desc\s+\w+")
        if rows is None:
            continue
        for lit, mac in re.findall(r'\{\s*(?:\.\w+\s*=\s*)?(?:"([^"]+)"|(LB_KARG_\w+))\s*,\s*(?:\.\w+\s*=\s*)?opt_\w+\s*\}',
                                   rows):
            if mac and mac not in macros:
                missing(f"the value of {mac} (common/wire.h)", "man/lifeboat.7")
                continue
            args.append(lit or macros[mac])
        break
    if not args:
        missing("the agent's kernel argument table (struct option_desc ...[]: not found)", "man/lifeboat.7")
        return
    page = man("lifeboat.7")
    if page is None:
        return
    for a in args:
        if not mentions(page, a + "="):
            missing(f"kernel argument '{a}='", "man/lifeboat.7")


# ---- manifest line types: initramfs/manifest.c line_types[] -----------------
def check_manifest():
    types = []
    for f in sources("initramfs/manifest.c"):
        rows = table_rows(strip_comments(read(f)), r"static\s+const\s+struct\s+line_type\s+\w+")
        if rows is not None:
            types = re.findall(r'\{\s*(?:\.name\s*=\s*)?"([a-z]+)"\s*,\s*(?:\.\w+\s*=\s*)?M_\w+', rows)
    if not types:
        missing("the manifest line table (line_types[] of initramfs/manifest.c: not found)", "man/lifeboat-image.1")
        return
    page = man("lifeboat-image.1")
    if page is None:
        return
    for t in types:
        # a line type is documented as a tagged paragraph starting with it
        if not re.search(r"^\.(TP|TQ|IP)[^\n]*\n" + re.escape(t) + r"\b", page, flags=re.M):
            missing(f"manifest line '{t}'", "man/lifeboat-image.1")


# ---- anchors and links ------------------------------------------------------
def slug(heading):
    """GitHub's anchor of a heading: lowercase, markup dropped, punctuation
    but '-' and '_' removed, blanks to '-'."""
    h = heading.strip().lower()
    h = re.sub(r"<[^>]+>", "", h)
    h = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", h)   # [text](url) -> text
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


_anchors = {}


def anchors(path):
    if path not in _anchors:
        seen, found, fence = {}, set(), False
        for line in read(path).split("\n"):
            if re.match(r"\s*(```|~~~)", line):
                fence = not fence
                continue
            m = None if fence else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m:
                s = slug(m.group(1))
                n = seen.get(s, 0)
                seen[s] = n + 1
                found.add(s if n == 0 else f"{s}-{n}")
        _anchors[path] = found
    return _anchors[path]


def check_citations():
    files = []
    for root, dirs, names in os.walk(TOP):
        if root == TOP:
            dirs[:] = [d for d in dirs if d not in ("out", ".git")]
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files += [os.path.join(root, n) for n in names
                  if n == "Makefile" or n.endswith((".c", ".h", ".sh", ".mk", ".py", ".md"))]
    # docs/NAME.md#ANCHOR as written in this file's own text is no citation:
    # names and anchors are lowercase
    cite = re.compile(r"(?<![\w/.-])((?:docs/[a-z0-9_-]+\.md)|DEVELOPING\.md|README\.md)#([a-z0-9][a-z0-9_-]*)")
    for f in sorted(files):
        text = read(f)
        if f.endswith(".md"):
            text = re.sub(r"\]\([^)\s]*\)", "]", text)   # links: check_links() follows them
        for target, anchor in cite.findall(text):
            path = os.path.join(TOP, target)
            if not os.path.isfile(path):
                missing(f"{target} (cited in {rel(f)})", "the tree")
            elif anchor not in anchors(path):
                missing(f"anchor #{anchor} (cited in {rel(f)})", target)


def check_links():
    pages = sources("*.md", "docs/*.md", "bench/*.md", "man/*.md")
    link = re.compile(r"\]\(([^)\s]+)\)")
    for f in pages:
        text = re.sub(r"```.*?```", "", read(f), flags=re.S)
        text = re.sub(r"`[^`\n]*`", "", text)
        for url in link.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", url) or url.startswith("mailto:"):
                continue   # http:, https:, ...: not ours to check
            target, _, anchor = url.partition("#")
            path = os.path.normpath(os.path.join(os.path.dirname(f), target)) if target else f
            if not os.path.exists(path):
                missing(f"link target {url}", rel(f))
            elif anchor and path.endswith(".md") and anchor not in anchors(path):
                missing(f"anchor #{anchor} of link {url}", rel(f))


def main():
    check_conf()
    check_ctl()
    check_kargs()
    check_manifest()
    check_citations()
    check_links()
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"lifeboat: doc-check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("  DOCCHECK man/ docs/: every config key, command, option, kernel argument, manifest line, citation "
          "and link found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
