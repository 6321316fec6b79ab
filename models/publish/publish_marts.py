"""Publish the segment marts for BI tools at the end of `dbt build`.

A model rather than a step after dbt: `dbt build` runs a node only after its
parents' tests pass, so plain `dbt build` (not only `make build`) publishes,
and never publishes marts that failed a test, nor a build that failed an audit
of publish_audit (the pre-hook refuse_failed_publish). The work is in
`segmentation/publish.py`; this only gathers the marts and the settings
(var publish_keep_versions, handed over by the pre-hook set_python_model_settings()).
"""

from pathlib import Path

from segmentation.model_settings import read_settings, setting
from segmentation.publish import empty_result, publish, read_table_docs


def model(dbt, session):
    """Publish the marts and return one row per published table."""
    dbt.config(materialized="table")
    # Literal refs: dbt reads them to place this model after the marts and their tests.
    relations = {
        "customer_segments": dbt.ref("customer_segments"),
        "segment_summary": dbt.ref("segment_summary"),
        "segment_profiles": dbt.ref("segment_profiles"),
    }
    # Placed after the audit; its pre-hook (refuse_failed_publish) has stopped a failed one.
    dbt.ref("publish_audit")
    # And after the comparison with the version it replaces, which must read that version.
    dbt.ref("int_publish__segment_changes")
    build_id, is_empty_build = session.execute(
        "select getvariable('publish_build_id'), getvariable('publish_is_empty_build')"
    ).fetchall()[0]
    # `dbt build --empty` builds every mart with no rows: never publish that to BI.
    if is_empty_build:
        return empty_result()
    settings = read_settings(session, "publish_marts")
    docs = read_table_docs(session, dbt.this.schema, list(relations))
    return publish(
        relations,
        docs,
        publish_dir=Path(dbt.config.get("publish_dir")),
        build_id=build_id,
        keep_versions=int(setting(settings, "publish_keep_versions")),
    )
