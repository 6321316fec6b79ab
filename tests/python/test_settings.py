"""Every var is checked before any work starts, and a bad one never reaches BI.

All bad settings go into one invocation against a copy of the shared pipeline
build: the on-run-start check must name each var with its value and what is
allowed, each var set under a name the project does not know (in --vars, and
in the dbt_project.yml of a copy of the project) with the name meant, and
each min/max pair that contradicts itself; it must build nothing and leave
the published `current` as it was. Every other var gets a value that would run
as SQL of its own if a model pasted it in unchecked: each must be refused by
name too. The texts a var may hold freely are quoted where SQL reads them, and
built with SQL, quotes and braces in them by test_hostile_input.py. Every
rule's own out-of-range values, and that every var has a rule, are in
test_var_rules.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import PipelineBuild
from dbt_project_runner import PROJECT_DIR, DbtResult, run_dbt

from segmentation import publish as pub

# var -> (bad value, text the message must hold about what is allowed)
BAD_SETTINGS = {
    "raw_file_format": ("xlsx", 'one of "csv", "parquet"'),
    "raw_csv_delimiter": (":", 'one of ",", ";", "\\t", "|"'),
    "raw_csv_encoding": ("cp1252", 'one of "utf-8", "latin-1", "utf-16"'),
    "as_of_date": ("not-a-date", "a date written YYYY-MM-DD, or null"),
    "min_valid_date": ("1990-02-30", "a date written YYYY-MM-DD"),
    "max_reject_share": (2, "a number of at least 0 and at most 1"),
    "engagement_window_months": (0, "an integer of at least 1 and at most 63"),
    "customer_id_normalization": (["titlecase"], "a list of lower, remove_whitespace"),
    "cluster_features": (["recency_days", "frequncy"], "a list of columns of customer_features"),
    "dbscan_eps": (-1, "a number above 0, or null"),
    "dbscan_min_samples": (0, "an integer of at least 2, or null"),
    "dbscan_max_exact_rows": (1.5, "an integer of at least 1"),
    "min_source_match_share": ("high", "a number of at least 0 and at most 1"),
    "publish_override": ("maybe", "true or false"),
    "publish_keep_versions": (0, "an integer of at least 1"),
    "raw_data_path": ("https://example.com/exports", "a local folder (copy remote files into one)"),
    "clustering_duckdb_memory_limit": (
        "1GB'; create table injected as select 1; --",
        "a memory size such as 1GB, 512MB or 1.5GiB",
    ),
    "currency": ("EUR'); create table injected as select 1; --", "a three-letter ISO 4217 code"),
    "raw_file_pattern": ("export {2024}/{name}.csv", "holding {name} (the source) and no other"),
    "segment_noise_name": ("Outliers\n'; create table injected as select 1; --", "on one line"),
    "id_null_markers": (["NULL", 3, " "], "a list of texts"),
}
# Any other var given this is refused by name: only a var checked against its rule
# (a number, a date, a choice, a pattern) or quoted by the SQL that reads it is safe.
SQL_PAYLOAD = "0); create table injected as select 1; --"
# Misspelt var names -> where they are set, and the name the message must offer.
UNKNOWN_VARS = {
    "dbscan_epss": ("--vars", "dbscan_eps"),
    "min_age": ("--vars", "min_customer_age"),
    "max_rejct_share": ("dbt_project.yml", "max_reject_share"),
}
# Pairs set the wrong way round (each value fine on its own).
REVERSED_PAIRS = {"min_credit_score": 800, "max_credit_score": 400}
# What dbt needs to parse the project; the copy differs in dbt_project.yml only.
PROJECT_PARTS = (
    "models",
    "macros",
    "seeds",
    "snapshots",
    "tests",
    "analyses",
    "segmentation",
    "docs",
)


def _project_with_misspelt_var(root: Path) -> Path:
    """A copy of the project (links, but for dbt_project.yml) that sets the misspelt
    dbt_project.yml vars of UNKNOWN_VARS."""
    root.mkdir()
    for part in PROJECT_PARTS:
        (root / part).symlink_to(PROJECT_DIR / part)
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    for name, (where, _) in UNKNOWN_VARS.items():
        if where == "dbt_project.yml":
            project["vars"][name] = 0.1
    (root / "dbt_project.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    return root


@pytest.fixture(scope="module")
def bad_settings(
    pipeline_build: PipelineBuild, tmp_path_factory: pytest.TempPathFactory
) -> tuple[DbtResult, Path]:
    workdir = tmp_path_factory.mktemp("bad_settings") / "dbt"
    workdir.mkdir()
    shutil.copy(pipeline_build.result.db_path, workdir / "warehouse.duckdb")
    shutil.copytree(pipeline_build.workdir / "published", workdir / "published", symlinks=True)
    dbt_vars = {name: SQL_PAYLOAD for name in _ruled_vars()}
    dbt_vars |= {name: value for name, (value, _) in BAD_SETTINGS.items()}
    dbt_vars |= {name: 1 for name, (where, _) in UNKNOWN_VARS.items() if where == "--vars"}
    dbt_vars |= REVERSED_PAIRS
    project = _project_with_misspelt_var(workdir.parent / "project")
    args = ["build", "--exclude", "resource_type:unit_test"]
    return run_dbt(workdir, args, dbt_vars, project_dir=project), workdir


def _ruled_vars() -> list[str]:
    """The vars macros/validate_vars.sql has a rule for, in its order."""
    rules = (PROJECT_DIR / "macros" / "validate_vars.sql").read_text()
    return re.findall(r"\{'var': '([a-z0-9_]+)'", rules)


def _message_line(result: DbtResult, var: str, start: str = "") -> str:
    start = start or f"- var {var} is "
    lines = [line for line in result.output.splitlines() if start in line]
    assert len(lines) == 1, f"var {var} not named once in:\n{result.output[-4000:]}"
    return lines[0]


@pytest.mark.parametrize("var", sorted(BAD_SETTINGS))
def test_a_bad_var_is_named_with_its_value_and_what_is_allowed(bad_settings, var: str) -> None:
    result, _ = bad_settings
    value, allowed = BAD_SETTINGS[var]
    line = _message_line(result, var)
    assert f"- var {var} is {json.dumps(value)} (" in line, line
    assert allowed in line, line


@pytest.mark.parametrize(
    "var", sorted(set(_ruled_vars()) - set(BAD_SETTINGS) - set(REVERSED_PAIRS))
)
def test_sql_in_a_var_is_refused_by_name(bad_settings, var: str) -> None:
    result, _ = bad_settings
    assert f"- var {var} is {json.dumps(SQL_PAYLOAD)} (" in _message_line(result, var)


def test_odd_but_valid_values_pass_the_checks(tmp_path: Path) -> None:
    """The patterns refuse what SQL cannot take, not the values users write."""
    odd_but_valid = {
        "raw_data_path": "https://example.com/exports",
        "raw_data_allow_remote": True,
        "raw_file_pattern": "{name}/part-*.csv.gz",
        "clustering_duckdb_memory_limit": "1.5 GiB",
        "currency": "USD",
        "segment_noise_name": 'Kunden\'s $Ausreißer$ <b>&amp; ("edge")',
        "id_null_markers": [],
    }
    result = run_dbt(tmp_path, ["run-operation", "validate_vars"], odd_but_valid)
    assert result.ok, result.output[-3000:]


def test_an_unknown_feature_lists_the_features_that_exist(bad_settings) -> None:
    result, _ = bad_settings
    line = _message_line(result, "cluster_features")
    assert "unknown: frequncy" in line
    for feature in ("recency_days", "frequency", "monetary", "credit_utilisation"):
        assert re.search(rf"\b{feature}\b", line.split("customer_features:")[1]), feature


@pytest.mark.parametrize("name", sorted(UNKNOWN_VARS))
def test_an_unknown_var_is_named_with_where_it_is_set_and_the_var_meant(bad_settings, name):
    result, _ = bad_settings
    where, meant = UNKNOWN_VARS[name]
    line = _message_line(result, name, f"- var {name} (in ")
    assert f"- var {name} (in {where}) is not a var of this project" in line, line
    assert f"did you mean {meant}?" in line, line


def test_a_min_above_its_max_is_named_with_both_values(bad_settings) -> None:
    result, _ = bad_settings
    line = _message_line(result, "min_credit_score", "- vars min_credit_score (")
    assert "- vars min_credit_score (800) and max_credit_score (400) contradict" in line, line


def test_bad_settings_stop_the_build_before_any_work_and_keep_current(
    bad_settings, pipeline_build: PipelineBuild
) -> None:
    result, workdir = bad_settings
    assert not result.ok
    assert "Bad setting, nothing was built" in result.output
    assert "Traceback" not in result.output
    assert " START sql " not in result.output and " START python " not in result.output
    assert result.query("select count(*) from duckdb_tables() where table_name = 'injected'") == [
        (0,)
    ]
    link = os.readlink(workdir / "published" / pub.CURRENT_LINK)
    assert link == os.readlink(pipeline_build.workdir / "published" / pub.CURRENT_LINK)
