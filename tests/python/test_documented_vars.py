"""Every var builds with the values the docs invite, unit tests included.

A unit test runs inside every `dbt build` with the user's vars, so one written
around a var's default fails the build of anyone who sets that var (it did:
`min_valid_date: '1970-01-01'`, `min_customer_age: 18`). Here every var of
dbt_project.yml gets a value other than its default: the values README.md,
dbt_project.yml's comments and docs/ name, else a plausible one. All of them
go into one `dbt build` of the generated sample: the unit tests and every
model each var touches, in the time of one build. The vars that say how to
read the files are built with their values by the tests named in FILE_VARS,
on files written that way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import PipelineBuild, RawSample
from dbt_project_runner import PROJECT_DIR, DbtResult, run_dbt

# var -> a value other than its default that a build must take, the documented one where
# the docs name one.
VALUES: dict[str, object] = {
    "currency": "TWD",  # README: the Taiwan card holders' data
    # After the data's last day: an earlier one rightly rejects the later rows as future.
    "as_of_date": "2026-07-31",
    "as_of_date_quantile": 0.95,
    "as_of_tolerance_days": 30,
    "min_valid_date": "1970-01-01",  # docs/dirty-data.md: a lender's older loans
    "max_abs_amount": 50000,
    "min_customer_age": 18,  # docs/dirty-data.md: adults only
    "max_customer_age": 100,
    "min_credit_score": 250,
    "max_credit_score": 900,
    "max_reject_share": 0.1,  # README
    "customer_id_normalization": ["lower"],  # docs/dirty-data.md
    "id_null_markers": ["NULL", "N/A", "#N/A"],
    "raw_data_allow_remote": True,
    "engagement_window_months": 6,
    "cluster_features": [
        "recency_days",
        "frequency",
        "monetary",
        "avg_order_value",
        "credit_utilisation",
    ],
    "feature_min_coverage": 0.3,
    "feature_max_dominant_share": 0.95,
    "feature_max_rank_correlation": 0.8,
    "feature_min_primary": 3,
    "feature_flag_zero_share": 0.7,
    "feature_heap_min_share": 0.01,
    "feature_discrete_share": 0.4,
    "dbscan_eps": 0.8,
    "dbscan_min_samples": 5,
    # Below the sample's customers: DBSCAN fits on a sample, the rest join their core point.
    "dbscan_max_exact_rows": 150,
    "dbscan_sample_rows": 120,
    "dbscan_chunk_rows": 50,
    "dbscan_search_rows": 100,
    "dbscan_max_noise_share": 0.15,
    "dbscan_max_largest_cluster_share": 0.7,
    "dbscan_random_state": 7,
    "clustering_duckdb_memory_limit": "2GB",
    "segment_min_share": 0.05,
    "segment_min_count": 2,
    "segment_max_count": 8,
    "segment_stability_resamples": 5,
    "segment_stability_rows": 200,
    "segment_stable_jaccard": 0.8,
    "segment_name_descriptors": 1,
    "segment_material_z": 0.3,
    "segment_borrower_min_share": 0.6,
    "segment_key_min_overlap": 0.4,
    # README: a delivery's history is kept under the name of its data set.
    "data_set": "acme weekly",
    "segment_stat_decimals": 4,
    "segment_zscore_winsor_quantile": 0.05,
    "min_source_match_share": 0.1,
    "publish_max_customer_change": 0.3,
    "publish_max_segment_count_change": 1,
    "publish_max_outlier_share_change": 0.1,
    "publish_max_reshuffle_share": 0.6,
    # README: publishes a deliberate change; the audits' other thresholds are then moot.
    "publish_override": True,
    "publish_keep_versions": 3,
}
# Vars about how the files are written, each built on files written that way.
FILE_VARS = {
    "raw_data_path": "test_real_data.py, test_bad_inputs.py (other folders)",
    "raw_file_format": "test_staging.py (parquet)",
    "raw_file_pattern": "test_staging.py ('{name}/*.parquet'), test_raw_file_errors.py (.csv.gz)",
    "raw_csv_delimiter": "test_raw_file_errors.py (';', tab, '|')",
    "raw_csv_encoding": "test_raw_file_errors.py (latin-1, utf-16)",
}
# Vars whose other value needs a build before it, each built that way there.
BUILT_AFTER_ANOTHER = {
    "clustering_mode": "test_scoring_dbt.py (score assigns with the fit a refit stored)",
}
# Vars whose default is the only value that means anything.
FIXED = {
    "segment_noise_cluster_id": "the id DBSCAN itself gives noise",
    "segment_noise_name": "needs its own row in seed segment_actions (its action)",
}


def _project_vars() -> dict:
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def test_every_var_is_built_with_a_value_other_than_its_default() -> None:
    """A var added to dbt_project.yml needs values here (or a reason it has none)."""
    project_vars = _project_vars()
    assert (
        set(project_vars) - set(VALUES) - set(FILE_VARS) - set(BUILT_AFTER_ANOTHER) - set(FIXED)
        == set()
    )
    for name, value in VALUES.items():
        assert value != project_vars[name], name


VAR_CALL = re.compile(r"""var\(\s*['"]([a-z0-9_]+)['"]""")


def _macro_vars(macros: dict, macro_id: str, seen: set[str]) -> set[str]:
    """The vars a macro reads by name, with those of every macro it calls."""
    if macro_id in seen or macro_id not in macros:
        return set()
    seen.add(macro_id)
    found = set(VAR_CALL.findall(macros[macro_id]["macro_sql"]))
    for called in macros[macro_id]["depends_on"]["macros"]:
        found |= _macro_vars(macros, called, seen)
    return found


def test_every_unit_test_sets_the_vars_its_model_reads(pipeline_build: PipelineBuild) -> None:
    """Whatever value a user gives a var, a unit test of a model reading it gets its own
    (`overrides: vars:`). The raw file vars locate files a unit test never reads."""
    manifest = json.loads((pipeline_build.result.target_path / "manifest.json").read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    unset = {}
    for unit_test in manifest["unit_tests"].values():
        model = models[unit_test["model"]]
        seen: set[str] = set()
        read = set(VAR_CALL.findall(model["raw_code"]))
        for macro_id in model["depends_on"]["macros"]:
            read |= _macro_vars(manifest["macros"], macro_id, seen)
        given = ((unit_test.get("overrides") or {}).get("vars") or {}).keys()
        missing = read - set(given) - set(FILE_VARS)
        if missing:
            unset[unit_test["name"]] = sorted(missing)
    assert unset == {}


def test_every_var_the_readme_lists_is_built_with_another_value() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    table = readme[readme.index("| var | default |") :].split("\n\n")[0]
    listed = {name for line in table.splitlines() for name in line.split("`")[1:2]}
    assert listed, "the README's var table moved"
    assert listed - set(VALUES) - set(FILE_VARS) - set(BUILT_AFTER_ANOTHER) == set()


@pytest.fixture(scope="module")
def built(raw_sample: RawSample, tmp_path_factory) -> tuple[dict, DbtResult]:
    root: Path = tmp_path_factory.mktemp("documented_vars")
    raw = raw_sample.copy_to(root / "raw")
    dbt_vars = {"raw_data_path": str(raw), **VALUES}
    return dbt_vars, run_dbt(root / "dbt", ["build"], dbt_vars)


def test_a_build_with_documented_values_passes_its_unit_tests_and_models(built) -> None:
    dbt_vars, result = built
    assert result.ok, f"with vars {dbt_vars}:\n{result.output[-3000:]}"
    unit_tests = [r for r in result.run_results() if r["unique_id"].startswith("unit_test.")]
    assert unit_tests and all(r["status"] == "pass" for r in unit_tests)
