"""The house SQL style SQLFluff cannot check, checked (and with --fix, applied).

- A CTE's body is not padded with blank lines (no blank line right after an
  opening bracket that ends a line, nor right before a closing one).
- Models, tests and analyses comment with `--`: a `{# #}` block hides from the
  compiled SQL what a reader of target/ needs, and two styles side by side
  make every reader wonder which one means what. Macros keep `{# #}`.
- A singular test is named `assert_<what holds>.sql`.

Usage: python -m lint.sql_style [--fix] [PATH ...] (default: models tests analyses macros)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

DEFAULT_PATHS = ("models", "tests", "analyses", "macros")
JINJA_COMMENT = re.compile(r"^(?P<indent>[ \t]*)\{#-?(?P<body>.*?)-?#\}[ \t]*\n?", re.S | re.M)


def padding_problems(lines: list[str]) -> list[int]:
    """Line numbers (1-based) of blank lines that pad a bracketed body."""
    found = []
    for index in range(1, len(lines)):
        blank = lines[index].strip() == ""
        if blank and lines[index - 1].rstrip().endswith("("):
            found.append(index + 1)
        elif lines[index].strip().startswith(")") and lines[index - 1].strip() == "":
            found.append(index)
    return found


def without_padding(text: str) -> str:
    """The text with the blank lines padding bracketed bodies removed."""
    lines = text.split("\n")
    drop = {number - 1 for number in padding_problems(lines)}
    return "\n".join(line for index, line in enumerate(lines) if index not in drop)


def as_line_comments(text: str) -> str:
    """Every `{# #}` block rewritten as `--` lines at the block's indentation."""

    def replace(match: re.Match) -> str:
        indent = match.group("indent")
        body = [line.strip() for line in match.group("body").strip("\n").split("\n")]
        while body and not body[0]:
            body.pop(0)
        while body and not body[-1]:
            body.pop()
        return "".join(f"{indent}-- {line}".rstrip() + "\n" for line in body)

    return JINJA_COMMENT.sub(replace, text)


def check(path: Path, *, fix: bool) -> list[str]:
    """What is wrong with one file (after fixing what can be fixed, when asked)."""
    text = path.read_text()
    kind = path.parts[0] if path.parts else ""
    fixed = without_padding(text)
    if kind != "macros":
        fixed = as_line_comments(fixed)
    if fix and fixed != text:
        path.write_text(fixed)
        text = fixed
    problems = [
        f"{path}:{number}: blank line pads a bracketed body"
        for number in padding_problems(text.split("\n"))
    ]
    if kind != "macros" and "{#" in text:
        problems.append(f"{path}: comment with `--`, not a {{# #}} block")
    if kind == "tests" and not path.name.startswith("assert_"):
        problems.append(f"{path}: a singular test is named assert_<what holds>.sql")
    return problems


def sql_files(paths: list[str]) -> list[Path]:
    """The .sql files under the given paths, in a stable order."""
    found: list[Path] = []
    for name in paths:
        root = Path(name)
        found += [root] if root.is_file() else sorted(root.rglob("*.sql"))
    return found


def main(argv: list[str] | None = None) -> int:
    """Print every problem; exit 1 when there is one."""
    parser = argparse.ArgumentParser(prog="python -m lint.sql_style", description=__doc__)
    parser.add_argument("--fix", action="store_true", help="apply what can be applied")
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS))
    args = parser.parse_args(argv)
    problems = [p for path in sql_files(args.paths) for p in check(path, fix=args.fix)]
    print("\n".join(problems) or "SQL style: all files pass.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
