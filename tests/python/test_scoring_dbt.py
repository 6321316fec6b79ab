"""Scoring between refits through dbt: a score build assigns customers the refit never saw
as a full refit would, keeps the stored fit through --full-refresh, says which model
assigned whom, and without a stored fit stops in one sentence.

A refit runs on generated customers with 5% held out; a score build then runs on
all of them with --full-refresh (the fit must survive it to be scored with); a
refit on all of them in a warehouse of its own is the reference. Cluster ids of two
refits are matched by their overlap on the customers both saw.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from conftest import PipelineBuild, assert_clean_failure
from dbt_project_runner import PROJECT_DIR, DbtResult, run_dbt
from scipy.optimize import linear_sum_assignment
from test_clustering_dbt import generate

from segmentation import publish as pub

CUSTOMERS = 3000
HELD_OUT_EVERY = 20  # one customer in twenty, by a hash of the id: 5%
SOURCES = ("transactions", "demographics", "credit_profiles")
SELECT = [
    "--select",
    "+customer_segments",
    "+clustering_diagnostics",
    "rejected_rows",
    "--indirect-selection",
    "cautious",
    "--exclude",
    "resource_type:unit_test",
]
SCORE = {"clustering_mode": "score"}
SCORED_METHODS = {"scored_core", "scored_absorbed", "scored_noise"}


def without_held_out(raw: Path, out: Path) -> Path:
    """A copy of the raw files without the held-out customers' rows (in every source)."""
    out.mkdir(parents=True)
    with duckdb.connect() as con:
        for source in SOURCES:
            con.execute(
                f"copy (select * from read_parquet('{raw / source}.parquet')"
                f" where customer_id is null or hash(customer_id) % {HELD_OUT_EVERY} <> 0)"
                f" to '{out / source}.parquet' (format parquet)"
            )
    return out


def clusters(result: DbtResult) -> pd.DataFrame:
    rows = result.query(
        "select customer_id, cluster_id, assignment_method, fit_id, fit_as_of_date,"
        f" hash(customer_id) % {HELD_OUT_EVERY} = 0 as held_out from customer_segments"
    )
    columns = ["customer_id", "cluster_id", "method", "fit_id", "fit_as_of_date", "held_out"]
    return pd.DataFrame(rows, columns=columns).set_index("customer_id")


@dataclass(frozen=True)
class Builds:
    """The refit's customers and stored fit as it left them, then the score and reference builds."""

    refit_clusters: pd.DataFrame
    refit_fits: list[tuple]
    refit_points: int
    scored: DbtResult
    reference: DbtResult


FITS = "select * exclude (built_at) from clustering_fits"
POINTS = "select count(*) from clustering_fit_points"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    root = tmp_path_factory.mktemp("scoring")
    raw = generate(root / "raw", CUSTOMERS, seed=23)
    fitted_raw = without_held_out(raw, root / "raw_fit")
    # As-of date pinned: held-out customers must not move it for everyone else.
    as_of = {"as_of_date": "2026-06-30", "raw_file_format": "parquet"}
    work = root / "scored"
    refit = run_dbt(work, ["build", *SELECT], {**as_of, "raw_data_path": str(fitted_raw)})
    assert refit.ok, refit.output[-4000:]
    refit_clusters, refit_fits = clusters(refit), refit.query(FITS)
    refit_points = refit.query(POINTS)[0][0]
    scored = run_dbt(
        work,
        ["build", "--full-refresh", *SELECT],
        {**as_of, **SCORE, "raw_data_path": str(raw)},
    )
    assert scored.ok, scored.output[-4000:]
    reference = run_dbt(
        root / "reference", ["build", *SELECT], {**as_of, "raw_data_path": str(raw)}
    )
    assert reference.ok, reference.output[-4000:]
    return Builds(refit_clusters, refit_fits, refit_points, scored, reference)


def test_held_out_customers_are_scored_as_a_full_refit_segments_them(builds: Builds):
    scored, reference = clusters(builds.scored), clusters(builds.reference)
    both = scored.merge(reference, left_index=True, right_index=True, suffixes=("", "_reference"))
    assert len(both) == len(reference) == len(scored)
    # Two refits number their clusters each their own way: match them on the customers
    # both saw, then compare the customers only the reference saw.
    seen = both.loc[~both.held_out]
    overlap = pd.crosstab(seen.cluster_id, seen.cluster_id_reference)
    rows, cols = linear_sum_assignment(-overlap.to_numpy())
    mapping = {overlap.index[r]: overlap.columns[c] for r, c in zip(rows, cols, strict=True)}
    held = both.loc[both.held_out]
    assert len(held) >= 100
    agreement = (held.cluster_id.map(mapping) == held.cluster_id_reference).mean()
    assert agreement >= 0.95, f"held-out agreement {agreement:.3f}"


