#!/usr/bin/env python3
"""Validate the docs question sets in this folder against the documentation they are about.

For every question file (task.yaml, requests.yaml, hugo.yaml) it checks that
  * every `want` (path#anchor, or a list of them) names a file that exists in the docs
    folder and an anchor that is the slug of a heading really in that file;
  * every question has a `source` URL, answerable ones a `want`, unanswered ones none;
  * no question text is repeated;
  * the `heldout: true` marks are exactly the seeded random 30% of mark_heldout.py;
and prints the counts: answerable / unanswered / held-out, distinct sources, and the
unanswered and held-out shares.

Headings: Markdown ATX (`# ...`) and setext (`===` / `---` underlines) outside fenced code,
the front-matter `title:` (the page's top heading), VitePress custom ids (`{#id}`), and
reStructuredText underlined (optionally overlined) section titles. Slugs are GitHub style:
lowercase, inline markup removed, characters other than letters, digits, spaces, hyphens and
underscores dropped, spaces to hyphens; a repeated slug in one file also gets -1, -2, ...

Usage:
  python3 check.py                      # validate all sets (docs root: /work/shared/datasets/docs
                                        #   or $DOCS_ROOT)
  python3 check.py --headings task      # list every path#anchor of a set (to pick wants)
"""
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mark_heldout import heldout_indices  # noqa: E402  (the seeded held-out rule)

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS_ROOT = os.environ.get("DOCS_ROOT", "/work/shared/datasets/docs")
SETS = {  # question file -> docs folder (relative to DOCS_ROOT)
    "task": "task/docs",
    "requests": "requests/docs",
    "hugo": "hugo/docs",
}
MIN_QUESTIONS = {"task": 60, "requests": 30, "hugo": 60}


def slugify(text):
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)          # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)       # links -> their text
    text = re.sub(r"<[^>]+>", "", text)                        # inline HTML
    text = re.sub(r":[a-z]+:`([^`<]*)(<[^>]*>)?`", r"\1", text)  # rst roles
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)                       # \w keeps letters, digits, _
    return text.replace(" ", "-")


def split_front_matter(lines):
    """Return (title or None, index of the first body line)."""
    if not lines or lines[0].strip() not in ("---", "+++"):
        return None, 0
    fence = lines[0].strip()
    for i in range(1, len(lines)):
        if lines[i].strip() == fence:
            fm = "\n".join(lines[1:i])
            title = None
            try:
                data = yaml.safe_load(fm) if fence == "---" else None
                if isinstance(data, dict) and data.get("title") is not None:
                    title = str(data["title"])
            except yaml.YAMLError:
                pass
            if title is None:
                m = re.search(r"^title\s*[:=]\s*['\"]?(.*?)['\"]?\s*$", fm, re.M)
                if m:
                    title = m.group(1)
            return title, i + 1
    return None, 0


