"""How every measuring script hands its result over: JSON on stdout, and in a file if asked."""

from __future__ import annotations

import json
from pathlib import Path


def emit(result: dict, report: Path | None) -> None:
    """Print `result` as indented JSON and, with a `report` path, write the same text there.

    run_benchmark reads the file; a person running a script by hand reads stdout.
    """
    text = json.dumps(result, indent=2)
    if report:
        report.write_text(text + "\n", encoding="utf-8")
    print(text)
