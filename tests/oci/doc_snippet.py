#!/usr/bin/python3
"""Print a configuration snippet of a Markdown file, so a test runs the very text the docs give
(doc and test cannot drift): the first indented code block after the line `<!-- test: NAME -->`,
without its 4-space indent.

usage: doc_snippet.py FILE NAME
"""
import sys


def main():
    path, name = sys.argv[1], sys.argv[2]
    lines = open(path).read().split("\n")
    marker = f"<!-- test: {name} -->"
    if marker not in lines:
        sys.exit(f"doc_snippet: no '{marker}' line in {path}")
    block = []
    for l in lines[lines.index(marker) + 1:]:
        if l.startswith("    "):
            block.append(l[4:])
        elif l.strip() == "":
            if block:
                block.append("")
        else:
            if block:
                break
            sys.exit(f"doc_snippet: '{marker}' in {path} is not followed by an indented code block")
    if not block:
        sys.exit(f"doc_snippet: '{marker}' in {path} is not followed by an indented code block")
    print("\n".join(block).strip("\n"))


if __name__ == "__main__":
    main()