def test_the_score_build_assigns_everyone_with_the_stored_fit(builds: Builds):
    [fit] = builds.refit_fits
    scored = clusters(builds.scored)
    assert set(scored.method) <= SCORED_METHODS
    assert (scored.fit_id == fit[1]).all()
    assert (scored.fit_as_of_date == fit[2]).all()
    refit = builds.refit_clusters
    assert set(refit.method) <= {"exact", "noise"}
    # The customers the refit saw keep its segments.
    both = refit.merge(scored, left_index=True, right_index=True, suffixes=("", "_scored"))
    assert len(both) == len(refit)
    assert (both.cluster_id == both.cluster_id_scored).mean() >= 0.99


def test_full_refresh_and_score_builds_keep_the_stored_fit(builds: Builds):
    assert len(builds.refit_fits) == 1 and builds.refit_points > 0
    assert builds.scored.query(FITS) == builds.refit_fits
    assert builds.scored.query(POINTS)[0][0] == builds.refit_points


def test_the_score_build_reports_its_model_age_and_drift(builds: Builds):
    scored = builds.scored
    mode, fit_id, age, noise, fit_noise, source, search_seconds = scored.query(
        "select clustering_mode, fit_id, model_age_days, noise_share, fit_noise_share,"
        " parameter_source, search_seconds from clustering_diagnostics"
    )[0]
    assert (mode, age, source, search_seconds) == ("score", 0, "stored_fit", None)
    (stored_noise,) = scored.query("select noise_share from clustering_fits")[0]
    assert fit_noise == stored_noise
    assert f"model: scored with fit {fit_id}" in scored.output
    assert f"outliers {noise:.1%} now against {fit_noise:.1%} at the fit" in scored.output
    assert " START python table model main.customer_clusters_scored" in scored.output


def test_score_mode_without_a_stored_fit_stops_in_one_sentence(tmp_path):
    raw = generate(tmp_path / "raw", 300, seed=5)
    result = run_dbt(
        tmp_path / "dbt",
        ["build", *SELECT],
        {**SCORE, "raw_data_path": str(raw), "raw_file_format": "parquet"},
    )
    assert_clean_failure(
        result,
        "var clustering_mode is score but this warehouse holds no stored clustering fit",
        "build once with clustering_mode: refit",
    )
    assert " START sql " not in result.output and " START python " not in result.output


def test_a_stored_fit_on_a_feature_that_is_gone_stops_in_one_sentence(
    builds: Builds, tmp_path: Path
) -> None:
    workdir = tmp_path / "dbt"
    workdir.mkdir()
    shutil.copy(builds.scored.db_path, workdir / "warehouse.duckdb")
    with duckdb.connect(str(workdir / "warehouse.duckdb")) as con:
        con.execute("update clustering_fits set features = list_append(features, 'shoe_size')")
    result = run_dbt(workdir, ["build", *SELECT], {**SCORE, "raw_data_path": "unused"})
    assert_clean_failure(
        result,
        "var clustering_mode is score but the stored clustering fit uses shoe_size, which"
        " customer_features no longer has",
    )


def test_a_score_build_of_the_published_data_changes_no_ones_segment(
    pipeline_build: PipelineBuild, tmp_path: Path
) -> None:
    """The whole pipeline in score mode after the shared refit: every customer keeps the
    segment key BI has, so history records no new build and no membership change."""
    workdir = tmp_path / "dbt"
    workdir.mkdir()
    shutil.copy(pipeline_build.result.db_path, workdir / "warehouse.duckdb")
    shutil.copytree(pipeline_build.workdir / "published", workdir / "published", symlinks=True)
    result = run_dbt(
        workdir,
        ["build", "--exclude", "resource_type:test", "resource_type:unit_test"],
        {**SCORE, "raw_data_path": str(pipeline_build.raw)},
    )
    assert result.ok, result.output[-4000:]
    keys = "select customer_id, segment_key from customer_segments order by customer_id"
    assert result.query(keys) == pipeline_build.result.query(keys)
    changes = "select count(*) from segment_membership_changes"
    assert result.query(changes) == pipeline_build.result.query(changes)
    assert "0.0% of the customers in the last published build changed segment" in result.output
    link = os.readlink(workdir / "published" / pub.CURRENT_LINK)
    assert link != os.readlink(pipeline_build.workdir / "published" / pub.CURRENT_LINK)
    current = workdir / "published" / pub.CURRENT_LINK / "customer_segments.parquet"
    with duckdb.connect() as con:
        methods = con.execute(
            f"select distinct assignment_method from read_parquet('{current}')"
        ).fetchall()
    assert {method for (method,) in methods} <= SCORED_METHODS


def test_stored_state_survives_full_refresh_by_its_config() -> None:
    """Every model tagged persistent (what each published version carries and a fresh
    warehouse restores) is incremental with full_refresh false, and the fit store is."""
    persistent = {}
    for path in (PROJECT_DIR / "models").rglob("_*__models.yml"):
        for node in yaml.safe_load(path.read_text())["models"]:
            config = node.get("config") or {}
            if "persistent" in (config.get("tags") or []):
                persistent[node["name"]] = config
    assert {"clustering_fits", "clustering_fit_points"} <= set(persistent)
    for name, config in persistent.items():
        assert config["materialized"] == "incremental", name
        assert config["full_refresh"] is False, name
