#!/usr/bin/env python3
"""Prints `--skip <regex>` arguments for `swift test` that skip every suite carrying one of the given Swift Testing tags.

Swift 6.3's `swift test` filters by test name only (`--filter`/`--skip` are regular expressions over
`Module.Suite/test()`); it has no tag filter. The tags on the suites (Tests/MeshTestSupport/TestTags.swift) are the
one record of what each suite needs, and this script turns them into name filters:

    Scripts/test-skips-for-tags.py e2e root envoy chromium python   # one argument per line

A suite is `@Suite(..., .tags(.a, .b), ...)` followed by its `struct`/`class`/`enum`/`actor` name; its module is the
folder under Tests/ it lives in. Tags on single `@Test`s are not read: tag suites.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUITE = re.compile(
    r"@Suite(?P<args>\((?:[^()\"]|\"(?:[^\"\\]|\\.)*\"|\((?:[^()]|\([^()]*\))*\))*\))?\s*"
    r"(?:(?:public|internal|package|final|nonisolated)\s+)*(?:struct|class|enum|actor)\s+(?P<name>\w+)")
TAGS = re.compile(r"\.tags\(([^)]*)\)")


def suites_with(tags: set[str]) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "Tests").rglob("*.swift")):
        module = path.relative_to(ROOT / "Tests").parts[0]
        text = path.read_text(encoding="utf-8")
        for match in SUITE.finditer(text):
            declared = set()
            for group in TAGS.findall(match.group("args") or ""):
                declared |= {tag.strip().lstrip(".") for tag in group.split(",")}
            if declared & tags:
                found.append((module, match.group("name")))
    return found


def main() -> int:
    tags = set(sys.argv[1:])
    if not tags:
        print(__doc__, file=sys.stderr)
        return 2
    suites = suites_with(tags)
    if not suites:
        print(f"no suite carries any of the tags {sorted(tags)}", file=sys.stderr)
        return 1
    for module, name in suites:
        print("--skip")
        print(rf"^{module}\.{name}(/|$)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
