"""The house SQL style check (lint/sql_style.py) finds what it is there to find."""

from __future__ import annotations

from pathlib import Path

import pytest

from lint.sql_style import check

UNPADDED = "with\n\nsource as (\n    select 1\n),\n\nfinal as (\n    select 1\n)\n"
PADDED = UNPADDED.replace("(\n    select 1\n)", "(\n\n    select 1\n\n)", 1)
BLOCK_COMMENT = "{#- Why this model exists. -#}\nselect 1\n"


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_padded_cte_bodies_are_found_and_fixed(project: Path) -> None:
    path = _write(project, "models/x/padded.sql", PADDED)
    relative = path.relative_to(project)
    assert check(relative, fix=False) == [
        f"{relative}:4: blank line pads a bracketed body",
        f"{relative}:6: blank line pads a bracketed body",
    ]
    assert check(relative, fix=True) == []
    assert relative.read_text() == UNPADDED


def test_models_comment_with_dashes_but_macros_keep_blocks(project: Path) -> None:
    model = _write(project, "models/x/commented.sql", BLOCK_COMMENT).relative_to(project)
    macro = _write(project, "macros/documented.sql", BLOCK_COMMENT).relative_to(project)
    assert check(model, fix=False) == [f"{model}: comment with `--`, not a {{# #}} block"]
    assert check(macro, fix=False) == []
    assert check(model, fix=True) == []
    assert model.read_text() == "-- Why this model exists.\nselect 1\n"


def test_singular_tests_are_named_assert(project: Path) -> None:
    named = _write(project, "tests/x/rows_conserved.sql", "select 1\n").relative_to(project)
    assert check(named, fix=False) == [f"{named}: a singular test is named assert_<what holds>.sql"]
    good = _write(project, "tests/x/assert_rows_conserved.sql", "select 1\n").relative_to(project)
    assert check(good, fix=False) == []
