#!/usr/bin/env python3
"""Mark the held-out part of each question set: `heldout: true` on a seeded random 30%.

For each file and for `questions:` and `unanswered:` separately, with n items in file order,
the held-out items are the indices random.Random(SEED).sample(range(n), round(0.3 * n)).
The choice depends only on the seed and the number of items, never on the questions'
content or difficulty. Running it again is idempotent; check.py verifies the marks.

Usage: python3 mark_heldout.py [task requests hugo]
"""
import os
import random
import re
import sys

SEED = 20261203
SHARE = 0.3
HERE = os.path.dirname(os.path.abspath(__file__))


def heldout_indices(n):
    return set(random.Random(SEED).sample(range(n), round(SHARE * n)))


def mark(path):
    lines = [l for l in open(path, encoding="utf-8").read().split("\n")
             if not re.match(r"^\s+heldout:", l)]
    # find item starts per top-level list
    section = None
    items = {"questions": [], "unanswered": []}
    for i, l in enumerate(lines):
        m = re.match(r"^(questions|unanswered):\s*$", l)
        if m:
            section = m.group(1)
            continue
        if re.match(r"^\S", l):
            section = None if not l.startswith("#") else section
        if section and re.match(r"^  - ", l):
            items[section].append(i)
    # the end line of each item: last non-blank, non-comment line before the next item/section
    inserts = []
    for section, starts in items.items():
        chosen = heldout_indices(len(starts))
        for k, start in enumerate(starts):
            if k not in chosen:
                continue
            end = start
            j = start + 1
            while j < len(lines) and re.match(r"^    \S", lines[j]):
                end = j
                j += 1
            inserts.append(end)
    for end in sorted(inserts, reverse=True):
        lines.insert(end + 1, "    heldout: true")
    open(path, "w", encoding="utf-8").write("\n".join(lines))


if __name__ == "__main__":
    for name in sys.argv[1:] or ["task", "requests", "hugo"]:
        mark(os.path.join(HERE, name + ".yaml"))