def md_headings(text):
    lines = text.split("\n")
    title, start = split_front_matter(lines)
    heads = []  # (text, custom id or None)
    if title:
        heads.append((title, None))
    fence = None
    prev = ""
    for line in lines[start:]:
        s = line.strip()
        m = re.match(r"^\s{0,3}(`{3,}|~{3,})", line)
        if m:
            if fence is None:
                fence = m.group(1)[0] * len(m.group(1))
            elif s.startswith(fence) and s.strip(fence[0]) == "":
                fence = None
            prev = ""
            continue
        if fence is not None:
            continue
        m = re.match(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m:
            heads.append(custom_id(m.group(2)))
            prev = ""
            continue
        if prev and re.match(r"^\s{0,3}(=+|-+)\s*$", line) and not re.match(r"^\s{0,3}[-*+]\s", prev) \
                and not prev.startswith(("    ", "\t", "|", ">", "{{", "<")):
            heads.append(custom_id(prev.strip()))
            prev = ""
            continue
        prev = line if s else ""
    return heads


def custom_id(text):
    m = re.search(r"\s*\{#([\w\-]+)\}\s*$", text)
    if m:
        return (text[: m.start()], m.group(1))
    return (text, None)


RST_PUNCT = set("=-~^\"'`#*+:.<>_!$%&(),/;?@[\\]{|}")


def rst_headings(text):
    lines = text.split("\n")
    heads = []
    for i in range(1, len(lines)):
        u = lines[i].rstrip()
        t = lines[i - 1].rstrip()
        if not u or not t or t[0].isspace() or u[0] not in RST_PUNCT:
            continue
        if len(set(u)) != 1 or len(u) < len(t.strip()) or len(u) < 2:
            continue
        if set(t) <= RST_PUNCT:  # t is itself an over/underline
            continue
        if t.startswith(".. ") or t.endswith("::"):
            continue
        heads.append((t.strip(), None))
    return heads


HUGO_INCLUDE = re.compile(r'^\s*\{\{[%<]\s*include\s+"(/[^"]+)"\s*[%>]\}\}\s*$', re.M)


def expand_includes(text, root, depth=0):
    """Hugo's {{% include "/_common/x.md" %}} lines, as Docent expands them:
    the included file's text (its front matter dropped) in the page."""
    if root is None or depth > 3:
        return text

    def repl(m):
        inc = os.path.join(root, m.group(1).lstrip("/"))
        try:
            with open(inc, encoding="utf-8") as f:
                body = f.read()
        except OSError:
            return m.group(0)
        lines = body.splitlines(keepends=True)
        _, start = split_front_matter(lines)
        return expand_includes("".join(lines[start:]), root, depth + 1)

    return HUGO_INCLUDE.sub(repl, text)


def anchors_of(path, root=None):
    with open(path, encoding="utf-8") as f:
        text = expand_includes(f.read(), root)
    heads = rst_headings(text) if path.endswith(".rst") else md_headings(text)
    seen = {}
    out = []
    for head, cid in heads:
        slug = cid if cid else slugify(head)
        if slug in seen:
            seen[slug] += 1
            slug = "%s-%d" % (slug, seen[slug])
        else:
            seen[slug] = 0
        out.append((slug, head))
    return out


def doc_anchors(root):
    result = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith((".md", ".rst")):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                result[rel] = anchors_of(full, root)
    return result


def wants_of(q):
    w = q.get("want")
    if w is None:
        return []
    return w if isinstance(w, list) else [w]


def check_set(name):
    root = os.path.join(DOCS_ROOT, SETS[name])
    anchors = doc_anchors(root)
    path = os.path.join(HERE, name + ".yaml")
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    errors = []
    qs = data.get("questions") or []
    un = data.get("unanswered") or []
    texts = set()
    sources = set()
    for kind, items in (("questions", qs), ("unanswered", un)):
        for i, q in enumerate(items):
            where = "%s.yaml %s[%d]" % (name, kind, i)
            if not isinstance(q, dict) or not q.get("q"):
                errors.append("%s: not a mapping with q" % where)
                continue
            where += " %r" % q["q"][:50]
            key = " ".join(q["q"].lower().split())
            if key in texts:
                errors.append("%s: repeated question" % where)
            texts.add(key)
            src = q.get("source")
            if not src or not re.match(r"^https?://", str(src)):
                errors.append("%s: source missing or not a URL" % where)
            else:
                sources.add(src)
            if "heldout" in q and not isinstance(q["heldout"], bool):
                errors.append("%s: heldout must be true/false" % where)
            extra = set(q) - {"q", "want", "source", "heldout", "note"}
            if extra:
                errors.append("%s: unknown fields %s" % (where, sorted(extra)))
            if kind == "unanswered":
                if "want" in q:
                    errors.append("%s: an unanswered question has a want" % where)
                continue
            ws = wants_of(q)
            if not ws:
                errors.append("%s: no want" % where)
            for w in ws:
                if "#" not in w:
                    errors.append("%s: want %r has no #anchor" % (where, w))
                    continue
                p, a = w.split("#", 1)
                if p not in anchors:
                    errors.append("%s: no file %s in %s" % (where, p, SETS[name]))
                elif a not in [s for s, _ in anchors[p]]:
                    errors.append("%s: no heading #%s in %s" % (where, a, p))
    for kind, items in (("questions", qs), ("unanswered", un)):
        marked = {i for i, q in enumerate(items) if isinstance(q, dict) and q.get("heldout")}
        if marked != heldout_indices(len(items)):
            errors.append("%s.yaml %s: heldout marks differ from the seeded rule; run mark_heldout.py"
                          % (name, kind))
    n_q, n_u = len(qs), len(un)
    h_q = sum(1 for q in qs if isinstance(q, dict) and q.get("heldout"))
    h_u = sum(1 for q in un if isinstance(q, dict) and q.get("heldout"))
    total = n_q + n_u
    print("%-9s %3d questions: %3d answerable (%d held out, %.0f%%), %2d unanswered (%d held out, %.0f%%); "
          "unanswered share %.1f%%; %d distinct sources"
          % (name, total, n_q, h_q, 100.0 * h_q / max(n_q, 1), n_u, h_u, 100.0 * h_u / max(n_u, 1),
             100.0 * n_u / max(total, 1), len(sources)))
    if total < MIN_QUESTIONS[name]:
        errors.append("%s: only %d questions (at least %d)" % (name, total, MIN_QUESTIONS[name]))
    if n_u < 0.10 * total:
        errors.append("%s: unanswered share under 10%%" % name)
    return errors, sources


def main(argv):
    if len(argv) >= 2 and argv[0] == "--headings":
        root = os.path.join(DOCS_ROOT, SETS[argv[1]])
        for rel, heads in sorted(doc_anchors(root).items()):
            for slug, head in heads:
                print("%s#%s\t%s" % (rel, slug, head))
        return 0
    names = argv or list(SETS)
    errors = []
    allsrc = set()
    for name in names:
        e, s = check_set(name)
        errors += e
        allsrc |= s
    print("distinct sources over all sets: %d" % len(allsrc))
    for e in errors:
        print("ERROR " + e)
    print("OK" if not errors else "%d error(s)" % len(errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
